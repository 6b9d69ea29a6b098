"""The numpy reference for a whole workbook: every cell's value, and where a spreadsheet would overflow.

The workbook stores these values as its cached results, `verify` compares a recalculation with them,
and `generate` refuses a network whose trajectory a spreadsheet cannot compute (EXP past its range).
"""

import re

import numpy as np

from backprop_sheet import layout as L
from backprop_sheet import network
from backprop_sheet.config import InputError, SheetConfig

CHUNK = 50_000  # iterations per network.train call: bounds the per-row dicts it keeps in memory
EXP_LIMIT = 709.78  # EXP(x) is past the largest double (1.8E+308) for x > 709.782…: #NUM! in every engine


def train(weights, inputs, targets, biases, learning_rates, iterations: int) -> dict[str, np.ndarray]:
    """network.train, run in chunks of CHUNK iterations: the same numbers, in flat (iterations, R) arrays."""
    rates = np.asarray(learning_rates, dtype=np.float64)
    w = np.broadcast_to(np.asarray(weights, dtype=np.float64)[:, None], (8, len(rates)))
    parts = []
    done = 0
    while done < iterations:
        steps = min(CHUNK, iterations - done)
        # One row more than asked: its weights are where the next chunk starts.
        part = network.train(w, inputs, targets, biases, rates, steps + (done + steps < iterations))
        w = np.stack([part[name][steps] for name in network.WEIGHTS]) if done + steps < iterations else w
        parts.append({name: values[:steps] for name, values in part.items()})
        done += steps
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def of_config(config: SheetConfig) -> dict[str, np.ndarray]:
    return train(config.weights, config.inputs, config.targets, config.biases, config.learning_rates,
                 config.iterations)


def parameter_values(config: SheetConfig) -> dict[str, float]:
    """Parameter key (layout.PARAMETERS) → value."""
    values = dict(zip(("i1", "i2"), config.inputs)) | dict(zip(("t1", "t2"), config.targets))
    values |= {f"w{n}_init": w for n, w in enumerate(config.weights, start=1)}
    return values | dict(zip(("b1", "b2"), config.biases))


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


_EXP = re.compile(r"EXP\(-\{(\w+)\}\)")


def first_overflow(trajectory: dict[str, np.ndarray], learning_rates) -> str | None:
    """Where a spreadsheet would first show an error cell for this trajectory, or None.

    An EXP(-z) column errs when -z > EXP_LIMIT; any column errs when its value is not a finite double.
    The first is the earliest iteration, then the leftmost column, then the first rate.
    """
    found = []
    for index, column in enumerate(L.COLUMNS):
        if column.key not in trajectory:
            continue
        checks = [(~np.isfinite(trajectory[column.key]), f"{column.header} is not a finite number",
                   column.key, "numbers past ±1.8E+308 are #NUM!")]
        checks += [(-trajectory[z] > EXP_LIMIT, f"EXP(-{L.COLUMN[z].header}) overflows", z,
                    f"EXP of more than {EXP_LIMIT} is #NUM!") for z in _EXP.findall(column.template(False))]
        for bad, what, key, why in checks:
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
    return (f"a spreadsheet would overflow at {where}: {what} ({L.COLUMN[key].header} = "
            f"{L.number_text(float(shown))}; {why}); "
            f"use {'smaller weights, inputs or biases' if n == 0 else 'a smaller learning rate'}")


def checked(config: SheetConfig) -> dict[str, np.ndarray]:
    """The reference trajectory of `config`; InputError if a spreadsheet would overflow computing it."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflows are found and reported below
        trajectory = of_config(config)
    problem = first_overflow(trajectory, config.learning_rates)
    if problem:
        raise InputError(problem)
    return trajectory
