"""The workbook's structure, read back with openpyxl: formulas everywhere, wired as the layout says."""

import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from backprop_sheet import layout as L
from backprop_sheet import network
from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.config import SheetConfig
from backprop_sheet.generate import generate
from backprop_sheet.spec import DEFAULT, Network
from backprop_sheet.workbook import read_grids


@pytest.fixture(scope="module")
def formulas(default_book):
    return read_grids(default_book, formulas=True)


RATE_TITLES = ["lr 0.1", "lr 0.2", "lr 0.5", "lr 0.8", "lr 1", "lr 2"]


def test_sheets_in_order(formulas):
    assert list(formulas) == ["Summary", "Parameters", *RATE_TITLES, "Derivation"]


def test_every_data_cell_is_the_layouts_formula(formulas):
    for k, title in enumerate(RATE_TITLES):
        grid = formulas[title]
        assert len(grid) == L.data_row(100)
        assert grid[L.RATE_CELL[0] - 1][L.RATE_CELL[1] - 1] == f"=eta_{k + 1}"
        for n in range(1, 101):
            row = grid[L.data_row(n) - 1]
            assert list(row) == [L.formula(c, L.rate_name(k), n, DEFAULT) for c in L.columns(DEFAULT)]


def test_next_rows_weights_are_this_rows_weights_minus_eta_times_gradient(formulas):
    grid = formulas["lr 0.5"]
    for n in range(2, 101):
        row = L.data_row(n)
        for m in range(1, 9):
            w, g = L.letter(f"w{m}", DEFAULT), L.letter(f"dE_dw{m}", DEFAULT)
            assert grid[row - 1][L.col(f"w{m}", DEFAULT) - 1] == f"={w}{row - 1}-eta_3*{g}{row - 1}"


def test_first_row_starts_from_the_parameters_sheet(default_book, formulas):
    wb = openpyxl.load_workbook(default_book)
    first = formulas["lr 0.1"][L.FIRST_ROW - 1]
    values = dict(zip(["i1", "i2", "t1", "t2", *(f"w{n}_init" for n in range(1, 9)), "b1", "b2"],
                      [0.05, 0.10, 0.01, 0.99, 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, 0, 0]))
    for p in L.parameters(DEFAULT):
        assert wb.defined_names[p.name].attr_text == f"'Parameters'!$B${L.parameter_row(p.key, DEFAULT)}"
        assert wb["Parameters"].cell(L.parameter_row(p.key, DEFAULT), 2).value == values[p.key]
    for k, rate in enumerate(SheetConfig().learning_rates):
        assert wb.defined_names[L.rate_name(k)].attr_text == f"'Parameters'!$B${L.rate_first_row(DEFAULT) + k}"
        assert wb["Parameters"].cell(L.rate_first_row(DEFAULT) + k, 2).value == rate
    assert [first[L.col(f"w{n}", DEFAULT) - 1] for n in range(1, 9)] == [f"=w{n}_init" for n in range(1, 9)]


def test_only_functions_excel_and_libreoffice_share(formulas):
    used = {name for grid in formulas.values() for row in grid for v in row
            if isinstance(v, str) and v.startswith("=") for name in re.findall(r"([A-Z][A-Z0-9.]*)\(", v)}
    assert used == {"EXP"}


def test_every_activation_uses_only_functions_all_three_engines_know():
    for act in ACTIVATIONS.values():
        used = set(re.findall(r"([A-Z][A-Z0-9.]*)\(", act.formula + act.derivative))
        assert used <= {"EXP", "TANH", "MAX", "IF"}, act.name


def test_charts(default_book):
    wb = openpyxl.load_workbook(default_book)
    first, last = L.FIRST_ROW, L.data_row(100)
    for title in RATE_TITLES:
        (chart,) = wb[title]._charts
        (series,) = chart.series
        assert series.yVal.numRef.f == f"'{title}'!$T${first}:$T${last}"
        assert series.xVal.numRef.f == f"'{title}'!$A${first}:$A${last}"
    (summary,) = wb["Summary"]._charts
    assert [s.yVal.numRef.f for s in summary.series] == [f"'{t}'!$T${first}:$T${last}" for t in RATE_TITLES]
    assert [s.tx.strRef.f for s in summary.series] == [f"'Summary'!$B${L.summary_row(k)}" for k in range(6)]


def test_summary_and_derivation_are_formulas(formulas):
    for title, cells in (("Summary", L.summary_cells(RATE_TITLES, 100, DEFAULT)),
                         ("Derivation", L.derivation_cells("lr 0.1", DEFAULT))):
        for cell in cells:
            assert formulas[title][cell.row - 1][cell.col - 1] == cell.formula
    summary = formulas["Summary"]
    assert summary[L.summary_row(0) - 1][3] == f"='lr 0.1'!$T${L.FIRST_ROW}"
    assert summary[L.summary_row(5) - 1][4] == f"='lr 2'!$T${L.data_row(100)}"
    assert [summary[L.summary_row(k) - 1][1] for k in range(6)] == [f'="η = "&eta_{k + 1}' for k in range(6)]


def test_pleasant_to_open(default_book):
    ws = openpyxl.load_workbook(default_book)["lr 1"]
    assert ws.freeze_panes == f"B{L.FIRST_ROW}"
    assert ws.cell(50, L.col("w3", DEFAULT)).number_format == "0.000000000"
    assert ws.cell(50, L.col("dE_dw3", DEFAULT)).number_format == "0.000000E+00"
    assert ws.column_dimensions["B"].width >= 12


@pytest.mark.parametrize("iterations", [1, 2, 3000])
def test_row_count_follows_iterations(tmp_path, iterations):
    path = tmp_path / "b.xlsx"
    generate(SheetConfig(learning_rates=(0.3, 3.0), iterations=iterations), path)
    grid = read_grids(path, formulas=True)["lr 3"]
    assert len(grid) == L.data_row(iterations)
    assert list(grid[-1]) == [L.formula(c, "eta_2", iterations, DEFAULT) for c in L.columns(DEFAULT)]


SPECS = [DEFAULT, Network(n_in=3, hidden=4, n_out=1, hidden_activation="tanh", output_activation="linear"),
         Network(hidden=3, hidden_activation="relu", output_activation="leaky_relu", train_biases=True, momentum=0.9),
         Network(n_in=1, hidden=1, n_out=3, train_biases=True, momentum=0.5)]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_templates_only_look_left_or_up(spec):
    """Within a row a cell uses only columns to its left, so the sheet has no circular references."""
    cols, params = L.column_index(spec), L.parameter_index(spec)
    for column in L.columns(spec):
        for prev, key in re.findall(r"\{(prev\.)?(\w+)\}", column.template(False) + column.template(True)):
            assert key in cols or key in params or key == "eta"
            if key in cols and not prev:
                assert L.col(key, spec) < L.col(column.key, spec), (column.key, key)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_every_column_and_factor_is_a_reference_quantity(spec):
    trajectory = network.train(np.linspace(-0.5, 0.5, spec.n_weights), np.ones(spec.n_in), np.ones(spec.n_out) / 2,
                               (0.1, 0.2), [0.5], 2, spec=spec)
    assert {c.key for c in L.columns(spec)} - set(trajectory) == {"iteration"}
    assert {f.key for c in L.gradient_columns(spec) for f in c.factors} <= set(trajectory) | set(L.parameter_index(spec))
    assert [c.key for c in L.gradient_columns(spec)] == network.gradient_names(spec)


def test_default_workbook_keeps_every_header_name_and_formula(default_book):
    """The default 2-2-2 workbook against one made before networks became configurable.

    data/default_workbook.json holds every non-empty cell of that workbook (of the rate sheets: rows 1 to
    5 and the last; the rows between repeat row 5's pattern) and its defined names. The new workbook may
    only add cells: the Parameters sheet's network table.
    """
    before = json.loads((Path(__file__).parent / "data" / "default_workbook.json").read_text())
    wb = openpyxl.load_workbook(default_book)
    assert {name: dn.attr_text for name, dn in wb.defined_names.items()} == before["defined_names"]
    assert wb.sheetnames == list(before["sheets"])
    for title, cells in before["sheets"].items():
        now = {coordinate: wb[title][coordinate].value for coordinate in cells}
        assert now == cells, title
