"""Grading one table and one file: local and reference checks, root causes and their names."""

from dataclasses import dataclass, field

import numpy as np

from backprop_sheet import layout as L
from backprop_sheet import network
from backprop_sheet.check import diagnose, local, refs, shape
from backprop_sheet.check.assignment import (
    DEFAULT_SOURCE,
    OwnSheet,
    defaults_for,
    initial_for,
    own_parameters,
)
from backprop_sheet.check.model import Model, model
from backprop_sheet.check.onepass import find_one_pass
from backprop_sheet.check.params import (
    AGREE,
    Found,
    Label,
    find_labels,
    infer_rate,
    nearest_label,
    network_parameters,
    rate_from_title,
)
from backprop_sheet.check.shape import Shape
from backprop_sheet.check.sheets import Sheet, cell_name
from backprop_sheet.check.tables import Table, find_tables
from backprop_sheet.config import SheetConfig
from backprop_sheet.spec import DEFAULT, Network


@dataclass
class Cell:
    cell: str
    expected: float | None
    got: object


@dataclass
class Column:
    quantity: str
    status: str  # ok, wrong, missing or constant
    first_wrong: Cell | None = None  # against the reference trajectory (else the local check)
    cells: int = 0  # the column's cells (iterations)
    wrong_here: int = 0  # cells wrong from the student's own inputs: the mistakes made in this column
    wrong_reference: int = 0  # cells off the reference trajectory, inherited mistakes included
    pasted: int = 0  # cells from the first number pasted below the column's formulas to the end


@dataclass
class RootCause:
    quantity: str
    cell: str
    diagnosis: str  # an id of diagnose.MISTAKES
    message: str
    expected: float | None = None
    got: object = None
    row: int = 0  # iteration index, for ordering

    def as_dict(self) -> dict:
        return {"quantity": self.quantity, "cell": self.cell, "diagnosis": self.diagnosis,
                "message": self.message, "expected": self.expected, "got": self.got}


@dataclass
class TableResult:
    table: Table
    learning_rate: Found | None
    rates_found: list[Found]  # every value of the learning rate found, and where
    parameters: dict[str, Found]
    columns: dict[str, Column]
    root_causes: list[RootCause]
    notes: list[str] = field(default_factory=list)
    network: Network = DEFAULT  # the network it was graded as
    initial: dict[str, float] = field(default_factory=dict)  # the trained parameters' first row, as the table shows

    @property
    def ok(self) -> bool:
        return not self.root_causes and all(c.status in ("ok", "missing") for c in self.columns.values())


@dataclass
class FileResult:
    path: str
    tables: list[TableResult] = field(default_factory=list)
    error: str | None = None  # why it could not be graded
    error_kind: str = "unreadable"  # or "needs recalculation": no values saved, and no engine to compute them
    values_from: str | None = None  # "values as saved by Microsoft Excel", "recalculated by LibreOffice", …
    stale: list[str] = field(default_factory=list)  # with --recalculate always: cells whose saved value was stale
    student: str | None = None  # with --key: whose submission it is
    student_from: str | None = None  # with --key: how that was found, or why no student matched
    parts: list | None = None  # the rubric's parts (rubric.Scored), once scored

    @property
    def status(self) -> str:
        if self.error:
            return self.error_kind
        if not self.tables:
            return "no table"
        return "ok" if all(t.ok for t in self.tables) else "mistakes"

    @property
    def root_causes(self) -> list[RootCause]:
        return [cause for t in self.tables for cause in t.root_causes]


def _column(sheet: Sheet, table: Table, col: int) -> tuple[np.ndarray, list, np.ndarray, np.ndarray]:
    """(numbers with NaN for anything else, raw values, formula flags, half-units of typed numbers)."""
    rows = range(table.first_row, table.last_row + 1)
    raw = [sheet.get(r, col) for r in rows]
    numbers = np.array([v if isinstance(v, float) else np.nan for v in raw])
    formula = np.array([(r, col) in sheet.formulas for r in rows])
    delta = np.array([0.0 if f or not isinstance(v, float) else local.half_unit(v) for v, f in zip(raw, formula)])
    return numbers, raw, formula, delta


def _got(value):
    return value if not isinstance(value, float) or np.isfinite(value) else str(value)


def _num(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _rate(table: Table, sheet: Sheet, labels: list[Label], tables: list[Table],
          student: dict[str, np.ndarray], m: Model) -> tuple[Found | None, list[Found], Found | None, float | None]:
    """(the rate used, every rate found, the declared rate if the updates contradict it, the updates' rate)."""
    found, declared = [], None
    lab = nearest_label("eta", table, labels, tables)
    if lab:
        declared = Found(lab.value, lab.source, (lab.sheet, *lab.value_cell))
        found.append(declared)
    if "eta" in table.columns and isinstance(v := sheet.get(table.first_row, table.columns["eta"]), float):
        column = Found(v, f"column 'η', cell {table.cell('eta', 0)}")
        found.append(column)
        declared = declared or column
    same_sheet = [t for t in tables if t.sheet == table.sheet]
    titled = rate_from_title(table.sheet) if len(same_sheet) == 1 else None
    title = Found(titled, f"sheet name {table.sheet!r}") if titled is not None else None
    if title:
        found.append(title)
    inferred = infer_rate(student, {p: m.step(p) for p in m.trained})
    clear = inferred is not None and inferred.agreeing >= 0.5
    if inferred is not None:
        found.append(Found(inferred.value, f"weight updates ({inferred.agreeing:.0%} of {inferred.estimates} "
                                           "updates agree)"))
    claimed = declared or title
    contradicted = None
    if claimed and clear and inferred.value > 0 and abs(inferred.value - claimed.value) > AGREE * abs(claimed.value):
        contradicted = claimed
    if declared:
        used = declared
    elif clear and inferred.value > 0:
        used = Found(inferred.value, "weight updates")
    elif title:
        used = title
    elif inferred is not None:
        used = Found(abs(inferred.value), "weight updates (their sign is wrong)")
    else:
        used = None
    return used, found, contradicted, inferred.value if contradicted else None


@dataclass(frozen=True)
class _Context:
    """Where a table's parameters and rate were read: what a student's formula may point at."""
    parameters: dict[str, Found]
    rate: Found | None
    labels: list[Label]


BY_CONTENT = 0.9  # share of a column's rows a quantity's formula must reproduce to name the column


def _shape(table: Table, sheet: Sheet, labels: list[Label], tables: list[Table], numbers: dict[str, np.ndarray],
           config: SheetConfig, config_source: str, own: OwnSheet | None) -> Shape:
    if config_source == DEFAULT_SOURCE and own is not None:
        return Shape(own.spec, f"the workbook's {L.PARAMETERS_SHEET} sheet")
    given = config.spec if config_source != DEFAULT_SOURCE else None
    found = {lab.key for lab in labels if lab.sheet == table.sheet or len(tables) == 1} | set(table.columns)
    beta = nearest_label("momentum", table, labels, tables)
    return shape.infer(table.columns, numbers, found, beta.value if beta else None, given, config_source)


def _by_content(table: Table, sheet: Sheet, m: Model, values: local.RowValues, cols: dict) -> dict[str, str]:
    """Name the columns whose header says nothing by what they compute: {quantity: how}; `cols` gains them."""
    found = {}
    missing = [q for q in m.checked if q not in cols and q not in m.trained]
    for col in table.other_columns:
        column = _column(sheet, table, col)
        got = column[0]
        if np.isfinite(got).sum() * 2 < len(got) or not missing:
            continue
        for q in missing:
            how = _reproduces(m, q, values, got, column[3])
            if how:
                header = sheet.get(table.header_row, col)
                found[q] = how + (f"; its header {header!r} names nothing we know" if header else ", without a header")
                table.columns[q], cols[q] = col, column
                missing.remove(q)
                break
    return found


def _reproduces(m: Model, q: str, values: local.RowValues, got: np.ndarray, delta: np.ndarray) -> str | None:
    """How a column's numbers are q's: by q's formula, or by one of its known wrong variants; else None."""
    candidates = [(m.formulas[q], None)] + [(v.formula, v.id) for v in diagnose.variants(m.spec, q)]
    for formula, mistake in candidates:
        with np.errstate(all="ignore"):
            expected = formula.f(values)
        if local.agrees(got, expected, np.zeros_like(got), delta).sum() >= BY_CONTENT * len(got):
            return (f"by what it computes ({diagnose.show(formula.text)}"
                    + (f", the known mistake {mistake})" if mistake else ")"))
    return None


def grade_table(table: Table, sheet: Sheet, labels: list[Label], tables: list[Table],
                config: SheetConfig, config_source: str, own: OwnSheet | None = None) -> TableResult:
    n = table.rows
    cols = {q: _column(sheet, table, c) for q, c in table.columns.items()}
    numbers = {q: c[0] for q, c in cols.items()}
    found_shape = _shape(table, sheet, labels, tables, numbers, config, config_source, own)
    spec = found_shape.spec
    m = model(spec)
    table.quantities = m.checked
    table.identified = {q: f"header {sheet.get(table.header_row, c)!r}" for q, c in table.columns.items()
                        if q in m.checked and table.cells is None}
    student = {q: cols[q][0] for q in m.checked if q in cols}
    defaults = defaults_for(spec, config)
    if own is not None and own.spec == spec:  # the workbook's own Parameters sheet, over the defaults
        defaults |= own.values
    parameters = network_parameters(m.parameters, table, sheet, labels, tables, defaults, config_source)
    used, rates_found, contradicted, updates_rate = _rate(table, sheet, labels, tables, student, m)
    notes = []
    if spec != DEFAULT:
        notes.append(f"graded as a {spec.describe()} (from {found_shape.source})")
    for key in m.parameters:
        assigned = defaults.get(key)
        assigned = assigned.value if isinstance(assigned, Found) else assigned
        if key not in parameters:
            notes.append(f"no value found for {key}: label it beside the table")
        elif assigned is not None and parameters[key].value != assigned and key != "momentum":
            notes.append(f"{key} = {parameters[key].value:g} ({parameters[key].source}) where the assignment has "
                         f"{assigned:g}")
    assigned = initial_for(spec, config, own)
    initial = {}
    for p in m.trained:
        value = student.get(p, [np.nan])[0]
        initial[p] = value if np.isfinite(value) else assigned[p]
        if np.isfinite(value) and value != assigned[p] and config.spec == spec:
            notes.append(f"initial {p} = {value:g} ({table.cell(p, 0)}) where the assignment has {assigned[p]:g}")
    eta = used.value if used else np.nan
    if used is None:
        notes.append("no learning rate found (no label, no weight updates, no rate in the sheet's name)")
    p = {k: f.value for k, f in parameters.items()}
    nan = float("nan")
    biases = [initial[b] for b in spec.bias_names] if spec.train_biases else [p.get(b, nan) for b in spec.fixed_biases]
    samples = [spec.suffix(s) for s in range(1, spec.n_samples + 1)]
    inputs = [[p.get(i + sfx, nan) for i in spec.inputs] for sfx in samples]
    targets = [[p.get(t + sfx, nan) for t in spec.targets] for sfx in samples]
    if spec.n_samples == 1:
        inputs, targets = inputs[0], targets[0]
    trajectory = network.train([initial[w] for w in spec.weights.values()], inputs, targets, biases,
                               [eta if used else 0.0], n, spec)
    reference = {q: trajectory[q][:, 0] for q in m.checked}
    params = {k: np.full(n, p.get(k, nan)) for k in m.parameters}
    for k in m.parameters:  # a parameter column the student filled in row by row is used row by row
        if k in cols and np.isfinite(cols[k][0]).all():
            params[k] = cols[k][0]
    params["eta"] = np.full(n, updates_rate if updates_rate is not None else eta)
    params["iteration"] = np.arange(1.0, n + 1)  # the step count Adam's bias correction reads
    values = local.resolve(student, params, reference, m)
    if table.other_columns and table.cells is None:
        table.identified |= _by_content(table, sheet, m, values, cols)
        student = {q: cols[q][0] for q in m.checked if q in cols}
        values = local.resolve(student, params, reference, m)
    values[diagnose.DRIFT] = _drift(used, sheet, n)
    deltas = local.RowValues({q: cols[q][3] for q in m.checked if q in cols})
    for w in m.trained:  # the initial weights are exact, however few their digits
        if w in deltas:
            deltas[w][0] = 0.0

    columns, causes = {}, []
    for q in m.checked:
        if q not in cols:
            columns[q] = Column(q, "missing")
            continue
        got, raw, formula, got_delta = cols[q]
        expected, slack = local.expected_and_slack(m.formulas[q].inputs, m.formulas[q].f, values, deltas)
        ok_local = local.agrees(got, expected, slack, got_delta) | (np.isnan(expected) & ~np.isnan(got))
        ok_ref = local.agrees(got, reference[q], np.zeros(n), got_delta)
        if q in m.trained:
            ok_local[0] = True  # the initial weights are the student's to choose
            if used is None:
                ok_local[:] = ok_ref[:] = True
        pasted = _pasted(formula, first=1 if q in m.trained else 0)
        bad_local = np.flatnonzero(~ok_local)
        bad_ref = np.flatnonzero(~ok_ref)
        if len(bad_ref):
            k = bad_ref[0]
            first = Cell(table.cell(q, k), _num(reference[q][k]), _got(raw[k]))
        elif len(bad_local):
            k = bad_local[0]
            first = Cell(table.cell(q, k), _num(expected[k]), _got(raw[k]))
        else:
            first = None
        status = "constant" if pasted is not None else "wrong" if first else "ok"
        columns[q] = Column(q, status, first, n, len(bad_local), len(bad_ref), 0 if pasted is None else n - pasted)
        if len(bad_local) and (pasted is None or bad_local[0] < pasted):
            k = bad_local[0]
            causes.append(_diagnose(q, k, table, values, deltas, got, raw, expected, ~ok_local, got_delta, m, sheet,
                                    _Context(parameters, used, labels)))
        if pasted is not None:
            k = pasted
            later = bad_local[bad_local >= pasted]
            if len(later):
                k = later[0]
                message = (f"from {table.cell(q, pasted)} on, {q} holds numbers where the rows above hold "
                           f"formulas, and they are not what the formula gives here")
                causes.append(RootCause(q, table.cell(q, k), "pasted_values", message,
                                        _num(expected[k]), _got(raw[k]), k))
            else:
                message = (f"from {table.cell(q, pasted)} on, {q} holds numbers where the rows above hold "
                           "formulas (pasted values: they will not follow a change)")
                causes.append(RootCause(q, table.cell(q, k), "pasted_values", message, None, _got(raw[k]), k))
    if contradicted is not None:
        w = next((p for p in m.trained if p in cols), None)
        if w is not None and n > 1:
            causes.append(RootCause(w, table.cell(w, 1), "wrong_learning_rate",
                                    f"the learning rate is {contradicted.value:g} ({contradicted.source}) but "
                                    f"the weight updates use {updates_rate:.6g}", contradicted.value,
                                    updates_rate, 1))
    if not causes:  # right locally everywhere, yet off the reference: say where it starts
        wrong = [(c.first_wrong, c.quantity) for c in columns.values() if c.first_wrong]
        if wrong:
            first, q = min(wrong, key=lambda pair: (_row_of(pair[0].cell), m.checked.index(pair[1])))
            causes.append(RootCause(q, first.cell, "unknown", f"{q} is consistent with the row's own values "
                                    "but leaves the reference trajectory here", first.expected, first.got,
                                    _row_of(first.cell)))
    causes.sort(key=lambda c: (c.row, m.checked.index(c.quantity)))
    shown = {p: float(student[p][0]) for p in m.trained if p in student and np.isfinite(student[p][0])}
    return TableResult(table, used, rates_found, parameters, columns, causes, notes, spec, shown)


def _drift(used: Found | None, sheet: Sheet, n: int) -> np.ndarray:
    """The cells below a labelled η on the table's sheet, as an update whose reference slides reads them."""
    drift = np.full(n, np.nan)
    if used is not None and used.at is not None and used.at[0] == sheet.title:
        _, row, col = used.at
        for k in range(1, n):
            value = sheet.get(row + k - 1, col)
            drift[k] = value if isinstance(value, float) else 0.0 if value in (None, "") else np.nan
    return drift


def _row_of(cell: str) -> int:
    return int("".join(ch for ch in cell.rsplit("!", 1)[-1] if ch.isdigit()))


def _pasted(formula: np.ndarray, first: int) -> int | None:
    """The first row holding a number after a row holding a formula (None if there is none)."""
    where = np.flatnonzero(formula[first:])
    if not len(where):
        return None
    start = first + where[0]
    constants = np.flatnonzero(~formula[start:])
    return int(start + constants[0]) if len(constants) else None


def _diagnose(q, k, table, values, deltas, got, raw, expected, bad, got_delta, m: Model, sheet: Sheet,
              context: "_Context") -> RootCause:
    best, best_hits = None, 0
    for variant in diagnose.variants(m.spec, q):
        v_expected, v_slack = local.expected_and_slack(variant.inputs, variant.f, values, deltas)
        match = local.agrees(got, v_expected, v_slack, got_delta)
        if match[k] and (hits := int((match & bad).sum())) > best_hits:
            best, best_hits = variant, hits
    if best is not None:
        return RootCause(q, table.cell(q, k), best.id, best.message, _num(expected[k]), _got(raw[k]), k)
    exp = expected[k]
    numbers = f"expected {exp:.10g}, got {_got(raw[k])!r}" if np.isfinite(exp) else f"got {_got(raw[k])!r}"
    reading = None
    if table.cells is None:
        reading = refs.read(table, sheet, table.first_row + k, table.columns[q], m.formulas[q].inputs,
                            context.parameters, context.rate, context.labels)
    if reading and reading.wrong_row:
        wrong = " and ".join(refs.said(got) for got, _ in reading.wrong_row)
        right = " and ".join(refs.said(need) for _, need in reading.wrong_row)
        return RootCause(q, table.cell(q, k), "wrong_row", f"{q}'s formula reads {wrong} where {right} belongs "
                         f"({numbers})", _num(exp), _got(raw[k]), k)
    if reading and (reading.extra or reading.missing):
        parts = []
        if reading.extra:
            parts.append("reads " + ", ".join(refs.said(x) for x in reading.extra))
        if reading.missing:
            parts.append("does not read " + ", ".join(refs.said(x) for x in reading.missing))
        message = f"{q}'s formula {' and '.join(parts)}, which {diagnose.show(m.formulas[q].text)} needs ({numbers})"
    elif reading:
        message = (f"{q}'s formula reads the right cells, so an operator or a number in it differs from "
                   f"{diagnose.show(m.formulas[q].text)} ({numbers})")
    else:
        inputs = ", ".join(i.replace("prev.", "") + (" of the row above" if i.startswith("prev.") else "")
                           for i in m.formulas[q].inputs)
        message = (f"expected {exp:.10g} from this row's {inputs}, got {_got(raw[k])!r}"
                   if np.isfinite(exp) else f"got {_got(raw[k])!r}")
    return RootCause(q, table.cell(q, k), "unknown", message, _num(exp), _got(raw[k]), k)


def grade_sheets(path: str, sheets: list[Sheet], config: SheetConfig, config_source: str) -> FileResult:
    found = [(t, sheet) for sheet in sheets for t in find_tables(sheet)]  # (table, the sheet of its rows)
    if not found:  # no iteration table anywhere: one pass typed as labelled values, on some sheet?
        found = [pair for sheet in sheets for pair in find_one_pass(sheet)]
    tables = [t for t, _ in found]
    labels = find_labels(sheets, tables)
    own = own_parameters(sheets)
    result = FileResult(path)
    for table, sheet in found:
        result.tables.append(grade_table(table, sheet, labels, tables, config, config_source, own))
    return result


__all__ = ["Cell", "Column", "FileResult", "RootCause", "TableResult", "cell_name", "grade_sheets"]
