"""The shape of the network a workbook trains: layer widths, activations, trained biases, momentum.

Names generalise the classic 2-2-2 example's: inputs i1.., hidden h1../a_h1.., outputs o1../a_o1..;
weights w1.. numbered input → hidden first (for h1 from i1, i2, …; then h2, …), then hidden → output
(for o1 from a_h1, a_h2, …; then o2, …). For 2-2-2 these are exactly w1..w8.
"""

from dataclasses import dataclass
from functools import cached_property

from backprop_sheet.activations import ACTIVATIONS, Activation
from bpcore.errors import InputError

MAX_WIDTH = 8  # neurons per layer: the sheet grows as width², and beyond 8 nobody follows it by hand


@dataclass(frozen=True)
class Network:
    n_in: int = 2  # inputs i1..i{n_in}
    hidden: int = 2  # hidden neurons h1..
    n_out: int = 2  # output neurons o1.., one target each
    hidden_activation: str = "sigmoid"  # a key of activations.ACTIVATIONS
    output_activation: str = "sigmoid"
    train_biases: bool = False  # False: one fixed bias per layer (b1, b2); True: b_h1.., b_o1.. trained
    momentum: float = 0.0  # β of PyTorch's SGD (v ← β·v + g, w ← w − η·v); 0: plain gradient descent

    def __post_init__(self):
        for name, width in (("inputs", self.n_in), ("hidden", self.hidden), ("outputs", self.n_out)):
            if isinstance(width, bool) or not isinstance(width, int):
                raise InputError(f"{name}: the width must be a whole number, got {width!r}")
            if not 1 <= width <= MAX_WIDTH:
                raise InputError(f"{name}: the width must be between 1 and {MAX_WIDTH}, got {width}")
        for name in ("hidden_activation", "output_activation"):
            value = getattr(self, name)
            if value not in ACTIVATIONS:
                raise InputError(f"{name}: unknown activation {value!r} (known: {', '.join(ACTIVATIONS)})")
        if not isinstance(self.train_biases, bool):
            raise InputError(f"train_biases must be true or false, got {self.train_biases!r}")
        beta = self.momentum
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta < 1:
            raise InputError(f"momentum must be a number in [0, 1), got {beta!r}")

    # Names, in the order the sheet shows them.
    @property
    def inputs(self) -> list[str]:
        return [f"i{k}" for k in range(1, self.n_in + 1)]

    @property
    def targets(self) -> list[str]:
        return [f"t{k}" for k in range(1, self.n_out + 1)]

    @property
    def hidden_neurons(self) -> list[str]:
        return [f"h{j}" for j in range(1, self.hidden + 1)]

    @property
    def output_neurons(self) -> list[str]:
        return [f"o{k}" for k in range(1, self.n_out + 1)]

    @cached_property
    def weights(self) -> dict[tuple[str, str], str]:
        """{(source, neuron): weight name}, in weight order: ('i1', 'h1') → 'w1', …, ('a_h2', 'o2') → 'w8'."""
        pairs = [(i, h) for h in self.hidden_neurons for i in self.inputs]
        pairs += [(f"a_{h}", o) for o in self.output_neurons for h in self.hidden_neurons]
        return {pair: f"w{n}" for n, pair in enumerate(pairs, start=1)}

    @property
    def n_weights(self) -> int:
        return self.hidden * (self.n_in + self.n_out)

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

    @property
    def with_velocity(self) -> bool:
        """Whether the sheet has velocity columns: only with momentum, so that β = 0 is today's sheet."""
        return self.momentum > 0

    @property
    def hidden_fn(self) -> Activation:
        return ACTIVATIONS[self.hidden_activation]

    @property
    def output_fn(self) -> Activation:
        return ACTIVATIONS[self.output_activation]

    def bias_count(self) -> tuple[int, ...]:
        """How many numbers `biases` may hold: 2 (one per layer) or, when trained, one per neuron."""
        return (2, self.hidden + self.n_out) if self.train_biases else (2,)

    def initial_biases(self, biases) -> dict[str, float]:
        """{b_h1: …, b_o1: …} from 2 numbers (one per layer) or one per neuron; trained biases only."""
        names = self.bias_names
        if len(biases) == len(names):
            return dict(zip(names, biases))
        return {name: biases[0] if name.startswith("b_h") else biases[1] for name in names}

    def describe(self) -> str:
        """'2-3-2 relu/sigmoid network, trained biases, momentum 0.9': a title for plots and sheets."""
        acts = self.hidden_activation if self.hidden_activation == self.output_activation else \
            f"{self.hidden_activation}/{self.output_activation}"
        text = f"{self.n_in}-{self.hidden}-{self.n_out} {acts} network"
        if self.train_biases:
            text += ", trained biases"
        if self.momentum:
            text += f", momentum {self.momentum:g}"
        return text


DEFAULT = Network()
