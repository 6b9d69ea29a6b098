"""Named mistakes: known wrong variants of each formula, each with a stable id.

A column that fails the local check is compared with every variant of its formula; the variant that
reproduces the student's numbers names the mistake. None does: `unknown`, with expected against got.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_sheet.check.local import FORMULAS, Values, _delta_out
from backprop_sheet.network import sigmoid

# id → what it means, for reports and docs/check.md
MISTAKES = {
    "h1_w2_plus_i2": "h1 written w1*i1 + w2 + i2 (the source document's typo): the second term is w2*i2",
    "h2_w4_plus_i2": "h2 written w3*i1 + w4 + i2: the second term is w4*i2",
    "bias_missing": "the bias b1 or b2 is left out",
    "sigmoid_sign": "σ(x) written 1/(1+exp(x)): the exponent is −x",
    "wrong_hidden_activation": "built from a_h1 where a_h2 belongs, or the reverse",
    "loss_without_half": "E = (t − a)² without the ½, or gradients twice the right size",
    "sigmoid_slope_missing": "σ′ written as a instead of a·(1 − a)",
    "sequential_update": "the hidden-layer gradients use the already-updated w5..w8",
    "update_sign": "the update adds the gradient: w + η·∂E/∂w instead of w − η·∂E/∂w",
    "update_wrong_gradient": "a weight updated with another weight's gradient",
    "wrong_learning_rate": "the updates use another learning rate than the sheet's",
    "pasted_values": "later rows are numbers pasted over the formulas of the first rows",
    "unanchored_reference": "η referred to without $: filled down, later rows take other cells as the rate",
    "wrong_output_weight": "a hidden-layer gradient takes another output weight than the one from its neuron",
    "product_for_difference": "(a_o − t) written a_o*t: a product where the difference belongs",
    "operator_precedence": "parentheses left out, so a product or quotient takes fewer terms than it should",
    "unknown": "a mistake of no known kind: compare the expected and the got values",
}


# The cells below η's, row by row: the rate an update takes when its reference to η slides down with it
# (the update of iteration k + 1, row k of the table counting from 0, then reads η's row + k − 1).
DRIFT = "eta_drift"


@dataclass(frozen=True)
class Variant:
    id: str
    message: str  # what the student wrote
    inputs: tuple[str, ...]
    f: Callable[[Values], object]


def _slope(a: str) -> Callable:
    return lambda v: v[a] * (1 - v[a])


def _hidden_variants(n: int) -> list[Variant]:
    h = 1 if n <= 2 else 2
    other = 3 - h
    i = f"i{2 - n % 2}"
    w_a, w_b = ("w5", "w7") if h == 1 else ("w6", "w8")
    ins = ("a_o1", "a_o2", "t1", "t2", "w5", "w6", "w7", "w8", "a_h1", "a_h2", i, "dE_dw5", "dE_dw6",
           "dE_dw7", "dE_dw8", "eta")

    def grad(v, d1=None, d2=None, wa=None, wb=None, slope=None):
        d1 = _delta_out(1)(v) if d1 is None else d1
        d2 = _delta_out(2)(v) if d2 is None else d2
        wa = v[w_a] if wa is None else wa
        wb = v[w_b] if wb is None else wb
        slope = _slope(f"a_h{h}")(v) if slope is None else slope
        return (d1 * wa + d2 * wb) * slope * v[i]

    name = f"∂E_total/∂w{n}"
    n_a, n_b = int(w_a[1]), int(w_b[1])
    swapped = [Variant("wrong_output_weight", f"{name} uses {x} and {y} where {w_a} and {w_b} belong", ins,
                       lambda v, x=x, y=y: grad(v, wa=v[x], wb=v[y]))
               for x in ("w5", "w6", "w7", "w8") for y in ("w5", "w6", "w7", "w8") if (x, y) != (w_a, w_b)]
    return swapped + [
        Variant("product_for_difference", f"{name} uses a_o·t where (a_o − t) belongs", ins,
                lambda v: grad(v, d1=v["a_o1"] * v["t1"] * v["a_o1"] * (1 - v["a_o1"]),
                               d2=v["a_o2"] * v["t2"] * v["a_o2"] * (1 - v["a_o2"]))),
        Variant("operator_precedence", f"{name} = δ_o1·{w_a} + δ_o2·{w_b}·σ′(h{h})·{i}: the parentheses around "
                "the sum are missing, so only its last term is multiplied by σ′(h) and the input", ins,
                lambda v: _delta_out(1)(v) * v[w_a] + _delta_out(2)(v) * v[w_b] * _slope(f"a_h{h}")(v) * v[i]),
        Variant("wrong_hidden_activation", f"{name} uses a_h{other}·(1 − a_h{other}) where a_h{h}·(1 − a_h{h}) "
                "belongs", ins, lambda v: grad(v, slope=_slope(f"a_h{other}")(v))),
        Variant("loss_without_half", f"{name} is twice the right value (E written without the ½)",
                ins, lambda v: 2 * grad(v)),
        Variant("sigmoid_slope_missing", f"{name} uses a_h{h} where a_h{h}·(1 − a_h{h}) belongs",
                ins, lambda v: grad(v, slope=v[f"a_h{h}"])),
        Variant("sigmoid_slope_missing", f"{name} uses a_o where a_o·(1 − a_o) belongs",
                ins, lambda v: grad(v, d1=(v["a_o1"] - v["t1"]) * v["a_o1"], d2=(v["a_o2"] - v["t2"]) * v["a_o2"])),
        Variant("sequential_update", f"{name} uses w{n_a} and w{n_b} after this iteration's update "
                f"(w{n_a} − η·∂E/∂w{n_a}) instead of before it", ins,
                lambda v: grad(v, wa=v[w_a] - v["eta"] * v[f"dE_dw{n_a}"], wb=v[w_b] - v["eta"] * v[f"dE_dw{n_b}"])),
    ]


def _output_variants(n: int) -> list[Variant]:
    o = 1 if n <= 6 else 2
    h = 1 if n % 2 else 2
    ins = (f"a_o{o}", f"t{o}", "a_h1", "a_h2")
    name = f"∂E_total/∂w{n}"
    return [
        Variant("wrong_hidden_activation", f"{name} uses a_h{3 - h} where a_h{h} belongs", ins,
                lambda v: _delta_out(o)(v) * v[f"a_h{3 - h}"]),
        Variant("loss_without_half", f"{name} is twice the right value (E written without the ½)", ins,
                lambda v: 2 * _delta_out(o)(v) * v[f"a_h{h}"]),
        Variant("sigmoid_slope_missing", f"{name} uses a_o{o} where a_o{o}·(1 − a_o{o}) belongs", ins,
                lambda v: (v[f"a_o{o}"] - v[f"t{o}"]) * v[f"a_o{o}"] * v[f"a_h{h}"]),
        Variant("product_for_difference", f"{name} uses a_o{o}·t{o} where (a_o{o} − t{o}) belongs", ins,
                lambda v: v[f"a_o{o}"] * v[f"t{o}"] * v[f"a_o{o}"] * (1 - v[f"a_o{o}"]) * v[f"a_h{h}"]),
        Variant("operator_precedence", f"{name} = a_o{o} − t{o}·a_o{o}·(1 − a_o{o})·a_h{h}: the parentheses "
                f"around a_o{o} − t{o} are missing", ins,
                lambda v: v[f"a_o{o}"] - v[f"t{o}"] * v[f"a_o{o}"] * (1 - v[f"a_o{o}"]) * v[f"a_h{h}"]),
    ]


def _weight_variants(n: int) -> list[Variant]:
    w, g = f"prev.w{n}", f"prev.dE_dw{n}"
    variants = [Variant("update_sign", f"w{n} = w{n} + η·∂E/∂w{n}: the update must subtract", (w, g, "eta"),
                        lambda v: v[w] + v["eta"] * v[g]),
                Variant("unanchored_reference", f"w{n}'s update refers to η's cell without $ (like B1 where $B$1 belongs), so "
                        "filled down it takes the cells below η as the rate", (w, g, DRIFT),
                        lambda v: v[w] - v[DRIFT] * v[g])]
    for m in range(1, 9):
        if m != n:
            variants.append(Variant("update_wrong_gradient", f"w{n} is updated with ∂E_total/∂w{m} "
                                    f"instead of ∂E_total/∂w{n}", (w, f"prev.dE_dw{m}", "eta"),
                                    lambda v, m=m: v[w] - v["eta"] * v[f"prev.dE_dw{m}"]))
    return variants


def _bias_missing(q: str) -> Variant:
    inputs, f = FORMULAS[q]
    bias = "b1" if q.startswith("h") else "b2"
    return Variant("bias_missing", f"{q} leaves out the bias {bias}", inputs,
                   lambda v: f(v) - v[bias])


def _sigmoid_sign(q: str) -> Variant:
    z = q[2:]
    return Variant("sigmoid_sign", f"{q} = 1/(1+EXP({z})): the exponent must be −{z}", (z,),
                   lambda v: sigmoid(-v[z]))


def _sigmoid_precedence(q: str) -> Variant:
    z = q[2:]
    return Variant("operator_precedence", f"{q} = 1/1+EXP(-{z}): the parentheses around 1+EXP(-{z}) are "
                   "missing", (z,), lambda v: 1 + np.exp(-v[z]))


VARIANTS: dict[str, list[Variant]] = {
    "h1": [Variant("h1_w2_plus_i2", "h1 = w1*i1 + w2 + i2: the second term must be w2*i2",
                   ("w1", "i1", "w2", "i2", "b1"), lambda v: v["w1"] * v["i1"] + v["w2"] + v["i2"] + v["b1"]),
           _bias_missing("h1")],
    "h2": [Variant("h2_w4_plus_i2", "h2 = w3*i1 + w4 + i2: the second term must be w4*i2",
                   ("w3", "i1", "w4", "i2", "b1"), lambda v: v["w3"] * v["i1"] + v["w4"] + v["i2"] + v["b1"]),
           _bias_missing("h2")],
    "o1": [_bias_missing("o1")],
    "o2": [_bias_missing("o2")],
    **{q: [_sigmoid_sign(q), _sigmoid_precedence(q)] for q in ("a_h1", "a_h2", "a_o1", "a_o2")},
    "E1": [Variant("loss_without_half", "E1 = (t1 − a_o1)²: the loss has a factor ½", ("t1", "a_o1"),
                   lambda v: (v["t1"] - v["a_o1"]) ** 2)],
    "E2": [Variant("loss_without_half", "E2 = (t2 − a_o2)²: the loss has a factor ½", ("t2", "a_o2"),
                   lambda v: (v["t2"] - v["a_o2"]) ** 2)],
    **{f"dE_dw{n}": _hidden_variants(n) for n in range(1, 5)},
    **{f"dE_dw{n}": _output_variants(n) for n in range(5, 9)},
    **{f"w{n}": _weight_variants(n) for n in range(1, 9)},
}
