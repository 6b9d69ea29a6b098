"""The docs' tables (docs/workbook.md), made from the layout and the reference so that they cannot drift."""

import numpy as np

from backprop_sheet import layout as L
from backprop_sheet.config import SheetConfig, from_mapping
from backprop_sheet.plot import e_total_curves
from backprop_sheet.presets import preset
from backprop_sheet.spec import DEFAULT, Network


def columns_table(spec: Network = DEFAULT) -> str:
    """The columns of a learning-rate sheet (of the default network unless told)."""
    lines = ["| column | header | equation (row k) | formula in the sheet (iteration 2, η = eta_1) |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | `{c}` | `{d}` |" for a, b, c, d in L.column_docs(L.rate_name(0), spec)]
    return "\n".join(lines)


def e_total_table(config: SheetConfig) -> str:
    """E_total at the first and the last iteration for each learning rate."""
    e_total = e_total_curves(config)
    lines = [f"| η | E_total at iteration 1 | E_total at iteration {config.iterations} |", "| ---: | ---: | ---: |"]
    lines += [f"| {rate:g} | {e_total[0, k]:.9f} | {e_total[-1, k]:.9f} |"
              for k, rate in enumerate(config.learning_rates)]
    return "\n".join(lines)


# XOR with each optimizer, at a rate that suits it (docs/workbook.md, "Optimizers compared").
XOR_OPTIMIZERS = {"SGD, η = 10": {"learning_rates": [10]},
                  "SGD with momentum 0.9, η = 1": {"learning_rates": [1], "momentum": 0.9},
                  "Adam, η = 0.05": {"learning_rates": [0.05], "optimizer": "adam"},
                  "RMSprop, η = 0.05": {"learning_rates": [0.05], "optimizer": "rmsprop"}}
LEARNED = 0.01  # E_total below which XOR counts as learned: every a_o1 within about 0.14 of its target


def optimizer_curves(iterations: int = 1000) -> dict[str, np.ndarray]:
    """E_total of the XOR preset under each of XOR_OPTIMIZERS: {label: array (iterations,)}."""
    base = preset("xor") | {"iterations": iterations}
    return {label: e_total_curves(from_mapping(base | change))[:, 0] for label, change in XOR_OPTIMIZERS.items()}


def optimizers_table(iterations: int = 1000) -> str:
    """For each optimizer: the first iteration with E_total < LEARNED, and E_total at the last."""
    lines = [f"| optimizer | first iteration with E_total < {LEARNED:g} | E_total at iteration {iterations:,} |",
             "| --- | ---: | ---: |"]
    for label, e_total in optimizer_curves(iterations).items():
        below = np.flatnonzero(e_total < LEARNED)
        first = f"{below[0] + 1:,}" if below.size else "—"
        lines.append(f"| {label} | {first} | {e_total[-1]:.3g} |")
    return "\n".join(lines)


def _kind(**values) -> Network:
    return from_mapping(values).spec


# One column of each new kind: (what it shows, the network, the column's key).
KIND_EXAMPLES = (
    ("softmax output (cross-entropy, 3 outputs)", {"loss": "cross_entropy", "targets": [0, 1, 0]}, "a_o1"),
    ("cross-entropy error", {"loss": "cross_entropy", "targets": [0, 1, 0]}, "E1"),
    ("binary cross-entropy (1 output)", {"loss": "cross_entropy", "targets": [1]}, "E1"),
    ("∂E/∂o = a − t (cross-entropy, one layer)", {"loss": "cross_entropy", "targets": [0, 1, 0]}, "dE_dw7"),
    ("E_total, mean over 4 samples", {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[0], [1], [1], [0]]},
     "E_total"),
    ("sample 2's hidden neuron", {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[0], [1], [1], [0]]},
     "h1_s2"),
    ("∂E/∂z of an output (mse)", {"hidden": [3, 2]}, "dE_do1"),
    ("∂E/∂z of a hidden neuron, layer 1 of 2", {"hidden": [3, 2]}, "dE_dh1"),
    ("gradient, one sample, 2 layers", {"hidden": [3, 2]}, "dE_dw1"),
    ("gradient, mean over 4 samples", {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[0], [1], [1], [0]]},
     "dE_dw1"),
    ("SGD with weight decay", {"weight_decay": 0.01}, "w1"),
    ("Nesterov momentum", {"momentum": 0.9, "nesterov": True}, "w1"),
    ("Adam's first moment", {"optimizer": "adam"}, "m_w1"),
    ("Adam's second moment", {"optimizer": "adam"}, "s_w1"),
    ("Adam's step", {"optimizer": "adam"}, "w1"),
    ("RMSprop's mean square", {"optimizer": "rmsprop"}, "s_w1"),
    ("RMSprop's step", {"optimizer": "rmsprop"}, "w1"),
)


def kinds_table() -> str:
    """One column of each new kind: its header, its equation and its formula at iteration 2."""
    lines = ["| what | network | column | equation (row k) | formula (iteration 2, η = eta_1) |",
             "| --- | --- | --- | --- | --- |"]
    for what, values, key in KIND_EXAMPLES:
        spec = _kind(**values)
        column = L.column_index(spec)[key]
        lines.append(f"| {what} | {spec.describe()} | {column.header} | `{L.symbolic(column.template(False), spec)}` "
                     f"| `{L.formula(column, L.rate_name(0), 2, spec)}` |")
    return "\n".join(lines)
