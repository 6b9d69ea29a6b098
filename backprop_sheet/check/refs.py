"""A student's formula read as a formula: what each of its references stands for, against what the layout's reads.

Each reference in the student's cell is named by where it points: a column of the table (this row's
quantity, the row above's, or some other row's), a labelled parameter, η's cell, or a cell that is none
of these. The layout's formula for the quantity (`layout.columns(spec)`, as `model.Formula.inputs`) says
what the cell should read; the difference is the diagnosis when the numbers match no known variant.
"""

import re
from dataclasses import dataclass

from backprop_sheet.check.params import Found, Label
from backprop_sheet.check.sheets import Sheet, column_index
from backprop_sheet.check.tables import Table
from backprop_sheet.formula import FormulaError, parse, references

_CELL = re.compile(r"(?:(?:'((?:[^']|'')+)'|([^'!]+))!)?([A-Z]{1,3})(\d+)")


@dataclass(frozen=True)
class Reading:
    refs: tuple[str, ...]  # what each reference stands for: "w3", "prev.w3", "w3@-2", "i1", "eta", "?D4"
    wrong_row: tuple[tuple[str, str], ...]  # (what it read, what belongs) when the references differ only in rows
    extra: tuple[str, ...]  # read, but not in the layout's formula
    missing: tuple[str, ...]  # in the layout's formula, but not read


def _where(key: str, sheet: str) -> tuple[str, int, int] | None:
    m = _CELL.fullmatch(key.replace("$", ""))
    if not m:
        return None
    title = (m[1].replace("''", "'") if m[1] else m[2]) or sheet
    return title, int(m[4]), column_index(m[3])


def _name(at: tuple[str, int, int], row: int, table: Table, by_col: dict[int, str],
          params: dict[tuple[str, int, int], str]) -> str:
    if at in params:
        return params[at]
    title, r, c = at
    if title == table.sheet and c in by_col and table.first_row <= r <= table.last_row:
        offset = r - row
        q = by_col[c]
        return q if offset == 0 else f"prev.{q}" if offset == -1 else f"{q}@{offset:+d}"
    return f"?{at[2]}:{at[1]}"


def read(table: Table, sheet: Sheet, row: int, col: int, expected: tuple[str, ...],
         parameters: dict[str, Found], rate: Found | None, labels: list[Label]) -> Reading | None:
    """The reading of the formula in (row, col), or None where the cell holds no formula we can read."""
    text = sheet.formula(row, col)
    if not text:
        return None
    try:
        tree = parse(text)
    except FormulaError:
        return None
    params = {f.at: key for key, f in parameters.items() if f.at}
    params |= {(lab.sheet, *lab.value_cell): lab.key for lab in labels}
    if rate is not None and rate.at:
        params[rate.at] = "eta"
    by_col = {c: q for q, c in table.columns.items()}
    names = []
    for ref in references(tree):
        at = _where(ref.key, table.sheet)
        names.append(_name(at, row, table, by_col, params) if at else ref.key)
    got, want = dict.fromkeys(names), dict.fromkeys(expected)
    extra = tuple(n for n in got if n not in want)
    missing = tuple(n for n in want if n not in got)
    bare = {n.removeprefix("prev.").split("@")[0]: n for n in extra}
    pairs = tuple((bare[need.removeprefix("prev.")], need) for need in missing if need.removeprefix("prev.") in bare)
    wrong_row = pairs if missing and len(pairs) == len(missing) == len(extra) else ()
    return Reading(tuple(names), wrong_row, extra, missing)


def said(name: str) -> str:
    """'prev.w3' → 'w3 of the row above', 'w3@-2' → 'w3 of 2 rows above', '?4:7' → 'cell D7'."""
    if name.startswith("prev."):
        return f"{name[5:]} of the row above"
    if "@" in name:
        q, offset = name.split("@")
        k = int(offset)
        return f"{q} of {abs(k)} row{'s' * (abs(k) != 1)} {'above' if k < 0 else 'below'}"
    if name.startswith("?"):
        col, row = name[1:].split(":")
        from backprop_sheet.layout import column_letter
        return f"cell {column_letter(int(col))}{row}"
    return {"eta": "η"}.get(name, name)
