"""The rubric's score: points per part, by cells, with or without error carried forward."""

import numpy as np
import pytest

from backprop_sheet import network
from backprop_sheet.check import rubric
from backprop_sheet.check.grade import grade_sheets
from backprop_sheet.check.headers import CHECKED
from backprop_sheet.check.sheets import Sheet
from backprop_sheet.config import SheetConfig
from bpcore.errors import InputError

W = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)


def _graded(change=None):
    t = network.train(W, (0.05, 0.10), (0.01, 0.99), (0.0, 0.0), [0.5], 20)
    columns = {q: t[q][:, 0].copy() for q in CHECKED}
    if change:
        change(columns)
    sheet = Sheet("lr 0.5")
    sheet.values[(1, 1)], sheet.values[(1, 2)] = "η", 0.5
    for c, (q, column) in enumerate(columns.items(), start=1):
        sheet.values[(3, c)] = q
        for k, value in enumerate(column):
            sheet.values[(4 + k, c)] = float(value)
    return grade_sheets("x.xlsx", [sheet], SheetConfig(), "the assignment's default")


def _parts(result, **kwargs):
    return {p.name: p.score for p in rubric.score(result, rubric.Rubric(**kwargs), (0.5,))}


def test_a_one_cell_slip_costs_less_than_a_whole_column():
    def one(cols):
        cols["E_total"][3] *= -1

    def column(cols):
        cols["E_total"] *= -1
    right, slip, whole = (_parts(_graded(c)) for c in (None, one, column))
    assert right == {"forward pass": 25.0, "loss": 15.0, "gradients": 30.0, "updates": 20.0, "sheets": 5.0,
                     "charts": 0.0}
    assert slip["loss"] == pytest.approx(15 * 59 / 60, abs=0.01)  # E1, E2, E_total: 60 cells, one wrong
    assert whole["loss"] == pytest.approx(15 * 40 / 60, abs=0.01)
    assert {k: v for k, v in slip.items() if k != "loss"} == {k: v for k, v in right.items() if k != "loss"}


def test_rubric_files_are_validated(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('error_carried_forward = false\n[points]\n"forward pass" = 50\nloss = 50\n')
    r = rubric.load_rubric(path)
    assert r.points == {"forward pass": 50.0, "loss": 50.0} and not r.error_carried_forward and r.total == 100
    for text, message in (("[points]\nhomework = 3\n", "unknown part 'homework'"),
                          ("[points]\nloss = -1\n", "must be a number ≥ 0"), ("colour = 1\n", "unknown key"),
                          ("[points]\nloss = 0\n", "more than 0"), ("[points", "not valid TOML")):
        path.write_text(text)
        with pytest.raises(InputError, match=message):
            rubric.load_rubric(path)


def test_missing_rates_and_charts_score_their_share():
    result = _graded()
    parts = {p.name: p for p in rubric.score(result, rubric.Rubric(), (0.5, 1.0))}
    assert parts["sheets"].score == 2.5 and "none for η = 1" in parts["sheets"].output
    plots = {"lr 0.5": {("lr 0.5", "S", 4, 23)}}  # E_total is column S
    charted = {p.name: p.score for p in rubric.score(result, rubric.Rubric(), (0.5,), plots)}
    assert charted["charts"] == 5.0
    assert np.isclose(rubric.total(rubric.score(result, rubric.Rubric(), (0.5,), plots)), 100)
