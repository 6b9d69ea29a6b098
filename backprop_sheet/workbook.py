"""Writing the workbook from the layout, and reading one back: the only module that touches openpyxl.

openpyxl writes every sheet, chart, style and name, plus the first iteration row of each learning-rate
sheet. Rows 2..N repeat one pattern, and openpyxl spends ~12 µs per cell on them (20-40 s for
6 × 10,000 rows), so they are streamed straight into each sheet's XML inside the saved package.
"""

import io
import re
import zipfile
from collections.abc import Iterator
from typing import BinaryIO
from xml.sax.saxutils import escape

from openpyxl import Workbook, load_workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.series import SeriesLabel, StrRef
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from backprop_sheet import layout as L
from backprop_sheet.config import InputError, SheetConfig

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a user may edit
HEADER_BORDER = Border(bottom=Side(style="thin"))
CENTER = Alignment(horizontal="center")
ROWS_PER_CHUNK = 2000  # rows joined before each write to the zip stream


def write_workbook(config: SheetConfig, file: BinaryIO) -> None:
    """Write the whole workbook for `config` to a binary file."""
    wb = Workbook()
    wb.remove(wb.active)
    titles = [L.rate_sheet_title(rate) for rate in config.learning_rates]
    summary = wb.create_sheet(L.SUMMARY_SHEET)
    _parameters_sheet(wb.create_sheet(L.PARAMETERS_SHEET), config, titles)
    rate_sheets = [_rate_sheet(wb.create_sheet(title), k, config.iterations) for k, title in enumerate(titles)]
    _summary_sheet(summary, rate_sheets, config.iterations)
    _derivation_sheet(wb.create_sheet(L.DERIVATION_SHEET), titles[0])
    for p in L.PARAMETERS:
        _define(wb, p.name, L.parameter_row(p.key))
    for k in range(len(titles)):
        _define(wb, L.rate_name(k), L.RATE_FIRST_ROW + k)
    patterns = [_row_pattern(ws, k) for k, ws in enumerate(rate_sheets)]
    buffer = io.BytesIO()
    wb.save(buffer)
    # Sheet part names are known only once openpyxl has saved.
    bulk = {ws.path.lstrip("/"): _bulk_rows(pattern, config.iterations)
            for ws, pattern in zip(rate_sheets, patterns)}
    _copy_with_rows(buffer, file, bulk, L.data_row(config.iterations))


def _define(wb: Workbook, name: str, row: int) -> None:
    target = f"{L.quote_sheet(L.PARAMETERS_SHEET)}!${L.column_letter(L.VALUE_COL)}${row}"
    wb.defined_names[name] = DefinedName(name, attr_text=target)


def _header(ws: Worksheet, row: int, headers) -> None:
    for c, text in enumerate(headers, start=1):
        cell = ws.cell(row, c, text)
        cell.font, cell.border = BOLD, HEADER_BORDER


def _text(ws: Worksheet, row: int, col: int, text: str) -> None:
    """A text cell, even when the text starts with '=' (a formula shown, not computed)."""
    cell = ws.cell(row, col, text)
    cell.data_type = "s"


def _parameters_sheet(ws: Worksheet, config: SheetConfig, titles: list[str]) -> None:
    _header(ws, 1, ("quantity", "value", "name in formulas", "meaning"))
    values = dict(zip(("i1", "i2"), config.inputs)) | dict(zip(("t1", "t2"), config.targets))
    values |= {f"w{n}_init": w for n, w in enumerate(config.weights, start=1)}
    values |= dict(zip(("b1", "b2"), config.biases))
    rows = [(p.label, values[p.key], p.name, p.meaning) for p in L.PARAMETERS]
    rows.append(("iterations", config.iterations, "", "rows on each learning-rate sheet (regenerate to change)"))
    rows += [(f"η{k + 1}", rate, L.rate_name(k), f"learning rate of sheet {title!r}")
             for k, (rate, title) in enumerate(zip(config.learning_rates, titles))]
    for r, row in enumerate(rows, start=L.PARAMETER_FIRST_ROW):
        for c, value in enumerate(row, start=1):
            ws.cell(r, c, value)
        if r != L.ITERATIONS_ROW:
            ws.cell(r, L.VALUE_COL).fill = INPUT_FILL
    for letter, width in zip("ABCD", (12, 14, 18, 44)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def _rate_sheet(ws: Worksheet, k: int, iterations: int) -> Worksheet:
    row, col = L.RATE_CELL
    ws.cell(row, col - 1, "learning rate η").font = BOLD
    ws.cell(row, col, f"={L.rate_name(k)}").font = BOLD
    ws.cell(row, col + 1, "one row per iteration; each row's weights are w − η·∂E_total/∂w of the row above")
    start = 1
    for c, column in enumerate(L.COLUMNS, start=1):
        if c == len(L.COLUMNS) or L.COLUMNS[c].group != column.group:
            ws.cell(L.GROUP_ROW, start, column.group).alignment = CENTER
            ws.cell(L.GROUP_ROW, start).font = BOLD
            if c > start:
                ws.merge_cells(start_row=L.GROUP_ROW, start_column=start, end_row=L.GROUP_ROW, end_column=c)
            start = c + 1
    _header(ws, L.HEADER_ROW, [c.header for c in L.COLUMNS])
    for c, column in enumerate(L.COLUMNS, start=1):
        cell = ws.cell(L.FIRST_ROW, c, L.formula(column, L.rate_name(k), 1))
        cell.number_format = column.number_format
        ws.column_dimensions[L.column_letter(c)].width = 9 if c == 1 else 14
    ws.freeze_panes = ws.cell(L.FIRST_ROW, 2)
    chart = _chart(f"E_total against iteration, η = {ws.title.removeprefix('lr ')}", iterations)
    chart.series.append(_series(ws, iterations, title=ws.title))
    chart.legend = None
    ws.add_chart(chart, f"{L.column_letter(len(L.COLUMNS) + 2)}{L.FIRST_ROW}")
    return ws


def _chart(title: str, iterations: int) -> ScatterChart:
    chart = ScatterChart(scatterStyle="lineMarker")  # the markers themselves are switched off per series
    chart.title = title
    chart.x_axis.scaling.min, chart.x_axis.scaling.max = 1, max(iterations, 2)
    chart.style = 2
    chart.x_axis.title, chart.y_axis.title = "iteration", "E_total"
    # openpyxl ≥ 3.1 leaves `delete` unset, which Excel reads as "hide the axis".
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.width, chart.height = 18, 10  # cm
    return chart


def _series(ws: Worksheet, iterations: int, title: str | None = None, title_ref: str | None = None) -> Series:
    last = L.data_row(iterations)
    x = Reference(ws, min_col=L.col("iteration"), min_row=L.FIRST_ROW, max_row=last)
    y = Reference(ws, min_col=L.col("E_total"), min_row=L.FIRST_ROW, max_row=last)
    series = Series(y, x, title=title)
    if title_ref:
        series.tx = SeriesLabel(strRef=StrRef(title_ref))
    series.marker.symbol = "none"
    series.smooth = False
    return series


def _summary_sheet(ws: Worksheet, rate_sheets: list[Worksheet], iterations: int) -> None:
    ws.cell(1, 1, "E_total for each learning rate (every value is a formula on the learning-rate sheets)").font = TITLE
    _header(ws, L.SUMMARY_HEADER_ROW, [h.format(n=iterations) for h in L.SUMMARY_HEADERS])
    for cell in L.summary_cells([s.title for s in rate_sheets], iterations):
        ws.cell(cell.row, cell.col, cell.formula).number_format = "0.000000000" if cell.col > 1 else "General"
    chart = _chart("E_total against iteration for each learning rate", iterations)
    for k, sheet in enumerate(rate_sheets):
        row = L.SUMMARY_HEADER_ROW + 1 + k
        ws.cell(row, 2, sheet.title)
        chart.series.append(_series(sheet, iterations, title_ref=f"{L.quote_sheet(ws.title)}!$B${row}"))
    for letter, width in zip("ABCD", (16, 10, 22, 24)):
        ws.column_dimensions[letter].width = width
    ws.add_chart(chart, f"F{L.SUMMARY_HEADER_ROW}")


def _derivation_sheet(ws: Worksheet, first_title: str) -> None:
    ws.cell(1, 1, "The chain rule behind every gradient column").font = TITLE
    ws.cell(2, 1, "E_total = E1 + E2 = ½(t1 − a_o1)² + ½(t2 − a_o2)²;  a = σ(z) = 1/(1 + e^(−z)), "
                  "so ∂a/∂z = a·(1 − a);  the hidden weights' gradients use the same iteration's w5..w8.")
    ws.cell(3, 1, f"Values: iteration 1 of sheet {first_title!r} (iteration 1 is the same on every sheet).")
    _header(ws, L.DERIVATION_HEADER_ROW, L.DERIVATION_HEADERS)
    for n, column in enumerate(L.GRADIENT_COLUMNS):
        row = L.DERIVATION_HEADER_ROW + 1 + n
        ws.cell(row, 1, column.header).font = BOLD
        ws.cell(row, 2, f"{column.header} = " + " · ".join(f.symbol for f in column.factors))
        for j, factor in enumerate(column.factors):
            ws.cell(row, 3 + j, f"{factor.symbol} = {L.symbolic(factor.formula)}")
    for cell in L.derivation_cells(first_title):
        ws.cell(cell.row, cell.col, cell.formula).number_format = "0.000000000E+00"
    row = L.DERIVATION_HEADER_ROW + len(L.GRADIENT_COLUMNS) + 2
    ws.cell(row, 1, "Every column of a learning-rate sheet").font = TITLE
    _header(ws, row + 1, ("column", "header", "equation (row k)", f"formula at iteration 2 of {first_title!r}"))
    for r, docs in enumerate(L.column_docs(L.rate_name(0)), start=row + 2):
        for c, text in enumerate(docs, start=1):
            _text(ws, r, c, text)
    for letter, width in zip("ABCDEFGHIJ", (15, 48, 40, 28, 16, 17, 17, 17, 17, 17)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(L.DERIVATION_HEADER_ROW + 1, 2)


def _row_pattern(ws: Worksheet, k: int) -> str:
    """The XML of one row after iteration 1 ({r}: row, {p}: row above), styled like iteration 1's cells."""
    cells = []
    for c, column in enumerate(L.COLUMNS, start=1):
        style = ws.cell(L.FIRST_ROW, c).style_id
        formula = escape(L.row_pattern(column, L.rate_name(k), False).removeprefix("="))
        cells.append(f'<c r="{L.column_letter(c)}{{r}}" s="{style}"><f>{formula}</f></c>')
    return '<row r="{r}">' + "".join(cells) + "</row>"


def _bulk_rows(row_xml: str, iterations: int) -> Iterator[bytes]:
    """The sheet XML of iterations 2..N, in chunks."""
    rows = range(L.data_row(2), L.data_row(iterations) + 1)
    for start in range(0, len(rows), ROWS_PER_CHUNK):
        yield "".join(row_xml.format(r=r, p=r - 1) for r in rows[start:start + ROWS_PER_CHUNK]).encode()


def _copy_with_rows(package: io.BytesIO, file: BinaryIO, bulk: dict[str, Iterator[bytes]], last_row: int) -> None:
    """Copy the openpyxl package to `file`, appending the bulk rows to the named sheet XML parts."""
    dimension = f'<dimension ref="A1:{L.column_letter(len(L.COLUMNS))}{last_row}"/>'.encode()
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename not in bulk:
                dst.writestr(info, data)
                continue
            head, tail = data.split(b"</sheetData>")
            head = re.sub(rb"<dimension [^>]*/>", dimension, head, count=1)
            # zip64 lets a part pass 2 GiB, which a sheet near Excel's row limit can.
            with dst.open(info.filename, "w", force_zip64=last_row > 100_000) as out:
                out.write(head)
                for chunk in bulk[info.filename]:
                    out.write(chunk)
                out.write(b"</sheetData>" + tail)


def read_grids(path, formulas: bool = False) -> dict[str, list[tuple]]:
    """Every sheet as a list of row tuples: the formulas as written, or the values last calculated."""
    try:
        wb = load_workbook(path, read_only=True, data_only=not formulas)
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as error:
        raise InputError(f"{str(path)!r} is not an .xlsx workbook ({error})") from None
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()
