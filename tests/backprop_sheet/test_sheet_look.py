"""What a person sees on opening or printing the workbook: fonts, where the charts sit, axes, print setup."""

import re
import zipfile

import openpyxl
import pytest

from backprop_sheet import charts
from backprop_sheet import layout as L
from backprop_sheet.styles import FONT, value_format


@pytest.fixture(scope="module")
def parts(default_book):
    with zipfile.ZipFile(default_book) as z:
        return {name: z.read(name).decode() for name in z.namelist()}


def test_one_font_family_everywhere(parts):
    faces = set(re.findall(r'<name val="([^"]+)"', parts["xl/styles.xml"]))
    for name, xml in parts.items():
        if name.startswith("xl/charts/"):
            faces |= set(re.findall(r'typeface="([^"]+)"', xml))
    assert faces == {FONT}


def test_each_rate_sheets_chart_sits_above_its_table(default_book):
    wb = openpyxl.load_workbook(default_book)
    for title in wb.sheetnames[2:-1]:
        ws = wb[title]
        (chart,) = ws._charts
        start, end = chart.anchor._from, chart.anchor.to
        assert (start.col, start.row) == (0, L.CHART_ROW - 1)  # column A, just under the η row
        assert end.row < L.GROUP_ROW  # ends before the table: visible beside nothing, above everything
        assert ws.freeze_panes == f"B{L.FIRST_ROW}"


def test_axes(parts):
    for name, xml in parts.items():
        if not name.startswith("xl/charts/"):
            continue
        axes = re.findall(r"<valAx>.*?</valAx>", xml)
        assert len(axes) == 2
        x, y = sorted(axes, key=lambda a: "iteration" not in a)
        assert '<axPos val="b"/>' in x and '<axPos val="l"/>' in y  # Gnumeric draws the axis where axPos says
        assert '<majorUnit val="10"/>' in x and '<min val="0"/>' in x and '<max val="100"/>' in x
        assert 'formatCode="#,##0" sourceLinked="0"' in x
        assert 'formatCode="0.0##" sourceLinked="0"' in y
        assert '<delete val="0"/>' in x and '<delete val="0"/>' in y


@pytest.mark.parametrize("iterations, step", [(1, 1), (7, 1), (100, 10), (250, 50), (10_000, 1000),
                                              (L.MAX_ITERATIONS, 200_000)])
def test_ticks_fall_on_round_numbers(iterations, step):
    assert charts.tick_step(iterations) == step
    assert -(-iterations // step) <= 10


def test_chart_titles_are_short_enough_for_one_line(parts):
    titles = [t for name, xml in parts.items() if name.startswith("xl/charts/")
              for t in re.findall(r"<a:t>([^<]*)</a:t>", xml)]
    assert titles and max(len(t) for t in titles) <= 50


def test_every_sheet_prints_landscape_one_page_wide_with_header_rows(default_book):
    wb = openpyxl.load_workbook(default_book)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows, ws.title
    assert wb["lr 1"].print_title_rows == f"${L.GROUP_ROW}:${L.HEADER_ROW}"


def test_derivation_is_readable_on_paper(default_book):
    ws = openpyxl.load_workbook(default_book)["Derivation"]
    row = L.DERIVATION_HEADER_ROW + 1  # ∂E_total/∂w1: factors 0.015…, 0.249…, i1 = 0.05, product 1.9E-04
    formats = [ws.cell(row, c).number_format for c in range(L.FACTOR_VALUE_COL, L.FACTOR_VALUE_COL + 5)]
    assert formats == ["0.000000", "0.000000", "0.000000", "0.000E+00", "0.000E+00"]
    for c in range(2, 5):  # the chain rule and factor texts wrap inside their columns, rows tall enough
        assert ws.cell(row, c).alignment.wrap_text
    assert ws.row_dimensions[row].height >= 26


def test_value_formats():
    assert value_format(0.05) == "0.000000" and value_format(-0.359) == "0.000000"
    assert value_format(1.9e-4) == "0.000E+00" and value_format(3e7) == "0.000E+00"
    assert value_format(0.0) == "0"


def test_sheet_tabs_say_where_eta_is_set(default_book):
    wb = openpyxl.load_workbook(default_book)
    assert "η is set on the Parameters sheet" in wb["Summary"].cell(3, 1).value
    assert "set on the Parameters sheet (η3)" in wb["lr 0.5"].cell(1, 3).value
