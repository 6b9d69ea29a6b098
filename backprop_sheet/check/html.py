"""`check --html DIR`: the class overview (index.html) and one feedback page per submission.

Every page stands alone: its CSS, its charts (inline SVG) and its one small script (the sortable
columns) are in the page, and a Content-Security-Policy forbids it any network access. The similarity
section, where asked, is on the overview only: the feedback pages are for students.
"""

import re
from pathlib import Path

from backprop_sheet.check.feedback_page import feedback
from backprop_sheet.check.grade import FileResult
from backprop_sheet.check.overview_page import index
from backprop_sheet.check.page import GENERATOR
from backprop_sheet.check.sheets import Sheet, read_sheets
from bpcore.errors import InputError
from bpcore.files import atomic_write, folder_kept_only_if_used


def page_names(paths: list[str]) -> list[str]:
    """Each submission's page: its file's stem, made safe, numbered where two would share a name."""
    taken, names = {"index.html"}, []
    for path in paths:
        stem = re.sub(r"[^\w.-]+", "_", Path(path).stem).strip("._") or "submission"
        name, n = f"{stem}.html", 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}.html"
        taken.add(name.lower())
        names.append(name)
    return names


def _ours(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            return GENERATOR.encode() in file.read(4096)
    except OSError:
        return False


def check_folder(folder: Path, files: list[str]) -> None:
    """Refuse a folder where a page would replace a file that is not one of ours."""
    for name in ["index.html", *page_names(files)]:
        path = folder / name
        if path.exists() and not _ours(path):
            raise InputError(f"--html: {str(path)!r} exists and is not a page backprop-sheet wrote: it is left "
                             "as it is; name another folder")


def sheets_of(result: FileResult, workbook: Path | None) -> dict[str, Sheet] | None:
    """The sheets that hold a table, as graded (values and formula text); None if they cannot be read."""
    from backprop_sheet.check.values import csv_values, xls_values
    path = Path(result.path)
    try:
        if workbook is not None:
            sheets = read_sheets(workbook)
        else:
            sheets = csv_values(path) if path.suffix.lower() == ".csv" else xls_values(path)
    except (ValueError, OSError):
        return None
    wanted = {t.table.sheet for t in result.tables}
    return {s.title: s for s in sheets if s.title in wanted}


def write(folder: Path, results: list[FileResult], sheets: dict[str, dict[str, Sheet] | None],
          similar=None) -> list[Path]:
    """Every page, each written whole or not at all; the folder is removed again if nothing was written."""
    names = page_names([r.path for r in results])
    written = []
    with folder_kept_only_if_used(folder):
        for result, name in zip(results, names):
            written.append(_write(folder / name, feedback(result, sheets.get(result.path))))
        written.append(_write(folder / "index.html", index(results, names, similar)))
    return written


def _write(path: Path, page: str) -> Path:
    with atomic_write(path) as file:
        file.write(page.encode())
    return path
