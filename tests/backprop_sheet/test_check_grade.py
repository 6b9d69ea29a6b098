"""Grading tables held in memory, without LibreOffice: local isolation, the named variants, precision."""

import numpy as np
import pytest

from backprop_sheet import network
from backprop_sheet.check.grade import grade_sheets
from backprop_sheet.check.headers import CHECKED
from backprop_sheet.check.sheets import Sheet
from backprop_sheet.config import SheetConfig

W = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)


def _sheet(columns: dict[str, np.ndarray], rate: float, formulas: bool = True, title: str = "lr") -> Sheet:
    """A sheet with 'η' in A1/B1, headers in row 3 and one row per iteration from row 4."""
    sheet = Sheet(title)
    sheet.values[(1, 1)], sheet.values[(1, 2)] = "η", rate
    for c, (q, column) in enumerate(columns.items(), start=1):
        sheet.values[(3, c)] = q
        for k, value in enumerate(column):
            sheet.values[(4 + k, c)] = float(value)
            if formulas and not (q.startswith("w") and k == 0):
                sheet.formulas[(4 + k, c)] = "=…"
    return sheet


def _trajectory(rate=0.5, rows=20, biases=(0.0, 0.0)):
    t = network.train(W, (0.05, 0.10), (0.01, 0.99), biases, [rate], rows)
    return {q: t[q][:, 0].copy() for q in CHECKED}


def _grade(columns, rate=0.5, **kw):
    return grade_sheets("x", [_sheet(columns, rate, **kw)], SheetConfig(), "default")


def test_right_table_passes():
    result = _grade(_trajectory())
    assert result.status == "ok"
    assert result.tables[0].learning_rate.value == 0.5


def test_right_table_rounded_to_six_digits_passes():
    rounded = {q: np.array([float(f"{v:.6g}") for v in col]) for q, col in _trajectory().items()}
    assert _grade(rounded, formulas=False).status == "ok"


def test_wrong_a_h2_is_the_root_cause_not_its_consequences():
    cols = _trajectory(rows=1)
    cols["a_h2"] = cols["a_h2"] + 0.01
    fwd = network.forward([cols[w][0] for w in network.WEIGHTS], (0.05, 0.10), (0.01, 0.99), (0, 0))
    # everything after a_h2 recomputed from the wrong a_h2, as the sheet's formulas would
    fwd = dict(fwd, a_h2=cols["a_h2"][0])
    for o, (wa, wb) in ((1, ("w5", "w6")), (2, ("w7", "w8"))):
        fwd[f"o{o}"] = cols[wa][0] * fwd["a_h1"] + cols[wb][0] * fwd["a_h2"]
        fwd[f"a_o{o}"] = network.sigmoid(fwd[f"o{o}"])
        fwd[f"E{o}"] = 0.5 * ((0.01, 0.99)[o - 1] - fwd[f"a_o{o}"]) ** 2
    fwd["E_total"] = fwd["E1"] + fwd["E2"]
    # the gradients by hand, from the wrong a_h2: δ_o = (a_o − t)·a_o·(1 − a_o)
    w = {n: cols[f"w{n}"][0] for n in range(1, 9)}
    d1, d2 = ((fwd[f"a_o{o}"] - t) * fwd[f"a_o{o}"] * (1 - fwd[f"a_o{o}"]) for o, t in ((1, 0.01), (2, 0.99)))
    s1, s2 = (fwd[f"a_h{h}"] * (1 - fwd[f"a_h{h}"]) for h in (1, 2))
    grads = {"dE_dw5": d1 * fwd["a_h1"], "dE_dw6": d1 * fwd["a_h2"], "dE_dw7": d2 * fwd["a_h1"],
             "dE_dw8": d2 * fwd["a_h2"], "dE_dw1": (d1 * w[5] + d2 * w[7]) * s1 * 0.05,
             "dE_dw2": (d1 * w[5] + d2 * w[7]) * s1 * 0.10, "dE_dw3": (d1 * w[6] + d2 * w[8]) * s2 * 0.05,
             "dE_dw4": (d1 * w[6] + d2 * w[8]) * s2 * 0.10}
    for q in list(fwd) + [g for g in grads if g in CHECKED]:
        if q in cols:
            cols[q] = np.array([(fwd | grads)[q]])
    result = _grade(cols)
    assert [(c.quantity, c.diagnosis, c.cell) for c in result.root_causes] == [("a_h2", "unknown", "'lr'!L4")]
    assert result.tables[0].columns["dE_dw3"].status == "wrong"  # off the reference, yet right locally


@pytest.mark.parametrize("n, other", [(6, 8), (1, 2)])
def test_update_with_another_gradient(n, other):
    cols = _trajectory(rows=3)
    cols[f"w{n}"][1] = cols[f"w{n}"][0] - 0.5 * cols[f"dE_dw{other}"][0]
    causes = _grade(cols).root_causes
    assert (causes[0].quantity, causes[0].diagnosis) == (f"w{n}", "update_wrong_gradient")
    assert causes[0].cell == f"'lr'!{'ABCDEFGH'[n - 1]}5"


def test_unknown_mistake_shows_expected_and_got():
    cols = _trajectory(rows=2)
    cols["E2"][0] += 0.001
    (cause,) = [c for c in _grade(cols).root_causes if c.quantity == "E2"]
    assert cause.diagnosis == "unknown"
    assert cause.got == pytest.approx(cause.expected + 0.001)
    assert "expected" in cause.message and "got" in cause.message


def test_error_cell_is_a_root_cause():
    cols = _trajectory(rows=2)
    sheet = _sheet(cols, 0.5)
    sheet.values[(5, 13)] = "#VALUE!"  # o1 of iteration 2 (columns: w1..w8, h1, h2, a_h1, a_h2, o1)
    result = grade_sheets("x", [sheet], SheetConfig(), "default")
    assert [(c.quantity, c.cell, c.got) for c in result.root_causes] == [("o1", "'lr'!M5", "#VALUE!")]


def test_sheet_without_table():
    sheet = Sheet("notes")
    sheet.values[(1, 1)] = "w1"
    result = grade_sheets("x", [sheet], SheetConfig(), "default")
    assert result.status == "no table"
