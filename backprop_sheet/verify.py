"""Checking a recalculated workbook, cell by cell, against the numpy reference."""

import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from backprop_sheet import layout as L
from backprop_sheet import network
from backprop_sheet.config import InputError
from backprop_sheet.recalc import recalculate
from backprop_sheet.workbook import read_grids

TOLERANCE = 1e-9  # largest absolute difference accepted between LibreOffice and numpy


@dataclass
class Report:
    cells: int = 0  # computed cells compared
    max_abs_diff: float = 0.0
    worst_cell: str = ""  # where max_abs_diff was found
    mismatches: list[str] = field(default_factory=list)  # "cell: got …, expected …"
    error_cells: list[str] = field(default_factory=list)  # "cell: #NUM!"
    constant_cells: list[str] = field(default_factory=list)  # cells that should hold a formula but don't
    problems: list[str] = field(default_factory=list)  # missing sheets, wrong row counts
    tolerance: float = TOLERANCE

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.error_cells or self.constant_cells or self.problems)


@dataclass(frozen=True)
class Found:
    """The parameters a workbook's Parameters sheet holds."""
    values: dict[str, float]  # parameter key → value
    learning_rates: list[float]
    iterations: int


def _is_error(value) -> bool:
    # Excel's error values (#NUM!, #DIV/0!, #NAME?, #N/A, …) and LibreOffice's own Err:5xx.
    return isinstance(value, str) and (value.startswith("#") and value[-1] in "!?A" or value.startswith("Err:"))


def _at(grid: list[tuple], row: int, col: int):
    if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
        return grid[row - 1][col - 1]
    return None


def _name(title: str, row: int, col: int) -> str:
    return f"{L.quote_sheet(title)}!{L.column_letter(col)}{row}"


def read_parameters(grid: list[tuple]) -> Found:
    """The network, learning rates and iteration count from the Parameters sheet's value column."""
    def number(row: int, what: str) -> float:
        value = _at(grid, row, L.VALUE_COL)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{L.PARAMETERS_SHEET}!{L.column_letter(L.VALUE_COL)}{row} ({what}) "
                             f"holds {value!r}, not a number")
        return float(value)

    values = {p.key: number(L.parameter_row(p.key), p.label) for p in L.PARAMETERS}
    iterations = number(L.ITERATIONS_ROW, "iterations")
    if not iterations.is_integer() or not 1 <= iterations <= L.MAX_ITERATIONS:
        raise InputError(f"the Parameters sheet's iteration count {iterations!r} is not a valid row count")
    rates = []
    while _at(grid, L.RATE_FIRST_ROW + len(rates), L.VALUE_COL) is not None:
        rates.append(number(L.RATE_FIRST_ROW + len(rates), f"learning rate {len(rates) + 1}"))
    return Found(values, rates, int(iterations))


def reference(found: Found) -> dict[str, np.ndarray]:
    """Every reference quantity as (iterations, rates), parameters included for the derivation cells."""
    v = found.values
    trajectory = network.train([v[f"w{n}_init"] for n in range(1, 9)], (v["i1"], v["i2"]), (v["t1"], v["t2"]),
                               (v["b1"], v["b2"]), found.learning_rates, found.iterations)
    shape = (found.iterations, len(found.learning_rates))
    iteration = np.broadcast_to(np.arange(1.0, found.iterations + 1)[:, None], shape)
    eta = np.broadcast_to(np.asarray(found.learning_rates), shape)
    params = {key: np.full(shape, value) for key, value in v.items()}
    return trajectory | params | {"iteration": iteration, "eta": eta}


class _Checker:
    def __init__(self, values: dict[str, list[tuple]], formulas: dict[str, list[tuple]], tolerance: float):
        self.values, self.formulas = values, formulas
        self.report = Report(tolerance=tolerance)

    def check(self, title: str, row: int, col: int, expected: float) -> None:
        report, where = self.report, _name(title, row, col)
        report.cells += 1
        formula = _at(self.formulas[title], row, col)
        if not (isinstance(formula, str) and formula.startswith("=")):
            report.constant_cells.append(f"{where}: {formula!r}")
        got = _at(self.values[title], row, col)
        if _is_error(got):
            return  # listed by the error scan
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            report.mismatches.append(f"{where}: got {got!r}, expected {expected!r}")
            return
        diff = abs(got - expected)
        if diff > report.max_abs_diff:
            report.max_abs_diff, report.worst_cell = diff, where
        if not diff <= report.tolerance:  # NaN (a non-finite reference) fails too
            report.mismatches.append(f"{where}: got {got!r}, expected {expected!r}")

    def scan_errors(self) -> None:
        for title, grid in self.values.items():
            for r, row in enumerate(grid, start=1):
                self.report.error_cells += [f"{_name(title, r, c)}: {v}" for c, v in enumerate(row, 1)
                                            if _is_error(v)]


def compare(original: Path, recalculated: Path, tolerance: float = TOLERANCE) -> Report:
    """Compare every computed cell of `recalculated` with the reference; `original` shows the formulas."""
    values, formulas = read_grids(recalculated), read_grids(original, formulas=True)
    if L.PARAMETERS_SHEET not in values:
        raise InputError(f"{str(original)!r} has no {L.PARAMETERS_SHEET!r} sheet: not a backprop-sheet workbook")
    found = read_parameters(values[L.PARAMETERS_SHEET])
    expected = reference(found)
    checker = _Checker(values, formulas, tolerance)
    report = checker.report
    titles = [t for t in values if t not in (L.SUMMARY_SHEET, L.PARAMETERS_SHEET, L.DERIVATION_SHEET)]
    if len(titles) != len(found.learning_rates):
        report.problems.append(f"{len(found.learning_rates)} learning rates but {len(titles)} learning-rate sheets")
        titles = titles[:len(found.learning_rates)]
    for k, title in enumerate(titles):
        checker.check(title, *L.RATE_CELL, found.learning_rates[k])
        for c, column in enumerate(L.COLUMNS, start=1):
            for n, value in enumerate(expected[column.key][:, k]):
                checker.check(title, L.data_row(n + 1), c, value)
        extra = len(values[title]) - L.data_row(found.iterations)
        if extra > 0 and any(v is not None for row in values[title][-extra:] for v in row[:len(L.COLUMNS)]):
            report.problems.append(f"sheet {title!r} has rows after iteration {found.iterations}")
    linked = {L.SUMMARY_SHEET: L.summary_cells(titles, found.iterations),
              L.DERIVATION_SHEET: L.derivation_cells(titles[0]) if titles else []}
    for title, cells in linked.items():
        if title not in values:
            report.problems.append(f"the {title!r} sheet is missing")
            continue
        for cell in cells:
            checker.check(title, cell.row, cell.col, expected[cell.quantity][cell.iteration - 1, cell.rate])
    checker.scan_errors()
    return report


def verify(path: str | Path, tolerance: float = TOLERANCE) -> Report:
    """Recalculate `path` in LibreOffice and compare it with the reference."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no workbook at {str(path)!r}")
    if not zipfile.is_zipfile(path):  # checked before the slow LibreOffice run, which would accept a CSV
        raise InputError(f"{str(path)!r} is not an .xlsx workbook")
    with tempfile.TemporaryDirectory(prefix="backprop-verify-") as tmp:
        (recalculated,) = recalculate([path], Path(tmp))
        return compare(path, recalculated, tolerance)
