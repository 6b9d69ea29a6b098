"""The feedback copy: the submission with its root-cause cells highlighted, and a Feedback sheet.

The original is only read. openpyxl writes the copy: the student's cells, formulas and formatting are
kept, charts and images are not (openpyxl does not read them). An .ods submission is annotated from
its LibreOffice conversion, so its copy is an .xlsx.
"""

import re
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from backprop_sheet.check.grade import FileResult
from bpcore.files import atomic_write

ROOT_CAUSE = PatternFill("solid", start_color="FF8080", end_color="FF8080")  # red: where it went wrong
INHERITED = PatternFill("solid", start_color="FFD966", end_color="FFD966")  # amber: first wrong cell of a column
LEGEND = ("red: a root cause (where the mistake is made); amber: the first cell of a column that is off the "
          "reference trajectory (often inherited from a root cause)")
_CELL = re.compile(r"^'((?:[^']|'')*)'!([A-Z]+\d+)$")


def _split(cell: str) -> tuple[str, str]:
    match = _CELL.match(cell)
    return match[1].replace("''", "'"), match[2]


def _feedback_title(titles: list[str]) -> str:
    title, n = "Feedback", 1
    while title in titles:
        n += 1
        title = f"Feedback {n}"
    return title


# The Feedback sheet's columns: (header, width in characters). About 150 characters in all, which
# prints on one landscape page width at a readable size; long text wraps inside its cell.
FEEDBACK_COLUMNS = (("cell", 18), ("quantity", 11), ("mistake", 22), ("what went wrong", 62),
                    ("expected", 15), ("got", 15))
_WRAP = Alignment(wrap_text=True, vertical="top")
_FONT = "Arial"  # the generated workbook's family, so that every text on the page is of one kind
_BODY, _BOLD = Font(name=_FONT, size=10), Font(name=_FONT, size=10, bold=True)
_TITLE = Font(name=_FONT, size=14, bold=True)


def _wide_row(ws, row: int, text: str, font: Font = _BODY) -> None:
    """Text across the whole width of the sheet, wrapped: a title, a note, the legend."""
    ws.cell(row, 1, text).alignment = _WRAP
    ws.cell(row, 1).font = font
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(FEEDBACK_COLUMNS))
    width = sum(w for _, w in FEEDBACK_COLUMNS)
    lines = sum(1 + len(part) // width for part in text.split("\n"))
    ws.row_dimensions[row].height = 15 * lines * (1.4 if font is _TITLE else 1)


def _feedback_sheet(ws, result: FileResult) -> None:
    """The findings as a page a student can read and print: one page wide, the title on its own row."""
    causes = [cause for table in result.tables for cause in table.root_causes]
    verdict = {"ok": "right", "mistakes": f"{len(causes)} root cause{'s' * (len(causes) != 1)} found"}
    _wide_row(ws, 1, f"Feedback on {Path(result.path).name}", _TITLE)
    _wide_row(ws, 2, f"backprop-sheet check: {verdict.get(result.status, result.status)}, "
                     f"{len(result.tables)} table{'s' * (len(result.tables) != 1)}")
    row = 4
    for col, (header, width) in enumerate(FEEDBACK_COLUMNS, start=1):
        ws.cell(row, col, header).font = _BOLD
        if header in ("expected", "got"):  # over numbers, which stand to the right
            ws.cell(row, col).alignment = Alignment(horizontal="right")
        ws.column_dimensions[ws.cell(row, col).column_letter].width = width
    for cause in causes:
        row += 1
        got = cause.got if isinstance(cause.got, (int, float, str)) or cause.got is None else str(cause.got)
        values = (cause.cell, cause.quantity, cause.diagnosis, cause.message, cause.expected, got)
        for col, value in enumerate(values, 1):
            cell = ws.cell(row, col, value)
            cell.alignment, cell.font = _WRAP, _BODY
            if isinstance(value, float):
                cell.number_format = "0.000000000"
        ws.row_dimensions[row].height = 15 * (1 + len(cause.message) // FEEDBACK_COLUMNS[3][1])
    if not causes:
        row += 1
        ws.cell(row, 1, "no mistakes found").font = _BODY
    row += 1
    for table in result.tables:
        row += 1
        rate = f"η = {table.learning_rate.value:g} ({table.learning_rate.source})" if table.learning_rate else "η not found"
        _wide_row(ws, row, f"table {table.table.where}: {table.table.rows} iteration{'s' * (table.table.rows != 1)}, "
                           f"{'right' if table.ok else 'mistakes'}; {rate}", _BOLD)
        for note in table.notes:
            row += 1
            _wide_row(ws, row, f"note: {note}")
    _wide_row(ws, row + 2, LEGEND)
    ws.print_title_rows = "4:4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0  # one page wide, as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.freeze_panes = "A5"


def annotate(result: FileResult, source: Path, target: Path) -> None:
    """Write `source` (the submission, or its .xlsx conversion) with the findings to `target`."""
    keep_vba = source.suffix.lower() == ".xlsm"
    wb = load_workbook(source, keep_vba=keep_vba)
    for table in result.tables:
        for column in table.columns.values():
            if column.first_wrong:
                sheet, ref = _split(column.first_wrong.cell)
                wb[sheet][ref].fill = INHERITED
        for cause in table.root_causes:
            sheet, ref = _split(cause.cell)
            cell = wb[sheet][ref]
            cell.fill = ROOT_CAUSE
            cell.comment = Comment(f"{cause.diagnosis}: {cause.message}", "backprop-sheet check")
    _feedback_sheet(wb.create_sheet(_feedback_title(wb.sheetnames), 0), result)
    with atomic_write(target) as file:
        wb.save(file)
