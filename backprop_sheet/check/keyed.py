"""Grading against a key: which student a submission is, and whether it carries another student's numbers.

A submission is its student's by the cell named `student_id` (the handout has it on its Instructions
sheet), else by a student id in its file name (`s042_backprop.xlsx`, `Backprop - s042.xlsx`). It is
then graded against that student's variant. A table whose initial weights are another student's, and
not its own student's, was built on another student's handout: that is reported, naming whose.
"""

import re
import zipfile
from xml.etree.ElementTree import iterparse

from backprop_sheet.check.sheets import Sheet
from backprop_sheet.config import SheetConfig

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_TARGET = re.compile(r"(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)")
MIN_WEIGHTS = 4  # initial weights a table must show before its variant is judged


def _named_cell(path) -> tuple[str, str] | None:
    """(sheet, cell) the workbook's defined name student_id points at, if it has one."""
    try:
        with zipfile.ZipFile(path) as package, package.open("xl/workbook.xml") as workbook:
            for _, element in iterparse(workbook):
                if element.tag == f"{_MAIN}definedName" and (element.get("name") or "").lower() == "student_id":
                    m = _TARGET.fullmatch((element.text or "").strip())
                    if m:
                        return (m[1] or "").replace("''", "'") or m[2], f"{m[3]}{m[4]}"
    except (OSError, KeyError, zipfile.BadZipFile, SyntaxError):
        return None
    return None


def _cell_value(sheets: list[Sheet], sheet: str, cell: str):
    from backprop_sheet.check.sheets import column_index
    m = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    for s in sheets:
        if s.title == sheet:
            return s.get(int(m[2]), column_index(m[1]))
    return None


def _as_id(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


def student_of(path, stem: str, sheets: list[Sheet], ids: list[str]) -> tuple[str | None, str]:
    """(the student's id, how it was found) or (None, why not)."""
    by_lower = {i.lower(): i for i in ids}
    named = _named_cell(path)
    if named:
        value = _as_id(_cell_value(sheets, *named))
        if value.lower() in by_lower:
            return by_lower[value.lower()], f"cell student_id ('{named[0]}'!{named[1]})"
    tokens = [t.lower() for t in re.split(r"[^A-Za-z0-9@.+-]+|(?<=\w)\.(?=\w+$)", stem) if t]
    found = [by_lower[t] for t in tokens if t in by_lower]
    if not found:  # an id glued to other text: the longest id the name contains
        found = sorted((i for i in ids if re.search(rf"(?<![A-Za-z0-9]){re.escape(i)}(?![A-Za-z0-9])", stem,
                                                    re.IGNORECASE)), key=len, reverse=True)[:1]
    if len(set(found)) == 1:
        return found[0], f"file name {stem!r}"
    if named:
        return None, f"its student_id cell holds {_as_id(_cell_value(sheets, *named))!r}, no student of the key"
    return None, "no student_id cell and no student id in its file name"


def whose_variant(weights: dict[str, float], configs: dict[str, SheetConfig], own: str | None) -> str | None:
    """The other student whose initial weights a table shows, if they are not its own student's."""
    if len(weights) < MIN_WEIGHTS:
        return None

    def matches(config: SheetConfig) -> bool:
        names = list(config.spec.weights.values())
        if len(names) != len(config.weights):
            return False
        given = dict(zip(names, config.weights))
        return all(w in given and abs(given[w] - v) <= 1e-9 * max(1.0, abs(v)) for w, v in weights.items())

    if own is not None and matches(configs[own]):
        return None
    others = [sid for sid, c in configs.items() if sid != own and matches(c)]
    return others[0] if len(others) == 1 else None


def mark_other_variants(tables: list, configs: dict[str, SheetConfig], own: str | None) -> None:
    """Add a root cause `other_students_variant` to each table that shows another student's initial weights."""
    from backprop_sheet.check.grade import RootCause
    for t in tables:
        weights = {w: v for w, v in t.initial.items() if w.startswith("w")}
        other = whose_variant(weights, configs, own)
        if other is None:
            continue
        first = next(w for w in t.network.weights.values() if w in weights)
        mine = f"{own}'s" if own else "this submission's student's"
        t.root_causes.insert(0, RootCause(first, t.table.cell(first, 0), "other_students_variant",
                                          f"the initial weights are student {other}'s variant, not {mine}: built on "
                                          f"{other}'s handout", None, None, 0))


def unmatched(results: list, ids: list[str]) -> tuple[list[str], list[str]]:
    """(files that match no student, students with no submission)."""
    seen = {r.student for r in results if r.student}
    return [r.path for r in results if r.student is None], [i for i in ids if i not in seen]
