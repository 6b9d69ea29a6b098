"""`backprop-sheet check` end to end: exit codes, a batch with unreadable files, reports, feedback copies."""

import csv
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from backprop_sheet.cli import main
from backprop_sheet.render import pdf_pages, print_to_pdf

_spec = importlib.util.spec_from_file_location("corpus", Path(__file__).with_name("corpus.py"))
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def submissions(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    right = corpus.build(corpus.Spec("alice"), folder)
    wrong = corpus.build(corpus.Spec("bob", templates={"h1": "{w1}*{i1}+{w2}+{i2}+{b1}"}), folder)
    return folder, right, wrong


def test_class_batch_with_reports_and_feedback(runner, soffice, submissions, tmp_path):
    folder, right, wrong = submissions
    text = folder / "carol.xlsx"
    text.write_text("not a workbook")
    before = {p: _digest(p) for p in (right, wrong)}
    result = runner.invoke(main, ["check", str(right), str(wrong), str(text), str(folder / "dave.xlsx"),
                                  "--json", str(tmp_path / "grades.json"), "--csv", str(tmp_path / "grades.csv"),
                                  "--annotate", str(tmp_path / "feedback")])
    assert result.exit_code == 1, result.output
    assert "alice.xlsx: OK" in result.output
    assert "'lr 0.5'!J6 h1: h1_w2_plus_i2" in result.output
    assert "carol.xlsx: unreadable" in result.output and "dave.xlsx: unreadable: no such file" in result.output

    grades = json.loads((tmp_path / "grades.json").read_text())
    statuses = [f["status"] for f in grades["files"]]
    assert statuses == ["ok", "mistakes", "unreadable", "unreadable"]
    bob = grades["files"][1]
    assert bob["first_mistake"]["cell"] == "'lr 0.5'!J6"
    table = bob["tables"][0]
    assert table["learning_rate"] == {"value": 0.5, "source": "cell 'lr 0.5'!H3 (labelled 'η')"}
    assert table["quantities"]["h1"]["status"] == "wrong"
    assert table["quantities"]["h1"]["first_wrong"]["expected"] == pytest.approx(0.0275)
    assert table["root_causes"] == [{"quantity": "h1", "cell": "'lr 0.5'!J6", "diagnosis": "h1_w2_plus_i2",
                                     "message": table["root_causes"][0]["message"],
                                     "expected": pytest.approx(0.0275), "got": pytest.approx(0.3075)}]

    with open(tmp_path / "grades.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [r["status"] for r in rows] == statuses
    assert rows[1]["first_diagnosis"] == "h1_w2_plus_i2" and rows[0]["score"] == "95"  # right, but no chart: 5 points

    copies = sorted(p.name for p in (tmp_path / "feedback").iterdir())
    assert copies == ["alice.xlsx", "bob.xlsx"]
    wb = load_workbook(tmp_path / "feedback" / "bob.xlsx")
    assert wb.sheetnames[0] == "Feedback"
    feedback = wb["Feedback"]
    assert feedback["A1"].value == "Feedback on bob.xlsx" and "A1:F1" in feedback.merged_cells
    assert [c.value for c in feedback[4]][:4] == ["cell", "quantity", "mistake", "what went wrong"]
    assert [feedback["A5"].value, feedback["C5"].value] == ["'lr 0.5'!J6", "h1_w2_plus_i2"]
    assert "w2*i2" in feedback["D5"].value and feedback["E5"].value == pytest.approx(0.0275)
    assert wb["lr 0.5"]["J6"].fill.start_color.rgb.endswith("FF8080")
    assert wb["lr 0.5"]["J6"].value == "=B6*$D$3+C6+$E$3+0"  # the student's formula is kept
    assert {p: _digest(p) for p in (right, wrong)} == before  # the originals are untouched
    assert not list(tmp_path.glob(".*.tmp"))


def test_right_file_exits_0(runner, soffice, submissions):
    _, right, _ = submissions
    result = runner.invoke(main, ["check", str(right)])
    assert result.exit_code == 0, result.output
    assert "1 of 1 file right" in result.output


@pytest.mark.parametrize("args, message", [
    ([], "Missing argument"),
    (["--json", "grades.txt"], "must end in .json"),
    (["--csv", "nowhere/grades.csv"], "does not exist"),
    (["--config", "missing.toml"], "cannot read config file"),
])
def test_bad_usage_exits_2(runner, submissions, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    _, right, _ = submissions
    result = runner.invoke(main, ["check", *([str(right)] if args else []), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["submissions"]  # nothing written


def test_annotate_refuses_the_submissions_folder(runner, submissions):
    folder, right, _ = submissions
    before = _digest(right)
    result = runner.invoke(main, ["check", str(right), "--annotate", str(folder)])
    assert result.exit_code == 2
    assert "would overwrite" in result.output
    assert _digest(right) == before


def test_xlsm_submission_is_graded_and_annotated_as_xlsm(runner, soffice, submissions, tmp_path):
    """A macro-enabled workbook (saved as .xlsm by LibreOffice itself) is read and annotated like an .xlsx."""
    import subprocess
    _, _, wrong = submissions
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--norestore", "--convert-to", "xlsm:Calc MS Excel 2007 VBA XML", "--outdir",
                    str(tmp_path / "xlsm"), str(wrong)], check=True, capture_output=True, timeout=300)
    xlsm = tmp_path / "xlsm" / "bob.xlsm"
    before = _digest(xlsm)
    result = runner.invoke(main, ["check", str(xlsm), "--annotate", str(tmp_path / "feedback")])
    assert result.exit_code == 1, result.output
    assert "'lr 0.5'!J6 h1: h1_w2_plus_i2" in result.output
    wb = load_workbook(tmp_path / "feedback" / "bob.xlsm", keep_vba=True)
    assert wb.sheetnames[0] == "Feedback" and wb["Feedback"]["C5"].value == "h1_w2_plus_i2"
    assert _digest(xlsm) == before


def test_feedback_sheet_prints_on_one_page(runner, soffice, submissions, tmp_path):
    """Printed by LibreOffice, the Feedback sheet of a submission with a mistake is one landscape page."""
    _, _, wrong = submissions
    runner.invoke(main, ["check", str(wrong), "--annotate", str(tmp_path / "feedback")])
    (pdf,) = print_to_pdf(tmp_path / "feedback" / "bob.xlsx", ["Feedback"], tmp_path)
    pages = pdf_pages(pdf)
    assert len(pages) == 1 and pages[0][0] > pages[0][1]  # one page, landscape
