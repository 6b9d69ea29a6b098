"""Finding the iteration tables on a sheet: a header row naming our quantities, one row per iteration below."""

from collections import defaultdict
from dataclasses import dataclass, field

from backprop_sheet.check.headers import CHECKED, canonical, is_quantity
from backprop_sheet.check.sheets import Sheet, cell_name, column_letter

MIN_HEADERS = 6  # distinct checked quantities a row must name to be a table's header row


@dataclass
class Table:
    sheet: str
    header_row: int
    first_row: int  # iteration 1
    last_row: int
    columns: dict[str, int]  # quantity → its 1-based column
    unmapped: list[str] = field(default_factory=list)  # "C3 'notes'": headers that name nothing we check
    cells: dict[str, str] | None = None  # a one-pass table's real cells (its row is gathered from them)
    span: str | None = None  # and the range they stand in
    quantities: tuple[str, ...] = CHECKED  # what the table's network computes (set once its shape is known)
    identified: dict[str, str] = field(default_factory=dict)  # quantity → how its column was found
    other_columns: list[int] = field(default_factory=list)  # columns with numbers that no header names

    @property
    def rows(self) -> int:
        return self.last_row - self.first_row + 1

    @property
    def missing(self) -> list[str]:
        return [q for q in self.quantities if q not in self.columns]

    def cell(self, quantity: str, k: int) -> str:
        """The cell of iteration k + 1 (k counts from 0) of a mapped quantity."""
        if self.cells is not None:
            return self.cells[quantity]
        return cell_name(self.sheet, self.first_row + k, self.columns[quantity])

    @property
    def where(self) -> str:
        if self.span is not None:
            return self.span
        cols = self.columns.values()
        return (cell_name(self.sheet, self.header_row, min(cols))
                + f":{column_letter(max(cols))}{self.last_row}")


def _is_number(value) -> bool:
    return isinstance(value, float)


def _is_cell_value(value) -> bool:
    # a number, or an error value (#NUM!, Err:502) that stands where a number belongs
    return _is_number(value) or isinstance(value, str) and value.startswith(("#", "Err:"))


def _segments(cells: list[tuple[int, str]]) -> list[dict[str, int]]:
    """Split a header row where a quantity repeats: two tables side by side share the row."""
    segments, current = [], {}
    for col, name in cells:
        if name in current:
            segments.append(current)
            current = {}
        current[name] = col
    segments.append(current)
    return segments


def find_tables(sheet: Sheet) -> list[Table]:
    rows = defaultdict(list)
    for (r, c), value in sheet.values.items():
        if isinstance(value, str):
            rows[r].append((c, value))
    tables = []
    taken_until = 0  # a table's own rows are not searched for further headers
    for r in sorted(rows):
        if r <= taken_until:
            continue
        named = sorted((c, canonical(text)) for c, text in rows[r])
        named = [(c, name) for c, name in named if name]
        for columns in _segments(named):
            checked = [q for q in columns if is_quantity(q)]
            if len(checked) < MIN_HEADERS:
                continue
            last = r
            while sum(_is_cell_value(sheet.get(last + 1, columns[q])) for q in checked) * 2 >= len(checked):
                last += 1
            if last == r:
                continue
            # a parameter named on the header row is a column only if numbers stand below it; otherwise
            # it is a label beside the table ("i1" with its value to the right)
            columns = {q: c for q, c in columns.items()
                       if is_quantity(q) or q == "iteration" or _is_number(sheet.get(r + 1, c))}
            lo, hi = min(columns.values()), max(columns.values())
            used = set(columns.values())
            unmapped = [f"{column_letter(c)}{r} {text!r}" for c, text in sorted(rows[r])
                        if lo <= c <= hi and c not in used and text.strip()]
            # columns beside the named ones whose header names nothing (or is blank), with numbers below
            others = [c for c in range(lo, hi + 1) if c not in used and _is_number(sheet.get(r + 1, c))]
            c = hi + 1
            while c not in used and isinstance(sheet.get(r, c), str) and _is_number(sheet.get(r + 1, c)):
                others.append(c)
                c += 1
            tables.append(Table(sheet.title, r, r + 1, last, columns, unmapped, other_columns=others))
            taken_until = max(taken_until, last)
    return tables
