"""The finished package: every formula carries its value, charts carry their points, the zip is plain."""

import io
import re
import struct
import zipfile

import numpy as np
import openpyxl
import pytest

from backprop_sheet import charts, network
from backprop_sheet import layout as L
from backprop_sheet.config import SheetConfig
from backprop_sheet.generate import generate
from backprop_sheet.package import ZipWriter
from backprop_sheet.spec import DEFAULT
from backprop_sheet.workbook import read_grids


def test_every_formula_cell_has_a_cached_value(default_book):
    formulas, values = read_grids(default_book, formulas=True), read_grids(default_book)
    count = 0
    for title, grid in formulas.items():
        for r, row in enumerate(grid):
            for c, formula in enumerate(row):
                shown = title == "Derivation" and r >= L.derivation_columns_row(DEFAULT)  # text: formulas shown
                if isinstance(formula, str) and formula.startswith("=") and not shown:
                    count += 1
                    assert values[title][r][c] is not None, (title, r + 1, c + 1)
    assert count == 6 * (100 * len(L.columns(DEFAULT)) + 1) + 6 * 4 + 5 * len(L.gradient_columns(DEFAULT))


def test_cached_values_equal_the_reference_bit_for_bit(default_book):
    d = SheetConfig()
    trajectory = network.train(d.weights, d.inputs, d.targets, d.biases, d.learning_rates, 100)
    values = read_grids(default_book)
    for k, title in enumerate(L.rate_sheet_title(r) for r in d.learning_rates):
        grid = np.array([row[1:len(L.columns(DEFAULT))] for row in values[title][L.FIRST_ROW - 1:]], dtype=np.float64)
        expected = np.column_stack([trajectory[c.key][:, k] for c in L.columns(DEFAULT)[1:]])
        np.testing.assert_array_equal(grid, expected)
    assert values["Summary"][L.summary_row(0) - 1][:3] == (0.1, "η = 0.1", "lr 0.1")


def test_workbook_recalculates_on_load(default_book):
    with zipfile.ZipFile(default_book) as z:
        assert 'fullCalcOnLoad="1"' in z.read("xl/workbook.xml").decode()


def test_charts_carry_their_points(default_book):
    d = SheetConfig()
    e_total = network.train(d.weights, d.inputs, d.targets, d.biases, d.learning_rates, 100)["E_total"]
    with zipfile.ZipFile(default_book) as z:
        summary = z.read("xl/charts/chart1.xml").decode()
    caches = re.findall(r"<yVal><numRef><f>[^<]*</f><numCache>(.*?)</numCache>", summary)
    assert len(caches) == 6
    for k, cache in enumerate(caches):
        assert '<ptCount val="100"/>' in cache
        assert [float(v) for v in re.findall(r"<v>([^<]*)</v>", cache)] == e_total[:, k].tolist()
    legends = re.findall(r"<tx><strRef><f>[^<]*</f><strCache>.*?<v>([^<]*)</v>", summary)
    assert legends == ["η = 0.1", "η = 0.2", "η = 0.5", "η = 0.8", "η = 1", "η = 2"]


def test_chart_ranges_reach_the_last_row_excel_allows():
    """openpyxl's Reference stops at row 1,000,000; the ranges are written as text instead."""
    series = charts.series("lr 0.5", L.MAX_ITERATIONS, 0, DEFAULT)
    assert series.yVal.numRef.f == f"'lr 0.5'!$T${L.FIRST_ROW}:$T${L.EXCEL_MAX_ROWS}"
    chart = charts.chart("E_total against iteration", L.MAX_ITERATIONS)
    chart.series.append(series)
    wb = openpyxl.Workbook()
    charts.place(chart, L.CHART_ROW, L.CHART_ROWS, L.CHART_COLUMNS)
    wb.active.add_chart(chart)
    wb.save(io.BytesIO())


def local_and_central(path) -> list[tuple]:
    """(name, local header's extra field, central entry's extra field) for every part."""
    rows = []
    with zipfile.ZipFile(path) as z, open(path, "rb") as raw:
        for info in z.infolist():
            raw.seek(info.header_offset)
            header = raw.read(30)
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            raw.seek(name_length, 1)
            rows.append((info.filename, raw.read(extra_length), info.extra))
    return rows


@pytest.mark.slow  # a sheet of 100,001 rows: about 30 s
def test_large_workbook_is_plain_zip_with_matching_headers(tmp_path):
    """Above 100,000 rows the file used to be zip64, its local headers unlike its central directory."""
    path = tmp_path / "long.xlsx"
    generate(SheetConfig(learning_rates=(0.5,), iterations=100_001), path)
    for name, local, central in local_and_central(path):
        assert local == central == b"", name
    with open(path, "rb") as raw:
        assert b"PK\x06\x06" not in raw.read()[-200:]  # no zip64 end of central directory
    assert zipfile.ZipFile(path).testzip() is None
    last = read_grids(path)["lr 0.5"][-1]
    assert last[0] == 100_001 and isinstance(last[L.col("E_total", DEFAULT) - 1], float)


def test_zip64_only_when_a_part_may_pass_4_gib(tmp_path):
    buffer = io.BytesIO()
    writer = ZipWriter(buffer)
    writer.write("small.xml", [b"<a/>"], 4)
    writer.write("huge.xml", [b"<b>", b"x" * 1000, b"</b>"], 5 * 2**30)  # a bound past 4 GiB: zip64 records
    writer.close()
    path = tmp_path / "z.zip"
    path.write_bytes(buffer.getvalue())
    extras = {name: (local, central) for name, local, central in local_and_central(path)}
    assert extras["small.xml"] == (b"", b"")
    local, central = extras["huge.xml"]
    assert local == central and local[:2] == b"\x01\x00"  # the same zip64 record in both places
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None and z.read("huge.xml") == b"<b>" + b"x" * 1000 + b"</b>"


def test_a_sheet_at_excels_row_limit_needs_no_zip64():
    """The bound that decides zip64 is close to the real size: a full sheet stays under 4 GiB."""
    from backprop_sheet import workbook
    wb = openpyxl.Workbook()
    book = workbook._Book(SheetConfig(learning_rates=(0.5,), iterations=3),
                          network.train(SheetConfig().weights, SheetConfig().inputs, SheetConfig().targets,
                                        SheetConfig().biases, [0.5], 3))
    ws = book.rate_sheet(wb.create_sheet("lr 0.5"), 0)
    pattern = workbook._row_pattern(ws, 0, SheetConfig().spec)
    trajectory = network.train(SheetConfig().weights, SheetConfig().inputs, SheetConfig().targets,
                               SheetConfig().biases, [0.5], 500)
    written = sum(map(len, workbook._bulk_rows(pattern, trajectory, 0, 500, SheetConfig().spec)))
    bound = workbook._rows_bound(pattern, 500)
    assert written <= bound <= 1.3 * written
    assert workbook._rows_bound(pattern, L.MAX_ITERATIONS) < 0.95 * 2**32
