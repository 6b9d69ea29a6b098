"""The network a table trains, read from the table itself: widths from its headers, activations from its values.

A teacher's `--config` names the network outright. Without one, the widths come from the highest index
each kind of name reaches (h3 → 3 hidden neurons, w12 with 3 hidden and 2 outputs → 2 inputs), trained
biases from b_h/b_o columns, momentum from v_ columns, and each layer's activation from the one of
`activations.ACTIVATIONS` that turns the student's z into the student's a on most rows.
"""

import re
from dataclasses import dataclass

import numpy as np

from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.spec import DEFAULT, MAX_WIDTH, Network
from bpcore.errors import InputError

MATCH = 1e-9  # relative agreement of a = f(z) on a row
DEFAULT_MOMENTUM = 0.9  # β where velocity columns stand but neither a label nor the values tell it


@dataclass(frozen=True)
class Shape:
    spec: Network
    source: str  # "--config …", or what the table showed


def _widest(names) -> dict[str, int]:
    """The highest index of each kind of name: {'w': 12, 'h': 3, 'o': 2, 'i': 2, 't': 2, 'E': 2}."""
    widest = {}
    for name in names:
        m = re.fullmatch(r"(?:dE_d|v_)?(?:a_|b_)?([whoitE])(\d+)", name)
        if m:
            widest[m[1]] = max(widest.get(m[1], 0), int(m[2]))
    return widest


def _activation(z: list[np.ndarray], a: list[np.ndarray], fallback: str) -> str:
    """The activation that maps the z columns onto the a columns on the most rows (ties: the first listed)."""
    if not z:
        return fallback
    z_all, a_all = np.concatenate(z), np.concatenate(a)
    ok = np.isfinite(z_all) & np.isfinite(a_all)
    if not ok.any():
        return fallback
    best, best_hits = fallback, 0
    with np.errstate(all="ignore"):
        for name, act in ACTIVATIONS.items():
            hits = int(np.sum(np.abs(act.f(z_all[ok]) - a_all[ok]) <= MATCH * np.abs(a_all[ok]) + 1e-12))
            if hits > best_hits:
                best, best_hits = name, hits
    return best if best_hits * 2 >= ok.sum() else fallback


def _momentum(values: dict[str, np.ndarray], trained: list[str]) -> float | None:
    """β from v = β·v[k-1] + g: the median of (v − g)/v[k-1] over every velocity column."""
    estimates = []
    for p in trained:
        v, g = values.get(f"v_{p}"), values.get(f"dE_d{p}")
        if v is None or g is None or len(v) < 2:
            continue
        with np.errstate(all="ignore"):
            ratio = (v[1:] - g[1:]) / v[:-1]
        estimates.append(ratio[np.isfinite(ratio) & (np.abs(v[:-1]) > 1e-9)])
    if not estimates or not len(joined := np.concatenate(estimates)):
        return None
    beta = float(np.median(joined))
    return beta if 0 < beta < 1 else None


def infer(columns: dict[str, int], values: dict[str, np.ndarray], parameters: set[str],
          momentum: float | None, config_spec: Network | None, config_source: str) -> Shape:
    """The table's network. columns: its mapped quantities; values: their numbers; parameters: the
    parameter names found anywhere (i3, t2); momentum: a labelled β; config_spec: from --config."""
    if config_spec is not None:
        return Shape(config_spec, config_source)
    widest = _widest(list(columns) + list(parameters))
    hidden = widest.get("h", 0)
    n_out = max(widest.get("o", 0), widest.get("E", 0), widest.get("t", 0))
    weights = widest.get("w", 0)
    n_in = widest.get("i", 0)
    if hidden and n_out and weights and weights % hidden == 0 and weights // hidden - n_out >= 1:
        n_in = weights // hidden - n_out
    elif not hidden and n_in and n_out and weights and weights % (n_in + n_out) == 0:
        hidden = weights // (n_in + n_out)
    n_in, hidden, n_out = (min(w or d, MAX_WIDTH) for w, d in ((n_in, DEFAULT.n_in), (hidden, DEFAULT.hidden),
                                                               (n_out, DEFAULT.n_out)))
    train_biases = any(re.fullmatch(r"b_[ho]\d+", q) for q in columns)
    acts = {}
    for layer, count in (("h", hidden), ("o", n_out)):
        pairs = [(values[f"{layer}{k}"], values[f"a_{layer}{k}"]) for k in range(1, count + 1)
                 if f"{layer}{k}" in values and f"a_{layer}{k}" in values]
        acts[layer] = _activation([z for z, _ in pairs], [a for _, a in pairs], DEFAULT.hidden_activation)
    beta = 0.0
    if any(q.startswith("v_") for q in columns):
        probe = Network(n_in, hidden, n_out, acts["h"], acts["o"], train_biases)
        beta = momentum if momentum is not None and 0 < momentum < 1 else (
            _momentum(values, probe.trained) or DEFAULT_MOMENTUM)
    try:
        spec = Network(n_in, hidden, n_out, acts["h"], acts["o"], train_biases, beta)
    except InputError:
        spec = DEFAULT
    return Shape(spec, "the table's headers and values")
