"""What a workbook is made from: the network, the learning rates and the number of iterations."""

import math
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.layout import MAX_ITERATIONS
from backprop_sheet.spec import MAX_SAMPLES, Network
from bpcore.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib


CLASSIC_WEIGHTS = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)  # the classic 2-2-2 example's w1..w8
PROBABILITY_SLACK = 1e-9  # how far from 1 a sample's cross-entropy targets may sum (rounding in the config)


def default_weights(spec: Network) -> tuple[float, ...]:
    """The classic w1..w8 for 2-2-2; for other shapes a fixed draw, rounded so that it is easy to retype."""
    if spec.depth == 1 and spec.n_weights == len(CLASSIC_WEIGHTS) and (spec.n_in, spec.n_out) == (2, 2):
        return CLASSIC_WEIGHTS
    # Distinct, small, of both signs: equal weights would keep the hidden neurons identical forever.
    draw = np.random.default_rng(20240611).uniform(-0.5, 0.5, spec.n_weights)
    return tuple(float(w) for w in np.round(draw, 2))


@dataclass(frozen=True)
class SheetConfig:
    # i1, i2: one sample; or one list per sample, 1-16 samples, all of them in every step (full batch)
    inputs: tuple = (0.05, 0.10)
    targets: tuple = (0.01, 0.99)  # t1, t2: wanted a_o1, a_o2; one list per sample as for inputs
    # initial w1.. (layer by layer: input → hidden, …, hidden → output); empty: default_weights() for the shape
    weights: tuple[float, ...] = ()
    # one per layer: b1 (every neuron of hidden layer 1), …, the last for the outputs; with train_biases
    # also one per neuron, b_h1.., b_o1..; empty: 0 for every layer
    biases: tuple[float, ...] = ()
    learning_rates: tuple[float, ...] = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0)  # η, one sheet each
    iterations: int = 100  # rows per learning-rate sheet; iteration 1 uses the initial weights
    hidden: int | tuple[int, ...] = 2  # hidden neurons, or one width per hidden layer (1-3 layers of 1-8)
    hidden_activation: str = "sigmoid"  # sigmoid, tanh, relu, leaky_relu or linear, for every hidden layer
    output_activation: str | None = None  # None: the loss's own (sigmoid; softmax under cross-entropy)
    train_biases: bool = False  # give every neuron its own bias and train it like a weight
    momentum: float = 0.0  # β in [0, 1): PyTorch's SGD momentum; 0 is plain gradient descent
    loss: str = "mse"  # "mse" (½(t − a)² per output) or "cross_entropy"
    reduction: str = "mean"  # E_total of several samples: the "mean" or the "sum" of their losses
    optimizer: str = "sgd"  # "sgd", "adam" or "rmsprop", as torch.optim's
    nesterov: bool = False  # SGD with momentum only: Nesterov's step g + β·v
    weight_decay: float = 0.0  # λ ≥ 0: every optimizer steps along g + λ·w (torch's weight_decay)
    betas: tuple[float, float] = (0.9, 0.999)  # Adam's β1, β2, each in [0, 1)
    eps: float = 1e-8  # Adam's and RMSprop's ε > 0
    alpha: float = 0.99  # RMSprop's α in [0, 1)

    def __post_init__(self):
        inputs, targets = _samples("inputs", self.inputs), _samples("targets", self.targets)
        if len(inputs) != len(targets):
            raise InputError(f"inputs has {len(inputs)} sample{'s' * (len(inputs) > 1)} but targets has "
                             f"{len(targets)}: give one list of targets per sample")
        # One sample is one flat list, as before; several are a tuple of tuples. Frozen: set once, here.
        object.__setattr__(self, "inputs", inputs[0] if len(inputs) == 1 else inputs)
        object.__setattr__(self, "targets", targets[0] if len(targets) == 1 else targets)
        spec = self.spec  # checks the widths, activations, loss, optimizer and its settings
        for name in ("hidden", "output_activation", "betas"):  # as the spec holds them: [3] is 3, None the loss's
            object.__setattr__(self, name, getattr(spec, name))
        if spec.loss == "cross_entropy":
            _check_probabilities(self.sample_targets)
        if not self.weights:
            object.__setattr__(self, "weights", default_weights(spec))
        if not self.biases:
            object.__setattr__(self, "biases", (0.0,) * (spec.depth + 1))
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
    def sample_inputs(self) -> tuple[tuple[float, ...], ...]:
        """One tuple of inputs per sample, however many samples."""
        return self.inputs if self.inputs and isinstance(self.inputs[0], tuple) else (self.inputs,)

    @property
    def sample_targets(self) -> tuple[tuple[float, ...], ...]:
        return self.targets if self.targets and isinstance(self.targets[0], tuple) else (self.targets,)

    @property
    def spec(self) -> Network:
        """The network's shape and training: what the layout and the reference are built for."""
        inputs, targets = self.sample_inputs, self.sample_targets
        return Network(n_in=len(inputs[0]), hidden=self.hidden, n_out=len(targets[0]),
                       hidden_activation=self.hidden_activation, output_activation=self.output_activation,
                       train_biases=self.train_biases, momentum=self.momentum, loss=self.loss,
                       reduction=self.reduction, n_samples=len(inputs), optimizer=self.optimizer,
                       nesterov=self.nesterov, weight_decay=self.weight_decay, betas=self.betas, eps=self.eps,
                       alpha=self.alpha)


def _samples(name: str, values) -> tuple[tuple, ...]:
    """One tuple per sample, from one sample's list of numbers or a list of such lists (all as long)."""
    if not isinstance(values, (tuple, list)):
        raise InputError(f"{name} must be a list of numbers, or one list per sample, got {values!r}")
    if not values or not any(isinstance(v, (tuple, list)) for v in values):
        _check_numbers(name, values, None)
        return (tuple(float(v) for v in values),)
    if not all(isinstance(v, (tuple, list)) for v in values):
        raise InputError(f"{name} mixes numbers and lists: give one list of numbers per sample")
    if not 1 <= len(values) <= MAX_SAMPLES:
        raise InputError(f"{name}: give 1 to {MAX_SAMPLES} samples, got {len(values)}")
    for s, sample in enumerate(values, start=1):
        _check_numbers(f"{name} of sample {s}", sample, None)
        if len(sample) != len(values[0]):
            raise InputError(f"{name}: sample {s} has {len(sample)} numbers but sample 1 has {len(values[0])} "
                             "(every sample needs as many)")
    return tuple(tuple(float(v) for v in sample) for sample in values)


def _check_probabilities(samples) -> None:
    """Cross-entropy's targets: probabilities, and for 2+ outputs a distribution (one-hot or not)."""
    for s, sample in enumerate(samples, start=1):
        which = f"sample {s}'s targets" if len(samples) > 1 else "the targets"
        if not all(0 <= t <= 1 for t in sample):
            raise InputError(f"under cross_entropy the targets are probabilities in [0, 1]; {which} are "
                             f"{', '.join(f'{t:g}' for t in sample)}")
        if len(sample) > 1 and not abs(math.fsum(sample) - 1) <= PROBABILITY_SLACK:
            raise InputError(f"under cross_entropy each sample's targets are a distribution that sums to 1 "
                             f"(one-hot or not); {which} sum to {math.fsum(sample):.12g}")


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


# Settings that belong to one optimizer: given for another, they would silently do nothing.
OPTIMIZER_KEYS = {"betas": "adam", "eps": ("adam", "rmsprop"), "alpha": "rmsprop"}


def _floats(name: str, value):
    """A TOML list as a tuple of floats, or of tuples of floats for one list per sample."""
    if not isinstance(value, list):
        return value
    if name in ("inputs", "targets") and any(isinstance(v, list) for v in value):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)  # checked by _samples
    _check_numbers(name, value, None)
    return tuple(float(v) for v in value)


def from_mapping(values: dict, base: SheetConfig | None = None) -> SheetConfig:
    """A config from a {field: value} mapping such as a parsed TOML file; unset fields keep `base`'s.

    Without a base, unset fields keep the dataclass defaults, so that weights follow the shape."""
    known = (*FIELDS[:6], ACTIVATION_KEY, *FIELDS[6:])
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InputError(f"unknown config key {unknown[0]!r} (known: {', '.join(known)})")
    current = {f.name: getattr(base, f.name) if base else f.default for f in fields(SheetConfig)}
    optimizer = values.get("optimizer", current["optimizer"])
    for key, owners in OPTIMIZER_KEYS.items():
        owners = (owners,) if isinstance(owners, str) else owners
        if key in values and optimizer not in owners:
            raise InputError(f"{key} is a setting of {' and '.join(owners)}, not of {optimizer!r}: "
                             f"set optimizer = {owners[0]!r} or leave {key} out")
    if ACTIVATION_KEY in values:
        if values[ACTIVATION_KEY] not in ACTIVATIONS:  # named as the user wrote it, not as hidden_activation
            raise InputError(f"activation: unknown activation {values[ACTIVATION_KEY]!r} "
                             f"(known: {', '.join(ACTIVATIONS)})")
        current["hidden_activation"] = values[ACTIVATION_KEY]
        # Under cross-entropy the output layer is the loss's own: `activation` names the hidden layers.
        if values.get("loss", current["loss"]) != "cross_entropy":
            current["output_activation"] = values[ACTIVATION_KEY]
    for name, value in values.items():
        if name == "learning_rates" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]  # `learning_rates = 0.5`: one rate
        if name in ("iterations", ACTIVATION_KEY):
            pass
        elif name == "hidden":
            value = tuple(value) if isinstance(value, list) else value  # whole numbers, checked by the spec
        elif isinstance(value, list):
            value = _floats(name, value)
        elif name in ("momentum", "weight_decay", "eps", "alpha") and isinstance(value, int) \
                and not isinstance(value, bool):
            value = float(value)
        if name != ACTIVATION_KEY:
            current[name] = value
    return SheetConfig(**current)


def read_config(path: str | Path, what: str = "config file") -> dict:
    """The {key: value} mapping of a TOML file (`what` names it in errors: a config file, a rubric)."""
    try:
        with open(path, "rb") as file:
            values = tomllib.load(file)
    except OSError as error:
        raise InputError(f"cannot read {what} {str(path)!r}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{what} {str(path)!r} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {str(path)!r} is not UTF-8 text") from None
    return values


def load_config(path: str | Path) -> SheetConfig:
    return from_mapping(read_config(path))
