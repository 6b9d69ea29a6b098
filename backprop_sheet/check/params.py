"""The parameters a table was computed with, and where each was found.

Inputs, targets and biases: a column of the table, else a labelled cell (the label with its number to
the right or below, on the same sheet or another), else `--config`, else the assignment's defaults.
The learning rate: a labelled cell, else inferred from the weight updates, else the sheet's name.
"""

import re
from dataclasses import dataclass

import numpy as np

from backprop_sheet.check.headers import label
from backprop_sheet.check.sheets import Sheet, cell_name
from backprop_sheet.check.tables import Table


@dataclass(frozen=True)
class Found:
    value: float
    source: str  # "cell 'lr 0.5'!B1 (labelled 'η')", "weight updates", "sheet name 'lr 0.5'", "default"
    at: tuple[str, int, int] | None = None  # (sheet, row, col) of the cell it was read from, if one


@dataclass(frozen=True)
class Label:
    key: str
    sheet: str
    row: int
    col: int
    value: float
    text: str
    value_cell: tuple[int, int]

    @property
    def source(self) -> str:
        return f"cell {cell_name(self.sheet, *self.value_cell)} (labelled {self.text.strip()!r})"


def _number(value) -> float | None:
    return value if isinstance(value, float) else None


def find_labels(sheets: list[Sheet], tables: list[Table]) -> list[Label]:
    """Every labelled parameter in the workbook; table headers are columns, not labels."""
    headers = {(t.sheet, t.header_row, c) for t in tables
                for c in range(min(t.columns.values()), max(t.columns.values()) + 1)}
    labels = []
    for sheet in sheets:
        for (r, c), text in sheet.values.items():
            if not isinstance(text, str) or (sheet.title, r, c) in headers:
                continue
            found = label(text)
            if found is None:
                continue
            key, inline = found
            if inline is not None:
                labels.append(Label(key, sheet.title, r, c, inline, text, (r, c)))
                continue
            # the number to its right (a blank cell may stand between) or right below it
            for dr, dc in ((0, 1), (0, 2), (1, 0)):
                value = _number(sheet.get(r + dr, c + dc))
                if value is not None and (dc != 2 or sheet.get(r, c + 1) is None):
                    labels.append(Label(key, sheet.title, r, c, value, text, (r + dr, c + dc)))
                    break
    return labels


def _distance(table: Table, lab: Label, others: list[Table]) -> tuple | None:
    """How near a same-sheet label stands to a table (smaller is nearer); None where another table owns it."""
    if lab.sheet != table.sheet:
        return None
    for other in others:
        if other is not table and other.sheet == lab.sheet and other.header_row <= lab.row <= other.last_row:
            return None
    lo, hi = min(table.columns.values()), max(table.columns.values())
    across = 0 if lo <= lab.col <= hi else min(abs(lab.col - lo), abs(lab.col - hi))  # tables side by side
    if lab.row <= table.header_row:
        # above the header, and not above some other table that sits between
        if any(o is not table and o.sheet == table.sheet and lab.row < o.header_row < table.header_row
               and min(o.columns.values()) <= lab.col <= max(o.columns.values()) for o in others):
            return None
        return (0, across, table.header_row - lab.row)
    return (1, across, lab.row)  # beside or below the table: only if nothing stands above it


def nearest_label(key: str, table: Table, labels: list[Label], tables: list[Table]) -> Label | None:
    same = [(d, lab.col, lab) for lab in labels if lab.key == key
            and (d := _distance(table, lab, tables)) is not None]
    if same:
        return min(same, key=lambda item: item[:2])[2]
    elsewhere = [lab for lab in labels if lab.key == key and lab.sheet != table.sheet]
    if len({lab.value for lab in elsewhere}) == 1:  # one value in the workbook: no doubt which
        return elsewhere[0]
    return None


def network_parameters(keys: tuple[str, ...], table: Table, sheet: Sheet, labels: list[Label], tables: list[Table],
                       defaults: dict[str, float | Found], config_source: str) -> dict[str, Found]:
    """Each parameter's value and where it was found; a key with no value anywhere is left out."""
    found = {}
    for key in keys:
        if key in table.columns:
            value = _number(sheet.get(table.first_row, table.columns[key]))
            if value is not None:
                found[key] = Found(value, f"column {key!r}, cell {table.cell(key, 0)}")
                continue
        lab = nearest_label(key, table, labels, tables)
        if lab:
            found[key] = Found(lab.value, lab.source, (lab.sheet, *lab.value_cell))
        elif key in defaults:  # a number from --config (or the default), or a Found from the Parameters sheet
            value = defaults[key]
            found[key] = value if isinstance(value, Found) else Found(value, config_source)
    return found


AGREE = 1e-3  # estimates from values pasted to 6 digits scatter by up to ~1e-4

_RATE_WORDS = re.compile(r"η|eta|lr|l\.\s*r\.?|learning\s*rate|alpha|α|rate", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def rate_from_title(title: str) -> float | None:
    """'lr 0.5', 'L.R. 0.1', 'eta=2', '0.8' → the rate; 'Sheet1' → None."""
    numbers = _NUMBER.findall(title)
    if len(numbers) != 1:
        return None
    if _RATE_WORDS.search(title) or _NUMBER.fullmatch(title.strip()):
        return float(_NUMBER.search(title)[0])
    return None


@dataclass(frozen=True)
class Inferred:
    value: float  # the median of (w[k-1] − w[k]) / ∂E/∂w[k-1] over all weights and rows
    agreeing: float  # the share of those estimates within AGREE (relative) of it
    estimates: int


def infer_rate(values: dict[str, np.ndarray], steps: dict[str, str]) -> Inferred | None:
    """The learning rate the updates use, from the student's own parameters and their steps
    ({w1: dE_dw1, …}, or the velocities with momentum)."""
    estimates = []
    for p, s in steps.items():
        w, g = values.get(p), values.get(s)
        if w is None or g is None or len(w) < 2:
            continue
        step, grad = w[:-1] - w[1:], g[:-1]
        # only where the gradient is large enough against the weight's rounding for a clean quotient
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(step) & np.isfinite(grad) & (np.abs(grad) > 1e-7 * np.maximum(np.abs(w[:-1]), 1e-3))
        estimates.append(step[ok] / grad[ok])
    if not estimates:
        return None
    all_estimates = np.concatenate(estimates)
    if not len(all_estimates):
        return None
    median = float(np.median(all_estimates))
    agreeing = float(np.mean(np.abs(all_estimates - median) <= AGREE * abs(median) + 1e-15))
    return Inferred(median, agreeing, len(all_estimates))
