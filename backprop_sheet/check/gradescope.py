"""One submission's results in Gradescope's autograder format: `results.json`, one test per part.

The format (https://gradescope-autograders.readthedocs.io/en/latest/specs/): a top-level `score`,
`output` and `tests`, each test with `name`, `score`, `max_score`, `status`, `output` and `visibility`.
Gradescope shows a test's `output` to the student, and the top-level `output` above the tests.
"""

import json
from pathlib import Path

from backprop_sheet.check.grade import FileResult
from backprop_sheet.check.parts import file_parts, total
from bpcore.files import atomic_write

VISIBILITY = "visible"  # the student sees each part's score and output as soon as it is graded
FIELDS = ("name", "score", "max_score", "status", "output", "visibility")  # every test has each of these


def _summary(result: FileResult) -> str:
    name = Path(result.path).name
    if result.error:
        return f"{name}: {result.error_kind}: {result.error}"
    if not result.tables:
        return f"{name}: no iteration table found (a header row naming w1…w8, h1, a_h1, …)"
    causes = result.root_causes
    lines = [f"{name}: {len(result.tables)} table{'s' * (len(result.tables) != 1)} graded ({result.values_from}); "
             + ("every quantity right" if not causes else
                f"{len(causes)} place{'s' * (len(causes) != 1)} where a formula goes wrong:")]
    for cause in causes:
        lines.append(f"- {cause.cell} {cause.quantity}: {cause.diagnosis}: {cause.message}")
    return "\n".join(lines)


def results(result: FileResult) -> dict:
    """Gradescope's results.json for one graded file."""
    parts = file_parts(result)
    score, _ = total(parts)
    tests = [{"name": p.name, "score": p.score, "max_score": p.max_score,
              "status": "passed" if p.score == p.max_score else "failed",
              "output": p.output, "visibility": VISIBILITY} for p in parts]
    return {"score": score, "output": _summary(result), "stdout_visibility": "hidden", "tests": tests}


def write(path: Path, result: FileResult) -> None:
    with atomic_write(path) as file:
        file.write((json.dumps(results(result), indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode())
