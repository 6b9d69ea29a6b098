"""The network a workbook trains and how: layer widths, activations, loss, samples, optimizer.

Names generalise the classic 2-2-2 example's (docs/workbook.md, "Names"):
- inputs i1.., targets t1.., outputs o1.. with activations a_o1..;
- hidden neurons h1.. numbered on across layers: with hidden = [3, 2], layer 1 is h1..h3, layer 2 h4, h5;
- weights w1.. numbered layer by layer: for each neuron of the next layer, from each neuron of the
  previous layer in order (for 2-2-2: w1..w4 input → hidden, w5..w8 hidden → output);
- fixed biases b1.., one per layer (b1 the first hidden layer's, the last one the output layer's);
  trained biases b_h1.., b_o1.., one per neuron;
- with several samples, sample 1's quantities keep these names and sample s's get the suffix _s<s>
  (i1_s2, h1_s2, a_o1_s2, E1_s2).
For 2-2-2 with one sample these are exactly today's w1..w8, b1, b2, h1, a_h1, …
"""

import itertools
import math
from dataclasses import dataclass
from functools import cached_property

from backprop_sheet.activations import ACTIVATIONS, SOFTMAX, Activation
from bpcore.errors import InputError

MAX_WIDTH = 8  # neurons per layer: the sheet grows as width², and beyond 8 nobody follows it by hand
MAX_DEPTH = 3  # hidden layers
MAX_SAMPLES = 16  # training samples: each adds every forward and backward column once more
LOSSES = ("mse", "cross_entropy")
REDUCTIONS = ("mean", "sum")
OPTIMIZERS = ("sgd", "adam", "rmsprop")


def _number(name: str, value, low: float, high: float, closed_high: bool = False) -> None:
    """A finite real number in [low, high) (or [low, high]), not a bool."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) \
        and low <= value and (value <= high if closed_high else value < high)
    if not ok:
        raise InputError(f"{name} must be a number in [{low:g}, {high:g}{']' if closed_high else ')'}, "
                         f"got {value!r}")


def _width(name: str, width) -> None:
    if isinstance(width, bool) or not isinstance(width, int):
        raise InputError(f"{name}: the width must be a whole number, got {width!r}")
    if not 1 <= width <= MAX_WIDTH:
        raise InputError(f"{name}: the width must be between 1 and {MAX_WIDTH}, got {width}")


def _choice(name: str, value, known, what: str = "") -> None:
    if value not in known:
        raise InputError(f"{name}: unknown {what or name} {value!r} (known: {', '.join(known)})")


@dataclass(frozen=True)
class Network:
    n_in: int = 2  # inputs i1..i{n_in}
    hidden: int | tuple[int, ...] = 2  # hidden neurons: an int for one layer, or one width per layer (1-3)
    n_out: int = 2  # output neurons o1.., one target each
    hidden_activation: str = "sigmoid"  # a key of activations.ACTIVATIONS, for every hidden layer
    output_activation: str | None = None  # None: the loss's own (sigmoid; softmax for cross-entropy, 2+ outputs)
    train_biases: bool = False  # False: one fixed bias per layer (b1, b2, …); True: b_h1.., b_o1.. trained
    momentum: float = 0.0  # β of PyTorch's SGD (v ← β·v + g, w ← w − η·v); 0: plain gradient descent
    loss: str = "mse"  # "mse": Σ ½(t − a)²; "cross_entropy": −Σ t·ln a (softmax), or binary for 1 output
    reduction: str = "mean"  # E_total over several samples: their mean or their sum
    n_samples: int = 1  # training samples, all in every step (full-batch gradient descent)
    optimizer: str = "sgd"  # "sgd", "adam" or "rmsprop", each as torch.optim's
    nesterov: bool = False  # SGD only: step along g + β·v instead of v (torch.optim.SGD(nesterov=True))
    weight_decay: float = 0.0  # λ: every optimizer steps along g + λ·w (L2, as torch.optim's weight_decay)
    betas: tuple[float, float] = (0.9, 0.999)  # Adam's β1, β2: decay of the first and second moments
    eps: float = 1e-8  # Adam's and RMSprop's ε, added to √s so that a zero gradient divides by no zero
    alpha: float = 0.99  # RMSprop's α: decay of the mean square

    def __post_init__(self):
        hidden = self.hidden
        if isinstance(hidden, (list, tuple)):
            if not 1 <= len(hidden) <= MAX_DEPTH:
                raise InputError(f"hidden: give 1 to {MAX_DEPTH} hidden layers, got {len(hidden)}")
            hidden = tuple(hidden) if len(hidden) > 1 else hidden[0]  # one layer is an int, as before
            object.__setattr__(self, "hidden", hidden)  # frozen: normalised once, here
        for name, width in (("inputs", self.n_in), *(("hidden", w) for w in self.layers), ("outputs", self.n_out)):
            _width(name, width)
        _choice("loss", self.loss, LOSSES)
        if self.output_activation is None:
            object.__setattr__(self, "output_activation", self.loss_activation or "sigmoid")
        _choice("hidden_activation", self.hidden_activation, ACTIVATIONS, "activation")
        _choice("output_activation", self.output_activation, (*ACTIVATIONS, SOFTMAX), "activation")
        wanted = self.loss_activation
        if wanted and self.output_activation != wanted:
            raise InputError(f"output_activation {self.output_activation!r} contradicts loss 'cross_entropy', "
                             f"whose output with {self.n_out} output{'s' if self.n_out > 1 else ''} is {wanted!r}")
        if not wanted and self.output_activation == SOFTMAX:
            raise InputError("output_activation 'softmax' needs loss = 'cross_entropy'")
        if not isinstance(self.train_biases, bool):
            raise InputError(f"train_biases must be true or false, got {self.train_biases!r}")
        _choice("reduction", self.reduction, REDUCTIONS)
        if isinstance(self.n_samples, bool) or not isinstance(self.n_samples, int) \
                or not 1 <= self.n_samples <= MAX_SAMPLES:
            raise InputError(f"give 1 to {MAX_SAMPLES} samples, got {self.n_samples!r}")
        self._check_optimizer()

    def _check_optimizer(self) -> None:
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _number("momentum", self.momentum, 0, 1)
        if self.momentum and self.optimizer != "sgd":
            raise InputError(f"momentum is SGD's; {self.optimizer} has its own moments (set optimizer = 'sgd')")
        if not isinstance(self.nesterov, bool):
            raise InputError(f"nesterov must be true or false, got {self.nesterov!r}")
        if self.nesterov and not (self.optimizer == "sgd" and self.momentum > 0):
            raise InputError("nesterov needs optimizer 'sgd' with a momentum above 0 (as torch.optim.SGD)")
        _number("weight_decay", self.weight_decay, 0, math.inf)
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
            raise InputError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        for beta in self.betas:
            _number("betas", beta, 0, 1)
        object.__setattr__(self, "betas", tuple(self.betas))
        if isinstance(self.eps, bool) or not isinstance(self.eps, (int, float)) or not 0 < self.eps < math.inf:
            raise InputError(f"eps must be a positive number, got {self.eps!r}")
        _number("alpha", self.alpha, 0, 1)

    # ---- The shape ----
    @property
    def layers(self) -> tuple[int, ...]:
        """The hidden layers' widths."""
        return self.hidden if isinstance(self.hidden, tuple) else (self.hidden,)

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def loss_activation(self) -> str | None:
        """The output activation the loss implies: cross-entropy's softmax (or sigmoid for 1 output)."""
        if self.loss != "cross_entropy":
            return None
        return SOFTMAX if self.n_out > 1 else "sigmoid"

    @property
    def softmax(self) -> bool:
        return self.output_activation == SOFTMAX

    @property
    def delta_columns(self) -> bool:
        """Whether the sheet has a ∂E/∂z column per neuron (and sample): for deep nets and several samples.

        One hidden layer and one sample keep today's sheet, each gradient one chain-rule product."""
        return self.depth > 1 or self.n_samples > 1

    # ---- Names, in the order the sheet shows them ----
    @property
    def inputs(self) -> list[str]:
        return [f"i{k}" for k in range(1, self.n_in + 1)]

    @property
    def targets(self) -> list[str]:
        return [f"t{k}" for k in range(1, self.n_out + 1)]

    @cached_property
    def hidden_layers(self) -> list[list[str]]:
        """Each hidden layer's neurons: h1.. numbered on from layer to layer."""
        layers, first = [], 1
        for width in self.layers:
            layers.append([f"h{j}" for j in range(first, first + width)])
            first += width
        return layers

    @property
    def hidden_neurons(self) -> list[str]:
        return [h for layer in self.hidden_layers for h in layer]

    @property
    def output_neurons(self) -> list[str]:
        return [f"o{k}" for k in range(1, self.n_out + 1)]

    @property
    def neuron_layers(self) -> list[list[str]]:
        """Every layer with neurons, the output layer last."""
        return [*self.hidden_layers, self.output_neurons]

    def sources(self, layer: int) -> list[str]:
        """What feeds layer `layer` (0-based, of neuron_layers): the inputs, or the previous layer's a_."""
        return self.inputs if layer == 0 else [f"a_{z}" for z in self.neuron_layers[layer - 1]]

    @cached_property
    def weights(self) -> dict[tuple[str, str], str]:
        """{(source, neuron): weight name}, in weight order: ('i1', 'h1') → 'w1', …, ('a_h2', 'o2') → 'w8'."""
        pairs = [(x, z) for n, layer in enumerate(self.neuron_layers) for z in layer for x in self.sources(n)]
        return {pair: f"w{n}" for n, pair in enumerate(pairs, start=1)}

    @property
    def n_weights(self) -> int:
        widths = (self.n_in, *self.layers, self.n_out)
        return sum(a * b for a, b in itertools.pairwise(widths))

    def layer_of(self, neuron: str) -> int:
        """0-based index in neuron_layers."""
        return next(n for n, layer in enumerate(self.neuron_layers) if neuron in layer)

    @property
    def fixed_biases(self) -> list[str]:
        """b1.. one per layer: the hidden layers', then the output layer's (b1, b2 for one hidden layer)."""
        return [f"b{n}" for n in range(1, self.depth + 2)]

    def fixed_bias(self, neuron: str) -> str:
        return self.fixed_biases[self.layer_of(neuron)]

    @property
    def bias_names(self) -> list[str]:
        """The trained biases b_h1.., b_o1.. (none when biases are fixed)."""
        if not self.train_biases:
            return []
        return [f"b_{z}" for z in self.hidden_neurons + self.output_neurons]

    @property
    def trained(self) -> list[str]:
        """Every trained parameter: the weights, then the biases if trained."""
        return list(self.weights.values()) + self.bias_names

    @staticmethod
    def suffix(sample: int) -> str:
        """The name suffix of sample `sample` (1-based): none for sample 1."""
        return "" if sample == 1 else f"_s{sample}"

    @property
    def suffixes(self) -> list[str]:
        return [self.suffix(s) for s in range(1, self.n_samples + 1)]

    # ---- Training ----
    @property
    def with_velocity(self) -> bool:
        """Whether the sheet has velocity columns: only with momentum, so that β = 0 is today's sheet."""
        return self.optimizer == "sgd" and self.momentum > 0

    @property
    def with_decay(self) -> bool:
        """Whether the formulas add λ·w to each gradient: only with λ > 0, so that λ = 0 is today's sheet."""
        return self.weight_decay > 0

    @property
    def hidden_fn(self) -> Activation:
        return ACTIVATIONS[self.hidden_activation]

    @property
    def output_fn(self) -> Activation:
        """The output layer's elementwise activation (softmax is not one: see `softmax`)."""
        return ACTIVATIONS[self.output_activation]

    def bias_count(self) -> tuple[int, ...]:
        """How many numbers `biases` may hold: one per layer or, when trained, one per neuron."""
        per_layer = self.depth + 1
        return (per_layer, len(self.hidden_neurons) + self.n_out) if self.train_biases else (per_layer,)

    def initial_biases(self, biases) -> dict[str, float]:
        """{b_h1: …, b_o1: …} from one number per layer or one per neuron; trained biases only."""
        names = self.bias_names
        if len(biases) == len(names):
            return dict(zip(names, biases))
        neurons = self.hidden_neurons + self.output_neurons
        return {name: biases[self.layer_of(z)] for name, z in zip(names, neurons)}

    def describe(self) -> str:
        """'2-3-2 relu/sigmoid network, trained biases, momentum 0.9': a title for plots and sheets."""
        acts = self.hidden_activation if self.hidden_activation == self.output_activation else \
            f"{self.hidden_activation}/{self.output_activation}"
        text = "-".join(str(w) for w in (self.n_in, *self.layers, self.n_out)) + f" {acts} network"
        if self.loss != "mse":
            text += ", cross-entropy"
        if self.n_samples > 1:
            text += f", {self.n_samples} samples"
        if self.train_biases:
            text += ", trained biases"
        if self.momentum:
            text += f", {'Nesterov ' if self.nesterov else ''}momentum {self.momentum:g}"
        if self.optimizer != "sgd":
            text += {"adam": ", Adam", "rmsprop": ", RMSprop"}[self.optimizer]
        if self.weight_decay:
            text += f", weight decay {self.weight_decay:g}"
        return text


DEFAULT = Network()
