"""One forward and backward pass typed as labelled values, down a column or along a row, graded as one iteration."""

import pytest
from openpyxl import Workbook

from backprop_sheet import network
from backprop_sheet.check.run import check

WEIGHTS = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)
# The labels as students write them: a name, often with its equation.
LABELS = {"i1": "i1", "i2": "i2", "t1": "t1", "t2": "t2", **{f"w{n}": f"w{n}" for n in range(1, 9)},
          "h1": "h1=w1*i1+w2*i2", "h2": "h2=w3*i1+w4*i2", "a_h1": "a_h1 = σ(h1)", "a_h2": "a_h2 = σ(h2)",
          "o1": "o1=w5*a_h1+w6*a_h2", "o2": "o2=w7*a_h1+w8*a_h2", "a_o1": "a_o1", "a_o2": "a_o2",
          "E1": "E1 = ½(t1-a_o1)²", "E2": "E2 = ½(t2-a_o2)²", "E_total": "E_total = E1 + E2",
          **{f"dE_dw{n}": f"∂E/∂w{n}" for n in range(1, 9)}}


def one_pass(h1_typo: bool = False) -> dict[str, float]:
    """Iteration 1 of the default network, as a student computes it (with the source's typo if asked)."""
    p = dict(zip(("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"), WEIGHTS))
    values = {"i1": 0.05, "i2": 0.10, "t1": 0.01, "t2": 0.99, **p}
    if not h1_typo:
        run = network.train(WEIGHTS, (0.05, 0.10), (0.01, 0.99), (0.0, 0.0), [0.5], 1)
        return values | {q: float(run[q][0, 0]) for q in network.FORWARD + network.GRADIENTS}
    # h1 = w1*i1 + w2 + i2, and everything after it computed from that h1
    values["h1"] = p["w1"] * 0.05 + p["w2"] + 0.10
    values["h2"] = p["w3"] * 0.05 + p["w4"] * 0.10
    a = {k: 1 / (1 + network.np.exp(-values[k])) for k in ("h1", "h2")}
    values["a_h1"], values["a_h2"] = a["h1"], a["h2"]
    values["o1"] = p["w5"] * a["h1"] + p["w6"] * a["h2"]
    values["o2"] = p["w7"] * a["h1"] + p["w8"] * a["h2"]
    values["a_o1"], values["a_o2"] = (1 / (1 + network.np.exp(-values[k])) for k in ("o1", "o2"))
    values["E1"], values["E2"] = 0.5 * (0.01 - values["a_o1"]) ** 2, 0.5 * (0.99 - values["a_o2"]) ** 2
    values["E_total"] = values["E1"] + values["E2"]
    d1 = (values["a_o1"] - 0.01) * values["a_o1"] * (1 - values["a_o1"])
    d2 = (values["a_o2"] - 0.99) * values["a_o2"] * (1 - values["a_o2"])
    for n, (o_delta, a_h) in zip((5, 6, 7, 8), ((d1, "a_h1"), (d1, "a_h2"), (d2, "a_h1"), (d2, "a_h2"))):
        values[f"dE_dw{n}"] = o_delta * values[a_h]
    for n, (h, wa, wb, i) in zip((1, 2, 3, 4), (("a_h1", "w5", "w7", "i1"), ("a_h1", "w5", "w7", "i2"),
                                                ("a_h2", "w6", "w8", "i1"), ("a_h2", "w6", "w8", "i2"))):
        values[f"dE_dw{n}"] = (d1 * p[wa] + d2 * p[wb]) * values[h] * (1 - values[h]) * values[i]
    return values


def write(path, values: dict[str, float], orientation: str, digits: int = 4) -> dict[str, str]:
    """The pairs from B3 on, typed to `digits` significant digits; returns each quantity's value cell."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Backprop"
    ws["A1"] = "One forward and backward pass by hand"
    cells = {}
    for k, (q, label) in enumerate(LABELS.items()):
        if orientation == "column":
            label_cell, value_cell = ws.cell(3 + k, 2), ws.cell(3 + k, 3)
        else:
            label_cell, value_cell = ws.cell(3, 2 + k), ws.cell(4, 2 + k)
        label_cell.value = label
        value_cell.value = float(f"{values[q]:.{digits}g}")
        cells[q] = f"'Backprop'!{value_cell.coordinate}"
    wb.save(path)
    return cells


@pytest.mark.parametrize("orientation", ["column", "row"])
def test_a_right_one_pass_is_graded_right(tmp_path, orientation):
    path = tmp_path / f"right_{orientation}.xlsx"
    write(path, one_pass(), orientation)
    (result,) = check([str(path)])
    assert result.status == "ok", [c.as_dict() for c in result.root_causes]
    (table,) = result.tables
    assert table.table.rows == 1 and table.table.missing == []
    assert len(LABELS) == 31
    assert table.table.where == ("'Backprop'!B3:C33" if orientation == "column" else "'Backprop'!B3:AF4")
    assert result.values_from.startswith("values as saved")


@pytest.mark.parametrize("orientation", ["column", "row"])
def test_the_h1_typo_in_one_pass_is_named_at_its_cell(tmp_path, orientation):
    path = tmp_path / f"typo_{orientation}.xlsx"
    cells = write(path, one_pass(h1_typo=True), orientation)
    (result,) = check([str(path)])
    assert [(c.quantity, c.diagnosis, c.cell) for c in result.root_causes] == [
        ("h1", "h1_w2_plus_i2", cells["h1"])]


def test_a_sheet_with_a_table_is_not_read_as_one_pass(tmp_path):
    from backprop_sheet.config import SheetConfig
    from backprop_sheet.generate import generate
    path = tmp_path / "ours.xlsx"
    generate(SheetConfig(learning_rates=(0.5,), iterations=3), path)
    (result,) = check([str(path)])
    assert [t.table.rows for t in result.tables] == [3]
