"""The numpy reference for a whole workbook: every cell's value, and where a spreadsheet would overflow.

The workbook stores these values as its cached results, `verify` compares a recalculation with them,
and `generate` refuses a network whose trajectory a spreadsheet cannot compute (EXP past its range).
"""

import re

import numpy as np

from backprop_sheet import layout as L
from backprop_sheet import network
from backprop_sheet.config import InputError, SheetConfig
from backprop_sheet.spec import Network

EXP_LIMIT = 709.78  # EXP(x) is past the largest double (1.8E+308) for x > 709.782…: #NUM! in every engine


def train(weights, inputs, targets, biases, learning_rates, iterations: int, spec: Network | None = None,
          velocity: bool | None = None) -> dict[str, np.ndarray]:
    """network.train: every quantity as a flat (iterations, R) array (filled in place, row by row)."""
    return network.train(weights, inputs, targets, biases, learning_rates, iterations, spec=spec, velocity=velocity)


def of_config(config: SheetConfig) -> dict[str, np.ndarray]:
    return train(config.weights, config.inputs, config.targets, config.biases, config.learning_rates,
                 config.iterations, spec=config.spec)


def parameter_values(config: SheetConfig) -> dict[str, float]:
    """Parameter key (layout.parameters(spec)) → value."""
    spec = config.spec
    values = {}
    for sfx, inputs, targets in zip(spec.suffixes, config.sample_inputs, config.sample_targets):
        values |= {i + sfx: v for i, v in zip(spec.inputs, inputs)} | {t + sfx: v for t, v in zip(spec.targets, targets)}
    values |= {f"{w}_init": value for w, value in zip(spec.weights.values(), config.weights)}
    if spec.train_biases:
        values |= {f"{b}_init": value for b, value in spec.initial_biases(config.biases).items()}
    else:
        values |= dict(zip(spec.fixed_biases, config.biases))
    hyper = {"momentum": config.momentum, "weight_decay": config.weight_decay, "beta1": config.betas[0],
             "beta2": config.betas[1], "eps": config.eps, "alpha": config.alpha}
    return values | {p.key: hyper[p.key] for p in L.listed_parameters(spec) if p.key in hyper}


def value(trajectory: dict[str, np.ndarray], params: dict[str, float], rates, quantity: str,
          rate: int, iteration: int) -> float:
    """One reference value: a trajectory quantity, a parameter, a learning rate or the iteration number."""
    if quantity == "eta":
        return float(rates[rate])
    if quantity == "iteration":
        return iteration
    if quantity in params:
        return float(params[quantity])
    return float(trajectory[quantity][iteration - 1, rate])


_EXP = re.compile(r"EXP\((-?)\{(\w+)\}\)")  # EXP(-{z}) or EXP({z})
_LN = re.compile(r"LN\((1-)?\{(\w+)\}\)")  # LN({a}) or LN(1-{a})


def _checks(column, trajectory: dict[str, np.ndarray], index_of) -> list[tuple]:
    """(where it errs, what, the quantity shown, why) for each way this column's formula can fail."""
    template = column.template(False)
    checks = []  # the particular causes first: they name the argument, where the value would say only NaN
    for sign, z in _EXP.findall(template):
        argument = -trajectory[z] if sign else trajectory[z]
        checks.append((argument > EXP_LIMIT, f"EXP({sign}{index_of[z].header}) overflows", z,
                       f"EXP of more than {EXP_LIMIT} is #NUM!"))
    for one_minus, a in _LN.findall(template):
        argument = 1 - trajectory[a] if one_minus else trajectory[a]
        checks.append((~(argument > 0), f"LN({one_minus}{index_of[a].header}) is of 0 or less", a,
                       "LN of 0 or less is #NUM!"))
    return checks + [(~np.isfinite(trajectory[column.key]), f"{column.header} is not a finite number",
                      column.key, "numbers past ±1.8E+308 are #NUM!")]


def first_overflow(trajectory: dict[str, np.ndarray], learning_rates, spec: Network) -> str | None:
    """Where a spreadsheet would first show an error cell for this trajectory, or None.

    An EXP column errs when its argument passes EXP_LIMIT, an LN column when its argument is 0 or less
    (a probability rounded to 0 or 1), any column when its value is not a finite double.
    The first is the earliest iteration, then the leftmost column, then the first rate.
    """
    found, index_of = [], L.column_index(spec)
    for index, column in enumerate(L.columns(spec)):
        if column.key not in trajectory:
            continue
        for bad, what, key, why in _checks(column, trajectory, index_of):
            if bad.any():
                n, k = np.argwhere(bad)[0]
                found.append((n, index, k, what, key, why))
    if not found:
        return None
    n, _, k, what, key, why = min(found, key=lambda f: f[:3])
    shown = trajectory[key][n, k]
    # Iteration 1 uses the initial weights alone, so there every rate fails alike.
    where = ("iteration 1 (the initial weights, every learning rate)" if n == 0 else
             f"iteration {n + 1:,} with η = {L.number_text(float(learning_rates[k]))}")
    verb = "fail" if what.startswith("LN") else "overflow"  # LN(0) is no overflow, but #NUM! all the same
    return (f"a spreadsheet would {verb} at {where}: {what} ({index_of[key].header} = "
            f"{L.number_text(float(shown))}; {why}); "
            f"use {'smaller weights, inputs or biases' if n == 0 else 'a smaller learning rate'}")


def checked(config: SheetConfig) -> dict[str, np.ndarray]:
    """The reference trajectory of `config`; InputError if a spreadsheet would overflow computing it."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # found and reported below
        trajectory = of_config(config)
    problem = first_overflow(trajectory, config.learning_rates, config.spec)
    if problem:
        raise InputError(problem)
    return trajectory
