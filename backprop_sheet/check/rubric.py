"""The rubric: points per part of the assignment, and whether a mistake is charged once or every time it is inherited.

A part of cells (forward pass, loss, gradients, updates) scores its points times the share of its cells
that are right, over every table of the submission: a one-cell slip costs one cell, a whole column
wrong costs the column. With error carried forward (the default, as most teachers grade) a cell counts
as wrong only where its own formula is wrong, judged on the student's own inputs; a cell that is off
only because an earlier cell is wrong keeps its points. Without it, every cell off the reference
trajectory is wrong. Numbers pasted over a column's formulas are wrong from the first pasted row.
"sheets" scores the share of the assignment's learning rates that have a table, "charts" the share of
tables whose E_total some chart plots. A rubric file (TOML) gives its own points and the rule:

    error_carried_forward = true
    [points]
    "forward pass" = 25
    loss = 15
    gradients = 30
    updates = 20
    sheets = 5
    charts = 5
"""

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from backprop_sheet.config import read_config
from bpcore.errors import InputError

# part → the quantities it holds (by their names, for any network), or None for a part of the whole file
PARTS = {
    "forward pass": re.compile(r"(?:a_)?[ho]\d+"),
    "loss": re.compile(r"E\d+|E_total"),
    "gradients": re.compile(r"dE_d\w+"),
    "updates": re.compile(r"w\d+|b_[ho]\d+|v_\w+|m_\w+|s_\w+"),
    "sheets": None,
    "charts": None,
}
DEFAULT_POINTS = {"forward pass": 25.0, "loss": 15.0, "gradients": 30.0, "updates": 20.0, "sheets": 5.0,
                  "charts": 5.0}


@dataclass(frozen=True)
class Rubric:
    points: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_POINTS))  # part → its points
    error_carried_forward: bool = True  # a cell wrong only through an earlier mistake keeps its points
    source: str = "the default rubric"  # where it was read, for the report

    def __post_init__(self):
        unknown = [p for p in self.points if p not in PARTS]
        if unknown:
            raise InputError(f"rubric: unknown part {unknown[0]!r} (parts: {', '.join(PARTS)})")
        for part, points in self.points.items():
            if isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points) \
                    or points < 0:
                raise InputError(f"rubric: the points of {part!r} must be a number ≥ 0, got {points!r}")
        if not sum(self.points.values()) > 0:
            raise InputError("rubric: the points must add up to more than 0")
        if not isinstance(self.error_carried_forward, bool):
            raise InputError(f"rubric: error_carried_forward must be true or false, "
                             f"got {self.error_carried_forward!r}")

    @property
    def total(self) -> float:
        return float(sum(self.points.values()))


def load_rubric(path: str | Path) -> Rubric:
    data = read_config(path, "rubric")
    unknown = sorted(set(data) - {"points", "error_carried_forward"})
    if unknown:
        raise InputError(f"rubric {str(path)!r}: unknown key {unknown[0]!r} (known: points, error_carried_forward)")
    points = data.get("points", DEFAULT_POINTS)
    if not isinstance(points, dict):
        raise InputError(f"rubric {str(path)!r}: [points] must be a table of part = points")
    return Rubric({k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in points.items()},
                  data.get("error_carried_forward", True), f"--rubric {path}")


def part_of(quantity: str) -> str | None:
    """The part of cells a quantity belongs to, or None (a parameter, the iteration counter)."""
    return next((name for name, keys in PARTS.items() if keys is not None and keys.fullmatch(quantity)), None)


@dataclass(frozen=True)
class Scored:
    name: str  # the part
    score: float
    max_score: float
    output: str  # what was found, in a sentence or two a student can act on


def cells_part(name: str, points: float, tables: list, rubric: Rubric) -> Scored:
    cells = wrong = 0
    found = []
    for t in tables:
        for q, column in t.columns.items():
            if part_of(q) != name or column.status == "missing":
                continue
            own = column.wrong_here if rubric.error_carried_forward else column.wrong_reference
            bad = min(column.cells, max(own, column.pasted))
            cells += column.cells
            wrong += bad
            if bad:
                found.append(f"{q} {bad}/{column.cells}")
    if not cells:
        return Scored(name, 0.0, points, f"no {name} columns found")
    rule = "wrong in their own formula" if rubric.error_carried_forward else "off the reference"
    output = f"{cells - wrong:,} of {cells:,} cells right" + (f"; {rule}: {', '.join(found)}" if found else "")
    return Scored(name, round(points * (cells - wrong) / cells, 2), points, output)


def score(result, rubric: Rubric, rates: tuple[float, ...] | None, plots: dict | None = None) -> list[Scored]:
    """Each part's score for one graded file (check.grade.FileResult); `rates` are the assignment's (None where
    no --config or --key gives them: then every table counts), `plots` what its charts plot (charts.plotted)."""
    from backprop_sheet.check.charts import charts_column
    from backprop_sheet.layout import column_letter
    parts = []
    for name, points in rubric.points.items():
        if result.error or not result.tables:
            why = f"{result.error_kind}: {result.error}" if result.error else "no iteration table found"
            parts.append(Scored(name, 0.0, points, f"not graded: {why}"))
        elif PARTS[name] is not None:
            parts.append(cells_part(name, points, result.tables, rubric))
        elif name == "sheets" and rates is None:
            parts.append(Scored(name, points, points, f"{len(result.tables)} tables; no assignment (--config or "
                                "--key) names the learning rates each needs"))
        elif name == "sheets":
            found = [t.learning_rate.value for t in result.tables if t.learning_rate]
            covered = [r for r in rates if any(math.isclose(r, f, rel_tol=1e-9) for f in found)]
            missing = [f"{r:g}" for r in rates if r not in covered]
            parts.append(Scored(name, round(points * len(covered) / len(rates), 2), points,
                                f"tables for {len(covered)} of the {len(rates)} learning rates"
                                + (f"; none for η = {', '.join(missing)}" if missing else "")))
        else:
            charted = [t for t in result.tables if "E_total" in t.table.columns and charts_column(
                plots or {}, t.table.sheet, column_letter(t.table.columns["E_total"]), t.table.first_row,
                t.table.last_row)]
            parts.append(Scored(name, round(points * len(charted) / len(result.tables), 2), points,
                                f"{len(charted)} of {len(result.tables)} tables have a chart of their E_total"))
    return parts


def total(parts: list[Scored]) -> float:
    return round(sum(p.score for p in parts), 2)
