"""Checking a recalculated workbook, cell by cell, against the numpy reference."""

import dataclasses
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from backprop_sheet import layout as L
from backprop_sheet import reference as R
from backprop_sheet.config import InputError
from backprop_sheet.recalc import recalculate_with
from backprop_sheet.spec import DEFAULT, Network
from backprop_sheet.workbook import read_grids

TOLERANCE = 1e-9  # accepted |got − expected| per unit of max(1, |expected|): relative for large values
ENGINES = ("libreoffice", "gnumeric")


def tolerance_text(tolerance: float) -> str:
    return f"|got − expected| ≤ {tolerance:g} · max(1, |expected|)"


def number(value) -> str:
    """A value as a user reads it: a plain float, never np.float64(…)."""
    return repr(float(value)) if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) \
        else repr(value)


@dataclass
class Report:
    cells: int = 0  # computed cells compared
    max_abs_diff: float = 0.0
    max_scaled_diff: float = 0.0  # the largest |got − expected| / max(1, |expected|)
    worst_cell: str = ""  # where max_scaled_diff was found
    mismatches: list[str] = field(default_factory=list)  # "cell: got …, expected …"
    error_cells: list[str] = field(default_factory=list)  # "cell: #NUM!"
    constant_cells: list[str] = field(default_factory=list)  # cells that should hold a formula but don't
    problems: list[str] = field(default_factory=list)  # structure: missing sheets, wrong row counts
    tolerance: float = TOLERANCE

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.error_cells or self.constant_cells or self.problems)


@dataclass(frozen=True)
class Found:
    """The parameters a workbook's Parameters sheet holds."""
    spec: Network  # the shape the workbook was generated for (its momentum: β when generated)
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


_FIELD_OF = dict(L.NETWORK_FIELDS + L.NETWORK_EXTRA_FIELDS)  # label → Network field
_REAL = ("momentum", "weight_decay")  # fields whose whole-number value is still a float


def _network_value(key: str, value):
    if key in ("train_biases", "nesterov"):
        return {"yes": True, "no": False}.get(value, value)
    if key == "hidden" and isinstance(value, str):  # "3, 2": one width per hidden layer
        try:
            return tuple(int(w) for w in value.split(","))
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer() and key not in _REAL:
        return int(value)  # engines may write every number as a float
    return value


def read_spec(grid: list[tuple]) -> Network:
    """The network's shape from the Parameters sheet's network table (a workbook without one is 2-2-2)."""
    found = {}
    for r, (label, key) in enumerate(L.NETWORK_FIELDS, start=2):
        if _at(grid, r, L.NETWORK_COL) != label:
            if found:
                raise InputError(f"the {L.PARAMETERS_SHEET} sheet's network table lacks {label!r}")
            return DEFAULT
        found[key] = _network_value(key, _at(grid, r, L.NETWORK_COL + 1))
    r = len(L.NETWORK_FIELDS) + 2
    while (label := _at(grid, r, L.NETWORK_COL)) in _FIELD_OF:  # the rows where it differs from the default
        key = _FIELD_OF[label]
        found[key] = _network_value(key, _at(grid, r, L.NETWORK_COL + 1))
        r += 1
    return Network(**found)


def read_parameters(grid: list[tuple]) -> Found:
    """The network, learning rates and iteration count from the Parameters sheet."""
    spec = read_spec(grid)

    def number(row: int, col: int, what: str) -> float:
        value = _at(grid, row, col)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{L.PARAMETERS_SHEET}!{L.column_letter(col)}{row} ({what}) "
                             f"holds {value!r}, not a number")
        return float(value)

    values = {p.key: number(*L.parameter_cell(p.key, spec), p.label) for p in L.parameters(spec)}
    iterations = number(L.iterations_row(spec), L.VALUE_COL, "iterations")
    if not iterations.is_integer() or not 1 <= iterations <= L.MAX_ITERATIONS:
        raise InputError(f"the Parameters sheet's iteration count {iterations!r} is not a valid row count")
    rates = []
    first = L.rate_first_row(spec)
    while _at(grid, first + len(rates), L.VALUE_COL) is not None:
        rates.append(number(first + len(rates), L.VALUE_COL, f"learning rate {len(rates) + 1}"))
    return Found(spec, values, rates, int(iterations))


# The optimizer's settings as the sheet holds them now: (parameter key, Network field, its symbol).
_SETTINGS = (("momentum", "momentum", "β"), ("weight_decay", "weight_decay", "λ"), ("eps", "eps", "ε"),
             ("alpha", "alpha", "α"))


def _now(found: Found) -> Network:
    """The spec with the settings the user may have edited; the columns stay those of the generated one."""
    v, spec = found.values, found.spec
    changes = {field: v[key] for key, field, _ in _SETTINGS if key in v}
    if "beta1" in v:
        changes["betas"] = (v["beta1"], v["beta2"])
    try:
        return dataclasses.replace(spec, **changes)
    except InputError as error:
        symbols = ", ".join(s for key, _, s in _SETTINGS if key in v) + (", β1, β2" if "beta1" in v else "")
        raise InputError(f"the {L.PARAMETERS_SHEET} sheet's {symbols.lstrip(', ')}: {error}") from None


def reference(found: Found) -> dict[str, np.ndarray]:
    """Every reference quantity as (iterations, rates), parameters included for the derivation cells."""
    v, spec = found.values, found.spec
    biases = [v[f"{b}_init"] for b in spec.bias_names] if spec.train_biases else [v[b] for b in spec.fixed_biases]
    inputs = [[v[i + sfx] for i in spec.inputs] for sfx in spec.suffixes]
    targets = [[v[t + sfx] for t in spec.targets] for sfx in spec.suffixes]
    now = _now(found)
    # A workbook whose β was edited to 0 keeps its velocity columns: so does the reference.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overflowing reference fails below
        trajectory = R.train([v[f"{w}_init"] for w in spec.weights.values()], inputs, targets, biases,
                             found.learning_rates, found.iterations, spec=now, velocity=spec.with_velocity)
    shape = (found.iterations, len(found.learning_rates))
    iteration = np.broadcast_to(np.arange(1.0, found.iterations + 1)[:, None], shape)
    eta = np.broadcast_to(np.asarray(found.learning_rates), shape)
    params = {key: np.broadcast_to(value, shape) for key, value in v.items()}
    return trajectory | params | {"iteration": iteration, "eta": eta}


class _Checker:
    def __init__(self, values: dict[str, list[tuple]], formulas: dict[str, list[tuple]], tolerance: float):
        self.values, self.formulas = values, formulas
        self.report = Report(tolerance=tolerance)

    def _formula(self, title: str, row: int, col: int) -> None:
        formula = _at(self.formulas[title], row, col)
        if not (isinstance(formula, str) and formula.startswith("=")):
            self.report.constant_cells.append(f"{_name(title, row, col)}: {number(formula)}")

    def check(self, title: str, row: int, col: int, expected: float) -> None:
        report, where = self.report, _name(title, row, col)
        report.cells += 1
        self._formula(title, row, col)
        got = _at(self.values[title], row, col)
        if _is_error(got):
            return  # listed by the error scan
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            report.mismatches.append(f"{where}: got {number(got)}, expected {number(expected)}")
            return
        diff = abs(got - expected)
        scaled = diff / max(1.0, abs(expected))
        report.max_abs_diff = max(report.max_abs_diff, diff)
        if scaled > report.max_scaled_diff:
            report.max_scaled_diff, report.worst_cell = scaled, where
        if not scaled <= report.tolerance:  # NaN (a non-finite reference) fails too
            report.mismatches.append(f"{where}: got {number(got)}, expected {number(expected)}")

    def check_label(self, title: str, label: L.Label, rate: float) -> None:
        """A label's text: its prefix, then a number equal to the rate (as the engine writes it)."""
        self.report.cells += 1
        self._formula(title, label.row, label.col)
        got = _at(self.values[title], label.row, label.col)
        try:
            # Engines join a number to text with 15 significant digits.
            ok = got.startswith(label.prefix) and abs(float(got.removeprefix(label.prefix)) - rate) <= 1e-14 * rate
        except (AttributeError, ValueError):
            ok = False
        if not ok and not _is_error(got):
            self.report.mismatches.append(f"{_name(title, label.row, label.col)}: got {number(got)}, "
                                          f"expected {label.text(rate)!r}")

    def scan_errors(self) -> None:
        for title, grid in self.values.items():
            for r, row in enumerate(grid, start=1):
                self.report.error_cells += [f"{_name(title, r, c)}: {v}" for c, v in enumerate(row, 1)
                                            if _is_error(v)]


def _rate_titles(values: dict[str, list[tuple]]) -> list[str]:
    return [t for t in values if t not in (L.SUMMARY_SHEET, L.PARAMETERS_SHEET, L.DERIVATION_SHEET)]


def structure(values: dict[str, list[tuple]], found: Found) -> list[str]:
    """What is missing or the wrong size: checked first, since any of it makes every cell check moot."""
    problems = [f"the {title!r} sheet is missing" for title in (L.SUMMARY_SHEET, L.DERIVATION_SHEET)
                if title not in values]
    titles = _rate_titles(values)
    if len(titles) != len(found.learning_rates):
        problems.append(f"the Parameters sheet has {len(found.learning_rates)} learning rates but the workbook "
                        f"has {len(titles)} learning-rate sheets ({', '.join(map(repr, titles)) or 'none'})")
    for title in titles:
        grid, last = values[title], L.data_row(found.iterations)
        if len(grid) < last:
            problems.append(f"sheet {title!r} has {max(len(grid) - L.FIRST_ROW + 1, 0):,} iteration rows, "
                            f"the Parameters sheet says {found.iterations:,}")
        elif any(v is not None for row in grid[last:] for v in row[:len(L.columns(found.spec))]):
            problems.append(f"sheet {title!r} has rows after iteration {found.iterations:,}")
    return problems


def compare(original: Path, recalculated: Path, tolerance: float = TOLERANCE) -> Report:
    """Compare every computed cell of `recalculated` with the reference; `original` shows the formulas.

    A structural problem is reported alone: its follow-on mismatches would only bury it.
    """
    values, formulas = read_grids(recalculated), read_grids(original, formulas=True)
    if L.PARAMETERS_SHEET not in values:
        raise InputError(f"{str(original)!r} has no {L.PARAMETERS_SHEET!r} sheet: not a backprop-sheet workbook")
    found = read_parameters(values[L.PARAMETERS_SHEET])
    checker = _Checker(values, formulas, tolerance)
    report = checker.report
    report.problems = structure(values, found)
    if report.problems:
        return report
    spec, expected = found.spec, reference(found)
    titles = _rate_titles(values)
    for k, title in enumerate(titles):
        checker.check(title, *L.RATE_CELL, found.learning_rates[k])
        for c, column in enumerate(L.columns(spec), start=1):
            for n, value in enumerate(expected[column.key][:, k]):
                checker.check(title, L.data_row(n + 1), c, value)
    linked = {L.SUMMARY_SHEET: L.summary_cells(titles, found.iterations, spec),
              L.DERIVATION_SHEET: L.derivation_cells(titles[0], spec)}
    for title, cells in linked.items():
        for cell in cells:
            checker.check(title, cell.row, cell.col, expected[cell.quantity][cell.iteration - 1, cell.rate])
    for label in L.summary_labels(len(titles)):
        checker.check_label(L.SUMMARY_SHEET, label, found.learning_rates[label.rate])
    checker.scan_errors()
    return report


def verify(path: str | Path, tolerance: float = TOLERANCE, engine: str = "libreoffice") -> Report:
    """Recalculate `path` in LibreOffice (or Gnumeric) and compare it with the reference."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no workbook at {str(path)!r}")
    if not zipfile.is_zipfile(path):  # checked before the slow recalculation, which would accept a CSV
        raise InputError(f"{str(path)!r} is not an .xlsx workbook")
    with tempfile.TemporaryDirectory(prefix="backprop-verify-") as tmp:
        (recalculated,) = recalculate_with(engine, [path], Path(tmp))
        return compare(path, recalculated, tolerance)
