"""The local check: each cell recomputed from the student's own values of its inputs.

A wrong a_h2 is wrong here; the gradients that merely inherit it are right here, so the columns that
fail are the root causes. Every formula works on whole columns (numpy arrays, one entry per
iteration); `prev.q` is q of the row above.
"""

from collections.abc import Callable, Mapping

import numpy as np

from backprop_sheet.check.headers import CHECKED
from backprop_sheet.network import sigmoid

RTOL = 1e-9  # relative tolerance of every comparison
ATOL = 1e-12  # absolute floor, for values near zero (gradients cross zero as training goes on)

Values = Mapping[str, np.ndarray]


def _delta_out(o: int) -> Callable:  # ∂E/∂o for output o: (a_o − t)·a_o·(1 − a_o)
    return lambda v: (v[f"a_o{o}"] - v[f"t{o}"]) * v[f"a_o{o}"] * (1 - v[f"a_o{o}"])


def _hidden(n: int, h: int, i: int, w_a: str, w_b: str) -> tuple[tuple[str, ...], Callable]:
    def f(v):
        upstream = _delta_out(1)(v) * v[w_a] + _delta_out(2)(v) * v[w_b]
        return upstream * v[f"a_h{h}"] * (1 - v[f"a_h{h}"]) * v[f"i{i}"]
    return ("a_o1", "a_o2", "t1", "t2", w_a, w_b, f"a_h{h}", f"i{i}"), f


def _output(o: int, h: int) -> tuple[tuple[str, ...], Callable]:
    return (f"a_o{o}", f"t{o}", f"a_h{h}"), lambda v: _delta_out(o)(v) * v[f"a_h{h}"]


def _update(n: int) -> tuple[tuple[str, ...], Callable]:
    return (f"prev.w{n}", f"prev.dE_dw{n}", "eta"), lambda v: v[f"prev.w{n}"] - v["eta"] * v[f"prev.dE_dw{n}"]


# quantity → (its inputs, its formula): the equations of docs/workbook.md, one row at a time
FORMULAS: dict[str, tuple[tuple[str, ...], Callable[[Values], np.ndarray]]] = {
    **{f"w{n}": _update(n) for n in range(1, 9)},
    "h1": (("w1", "i1", "w2", "i2", "b1"), lambda v: v["w1"] * v["i1"] + v["w2"] * v["i2"] + v["b1"]),
    "h2": (("w3", "i1", "w4", "i2", "b1"), lambda v: v["w3"] * v["i1"] + v["w4"] * v["i2"] + v["b1"]),
    "a_h1": (("h1",), lambda v: sigmoid(v["h1"])),
    "a_h2": (("h2",), lambda v: sigmoid(v["h2"])),
    "o1": (("w5", "a_h1", "w6", "a_h2", "b2"), lambda v: v["w5"] * v["a_h1"] + v["w6"] * v["a_h2"] + v["b2"]),
    "o2": (("w7", "a_h1", "w8", "a_h2", "b2"), lambda v: v["w7"] * v["a_h1"] + v["w8"] * v["a_h2"] + v["b2"]),
    "a_o1": (("o1",), lambda v: sigmoid(v["o1"])),
    "a_o2": (("o2",), lambda v: sigmoid(v["o2"])),
    "E1": (("t1", "a_o1"), lambda v: 0.5 * (v["t1"] - v["a_o1"]) ** 2),
    "E2": (("t2", "a_o2"), lambda v: 0.5 * (v["t2"] - v["a_o2"]) ** 2),
    "E_total": (("E1", "E2"), lambda v: v["E1"] + v["E2"]),
    "dE_dw1": _hidden(1, 1, 1, "w5", "w7"),
    "dE_dw2": _hidden(2, 1, 2, "w5", "w7"),
    "dE_dw3": _hidden(3, 2, 1, "w6", "w8"),
    "dE_dw4": _hidden(4, 2, 2, "w6", "w8"),
    "dE_dw5": _output(1, 1),
    "dE_dw6": _output(1, 2),
    "dE_dw7": _output(2, 1),
    "dE_dw8": _output(2, 2),
}


class RowValues(dict):
    """Column arrays by name; `prev.q` is q shifted down one row (NaN in the first)."""

    def __missing__(self, key: str) -> np.ndarray:
        if key.startswith("prev."):
            column = self[key[5:]]
            shifted = np.empty_like(column)
            shifted[0], shifted[1:] = np.nan, column[:-1]
            self[key] = shifted
            return shifted
        raise KeyError(key)


def resolve(student: dict[str, np.ndarray], params: dict[str, np.ndarray],
            reference: dict[str, np.ndarray]) -> RowValues:
    """The student's columns, with any missing one filled in: weights from the reference trajectory,
    every other quantity from its formula on the student's own values."""
    values = RowValues(params | student)
    for q in CHECKED:
        if q not in values:
            if q.startswith("w"):
                values[q] = reference[q]
            else:
                inputs, f = FORMULAS[q]
                values[q] = f(values)
    return values


def expected_and_slack(inputs: tuple[str, ...], f: Callable, values: RowValues,
                       deltas: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """f on the student's inputs, and how far rounding of those inputs can move it.

    Values a student typed or pasted with few digits (0.506875) stand for any number that rounds to
    them; each such input is moved by its half-unit, and the changes it makes to f are summed.
    """
    with np.errstate(all="ignore"):
        expected = f(values)
        slack = np.zeros_like(expected)
        for name in inputs:
            delta = deltas[name] if name.removeprefix("prev.") in deltas else None
            if delta is None or not delta.any():
                continue
            moved = RowValues(values)
            moved[name] = values[name] + delta
            slack += np.nan_to_num(np.abs(f(moved) - expected))
    return expected, slack


def agrees(got: np.ndarray, expected: np.ndarray, slack: np.ndarray, got_delta: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.abs(got - expected) <= RTOL * np.abs(expected) + ATOL + slack + got_delta


def half_unit(value: float) -> float:
    """Half a unit in the last digit a typed or pasted number shows: 0.506875 → 5e-7; 0 for full precision."""
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    digits = mantissa.lstrip("-").replace(".", "").lstrip("0")
    if len(digits) >= 15:
        return 0.0
    decimals = len(mantissa.partition(".")[2]) - int(exponent or 0)
    return 0.5 * 10.0 ** -decimals
