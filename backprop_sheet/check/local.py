"""The local check: each cell recomputed from the student's own values of its inputs.

A wrong a_h2 is wrong here; the gradients that merely inherit it are right here, so the columns that
fail are the root causes. Every formula works on whole columns (numpy arrays, one entry per
iteration); `prev.q` is q of the row above.
"""

from collections.abc import Callable, Mapping

import numpy as np

from backprop_sheet.check.model import Model

RTOL = 1e-9  # relative tolerance of every comparison
ATOL = 1e-12  # absolute floor, for values near zero (gradients cross zero as training goes on)

Values = Mapping[str, np.ndarray]


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
            reference: dict[str, np.ndarray], m: Model) -> RowValues:
    """The student's columns, with any missing one filled in: trained parameters from the reference
    trajectory, every other quantity from its formula on the student's own values."""
    values = RowValues(params | student)
    for q in m.checked:
        if q not in values:
            values[q] = reference[q] if q in m.trained else m.formulas[q].f(values)
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
