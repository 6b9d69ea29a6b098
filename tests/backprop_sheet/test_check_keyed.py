"""Grading against a key: each submission against its own student's variant, another's variant named."""

import json

from backprop_sheet import handouts
from backprop_sheet.check.run import check, run
from backprop_sheet.config import SheetConfig
from backprop_sheet.exercise import write_exercise
from backprop_sheet.generate import generate

BASE = SheetConfig(iterations=8, learning_rates=(0.5, 1.0))
ROSTER = [("s1", {"name": "Ada"}), ("s2", {"name": "Bo"}), ("s3", {"name": "Cy"}), ("s4", {"name": "Di"})]


def _key(tmp_path):
    students = handouts.students(ROSTER, BASE, 5, ("weights",))
    path = tmp_path / "key.json"
    path.write_text(json.dumps(handouts.key_json(students, BASE, 5, ("weights",))))
    return path, {s.id: s.config for s in students}


def test_each_submission_is_graded_against_its_own_students_variant(tmp_path):
    key_path, configs = _key(tmp_path)
    generate(configs["s1"], tmp_path / "s1_backprop.xlsx")
    generate(configs["s3"], tmp_path / "Backprop - s2.xlsx")  # s2 handed in s3's workbook
    generate(BASE, tmp_path / "stranger.xlsx")
    files = [str(tmp_path / n) for n in ("s1_backprop.xlsx", "Backprop - s2.xlsx", "stranger.xlsx")]
    key = handouts.read_key(key_path)
    s1, s2, stranger = check(files, key=key)
    assert (s1.student, s1.status) == ("s1", "ok") and s1.student_from == "file name 's1_backprop'"
    assert s2.student == "s2" and s2.status == "mistakes"
    first = s2.root_causes[0]
    assert (first.diagnosis, first.quantity, first.cell) == ("other_students_variant", "w1", "'lr 0.5'!B19")
    assert "student s3's variant, not s2's" in first.message
    assert stranger.student is None and "no student id in its file name" in stranger.student_from
    # the same through run(): the report and the JSON list who is missing and what matched no one
    out = tmp_path / "grades.json"
    _, text = run(files, json_path=str(out), key_path=str(key_path))
    assert "students with no submission: s3, s4" in text
    assert "files that match no student of the key: " + str(tmp_path / "stranger.xlsx") in text
    data = json.loads(out.read_text())
    assert data["missing_students"] == ["s3", "s4"] and data["unmatched_files"] == [files[2]]
    assert [f["student"] for f in data["files"]] == ["s1", "s2", None]


def test_the_student_id_cell_beats_the_file_name(tmp_path):
    key_path, configs = _key(tmp_path)
    path = tmp_path / "s4.xlsx"  # named for s4, but its student_id cell says s2
    with open(path, "wb") as file:
        write_exercise(configs["s2"], file, student_id="s2")
    (result,) = check([str(path)], key=handouts.read_key(key_path))
    assert result.student == "s2" and result.student_from == "cell student_id ('Instructions'!B3)"
