"""The parts a submission is scored on, and each part's score: what Gradescope, the LMS CSV and the HTML show.

A part is a set of quantities named by their key prefix, so that it holds for a network of any width:
the forward pass (h, a_h, o, a_o), the loss (E1.., E_total), the gradients (dE_d…) and the updates (the
trained weights w…, trained biases b_…, and velocities v_… where there is momentum).

A quantity loses its points in a table where its own formula is wrong: a root cause names it, or it
holds pasted numbers. A column that is off the reference trajectory only because it reads an earlier
mistake keeps them (the error is carried forward, as a marker would), so one slip in h1 does not cost
every later part. Quantities a table leaves out are not counted, as in the CSV's `score`; a part of
which no table holds a single quantity scores 0. The CSV's `score` column is another measure (the share
of columns right against the reference) and stays as it was.
"""

import re
from dataclasses import dataclass

from backprop_sheet.check.grade import FileResult, TableResult

# (name, what it holds, points): equal points until a rubric file gives its own (`--rubric`, to come).
PARTS = (
    ("forward pass", re.compile(r"(?:a_)?[ho]\d+"), 25.0),
    ("loss", re.compile(r"E\d+|E_total"), 25.0),
    ("gradients", re.compile(r"dE_d\w+"), 25.0),
    ("updates", re.compile(r"w\d+|b_[ho]\d+|v_\w+"), 25.0),
)


@dataclass(frozen=True)
class Part:
    name: str
    score: float
    max_score: float
    output: str  # what was found, in a sentence or two a student can act on


def part_of(quantity: str) -> str | None:
    """The part a quantity belongs to ('forward pass', …), or None (a parameter, the iteration counter)."""
    return next((name for name, keys, _ in PARTS if keys.fullmatch(quantity)), None)


def _wrong(t: TableResult) -> dict[str, tuple[str, str, str]]:
    """{quantity: (mistake id, cell, message)}: why it loses its points in one table."""
    wrong = {}
    for cause in t.root_causes:
        wrong.setdefault(cause.quantity, (cause.diagnosis, cause.cell, cause.message))
    for q, column in t.columns.items():
        if column.status == "constant" and q not in wrong:
            cell = column.first_wrong.cell if column.first_wrong else t.table.where
            wrong[q] = ("pasted_values", cell, "numbers where the first rows hold formulas")
    return wrong


def _part(name: str, keys: re.Pattern, points: float, tables: list[TableResult]) -> Part:
    checked = right = 0
    reasons: dict[tuple[str, str], tuple[list[str], str]] = {}  # (quantity, mistake) → (cells, message)
    inherited = []
    for t in tables:
        wrong = _wrong(t)
        for q, column in t.columns.items():
            if not keys.fullmatch(q) or column.status == "missing":
                continue
            checked += 1
            if q in wrong:
                diagnosis, cell, message = wrong[q]
                reasons.setdefault((q, diagnosis), ([], message))[0].append(cell)
            else:
                right += 1
                if column.status == "wrong" and q not in inherited:
                    inherited.append(q)
    if not checked:
        return Part(name, 0.0, points, f"no {name} quantities found in any table")
    tables_text = f" in {len(tables)} tables" if len(tables) > 1 else ""
    output = f"{right} of {checked} quantities right{tables_text}"
    for (q, diagnosis), (cells, message) in reasons.items():
        output += f"; {q}: {diagnosis} at {', '.join(cells)} ({message})"
    if inherited:
        output += f"; off the reference only through an earlier mistake, no points lost: {', '.join(inherited)}"
    return Part(name, round(points * right / checked, 2), points, output)


def table_parts(t: TableResult) -> list[Part]:
    """The parts of one table."""
    return [_part(name, keys, points, [t]) for name, keys, points in PARTS]


def file_parts(result: FileResult) -> list[Part]:
    """The parts of a submission, over all its tables (a file that was not graded scores 0 in each)."""
    if result.error or not result.tables:
        why = (f"not graded: {result.error_kind}: {result.error}" if result.error else
               "not graded: no iteration table found (a header row naming w1…w8, h1, a_h1, …)")
        return [Part(name, 0.0, points, why) for name, _, points in PARTS]
    return [_part(name, keys, points, result.tables) for name, keys, points in PARTS]


def total(parts: list[Part]) -> tuple[float, float]:
    """(score, max_score) of a list of parts."""
    return round(sum(p.score for p in parts), 2), sum(p.max_score for p in parts)
