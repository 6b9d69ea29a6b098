"""`check --similar`: planted copies are found, with their evidence; independent work forms no group.

The copies are of one student's workbook (a corpus workbook with a mistake, styled and signed as a
student would): a plain copy, a copy with its headers renamed, a copy re-saved by LibreOffice. The
independent work is every right workbook of the corpus and the real submissions in ../shared.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill

from backprop_sheet.check import similar
from backprop_sheet.check.grade import FileResult
from backprop_sheet.check.run import check
from backprop_sheet.cli import main
from backprop_sheet.recalc import find_soffice

_here = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("corpus", _here / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
# The real submissions, as test_check_corpus.py finds them: ../shared/real-workbooks, or $BACKPROP_REAL_WORKBOOKS.
REAL = Path(os.environ.get("BACKPROP_REAL_WORKBOOKS") or Path(__file__).parents[3] / "shared" / "real-workbooks")


def _student_original(folder: Path) -> Path:
    """A workbook with the hidden-activation mistake, as a student leaves it: bold filled headers, widths, a
    note with a typo, and their name in the document's properties."""
    spec = next(s for s in corpus.SPECS if s.name == "mistake_hidden_activation")
    path = corpus.build(corpus.Spec("alice", templates=spec.templates), folder)
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    for cell in ws[5]:
        if cell.value:
            cell.font, cell.fill = Font(bold=True), PatternFill("solid", start_color="FFD966")
    for letter, width in zip("BCDEFGHIJK", (9, 9, 9, 9, 9, 9, 9, 9, 12, 12)):
        ws.column_dimensions[letter].width = width
    ws["AD3"] = "Note: formulae from lecture 3, gradiant checked by hand"
    wb.properties.creator = wb.properties.lastModifiedBy = "Alice Example"
    wb.save(path)
    return path


def _copies(original: Path, folder: Path) -> dict[str, Path]:
    folder.mkdir()
    plain = folder / "bob_plain_copy.xlsx"
    shutil.copy(original, plain)
    renamed = folder / "carol_renamed_headers.xlsx"
    wb = load_workbook(original)
    for cell in wb.worksheets[0][5]:
        if isinstance(cell.value, str):
            cell.value = (cell.value.replace("∂E_total/∂w", "dE/dw").replace("E_total", "Total Error")
                          .replace("a_h", "out_h").replace("a_o", "out_o"))
    wb.save(renamed)
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([find_soffice(), f"-env:UserInstallation={Path(out, 'profile').as_uri()}", "--headless",
                        "--norestore", "--convert-to", "xlsx", "--outdir", out, str(original)],
                       check=True, capture_output=True, timeout=300)
        resaved = folder / "dave_resaved_in_libreoffice.xlsx"
        shutil.move(Path(out) / original.name, resaved)
    return {"plain": plain, "renamed": renamed, "resaved": resaved}


@pytest.fixture(scope="module")
def batch(tmp_path_factory, soffice):
    folder = tmp_path_factory.mktemp("similar")
    (folder / "corpus").mkdir()
    right = [s for s in corpus.SPECS if not s.expected]
    independent = [*corpus.build_all(right, folder / "corpus").values(), *sorted(REAL.glob("*.xlsx"))]
    original = _student_original(folder)
    copies = _copies(original, folder / "copies")
    files = [*map(str, independent), str(original), *map(str, copies.values())]
    out = folder / "out"
    out.mkdir()
    result = CliRunner().invoke(main, ["check", *files, "--similar", "--json", str(out / "all.json"),
                                       "--html", str(out / "html")])
    assert result.exit_code == 1, result.output
    return {"independent": [str(p) for p in independent], "original": str(original),
            "copies": {k: str(v) for k, v in copies.items()}, "output": result.output,
            "json": json.loads((out / "all.json").read_text()), "html": out / "html", "files": files}


def test_the_planted_copies_form_one_group_with_their_original(batch):
    found = batch["json"]["similar"]
    family = [batch["original"], *batch["copies"].values()]
    assert found["groups"] == [family]
    pairs = {frozenset(p["files"]): p for p in found["pairs"]}
    for copy in batch["copies"].values():
        assert pairs[frozenset((batch["original"], copy))]["score"] >= found["threshold"]
    assert len(pairs) == 6  # every pair of the four, and no other
    assert min(p["score"] for p in pairs.values()) >= 0.8
    plain = pairs[frozenset((batch["original"], batch["copies"]["plain"]))]
    assert plain["score"] == pytest.approx(1.0)
    evidence = {e["kind"]: e for e in plain["evidence"]}
    assert set(evidence) == set(similar.KINDS)
    assert evidence["metadata"]["examples"][-2:] == ["creator 'Alice Example'", "last modified by 'Alice Example'"]
    assert "'Note: formulae from lecture 3, gradiant checked by hand'" in evidence["text"]["examples"]
    assert any("wrong_hidden_activation" in x for x in evidence["mistakes"]["examples"])
    renamed = {e["kind"]: e for e in pairs[frozenset((batch["original"], batch["copies"]["renamed"]))]["evidence"]}
    assert renamed["cells"]["score"] == pytest.approx(1.0) and renamed["text"]["score"] < 0.5  # headers renamed
    resaved = {e["kind"]: e for e in pairs[frozenset((batch["original"], batch["copies"]["resaved"]))]["evidence"]}
    assert resaved["cells"]["score"] == pytest.approx(1.0) and resaved["metadata"]["score"] == pytest.approx(1.0)


def test_independent_work_forms_no_group(batch):
    involved = {f for p in batch["json"]["similar"]["pairs"] for f in p["files"]}
    assert involved.isdisjoint(batch["independent"])
    assert batch["json"]["similar"]["compared"] == len(batch["files"])
    if not REAL.exists():
        pytest.skip(f"the real submissions are not in {REAL}: only the corpus's right workbooks were compared")


def test_independent_work_alone_scores_well_under_the_threshold(batch):
    features = {}
    results = check(batch["independent"], visit=lambda r, w: features.__setitem__(r.path, similar.features(r, w)))
    everything = similar.compare(results, features, threshold=0.0)
    assert len(everything.pairs) == len(results) * (len(results) - 1) // 2
    assert everything.pairs[0].score < 0.4 < similar.THRESHOLD


def test_the_evidence_is_shown_as_evidence(batch):
    text = batch["output"]
    assert "similar submissions (evidence for a person to weigh, not a verdict" in text
    assert "group: alice.xlsx, bob_plain_copy.xlsx, carol_renamed_headers.xlsx, dave_resaved_in_libreoffice.xlsx" in text
    index = (batch["html"] / "index.html").read_text()
    assert "<h2>Similar submissions</h2>" in index and "alice.xlsx and bob_plain_copy.xlsx" in index
    for page in batch["html"].iterdir():
        if page.name != "index.html":  # the students' pages never show it
            assert "Similar submissions" not in page.read_text() and "not a verdict" not in page.read_text()


def _features(**kinds) -> dict:
    return {kind: {f: str(f) for f in kinds.get(kind, ())} for kind in similar.KINDS}


def test_rare_shared_features_make_a_pair_and_common_ones_do_not():
    template = [("formula", 0, f"A{k}", "=1") for k in range(40)]  # what every submission has
    files = {f"s{k}.xlsx": _features(cells=template + [("formula", 0, "Z1", f"own {k}")]) for k in range(6)}
    files["copy.xlsx"] = _features(cells=template + [("formula", 0, "Z1", "own 0")])
    results = [FileResult(p) for p in files]
    found = similar.compare(results, files)
    assert [p.files for p in found.pairs] == [("s0.xlsx", "copy.xlsx")] and found.groups == [["s0.xlsx", "copy.xlsx"]]
    (evidence,) = found.pairs[0].evidence
    assert (evidence.kind, evidence.shared, evidence.fewest) == ("cells", 1, 2)  # the template is forced: dropped
    assert evidence.rarity == "the rarest by these two alone"
    alone = similar.compare(results[:6], {p: files[p] for p in list(files)[:6]}, threshold=0.0)
    assert all(p.score == 0 for p in alone.pairs)


def test_a_file_that_cannot_be_read_for_features_is_left_out_and_said_so(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    result = FileResult(str(broken))
    assert similar.features(result, broken) is None
    found = similar.compare([result], {result.path: None})
    assert found.left_out == [str(broken)] and "not compared: " in similar.text(found)
