"""One iteration typed as labelled values: `h1 = w1*i1 + w2*i2` | `0.0272`, down a column or along a row.

Some students work a single forward and backward pass by hand: each quantity's name (often with its
equation) in one cell and its value beside it (to the right, in a column of pairs) or below it (in a
row of pairs). Such a sheet has no iteration table; its pairs are gathered into a one-row table of their
own, on a sheet of their own, so that it is graded like any other iteration: each cell recomputed from
the student's other values, and against the reference. Every cell keeps its real address in reports.
"""

from backprop_sheet.check.headers import canonical, is_parameter, is_quantity
from backprop_sheet.check.sheets import Sheet, cell_name
from backprop_sheet.check.tables import MIN_HEADERS, Table

_STEPS = {"column": (0, 1), "row": (1, 0)}  # where a label's value stands: to its right, or below it


def _name(text) -> str | None:
    """The quantity a label names: 'h1 = w1*i1 + w2*i2' → 'h1', 'a_h1:' → 'a_h1', 'η' → 'eta'."""
    if not isinstance(text, str) or text.startswith("="):
        return None
    key = canonical(text)
    return key if is_quantity(key) or is_parameter(key) or key == "eta" else None


def _pairs(sheet: Sheet, step: tuple[int, int]) -> dict[str, tuple[int, int]]:
    """Quantity → the cell of its value, for each label with a number beside it (the first one wins)."""
    found = {}
    for (r, c) in sorted(sheet.values):
        key = _name(sheet.values[(r, c)])
        at = (r + step[0], c + step[1])
        if key and key not in found and isinstance(sheet.get(*at), float):
            found[key] = at
    return found


def find_one_pass(sheet: Sheet) -> list[tuple[Table, Sheet]]:
    """The sheet's one labelled iteration as (a one-row table, the sheet that holds its row), if it has one."""
    step, best = max(((step, _pairs(sheet, step)) for step in _STEPS.values()),
                     key=lambda item: sum(is_quantity(q) for q in item[1]))
    if sum(is_quantity(q) for q in best) < MIN_HEADERS:
        return []
    row = Sheet(sheet.title)
    columns, cells = {}, {}
    for col, (key, at) in enumerate(sorted(best.items(), key=lambda item: item[1]), start=1):
        row.values[(2, col)] = sheet.get(*at)
        if at in sheet.formulas:
            row.formulas[(2, col)] = sheet.formulas[at]
        columns[key], cells[key] = col, cell_name(sheet.title, *at)
    rows, cols = zip(*best.values())  # the range of the pairs, labels included
    first, last = cell_name(sheet.title, min(rows) - step[0], min(cols) - step[1]), cell_name("", max(rows), max(cols))
    span = f"{first}:{last.split('!')[1]}"
    return [(Table(sheet.title, 1, 2, 2, columns, cells=cells, span=span), row)]
