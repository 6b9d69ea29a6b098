"""The activation functions a layer may use, each beside its derivative: in numpy and as a spreadsheet formula.

A formula template names the neuron's input as `{z}` and its output as `{a}`; the layout fills in the
columns. Only functions that Excel, LibreOffice and Gnumeric all know are used (EXP, TANH, MAX, IF).
The derivative at a kink follows PyTorch: relu'(0) = 0, leaky_relu'(0) = 0.01.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01  # leaky_relu's slope for z ≤ 0 (torch.nn.functional.leaky_relu's default)


@dataclass(frozen=True)
class Activation:
    name: str
    symbol: str  # how the Derivation sheet writes a = f(z)
    f: Callable  # numpy: a = f(z)
    df: Callable  # numpy: ∂a/∂z = df(a, z)
    formula: str  # a in terms of {z}
    derivative: str  # ∂a/∂z in terms of {a} and/or {z}; safe inside a product (parenthesised where needed)
    derivative_symbol: str  # how the Derivation sheet writes ∂a/∂z


def sigmoid(z):
    with np.errstate(over="ignore"):  # exp(-z) = inf for z ≪ 0 gives σ = 0, which is right
        return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS = {a.name: a for a in (
    Activation("sigmoid", "σ(z) = 1/(1 + e^(−z))", sigmoid, lambda a, z: a * (1 - a),
               "1/(1+EXP(-{z}))", "{a}*(1-{a})", "a·(1 − a)"),
    Activation("tanh", "tanh(z)", np.tanh, lambda a, z: 1 - a ** 2,
               "TANH({z})", "(1-{a}^2)", "1 − a²"),
    Activation("relu", "max(0, z)", lambda z: np.maximum(0.0, z), lambda a, z: np.where(z > 0, 1.0, 0.0),
               "MAX(0,{z})", "IF({z}>0,1,0)", "1 if z > 0, else 0"),
    Activation("leaky_relu", f"z if z > 0, else {LEAKY_SLOPE:g}·z",
               lambda z: np.where(z > 0, z, LEAKY_SLOPE * z), lambda a, z: np.where(z > 0, 1.0, LEAKY_SLOPE),
               f"IF({{z}}>0,{{z}},{LEAKY_SLOPE:g}*{{z}})", f"IF({{z}}>0,1,{LEAKY_SLOPE:g})",
               f"1 if z > 0, else {LEAKY_SLOPE:g}"),
    Activation("linear", "z", lambda z: z, lambda a, z: np.ones_like(z), "{z}", "1", "1"),
)}

# Softmax is no elementwise activation: a_k = e^(o_k) / Σ_j e^(o_j) depends on every output. It is the
# output of cross-entropy alone, where ∂E/∂o_k = a_k − t_k needs no ∂a/∂o (docs/workbook.md, "Losses").
SOFTMAX = "softmax"


def softmax(outputs: list):
    """[a_1, …] from [o_1, …], each an array: e^o / (e^o_1 + e^o_2 + …), summed left to right as the sheet does."""
    with np.errstate(over="ignore"):  # e^o = inf is found and refused as an overflow (reference.py)
        exps = [np.exp(o) for o in outputs]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    return [e / total for e in exps]
