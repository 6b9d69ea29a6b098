"""What a table of a given network must hold: its quantities, its parameters, and each quantity's formula.

Everything is read from `layout.columns(spec)`, the table the generator writes its formulas from: the
templates are parsed (`formula.py`) and compiled into numpy functions of whole columns, so that any
network the generator makes is graded by the same formulas it was written with.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from backprop_sheet import layout
from backprop_sheet.formula import compile_expression, parse, references
from backprop_sheet.spec import DEFAULT, Network


@dataclass(frozen=True)
class Formula:
    key: str  # the quantity it computes
    text: str  # the template, rows after the first
    first: str  # the template of iteration 1 ("" where the student chooses it: initial weights)
    inputs: tuple[str, ...]  # the values it reads: keys, `prev.` keys, parameters, "eta"
    f: Callable  # values → array (one entry per row)


def _keys(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(("prev." if r.prev else "") + r.key for r in references(parse(text))))


def compiled(key: str, text: str, first: str = "") -> Formula:
    rest = compile_expression(parse(text))
    start = compile_expression(parse(first)) if first else None

    def f(v):
        value = rest(v)
        if start is not None and value.ndim and len(value):
            try:
                value = value.copy()
                value[0] = np.broadcast_to(start(v), value.shape)[0]
            except KeyError:  # iteration 1 reads a value the table does not hold: leave it unchecked
                value[0] = np.nan
        return value
    return Formula(key, text, first, _keys(text), f)


_INIT = re.compile(r"\{\w+_init\}")


@dataclass(frozen=True)
class Model:
    spec: Network
    checked: tuple[str, ...]  # the quantities a table is checked on, in the order a row computes them
    parameters: tuple[str, ...]  # the values that are not columns: inputs, targets, fixed biases, β
    formulas: dict[str, Formula]
    trained: tuple[str, ...]  # the quantities each iteration updates (their first row is the student's)

    def step(self, p: str) -> str:
        """The quantity an update of p subtracts: its velocity with momentum, else its gradient."""
        return f"v_{p}" if self.spec.with_velocity else f"dE_d{p}"

    def layer_of(self, q: str) -> str:
        """'input', 'hidden', 'output' or 'target' for a neuron-level name (i2, a_h1, o2, t1); '' otherwise."""
        bare = re.sub(r"_s\d+$", "", q).removeprefix("a_")
        if bare in self.spec.inputs:
            return "input"
        if bare in self.spec.hidden_neurons:
            return "hidden"
        if bare in self.spec.output_neurons:
            return "output"
        return "target" if q in self.spec.targets else ""


@cache
def model(spec: Network = DEFAULT) -> Model:
    columns = [c for c in layout.columns(spec) if c.key != "iteration"]
    formulas = {}
    for c in columns:
        first = c.first if c.first and not _INIT.search(c.first) else ""
        formulas[c.key] = compiled(c.key, c.template(False), first)
    params = [p.key for p in layout.parameters(spec) if not p.key.endswith("_init")]
    return Model(spec, tuple(c.key for c in columns), tuple(params), formulas, tuple(spec.trained))
