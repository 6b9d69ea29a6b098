"""The grades as a learning platform imports them: Canvas's grade-book CSV, or Moodle's grading worksheet.

Who a file belongs to comes from its name, as each platform's "download all submissions" writes it:
Canvas `smithjane_12345_67890_backprop.xlsx` (its user id, 12345; `_LATE_` may precede it), Moodle
`Jane Smith_12345_assignsubmission_file_backprop.xlsx`, or a folder of that name (its participant
number, 12345, which its grading worksheet calls "Participant 12345"). A file named otherwise keeps its
name in the student column and an empty id, for the teacher to fill in.

Canvas: Grades → Import. It matches each row by `ID`, fills the assignment column, and puts the
feedback in its teacher-only Notes column (Canvas imports no comments). Moodle: the assignment's
"Upload grading worksheet" (the offline grading worksheet feedback type), which takes the grade and the
"Feedback comments" the student sees.
"""

import csv
import io
import re
from datetime import datetime, timezone
from pathlib import Path

from backprop_sheet.check.grade import FileResult
from backprop_sheet.check.parts import file_parts, total
from bpcore.files import atomic_write

FORMATS = ("canvas", "moodle")
ASSIGNMENT = "Backprop workbook"  # Canvas's column for the score: rename it to the assignment's own title
CANVAS_FIELDS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Notes", ASSIGNMENT)
# Moodle's own headers (English): its importer finds the columns by these names; the feedback must not
# come first (it skips a feedback column at index 0).
MOODLE_FIELDS = ("Identifier", "Full name", "Grade", "Maximum grade", "Last modified (grade)", "Feedback comments")

_CANVAS = re.compile(r"(?P<name>[^_]+)_(?:late_)?(?P<id>\d+)_\d+_.+", re.IGNORECASE)
_MOODLE = re.compile(r"(?P<name>.+)_(?P<id>\d+)_assign(?:submission|feedback)_\w+")


def student(path: str) -> tuple[str, str]:
    """(name, platform id) from a downloaded submission's file or folder name; (file name, "") if neither."""
    p = Path(path)
    for text in (p.name, p.parent.name):
        if m := _MOODLE.match(text):
            return m["name"], m["id"]
    if m := _CANVAS.fullmatch(p.name):
        return m["name"], m["id"]
    return p.name, ""


def feedback(result: FileResult) -> str:
    """A few lines for the student: the score of each part and, where points were lost, why."""
    parts = file_parts(result)
    score, points = total(parts)
    lines = [f"backprop-sheet check: {score:g} of {points:g} points ({Path(result.path).name})"]
    for p in parts:
        lines.append(f"{p.name}: {p.score:g}/{p.max_score:g}" + ("" if p.score == p.max_score else f": {p.output}"))
    return "\n".join(lines)


def rows(results: list[FileResult], form: str) -> list[dict]:
    """One row per file (Canvas's form begins with its "Points Possible" row)."""
    if form not in FORMATS:
        raise ValueError(f"unknown LMS form {form!r} (known: {', '.join(FORMATS)})")
    out = []
    points = total(file_parts(results[0]))[1] if results else 100.0
    if form == "canvas":
        out.append(dict.fromkeys(CANVAS_FIELDS, "") | {"Student": "Points Possible", ASSIGNMENT: f"{points:g}"})
    graded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")  # Moodle keeps grades changed since
    for r in results:
        name, lms_id = student(r.path)
        score, points = total(file_parts(r))
        if form == "canvas":
            out.append(dict.fromkeys(CANVAS_FIELDS, "") | {"Student": name, "ID": lms_id, "Notes": feedback(r),
                                                           ASSIGNMENT: f"{score:g}"})
        else:
            out.append({"Identifier": f"Participant {lms_id}" if lms_id else name, "Full name": name,
                        "Grade": f"{score:g}", "Maximum grade": f"{points:g}",
                        "Last modified (grade)": graded_at, "Feedback comments": feedback(r)})
    return out


def write(path: Path, results: list[FileResult], form: str) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CANVAS_FIELDS if form == "canvas" else MOODLE_FIELDS)
    writer.writeheader()
    writer.writerows(rows(results, form))
    with atomic_write(path) as file:
        file.write(buffer.getvalue().encode())
