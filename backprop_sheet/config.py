"""What a workbook is made from: the network, the learning rates and the number of iterations."""

import math
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.layout import MAX_ITERATIONS
from backprop_sheet.spec import Network
from bpcore.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib


CLASSIC_WEIGHTS = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)  # the classic 2-2-2 example's w1..w8


def default_weights(spec: Network) -> tuple[float, ...]:
    """The classic w1..w8 for 2-2-2; for other shapes a fixed draw, rounded so that it is easy to retype."""
    if spec.n_weights == len(CLASSIC_WEIGHTS) and (spec.n_in, spec.n_out) == (2, 2):
        return CLASSIC_WEIGHTS
    # Distinct, small, of both signs: equal weights would keep the hidden neurons identical forever.
    draw = np.random.default_rng(20240611).uniform(-0.5, 0.5, spec.n_weights)
    return tuple(float(w) for w in np.round(draw, 2))


@dataclass(frozen=True)
class SheetConfig:
    inputs: tuple[float, ...] = (0.05, 0.10)  # i1, i2
    targets: tuple[float, ...] = (0.01, 0.99)  # t1, t2: wanted a_o1, a_o2
    # initial w1.. (input → hidden, then hidden → output); empty: default_weights() for the shape
    weights: tuple[float, ...] = ()
    # b1 (every hidden neuron), b2 (every output); with train_biases also one per neuron, b_h1.., b_o1..
    biases: tuple[float, ...] = (0.0, 0.0)
    learning_rates: tuple[float, ...] = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0)  # η, one sheet each
    iterations: int = 100  # rows per learning-rate sheet; iteration 1 uses the initial weights
    hidden: int = 2  # hidden neurons; the input and output widths are len(inputs) and len(targets)
    hidden_activation: str = "sigmoid"  # sigmoid, tanh, relu, leaky_relu or linear
    output_activation: str = "sigmoid"
    train_biases: bool = False  # give every neuron its own bias and train it like a weight
    momentum: float = 0.0  # β in [0, 1): PyTorch's SGD momentum; 0 is plain gradient descent

    def __post_init__(self):
        for name in ("inputs", "targets"):
            _check_numbers(name, getattr(self, name), None)
        spec = self.spec  # checks the widths, activations and β
        if not self.weights:
            object.__setattr__(self, "weights", default_weights(spec))  # frozen: set once, here
        _check_numbers("weights", self.weights, spec.n_weights)
        _check_numbers("biases", self.biases, None)
        counts = spec.bias_count()
        if len(self.biases) not in counts:
            allowed = " or ".join(str(c) for c in counts)
            why = " (one per layer, or one per neuron)" if len(counts) > 1 else \
                " (one per layer; set train_biases to give every neuron its own)"
            raise InputError(f"biases needs {allowed} numbers{why}, got {len(self.biases)}")
        if not self.learning_rates:
            raise InputError("learning_rates: give at least one learning rate")
        _check_numbers("learning_rates", self.learning_rates, None)
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


    @property
    def spec(self) -> Network:
        """The network's shape: what the layout and the reference are built for."""
        return Network(n_in=len(self.inputs), hidden=self.hidden, n_out=len(self.targets),
                       hidden_activation=self.hidden_activation, output_activation=self.output_activation,
                       train_biases=self.train_biases, momentum=self.momentum)


def _check_numbers(name: str, values, count: int | None) -> None:
    """A list of finite numbers, of `count` numbers unless count is None."""
    if not isinstance(values, (tuple, list)):
        raise InputError(f"{name} must be a list of {'' if count is None else f'{count} '}numbers, got {values!r}")
    if count is not None and len(values) != count:
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
ACTIVATION_KEY = "activation"  # a config key, not a field: sets hidden_activation and output_activation


def from_mapping(values: dict, base: SheetConfig | None = None) -> SheetConfig:
    """A config from a {field: value} mapping such as a parsed TOML file; unset fields keep `base`'s.

    Without a base, unset fields keep the dataclass defaults, so that weights follow the shape."""
    known = (*FIELDS[:6], ACTIVATION_KEY, *FIELDS[6:])
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InputError(f"unknown config key {unknown[0]!r} (known: {', '.join(known)})")
    current = {f.name: getattr(base, f.name) if base else f.default for f in fields(SheetConfig)}
    if ACTIVATION_KEY in values:
        if values[ACTIVATION_KEY] not in ACTIVATIONS:  # named as the user wrote it, not as hidden_activation
            raise InputError(f"activation: unknown activation {values[ACTIVATION_KEY]!r} "
                             f"(known: {', '.join(ACTIVATIONS)})")
        current["hidden_activation"] = current["output_activation"] = values[ACTIVATION_KEY]
    for name, value in values.items():
        if name == "learning_rates" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]  # `learning_rates = 0.5`: one rate
        if name in ("iterations", "hidden", ACTIVATION_KEY):
            pass
        elif isinstance(value, list):
            _check_numbers(name, value, None)
            value = tuple(float(v) for v in value)
        elif name == "momentum" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if name != ACTIVATION_KEY:
            current[name] = value
    return SheetConfig(**current)


def read_config(path: str | Path) -> dict:
    """The {key: value} mapping of a TOML config file."""
    try:
        with open(path, "rb") as file:
            values = tomllib.load(file)
    except OSError as error:
        raise InputError(f"cannot read config file {str(path)!r}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"config file {str(path)!r} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise InputError(f"config file {str(path)!r} is not UTF-8 text") from None
    return values


def load_config(path: str | Path) -> SheetConfig:
    return from_mapping(read_config(path))
