"""`check`'s reports for teachers: parts and scores, class statistics, Gradescope, the LMS CSV, HTML pages.

Every file is read back as its consumer reads it: results.json against the fields docs/reports.md
documents, the CSV through csv.reader with the rules Canvas's and Moodle's importers apply, the HTML's
links and resources. The pages in a real browser: test_check_reports_browser.py.
"""

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from backprop_sheet.check import gradescope, lms, parts
from backprop_sheet.check.grade import Column
from backprop_sheet.check.run import check
from backprop_sheet.cli import main

_spec = importlib.util.spec_from_file_location("sample_class", Path(__file__).with_name("sample_class.py"))
sample_class = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample_class)

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "docs" / "reports.md"


@pytest.fixture
def sample(tmp_path):
    return sample_class.build(tmp_path / "submissions")


def _files(sample, *who):
    return [str(sample[w]) for w in who or ("alice", "bob", "carol", "dave")]


# --- parts -------------------------------------------------------------------------------------------


def test_parts_score_each_cell_by_its_own_formula(sample):
    alice, bob, carol, dave = check(_files(sample))
    assert [(p.name, p.score, p.max_score) for p in parts.file_parts(alice)] == [
        ("forward pass", 25, 25), ("loss", 15, 15), ("gradients", 30, 30), ("updates", 20, 20), ("sheets", 5, 5),
        ("charts", 5, 5)]
    assert parts.total(parts.file_parts(alice)) == (100, 100)
    # bob's h1 and a_h1 are wrong in one cell each (of 5 iterations × 8 forward-pass columns); the later parts,
    # which only inherit the wrong numbers, keep all their points (error carried forward)
    forward, loss, gradients, updates, *_ = parts.file_parts(bob)
    assert forward.score == pytest.approx(25 * 38 / 40, abs=0.01) and (loss.score, gradients.score) == (15, 30)
    assert forward.output == "38 of 40 cells right; wrong in their own formula: h1 1/5, a_h1 1/5"
    assert updates.score == 20
    # a file that was not graded scores 0 in each part, and says why
    assert [p.score for p in parts.file_parts(dave)] == [0] * 6
    assert all(p.output.startswith("not graded:") for p in parts.file_parts(dave))
    assert carol.status == "mistakes"


def test_parts_are_named_by_key_prefix_for_any_network():
    assert [parts.part_of(q) for q in ("h3", "a_h8", "o4", "a_o1", "E3", "E_total", "dE_dw24", "dE_db_o2",
                                       "w24", "b_h3", "v_w5", "v_b_o1", "i1", "t2", "eta", "iteration")] == [
        "forward pass", "forward pass", "forward pass", "forward pass", "loss", "loss", "gradients", "gradients",
        "updates", "updates", "updates", "updates", None, None, None, None]
    # a 2-3-1 table with trained biases and momentum: every quantity lands in its part
    quantities = ["h1", "h2", "h3", "a_h1", "a_h2", "a_h3", "o1", "a_o1", "E1", "E_total",
                  *(f"dE_dw{k}" for k in range(1, 10)), "dE_db_h1", *(f"w{k}" for k in range(1, 10)), "b_h1",
                  *(f"v_w{k}" for k in range(1, 10))]
    columns = {q: Column(q, "ok", cells=4) for q in quantities}
    columns["h3"] = Column("h3", "missing")
    columns["E1"] = Column("E1", "wrong", cells=4, wrong_reference=4)  # off the reference; its own formula is right
    columns["v_w2"] = Column("v_w2", "wrong", cells=4, wrong_here=1, wrong_reference=3)
    table = SimpleNamespace(columns=columns, root_causes=[], table=SimpleNamespace(where="'lr 0.5'!A1:BZ9"))
    forward, loss, gradients, updates = parts.table_parts(table)
    assert forward.output == "28 of 28 cells right"  # h3 is missing: not counted
    assert loss.output == "8 of 8 cells right"
    assert gradients.output == "40 of 40 cells right"
    assert updates.output == "75 of 76 cells right; wrong in their own formula: v_w2 1/4"
    assert updates.score == pytest.approx(20 * 75 / 76, abs=0.01)


# --- class statistics ---------------------------------------------------------------------------------


def test_class_statistics_end_the_terminal_report(runner, sample):
    result = runner.invoke(main, ["check", *_files(sample)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-3:] == ["1 of 4 files right", "class: 4 files: 1 right, 2 with mistakes, 1 not graded",
                          "most common mistakes: unknown (2 files)"]
    single = runner.invoke(main, ["check", str(sample["alice"])])
    assert single.output.splitlines()[-1] == "1 of 1 file right"  # one file: no class to sum up


# --- Gradescope -----------------------------------------------------------------------------------------


def _documented_gradescope_fields() -> tuple[set[str], set[str]]:
    """The top-level and per-test fields that docs/reports.md's table of results.json names."""
    section = REPORTS.read_text().split("### results.json", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([\w.\[\]]+)` \|", section, re.MULTILINE)
    top = {r for r in rows if not r.startswith("tests[].")}
    return top, {r.removeprefix("tests[].") for r in rows if r.startswith("tests[].")}


def _check_gradescope(results: dict, file_parts=None) -> None:
    top, per_test = _documented_gradescope_fields()
    assert set(results) == top
    assert isinstance(results["score"], (int, float)) and isinstance(results["output"], str)
    for test in results["tests"]:
        assert set(test) == per_test == set(gradescope.FIELDS)
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
        assert test["status"] in ("passed", "failed")
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    if file_parts is not None:
        assert [(t["name"], t["score"], t["max_score"]) for t in results["tests"]] == [
            (p.name, p.score, p.max_score) for p in file_parts]


def test_gradescope_results_have_the_documented_fields(runner, sample, tmp_path):
    out = tmp_path / "results.json"
    result = runner.invoke(main, ["check", str(sample["bob"]), "--gradescope", str(out)])
    assert result.exit_code == 1, result.output
    results = json.loads(out.read_text())
    (graded,) = check([str(sample["bob"])])
    _check_gradescope(results, parts.file_parts(graded))
    assert [t["name"] for t in results["tests"]] == ["forward pass", "loss", "gradients", "updates", "sheets", "charts"]
    assert results["tests"][0]["status"] == "failed" and results["tests"][1]["status"] == "passed"
    assert "'lr 0.5'!J20 h1: unknown" in results["output"]
    assert results["score"] == pytest.approx(98.75)


def test_gradescope_takes_one_submission(runner, sample, tmp_path):
    out = tmp_path / "results.json"
    result = runner.invoke(main, ["check", *_files(sample, "alice", "bob"), "--gradescope", str(out)])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: --gradescope writes one submission's results: give it one file, not 2"
    assert not out.exists()


def _run_autograder_script() -> str:
    """The block of docs/reports.md that begins as run_autograder (its setup.sh comes before it)."""
    (script,) = [block for block in re.findall(r"```bash\n(.+?)```", REPORTS.read_text(), re.DOTALL)
                 if block.startswith("#!/usr/bin/env bash\n# run_autograder:")]
    return script


@pytest.mark.parametrize("submitted, score", [(["bob.xlsx"], 98.75), ([], 0.0), (["bob.xlsx", "alice.xlsx"], 0.0),
                                             (["dave.xlsx"], 0.0)])
def test_the_docs_run_autograder_writes_valid_results(sample, tmp_path, submitted, score):
    """The script of docs/reports.md, run as Gradescope runs it, in a folder laid out as /autograder."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    for name in submitted:
        (root / "submission" / name).write_bytes(sample[name.removesuffix(".xlsx")].read_bytes())
    script = root / "run_autograder"
    script.write_text(_run_autograder_script())
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # backprop-sheet, as setup.sh links it
    env = os.environ | {"AUTOGRADER": str(root), "PATH": path}
    subprocess.run(["bash", str(script)], cwd=root, env=env, check=True, capture_output=True, timeout=120)
    results = json.loads((root / "results" / "results.json").read_text())
    _check_gradescope(results)
    assert results["score"] == pytest.approx(score)
    if len(submitted) != 1:
        assert f"this submission holds {len(submitted)}" in results["output"]


# --- LMS CSV --------------------------------------------------------------------------------------------


def _canvas_header_ok(header: list[str]) -> bool:
    """The rules of Canvas's grade-book importer (GradebookImporter#header?): Student, ID, SIS User ID and SIS
    Login ID, then Section as the last student column (custom columns such as Notes come after it)."""
    return (len(header) > 3 and "Student" in header[0] and "ID" in header[1] and header[2] == "SIS User ID"
            and header[3] == "SIS Login ID" and header[4] == "Section")


def test_lms_csv_for_canvas_reads_back(runner, tmp_path):
    sample = sample_class.build(tmp_path / "canvas", {"alice": "smithalice_1201_9001_backprop.xlsx",
                                                      "bob": "jonesbob_LATE_1202_9002_backprop.xlsx",
                                                      "carol": "carol's workbook.xlsx"})
    out = tmp_path / "grades.csv"
    result = runner.invoke(main, ["check", *_files(sample), "--lms-csv", str(out)])
    assert result.exit_code == 1, result.output
    with open(out, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    header, points, *students = rows
    assert _canvas_header_ok(header) and header[5:] == ["Notes", lms.ASSIGNMENT]
    assert points[0] == "Points Possible" and points[6] == "100"
    scores = [f"{parts.total(parts.file_parts(r))[0]:g}" for r in check(_files(sample))]
    assert [(r[0], r[1], r[6]) for r in students] == [
        ("smithalice", "1201", "100"), ("jonesbob", "1202", "98.75"), ("carol's workbook.xlsx", "", scores[2]),
        ("dave.xlsx", "", "0")]
    assert students[1][5].startswith("backprop-sheet check: 98.75 of 100 points (jonesbob_LATE_1202_9002_backprop")
    assert "forward pass: 23.75/25: 38 of 40 cells right; wrong in their own formula: h1 1/5" in students[1][5]
    assert "not graded: unreadable" in students[3][5]


def test_lms_csv_for_moodle_reads_back(runner, tmp_path):
    sample = sample_class.build(tmp_path / "moodle", {
        "alice": "Alice Smith_301_assignsubmission_file_backprop.xlsx",
        "bob": "Bob Jones_302_assignsubmission_file/backprop.xlsx"})  # "download submissions in folders"
    out = tmp_path / "grades.csv"
    before = datetime.now().astimezone().replace(microsecond=0)
    result = runner.invoke(main, ["check", *_files(sample, "alice", "bob"), "--lms-csv", str(out), "--lms", "moodle"])
    assert result.exit_code == 1, result.output
    with open(out, newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))
    # Moodle's importer finds Identifier, Grade and "Last modified (grade)" by name, and a feedback column
    # anywhere but first (it skips index 0)
    assert header == list(lms.MOODLE_FIELDS) and header.index("Feedback comments") > 0
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [("Participant 301", "Alice Smith", "100", "100"),
                                                        ("Participant 302", "Bob Jones", "98.75", "100")]
    assert all(datetime.fromisoformat(r[4]) >= before for r in rows)
    assert rows[1][5].splitlines()[1].startswith("forward pass: 23.75/25")


def test_lms_student_ids_come_from_the_platforms_download_names():
    assert lms.student("dl/smithjane_12345_67890_backprop-1.xlsx") == ("smithjane", "12345")
    assert lms.student("dl/smithjane_LATE_12345_67890_hw.ods") == ("smithjane", "12345")
    assert lms.student("dl/Jane Smith_4411_assignsubmission_file_hw.xlsx") == ("Jane Smith", "4411")
    assert lms.student("dl/Jane Smith_4411_assignsubmission_file/hw.xlsx") == ("Jane Smith", "4411")
    assert lms.student("dl/right_two_sheets.xlsx") == ("right_two_sheets.xlsx", "")


# --- HTML, read as files ----------------------------------------------------------------------------------


def test_html_pages_are_self_contained_and_linked(runner, sample, tmp_path):
    out = tmp_path / "html"
    result = runner.invoke(main, ["check", *_files(sample), "--html", str(out)])
    assert result.exit_code == 1, result.output
    pages = sorted(p.name for p in out.iterdir())
    assert pages == ["alice.html", "bob.html", "carol.html", "dave.html", "index.html"]
    for page in out.iterdir():
        text = page.read_text()
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", text), page.name  # nothing fetched
        assert "@import" not in text and "url(" not in text
        for link in re.findall(r'href="([^"#]+)"', text):
            assert (out / link).exists(), (page.name, link)
    index = (out / "index.html").read_text()
    for who in ("alice", "bob", "carol", "dave"):
        assert f'<a href="{who}.html">{who}.xlsx</a>' in index
    assert "Submissions that make each mistake" in index and "Distribution of scores" in index
    bob = (out / "bob.html").read_text()
    assert "Feedback on bob.xlsx" in bob and "98.75 of 100 points" in bob
    assert "<dt>Your formula</dt><dd><code>=" in bob  # the student's formula beside the expected one
    assert "<code>h1 = w1·i1+w2·i2+b1</code>" in bob
    assert re.search(r'<td class="mark-cause"[^>]*>✗ 0\.5</td>', bob)  # the planted cell, marked with a symbol
    assert "Similar submissions" not in index  # only with --similar
    assert "unreadable" in (out / "dave.html").read_text()


def test_html_never_replaces_a_page_it_did_not_write(runner, sample, tmp_path):
    out = tmp_path / "html"
    out.mkdir()
    mine = out / "index.html"
    mine.write_text("<html>my own notes</html>")
    result = runner.invoke(main, ["check", *_files(sample), "--html", str(out)])
    assert result.exit_code == 2
    assert result.output.strip().startswith("Error: --html: ") and "is not a page backprop-sheet wrote" in result.output
    assert mine.read_text() == "<html>my own notes</html>" and sorted(out.iterdir()) == [mine]
    mine.unlink()
    for _ in range(2):  # its own pages are replaced on the next run
        assert runner.invoke(main, ["check", *_files(sample), "--html", str(out)]).exit_code == 1
    assert len(list(out.iterdir())) == 5


def test_html_page_names_are_safe_and_distinct():
    from backprop_sheet.check.html import page_names
    assert page_names(["a/alice.xlsx", "b/alice.xlsx", "c/ALICE.ods", "index.xlsx", "d/x y?.xlsx"]) == [
        "alice.html", "alice-2.html", "ALICE-3.html", "index-2.html", "x_y.html"]


# --- bad usage --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--gradescope", "results.txt"], "must end in .json"),
    (["--lms-csv", "nowhere/grades.csv"], "does not exist"),
    (["--lms-csv", "grades.csv", "--lms", "blackboard"], "'blackboard' is not one of 'canvas', 'moodle'"),
    (["--html", "nowhere/html"], "the folder above 'nowhere/html' does not exist"),
    (["--html", "notes.txt"], "is a file, not a folder"),
    (["--similar-threshold", "0.7"], "--similar-threshold needs --similar"),
    (["--similar", "--similar-threshold", "1.5"], "between 0 and 1"),
    (["--similar", "--similar-threshold", "high"], "'high' is not a number"),
    (["--json", "out.json", "--gradescope", "out.json"], "two outputs name the same file"),
])
def test_bad_report_options_exit_2_and_write_nothing(runner, sample, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(main, ["check", str(sample["alice"]), *args])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and message in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_one_bad_file_leaves_every_report_whole(runner, sample, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(main, ["check", *_files(sample), "--html", str(out / "html"), "--lms-csv",
                                  str(out / "grades.csv"), "--json", str(out / "all.json")])
    assert result.exit_code == 1
    assert "dave.xlsx: unreadable" in result.output
    assert len(list((out / "html").iterdir())) == 5
    with open(out / "grades.csv", newline="") as file:
        assert len(list(csv.reader(file))) == 2 + 4  # header, points possible, four students
    assert [f["status"] for f in json.loads((out / "all.json").read_text())["files"]] == [
        "ok", "mistakes", "mistakes", "unreadable"]
    assert not list(out.rglob(".*.tmp"))


def test_similar_goes_to_the_terminal_and_under_its_own_key_in_the_json(runner, sample, tmp_path):
    """alice, bob and carol are one generated workbook with one value changed: copies, as far as anyone can
    tell; three workbooks of other assignments are independent."""
    out = tmp_path / "all.json"
    files = [*_files(sample), *map(str, sample_class.others(tmp_path / "submissions"))]
    result = runner.invoke(main, ["check", *files, "--similar", "--json", str(out)])
    assert result.exit_code == 1, result.output
    found = json.loads(out.read_text())["similar"]
    assert set(found) == {"note", "threshold", "compared", "pairs", "groups", "left_out"}
    assert found["threshold"] == 0.5 and found["compared"] == 6  # dave is not a workbook: not compared
    assert found["groups"] == [_files(sample, "alice", "bob", "carol")]
    for pair in found["pairs"]:
        assert set(pair) == {"files", "score", "evidence"} and pair["score"] >= 0.5
        for evidence in pair["evidence"]:
            assert set(evidence) == {"kind", "what", "score", "shared", "fewest_holders", "examples"}
    assert "not a verdict" in result.output and "group: alice.xlsx, bob.xlsx, carol.xlsx" in result.output
    alone = runner.invoke(main, ["check", *_files(sample, "alice", "bob", "carol"), "--similar"])
    # three alike and nothing else: what all of a batch shares is what its assignment forces
    assert "no pair scores 0.5 or more" in alone.output
