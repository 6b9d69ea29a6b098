"""The feedback copy: the submission with its root-cause cells highlighted, and a Feedback sheet.

The original is only read. openpyxl writes the copy: the student's cells, formulas and formatting are
kept, charts and images are not (openpyxl does not read them). An .ods submission is annotated from
its LibreOffice conversion, so its copy is an .xlsx.
"""

import re
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from backprop_sheet.check.diagnose import MISTAKES
from backprop_sheet.check.grade import FileResult
from backprop_sheet.output import atomic_write

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
    ws = wb.create_sheet(_feedback_title(wb.sheetnames), 0)
    ws.append(["backprop-sheet check", result.status])
    ws["A1"].font = Font(bold=True)
    ws.append([])
    ws.append(["cell", "quantity", "mistake", "what it means", "expected", "got", "message"])
    for c in ws[3]:
        c.font = Font(bold=True)
    for table in result.tables:
        for cause in table.root_causes:
            got = cause.got if isinstance(cause.got, (int, float, str)) or cause.got is None else str(cause.got)
            ws.append([cause.cell, cause.quantity, cause.diagnosis, MISTAKES.get(cause.diagnosis, ""),
                       cause.expected, got, cause.message])
    ws.append([])
    for table in result.tables:
        rate = f"η = {table.learning_rate.value:g} ({table.learning_rate.source})" if table.learning_rate else "η not found"
        ws.append([table.table.where, f"{table.table.rows} iterations", "right" if table.ok else "mistakes", rate])
        for note in table.notes:
            ws.append(["", "note", note])
    ws.append([])
    ws.append([LEGEND])
    for letter, width in zip("ABCDEFG", (24, 16, 24, 50, 14, 14, 80)):
        ws.column_dimensions[letter].width = width
    with atomic_write(target) as file:
        wb.save(file)
