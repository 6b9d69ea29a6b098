"""The parts a submission is scored on, as Gradescope, the LMS CSV, the HTML and the reports show them.

The points and the rule come from the rubric (`check/rubric.py`: `--rubric`, else the default rubric):
each part of cells (forward pass, loss, gradients, updates) scores its points times the share of its
cells that are right, with the error carried forward by default; "sheets" and "charts" score the share
of the assignment's learning rates with a table and of tables with a chart of their E_total. `check`
scores every file once (`FileResult.parts`); a result scored by nothing else gets the default rubric.
"""

from backprop_sheet.check import rubric
from backprop_sheet.check.grade import FileResult, TableResult

Part = rubric.Scored  # name, score, max_score, output


def part_of(quantity: str) -> str | None:
    """The part a quantity belongs to ('forward pass', …), or None (a parameter, the iteration counter)."""
    return rubric.part_of(quantity)


def file_parts(result: FileResult) -> list[Part]:
    """The parts of a submission, over all its tables (a file that was not graded scores 0 in each)."""
    if result.parts is None:
        result.parts = rubric.score(result, rubric.Rubric(), None)
    return list(result.parts)


def table_parts(t: TableResult, scoring: rubric.Rubric | None = None) -> list[Part]:
    """The parts of cells of one table."""
    scoring = scoring or rubric.Rubric()
    return [rubric.cells_part(name, points, [t], scoring) for name, points in scoring.points.items()
                   if rubric.PARTS[name] is not None]


def names(results: list[FileResult]) -> list[str]:
    """The parts the results were scored on, in rubric order."""
    return [p.name for p in file_parts(results[0])] if results else list(rubric.DEFAULT_POINTS)


def total(parts: list[Part]) -> tuple[float, float]:
    """(score, max_score) of a list of parts."""
    return round(sum(p.score for p in parts), 2), sum(p.max_score for p in parts)
