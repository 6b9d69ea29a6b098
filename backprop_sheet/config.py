"""What a workbook is made from: the network, the learning rates and the number of iterations."""

import math
import sys
from dataclasses import dataclass, fields
from pathlib import Path

from backprop_sheet.layout import MAX_ITERATIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib


class InputError(ValueError):
    """Bad input, with a one-line message meant for the user."""


@dataclass(frozen=True)
class SheetConfig:
    inputs: tuple[float, ...] = (0.05, 0.10)  # i1, i2
    targets: tuple[float, ...] = (0.01, 0.99)  # t1, t2: wanted a_o1, a_o2
    weights: tuple[float, ...] = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)  # initial w1..w8
    biases: tuple[float, ...] = (0.0, 0.0)  # b1 (both hidden), b2 (both outputs); never trained
    learning_rates: tuple[float, ...] = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0)  # η, one sheet each
    iterations: int = 100  # rows per learning-rate sheet; iteration 1 uses the initial weights

    def __post_init__(self):
        for name, count in (("inputs", 2), ("targets", 2), ("weights", 8), ("biases", 2)):
            _check_numbers(name, getattr(self, name), count)
        if not self.learning_rates:
            raise InputError("learning_rates: give at least one learning rate")
        _check_numbers("learning_rates", self.learning_rates, len(self.learning_rates))
        for rate in self.learning_rates:
            if not rate > 0:
                raise InputError(f"learning rate must be positive, got {rate!r}")
        if len(set(self.learning_rates)) < len(self.learning_rates):
            duplicate = next(r for r in self.learning_rates if self.learning_rates.count(r) > 1)
            raise InputError(f"learning rate {duplicate!r} is given more than once")
        if isinstance(self.iterations, bool) or not isinstance(self.iterations, int):
            raise InputError(f"iterations must be a whole number, got {self.iterations!r}")
        if not 1 <= self.iterations <= MAX_ITERATIONS:
            raise InputError(f"iterations must be between 1 and {MAX_ITERATIONS:,} "
                              f"(a sheet holds at most that many rows), got {self.iterations:,}")


def _check_numbers(name: str, values, count: int) -> None:
    if not isinstance(values, (tuple, list)):
        raise InputError(f"{name} must be a list of {count} numbers, got {values!r}")
    if len(values) != count:
        raise InputError(f"{name} needs {count} numbers, got {len(values)}")
    for value in values:
        # bool is an int to Python, but `true` is no weight.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{name}: {value!r} is not a number")
        if not _finite(value):
            raise InputError(f"{name}: {value!r} is not a finite number")


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


FIELDS = tuple(f.name for f in fields(SheetConfig))


def from_mapping(values: dict, base: SheetConfig | None = None) -> SheetConfig:
    """A config from a {field: value} mapping such as a parsed TOML file; unset fields keep `base`'s."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise InputError(f"unknown config key {unknown[0]!r} (known: {', '.join(FIELDS)})")
    current = {name: getattr(base or SheetConfig(), name) for name in FIELDS}
    for name, value in values.items():
        if name == "learning_rates" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]  # `learning_rates = 0.5`: one rate
        if name != "iterations" and isinstance(value, list):
            _check_numbers(name, value, len(value))
            value = tuple(float(v) for v in value)
        current[name] = value
    return SheetConfig(**current)


def load_config(path: str | Path) -> SheetConfig:
    try:
        with open(path, "rb") as file:
            values = tomllib.load(file)
    except OSError as error:
        raise InputError(f"cannot read config file {str(path)!r}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"config file {str(path)!r} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise InputError(f"config file {str(path)!r} is not UTF-8 text") from None
    return from_mapping(values)
