"""Starter workbooks: the cells to compute left empty and shaded, the rest as `generate` writes it."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from backprop_sheet import layout as L
from backprop_sheet.check.run import check
from backprop_sheet.config import SheetConfig
from backprop_sheet.exercise import STUDENT_ID, TO_FILL, blank_keys, write_exercise

CONFIGS = [SheetConfig(iterations=6, learning_rates=(0.5, 1.0)),
           SheetConfig(iterations=5, hidden=3, hidden_activation="relu", train_biases=True, biases=(0.1, 0.1),
                       momentum=0.9, learning_rates=(0.1,))]


def _exercise(config, **kwargs):
    buffer = io.BytesIO()
    write_exercise(config, buffer, **kwargs)
    buffer.seek(0)
    return load_workbook(buffer)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.spec.describe())
@pytest.mark.parametrize("blank", ["all", "forward", "backward", "updates"])
def test_the_cells_to_fill_are_empty_and_shaded_and_the_rest_is_kept(config, blank):
    wb = _exercise(config, blank=blank, student_id="s7")
    spec = config.spec
    assert wb.sheetnames == ["Instructions", "Parameters", *(L.rate_sheet_title(r) for r in config.learning_rates)]
    assert wb.defined_names[STUDENT_ID].attr_text == "'Instructions'!$B$3" and wb["Instructions"]["B3"].value == "s7"
    keys = blank_keys(config, blank)
    assert keys and set(keys) <= {c.key for c in L.columns(spec)}
    for k, rate in enumerate(config.learning_rates):
        ws = wb[L.rate_sheet_title(rate)]
        assert ws.cell(*L.RATE_CELL).value == f"={L.rate_name(k)}"
        for it in range(1, config.iterations + 1):
            row = L.data_row(it)
            assert ws.cell(row, 1).value == it
            for c in L.columns(spec)[1:]:
                cell = ws.cell(row, L.col(c.key, spec))
                if c.key in spec.trained and it == 1:
                    assert cell.value == config.weights[spec.trained.index(c.key)] if c.key.startswith("w") else \
                        isinstance(cell.value, float)
                elif c.key in keys:
                    assert cell.value is None and cell.fill.fgColor.rgb.endswith(TO_FILL.fgColor.rgb[-6:])
                else:  # kept: the generator's own formula
                    assert cell.value == L.formula(c, L.rate_name(k), it, spec)


def test_blank_modes_split_the_columns():
    config = CONFIGS[1]
    parts = {b: set(blank_keys(config, b)) for b in ("forward", "backward", "updates")}
    assert parts["forward"] >= {"h1", "a_h3", "o2", "E_total"} and "w1" not in parts["forward"]
    assert parts["backward"] == {f"dE_d{p}" for p in config.spec.trained}
    assert parts["updates"] >= {"w1", "b_o2", "v_w12"}
    assert set(blank_keys(config, "all")) == parts["forward"] | parts["backward"] | parts["updates"]


def test_hints_put_each_equation_in_a_comment():
    wb = _exercise(CONFIGS[0], hints=True)
    ws = wb[L.rate_sheet_title(0.5)]
    assert ws.cell(L.data_row(1), L.col("h1", CONFIGS[0].spec)).comment.text == "h1 = w1·i1+w2·i2+b1"
    assert _exercise(CONFIGS[0])[L.rate_sheet_title(0.5)].cell(L.data_row(1), 10).comment is None


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.spec.describe())
def test_an_exercise_filled_in_right_passes_check_and_one_slip_is_found(tmp_path, soffice, config):
    spec = config.spec
    paths = []
    for name, slip in (("right", None), ("slip", "h2")):
        wb = _exercise(config)
        for k in range(len(config.learning_rates)):
            ws = wb[L.rate_sheet_title(config.learning_rates[k])]
            for it in range(1, config.iterations + 1):
                for c in L.columns(spec)[1:]:
                    cell = ws.cell(L.data_row(it), L.col(c.key, spec))
                    if cell.value is None:  # what the student types: the layout's formula
                        cell.value = L.formula(c, L.rate_name(k), it, spec)
                        if c.key == slip:
                            cell.value = cell.value.replace("+", "-", 1)
        path = tmp_path / f"{name}.xlsx"
        wb.save(path)
        paths.append(path)
    right, slip = check([str(p) for p in paths])
    assert right.status == "ok", [c.as_dict() for c in right.root_causes]
    assert {t.network for t in right.tables} == {spec}
    assert slip.status == "mistakes"
    first = slip.tables[0].root_causes[0]
    assert (first.quantity, first.cell) == ("h2", (f"'{L.rate_sheet_title(config.learning_rates[0])}'!"
                                                  f"{L.letter('h2', spec)}{L.data_row(1)}"))
    assert Path(right.path).exists()


def _fill(wb, config):
    """What a student does: every empty cell of every rate sheet gets the layout's formula."""
    spec = config.spec
    for k in range(len(config.learning_rates)):
        ws = wb[L.rate_sheet_title(config.learning_rates[k])]
        for it in range(1, config.iterations + 1):
            for c in L.columns(spec)[1:]:
                cell = ws.cell(L.data_row(it), L.col(c.key, spec))
                if cell.value is None:
                    cell.value = L.formula(c, L.rate_name(k), it, spec)


def test_the_teachers_loop_handouts_then_keyed_grading(tmp_path, soffice):
    from backprop_sheet import handouts
    from backprop_sheet.exercise import write_handouts
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\ns1,Ada\ns2,Bo\ns3,Cy\ns4,Di\n", encoding="utf-8")
    base = SheetConfig(iterations=6, learning_rates=(0.5, 1.0))
    written = write_handouts(base, roster, tmp_path / "handouts", 11, "weights,rates")
    assert [p.name for p in written] == ["s1.xlsx", "s2.xlsx", "s3.xlsx", "s4.xlsx", "key.json"]
    key = handouts.read_key(written[-1])
    assert len({c.weights for c in key.values()}) == 4 and len({c.learning_rates for c in key.values()}) == 4
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    for sid in ("s1", "s2"):
        wb = load_workbook(tmp_path / "handouts" / f"{sid}.xlsx")
        _fill(wb, key[sid])
        wb.save(submitted / f"{sid}.xlsx")
    copied = load_workbook(submitted / "s1.xlsx")  # s3 hands in s1's work with its own id typed over s1's
    copied["Instructions"]["B3"] = "s3"
    copied.save(submitted / "s3_copy.xlsx")
    results = check([str(submitted / n) for n in ("s1.xlsx", "s2.xlsx", "s3_copy.xlsx")], key=key)
    s1, s2, s3 = results
    assert [r.student for r in results] == ["s1", "s2", "s3"]
    assert s1.status == s2.status == "ok", [c.as_dict() for c in s1.root_causes + s2.root_causes]
    assert [t.learning_rate.value for t in s2.tables] == list(key["s2"].learning_rates)
    assert s3.root_causes[0].diagnosis == "other_students_variant" and "student s1's variant" in s3.root_causes[0].message
    from backprop_sheet.check import keyed
    assert keyed.unmatched(results, list(key)) == ([], ["s4"])


def test_exercise_and_key_from_the_command_line(runner, tmp_path, monkeypatch):
    from backprop_sheet.cli import main
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.csv").write_text("student_id,email\na1,a@x\nb2,b@x\n", encoding="utf-8")
    result = runner.invoke(main, ["exercise", "--roster", "roster.csv", "--out-dir", "handouts", "--iterations", "5",
                                  "--lr", "0.5", "--hidden", "3", "--blank", "backward", "--hints"])
    assert result.exit_code == 0, result.output
    assert result.output == "wrote 2 handouts and handouts/key.json\n"
    ws = load_workbook(tmp_path / "handouts" / "b2.xlsx")["lr 0.5"]
    assert ws.cell(L.data_row(2), L.col("dE_dw1", SheetConfig(hidden=3).spec)).value is None
    solution = runner.invoke(main, ["generate", "--key", "handouts/key.json", "--student", "b2", "--out", "b2.xlsx"])
    assert solution.exit_code == 0, solution.output
    (tmp_path / "rubric.toml").write_text("[points]\ngradients = 60\nupdates = 40\n", encoding="utf-8")
    graded = runner.invoke(main, ["check", "b2.xlsx", "--key", "handouts/key.json", "--rubric", "rubric.toml"])
    assert graded.exit_code == 0, graded.output
    assert graded.output.startswith("b2.xlsx: OK, score 100/100 (")
    assert "  student: b2 (cell student_id ('Parameters'!" in graded.output
    assert "students with no submission: a1" in graded.output
    mine = tmp_path / "mine.xlsx"
    mine.write_bytes(b"a student's own file")
    for args, message in ((["exercise", "--out", "mine.xlsx"], "is not a handout backprop-sheet wrote"),
                          (["exercise", "--roster", "roster.csv"], "--roster needs --out-dir"),
                          (["exercise", "--out-dir", "x"], "--out-dir goes with --roster"),
                          (["exercise", "--roster", "roster.csv", "--out-dir", "new", "--vary", "colours"],
                           "--vary: colours is not one of"),
                          (["generate", "--key", "handouts/key.json", "--student", "zz"], "'zz' is not in"),
                          (["check", "b2.xlsx", "--rubric", "nope.toml"], "cannot read rubric")):
        bad = runner.invoke(main, args)
        assert bad.exit_code == 2 and bad.output.count("\n") == 1 and message in bad.output, (args, bad.output)
    assert mine.read_bytes() == b"a student's own file" and not (tmp_path / "new").exists()
