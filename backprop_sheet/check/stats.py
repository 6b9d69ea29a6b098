"""A class at a glance: files right and wrong, the most common mistakes, the spread of scores."""

from collections import Counter
from dataclasses import dataclass

from backprop_sheet.check.grade import FileResult
from backprop_sheet.check.parts import file_parts, total

SCORE_BINS = 10  # the score distribution's bars: 0–10, 10–20, …, 90–100 % of the points


@dataclass(frozen=True)
class ClassStats:
    files: int
    right: int
    mistakes: int  # graded, with at least one mistake
    not_graded: int  # unreadable, needing recalculation, or without a table
    common: list[tuple[str, int]]  # (mistake id, files that make it), most common first
    scores: list[float]  # each file's score as a share of its points, 0..1, in file order


def class_stats(results: list[FileResult]) -> ClassStats:
    made = Counter(d for r in results for d in dict.fromkeys(c.diagnosis for c in r.root_causes))
    scores = []
    for r in results:
        score, points = total(file_parts(r))
        scores.append(score / points if points else 0.0)
    right = sum(r.status == "ok" for r in results)
    mistakes = sum(r.status == "mistakes" for r in results)
    return ClassStats(len(results), right, mistakes, len(results) - right - mistakes,
                      sorted(made.items(), key=lambda pair: (-pair[1], pair[0])), scores)


def histogram(scores: list[float], bins: int = SCORE_BINS) -> list[int]:
    """How many scores fall in each of `bins` equal ranges of 0..1 (a full score in the last)."""
    counts = [0] * bins
    for s in scores:
        counts[min(int(s * bins), bins - 1)] += 1
    return counts


def _files(n: int) -> str:
    return f"{n} file{'s' * (n != 1)}"


def text(stats: ClassStats, top: int = 3) -> list[str]:
    """The lines at the end of the terminal report."""
    parts = [f"{stats.right} right", f"{stats.mistakes} with mistakes"]
    if stats.not_graded:
        parts.append(f"{stats.not_graded} not graded")
    lines = [f"class: {_files(stats.files)}: {', '.join(parts)}"]
    if stats.common:
        lines.append("most common mistakes: " + ", ".join(f"{d} ({_files(n)})" for d, n in stats.common[:top]))
    return lines
