"""Writing the workbook from the layout, and reading one back: openpyxl builds it, package.py finishes it.

openpyxl writes every sheet, chart, style and name, plus the first iteration row of each learning-rate
sheet. Rows 2..N repeat one pattern, and openpyxl spends ~12 µs per cell on them (20-40 s for
6 × 10,000 rows), so they are streamed straight into each sheet's XML, each cell with its formula and
its value from the numpy reference.
"""

import io
import math
import warnings
import zipfile
from collections.abc import Iterator
from typing import BinaryIO
from xml.sax.saxutils import escape

import numpy as np
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from backprop_sheet import charts, notes
from backprop_sheet import layout as L
from backprop_sheet import reference as R
from backprop_sheet import styles as S
from backprop_sheet.config import InputError, SheetConfig
from backprop_sheet.package import Sheet, finish
from backprop_sheet.spec import Network

ROWS_PER_CHUNK = 2000  # rows joined before each write to the zip stream
CHART_CACHE_MAX = 20_000  # iterations up to which the charts carry their points (beyond: drawn on recalculation)
COLUMNS_PER_PAGE = 28  # rate-sheet columns printed on one landscape page: the default network's
VALUE_CHARS = 24  # the longest repr of a double, '-2.2250738585072014e-308'


def write_workbook(config: SheetConfig, file: BinaryIO, trajectory: dict[str, np.ndarray] | None = None,
                   student_id: str = "") -> None:
    """Write the whole workbook for `config` to a binary file; `trajectory` is its reference, if known;
    `student_id` (a student's solution, from a key) goes into the cell named student_id."""
    if trajectory is None:
        trajectory = R.checked(config)
    spec = config.spec
    book = _Book(config, trajectory)
    wb = Workbook()
    wb.remove(wb.active)
    wb._fonts = IndexedList([S.BODY])  # the default font, used by every unstyled cell, is the body font
    wb._named_styles["Normal"].font = S.BODY
    titles = [L.rate_sheet_title(rate) for rate in config.learning_rates]
    summary = wb.create_sheet(L.SUMMARY_SHEET)
    _parameters_sheet(wb.create_sheet(L.PARAMETERS_SHEET), config, titles)
    rate_sheets = [book.rate_sheet(wb.create_sheet(title), k) for k, title in enumerate(titles)]
    book.summary_sheet(summary, titles)
    book.derivation_sheet(wb.create_sheet(L.DERIVATION_SHEET), titles[0])
    for p in L.parameters(spec):
        _define(wb, p.name, *L.parameter_cell(p.key, spec))
    for k in range(len(titles)):
        _define(wb, L.rate_name(k), L.rate_first_row(spec) + k, L.VALUE_COL)
    if student_id:  # below the network table, as the handout's student_id: check --key matches them alike
        row = 3 + len(L.network_fields(spec))
        ws = wb[L.PARAMETERS_SHEET]
        ws.cell(row, L.NETWORK_COL, "student id").font = S.BOLD
        ws.cell(row, L.NETWORK_COL + 1, student_id).font = S.BODY
        _define(wb, "student_id", row, L.NETWORK_COL + 1)
    patterns = [_row_pattern(ws, k, spec) for k, ws in enumerate(rate_sheets)]
    buffer = io.BytesIO()
    wb.save(buffer)
    # Sheet part names are known only once openpyxl has saved.
    parts = {ws.path.lstrip("/"): Sheet(book.values.get(ws.title, {})) for ws in wb.worksheets}
    parts[wb[L.PARAMETERS_SHEET].path.lstrip("/")].constants = _exact_parameters(config)
    last = L.data_row(config.iterations)
    for k, (ws, pattern) in enumerate(zip(rate_sheets, patterns)):
        part = parts[ws.path.lstrip("/")]
        part.rows = _bulk_rows(pattern, trajectory, k, config.iterations, spec)
        part.rows_bound = _rows_bound(pattern, config.iterations)
        part.dimension = f"A1:{L.column_letter(len(L.columns(spec)))}{last}"
    finish(buffer, file, parts, book.chart_caches(titles))


def _define(wb: Workbook, name: str, row: int, col: int) -> None:
    target = f"{L.quote_sheet(L.PARAMETERS_SHEET)}!${L.column_letter(col)}${row}"
    wb.defined_names[name] = DefinedName(name, attr_text=target)


def _header(ws: Worksheet, row: int, headers, wrap: bool = False) -> None:
    for c, text in enumerate(headers, start=1):
        cell = ws.cell(row, c, text)
        cell.font, cell.border, cell.fill = S.BOLD, S.HEADER_BORDER, S.HEADER_FILL
        cell.alignment = S.WRAP if wrap else S.CENTER


def _text(ws: Worksheet, row: int, col: int, text: str, font=S.BODY, alignment=None):
    """A text cell, even when the text starts with '=' (a formula shown, not computed)."""
    cell = ws.cell(row, col, text)
    cell.data_type = "s"
    cell.font = font
    if alignment:
        cell.alignment = alignment
    return cell


def _widths(ws: Worksheet, widths) -> None:
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[L.column_letter(c)].width = width


def _parameters_sheet(ws: Worksheet, config: SheetConfig, titles: list[str]) -> None:
    spec = config.spec
    _header(ws, 1, ("quantity", "value", "name in formulas", "meaning"))
    values = R.parameter_values(config)
    rows = [(p.label, values[p.key], p.name, p.meaning) for p in L.listed_parameters(spec)]
    rows.append(("iterations", config.iterations, "", "rows on each learning-rate sheet (regenerate to change)"))
    rows += [(f"η{k + 1}", rate, L.rate_name(k), f"learning rate of sheet {title!r}")
             for k, (rate, title) in enumerate(zip(config.learning_rates, titles))]
    for r, row in enumerate(rows, start=L.PARAMETER_FIRST_ROW):
        for c, value in enumerate(row, start=1):
            ws.cell(r, c, value).font = S.BODY
        ws.cell(r, L.VALUE_COL).number_format = "General"
        if r != L.iterations_row(spec):
            ws.cell(r, L.VALUE_COL).fill = S.INPUT_FILL
    note = L.PARAMETER_FIRST_ROW + len(rows) + 1
    _text(ws, note, 1, "Yellow cells are inputs: edit one and every sheet, label and chart recalculates. "
                       "The sheet tabs keep the rates the workbook was generated with.", S.NOTE)
    if spec.n_samples > 1:
        what = "the mean" if spec.reduction == "mean" else "the sum"
        _text(ws, note + 1, 1, f"The samples, right: every iteration is one step on all {spec.n_samples} of them. "
                               f"E_total is {what} of their losses, each gradient {what} of theirs. "
                               "Sample s's quantities are named with _s<s> (h1_s2, E1_s2).", S.NOTE)
    # The network's shape, for the reader and for verify; regenerate to change it.
    for c, text in enumerate(("network", "(regenerate to change)"), start=L.NETWORK_COL):
        cell = ws.cell(1, c, text)
        cell.font, cell.border, cell.fill, cell.alignment = S.BOLD, S.HEADER_BORDER, S.HEADER_FILL, S.CENTER
    for r, (label, field) in enumerate(L.network_fields(spec), start=2):
        ws.cell(r, L.NETWORK_COL, label).font = S.BODY
        cell = ws.cell(r, L.NETWORK_COL + 1, L.network_value(spec, field))
        cell.font, cell.number_format = S.BODY, "General"
    widths = [12, 14, 18, 48, 3, 26, 22]
    if spec.n_samples > 1:
        _samples_table(ws, spec, values)
        widths += [3, 8] + [9] * (spec.n_in + spec.n_out)
    _widths(ws, widths)
    ws.freeze_panes = "A2"
    # The samples table makes the sheet wider: past 16 of its columns it prints on a second page.
    S.print_setup(ws, "1:1", 2 if spec.n_in + spec.n_out > 16 else 1)


def _samples_table(ws: Worksheet, spec: Network, values: dict[str, float]) -> None:
    """One row per sample, its inputs and targets yellow: full-batch training uses all of them each step."""
    for c, text in enumerate(L.sample_headers(spec), start=L.SAMPLE_COL):
        cell = ws.cell(1, c, text)
        cell.font, cell.border, cell.fill, cell.alignment = S.BOLD, S.HEADER_BORDER, S.HEADER_FILL, S.CENTER
    for s in range(1, spec.n_samples + 1):
        ws.cell(L.PARAMETER_FIRST_ROW + s - 1, L.SAMPLE_COL, s).font = S.BODY
    for p in L.sample_parameters(spec):
        cell = ws.cell(*L.parameter_cell(p.key, spec), values[p.key])
        cell.font, cell.number_format, cell.fill = S.BODY, "General", S.INPUT_FILL


def _exact_parameters(config: SheetConfig) -> dict[str, float]:
    """The Parameters sheet's numbers by cell, so that the package writes them to the last digit."""
    values, spec = R.parameter_values(config), config.spec
    cells = {}
    for p in L.parameters(spec):
        row, col = L.parameter_cell(p.key, spec)
        cells[f"{L.column_letter(col)}{row}"] = values[p.key]
    col = L.column_letter(L.VALUE_COL)
    return cells | {f"{col}{L.rate_first_row(spec) + k}": rate for k, rate in enumerate(config.learning_rates)}


class _Book:
    """The sheets that hold formulas, and the cached value of every formula cell openpyxl writes."""

    def __init__(self, config: SheetConfig, trajectory: dict[str, np.ndarray]):
        self.config, self.trajectory, self.spec = config, trajectory, config.spec
        self.params = R.parameter_values(config)
        self.values: dict[str, dict[str, float | str]] = {}  # sheet title → cell → cached value

    def _value(self, quantity: str, rate: int, iteration: int) -> float:
        return R.value(self.trajectory, self.params, self.config.learning_rates, quantity, rate, iteration)

    def _formula(self, ws: Worksheet, row: int, col: int, formula: str, value, number_format: str = "General"):
        cell = ws.cell(row, col, formula)
        cell.number_format, cell.font = number_format, S.BODY
        self.values.setdefault(ws.title, {})[cell.coordinate] = value
        return cell

    def _label(self, ws: Worksheet, label: L.Label):
        return self._formula(ws, label.row, label.col, label.formula,
                             label.text(self.config.learning_rates[label.rate]))

    def rate_sheet(self, ws: Worksheet, k: int) -> Worksheet:
        row, col = L.RATE_CELL
        _text(ws, row, col - 1, "η =", S.BOLD, S.RIGHT)
        cell = self._formula(ws, row, col, f"={L.rate_name(k)}", self.config.learning_rates[k])
        cell.font, cell.alignment = S.BOLD, S.LEFT
        spec, columns = self.spec, L.columns(self.spec)
        step = L.update_text(spec)
        what = "weights and biases" if spec.train_biases else "weights"
        _text(ws, row, col + 1, f"learning rate, set on the Parameters sheet (η{k + 1}); the tab keeps the "
                                f"generated name. Each row's {what} are {step} of the row above.", S.NOTE)
        start = 1
        for c, column in enumerate(columns, start=1):
            if c == len(columns) or columns[c].group != column.group:
                cell = ws.cell(L.GROUP_ROW, start, column.group)
                cell.alignment, cell.font = S.CENTER, S.BOLD
                if c > start:
                    ws.merge_cells(start_row=L.GROUP_ROW, start_column=start, end_row=L.GROUP_ROW, end_column=c)
                start = c + 1
        _header(ws, L.HEADER_ROW, [c.header for c in columns])
        for c, column in enumerate(columns, start=1):
            self._formula(ws, L.FIRST_ROW, c, L.formula(column, L.rate_name(k), 1, spec),
                          self._value(column.key, k, 1), column.number_format)
            ws.column_dimensions[L.column_letter(c)].width = 9 if c == 1 else 14
        ws.freeze_panes = ws.cell(L.FIRST_ROW, 2)
        chart = charts.chart("E_total against iteration", self.config.iterations)
        chart.series.append(charts.series(ws.title, self.config.iterations, k, spec))
        charts.place(chart, L.CHART_ROW, L.CHART_ROWS, L.CHART_COLUMNS)
        ws.add_chart(chart)
        # The default sheet's 28 columns fit one landscape page legibly; a wider network gets more pages,
        # each repeating the iteration column.
        pages_wide = -(-len(columns) // COLUMNS_PER_PAGE)
        S.print_setup(ws, f"{L.GROUP_ROW}:{L.HEADER_ROW}", pages_wide)
        if pages_wide > 1:
            ws.print_title_cols = "A:A"
        return ws

    def summary_sheet(self, ws: Worksheet, titles: list[str]) -> None:
        n = self.config.iterations
        ws.cell(1, 1, "E_total for each learning rate").font = S.TITLE
        _text(ws, 2, 1, "Every value is a formula on the learning-rate sheets.", S.NOTE)
        _text(ws, 3, 1, "η is set on the Parameters sheet: the legend follows an edit, the tab names do not.", S.NOTE)
        _header(ws, L.SUMMARY_HEADER_ROW, [h.format(n=f"{n:,}") for h in L.SUMMARY_HEADERS], wrap=True)
        for cell in L.summary_cells(titles, n, self.spec):
            self._formula(ws, cell.row, cell.col, cell.formula,
                          self._value(cell.quantity, cell.rate, cell.iteration),
                          "General" if cell.quantity == "eta" else "0.000000000")
        for label in L.summary_labels(len(titles)):
            self._label(ws, label)
        for k, title in enumerate(titles):
            _text(ws, L.summary_row(k), L.SUMMARY_TAB_COL, title)
            for c in range(1, L.SUMMARY_TAB_COL + 1):
                ws.cell(L.summary_row(k), c).alignment = S.CENTER
        _widths(ws, L.SUMMARY_WIDTHS)
        chart = charts.chart("E_total against iteration for each learning rate", n)
        chart.series += [charts.series(title, n, k, self.spec) for k, title in enumerate(titles)]
        charts.place(chart, L.summary_chart_row(len(titles)), L.SUMMARY_CHART_ROWS, len(L.SUMMARY_HEADERS))
        ws.add_chart(chart)
        S.print_setup(ws, f"{L.SUMMARY_HEADER_ROW}:{L.SUMMARY_HEADER_ROW}")

    def derivation_sheet(self, ws: Worksheet, first_title: str) -> None:
        ws.cell(1, 1, "The chain rule behind every gradient column").font = S.TITLE
        spec = self.spec
        note = notes.derivation_note(spec)
        _text(ws, 2, 1, note)
        if len(note) > sum(L.DERIVATION_WIDTHS):  # longer than the table is wide: wrapped inside it
            ws.cell(2, 1).alignment = S.WRAP
            ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(L.DERIVATION_WIDTHS))
        _text(ws, 3, 1, f"Values: iteration 1 of sheet {first_title!r} (iteration 1 is the same on every sheet).",
              S.NOTE)
        _header(ws, L.DERIVATION_HEADER_ROW, L.DERIVATION_HEADERS, wrap=True)
        for n, column in enumerate(L.derivation_columns(spec)):
            row = L.DERIVATION_HEADER_ROW + 1 + n
            _text(ws, row, 1, column.header, S.BOLD, S.TOP)
            _text(ws, row, 2, f"{column.header} = {notes.chain(column, spec)}", alignment=S.WRAP)
            for j, factor in enumerate(column.factors):
                _text(ws, row, 3 + j, f"{factor.symbol} = {L.symbolic(factor.formula, spec)}", alignment=S.WRAP)
            if not column.factors:  # a mean over the samples: its equation in place of the factors
                _text(ws, row, 3, "= " + L.symbolic(column.template(False), spec), alignment=S.WRAP)
                ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=L.FACTOR_VALUE_COL - 1)
        for cell in L.derivation_cells(first_title, spec):
            value = self._value(cell.quantity, cell.rate, cell.iteration)
            self._formula(ws, cell.row, cell.col, cell.formula, value, S.value_format(value)).alignment = S.TOP
        row = L.derivation_columns_row(spec)
        ws.cell(row, 1, "Every column of a learning-rate sheet").font = S.TITLE
        last = len(L.DERIVATION_HEADERS)
        _header(ws, row + 1, ("column", "header", "equation (row k)", f"formula at iteration 2 of {first_title!r}"))
        ws.merge_cells(start_row=row + 1, start_column=4, end_row=row + 1, end_column=last)
        for r, docs in enumerate(L.column_docs(L.rate_name(0), spec), start=row + 2):
            for c, text in enumerate(docs, start=1):
                _text(ws, r, c, text, alignment=S.WRAP)
            ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=last)
        _widths(ws, L.DERIVATION_WIDTHS)
        _fit_rows(ws, L.DERIVATION_WIDTHS)
        ws.freeze_panes = ws.cell(L.DERIVATION_HEADER_ROW + 1, 2)
        S.print_setup(ws, f"{L.DERIVATION_HEADER_ROW}:{L.DERIVATION_HEADER_ROW}")

    def chart_caches(self, titles: list[str]) -> dict[str, list]:
        """Each chart range's cached points: the legend texts, and the curves up to CHART_CACHE_MAX rows."""
        n = self.config.iterations
        caches: dict[str, list] = {L.legend_ref(label.rate): [label.text(self.config.learning_rates[label.rate])]
                                   for label in L.summary_labels(len(titles))}
        if n <= CHART_CACHE_MAX:
            for k, title in enumerate(titles):
                caches[charts.column_range(title, "iteration", n, self.spec)] = list(range(1, n + 1))
                caches[charts.column_range(title, "E_total", n, self.spec)] = self.trajectory["E_total"][:, k].tolist()
        return caches


def _fit_rows(ws: Worksheet, widths) -> None:
    """Row heights for wrapped text, which LibreOffice does not fit on load: lines × 13 pt."""
    merged = {(r.min_row, r.min_col): sum(widths[r.min_col - 1:r.max_col]) for r in ws.merged_cells.ranges}
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if isinstance(cell.value, str) and cell.alignment.wrap_text:
                width = merged.get((cell.row, cell.column), widths[cell.column - 1])
                lines = max(lines, math.ceil(0.85 * len(cell.value) / width))  # Arial: ~0.85 of a digit's width
        if lines > 1:
            ws.row_dimensions[row[0].row].height = 13 * lines + 2


def _row_pattern(ws: Worksheet, k: int, spec: Network) -> str:
    """The XML of one row after iteration 1, for str.format: {0} row, {1} row above, {2}.. the values."""
    cells = []
    for c, column in enumerate(L.columns(spec), start=1):
        style = ws.cell(L.FIRST_ROW, c).style_id
        formula = escape(L.row_pattern(column, L.rate_name(k), False, spec).removeprefix("="))
        formula = formula.replace("{r}", "{0}").replace("{p}", "{1}")
        cells.append(f'<c r="{L.column_letter(c)}{{0}}" s="{style}"><f>{formula}</f><v>{{{c + 1}}}</v></c>')
    return '<row r="{0}">' + "".join(cells) + "</row>"


def _rows_bound(pattern: str, iterations: int) -> int:
    """At most how many bytes `_bulk_rows` writes: row numbers at their longest, every value at 24 characters."""
    digits = len(str(L.data_row(iterations)))
    rows = pattern.count("{0}") + pattern.count("{1}")
    values = pattern.count("{") - rows
    per_row = len(pattern.encode()) - 3 * rows - 4 * values + rows * digits + values * VALUE_CHARS
    return (iterations - 1) * per_row


def _bulk_rows(pattern: str, trajectory: dict[str, np.ndarray], k: int, iterations: int,
               spec: Network) -> Iterator[bytes]:
    """The sheet XML of iterations 2..N with their cached values, in chunks."""
    keys = [c.key for c in L.columns(spec) if c.key != "iteration"]
    for start in range(2, iterations + 1, ROWS_PER_CHUNK):
        stop = min(start + ROWS_PER_CHUNK, iterations + 1)
        # .tolist() gives Python floats, whose str() is repr(): the shortest text of the same double.
        values = np.column_stack([trajectory[key][start - 1:stop - 1, k] for key in keys]).tolist()
        yield "".join(pattern.format(L.data_row(n), L.data_row(n) - 1, n, *row)
                      for n, row in zip(range(start, stop), values)).encode()


def read_grids(path, formulas: bool = False) -> dict[str, list[tuple]]:
    """Every sheet as a list of row tuples: the formulas as written, or the values last calculated."""
    try:
        with warnings.catch_warnings():  # Gnumeric's files have no named cell style; openpyxl says so
            warnings.filterwarnings("ignore", "Workbook contains no default style")
            wb = load_workbook(path, read_only=True, data_only=not formulas)
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as error:
        raise InputError(f"{str(path)!r} is not an .xlsx workbook ({error})") from None
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()
