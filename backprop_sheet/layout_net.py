"""The network's columns of a learning-rate sheet: forward pass, loss, backward pass and gradients.

Part of the one table of columns: `layout.columns(spec)` puts these together with the parameter and
optimizer columns (layout_optim.py); nothing else calls this module. Templates name quantities as
`{key}` (this row), `{prev.key}` (the row above), parameter keys and `{eta}` (layout.py says more).
They use only + - * / ^, unary minus, comparisons and EXP, LN, TANH, MAX, MIN, IF, SQRT, ABS, SUM.
"""

from dataclasses import dataclass

from backprop_sheet.activations import Activation
from backprop_sheet.spec import Network

VALUE_FORMAT = "0.000000000"
SMALL_FORMAT = "0.000000E+00"  # gradients and optimizer buffers: often tiny


@dataclass(frozen=True)
class Factor:
    symbol: str  # the partial derivative it stands for
    key: str  # the reference quantity (network.py) or parameter holding its value
    formula: str  # template


@dataclass(frozen=True)
class Column:
    key: str  # quantity name in network.py
    header: str  # header row text: the name the equations use
    group: str  # the band above the headers
    formula: str = ""  # template for every iteration after the first (and the first, unless `first`)
    first: str = ""  # template for iteration 1, where it differs
    factors: tuple[Factor, ...] = ()  # chain-rule columns only: the formula is their product
    number_format: str = VALUE_FORMAT

    def template(self, first_row: bool) -> str:
        if self.factors:
            return "*".join(f.formula for f in self.factors)
        return self.first if first_row and self.first else self.formula


def _activation(act: Activation, z: str) -> str:
    return act.formula.replace("{z}", f"{{{z}}}")


def _slope(act: Activation, z: str, sfx: str) -> Factor:
    # The derivative is written with the activation (or the input) the row already has: σ' = a·(1 − a).
    a = f"a_{z}"
    formula = act.derivative.replace("{a}", f"{{{a}{sfx}}}").replace("{z}", f"{{{z}{sfx}}}")
    return Factor(f"∂{a}{sfx}/∂{z}{sfx}", f"d{a}_d{z}{sfx}", formula)


def _error(spec: Network, k: int, sfx: str) -> str:
    """E_k of one sample: ½(t − a)², −t·ln a (softmax), or −[t·ln a + (1 − t)·ln(1 − a)] (one sigmoid)."""
    t, a = f"{{t{k}{sfx}}}", f"{{a_o{k}{sfx}}}"
    if spec.loss == "mse":
        return f"0.5*({t}-{a})^2"
    if spec.softmax:
        return f"-{t}*LN({a})"
    return f"-({t}*LN({a})+(1-{t})*LN(1-{a}))"


def forward_columns(spec: Network, sample: int) -> list[Column]:
    """One sample's weighted sums, activations and errors E_k, layer by layer."""
    sfx = spec.suffix(sample)
    several = spec.n_samples > 1
    forward, loss = (f"sample {sample}", f"sample {sample}") if several else ("forward pass", "loss")
    cols = []
    for n, layer in enumerate(spec.neuron_layers):
        for z in layer:
            terms = [f"{{{spec.weights[(x, z)]}}}*{{{x}{sfx}}}" for x in spec.sources(n)]
            bias = f"{{b_{z}}}" if spec.train_biases else f"{{{spec.fixed_bias(z)}}}"
            cols.append(Column(z + sfx, z + sfx, forward, "+".join(terms) + "+" + bias))
        if n == spec.depth and spec.softmax:  # a_k = e^(o_k) / Σ_j e^(o_j)
            total = "+".join(f"EXP({{{o}{sfx}}})" for o in layer)
            cols += [Column(f"a_{o}{sfx}", f"a_{o}{sfx}", forward, f"EXP({{{o}{sfx}}})/({total})") for o in layer]
        else:
            act = spec.output_fn if n == spec.depth else spec.hidden_fn
            cols += [Column(f"a_{z}{sfx}", f"a_{z}{sfx}", forward, _activation(act, z + sfx)) for z in layer]
    cols += [Column(f"E{k}{sfx}", f"E{k}{sfx}", loss, _error(spec, k, sfx)) for k in range(1, spec.n_out + 1)]
    return cols


def e_total_column(spec: Network) -> Column:
    """E_total: the sum of the errors; of several samples, their mean (or sum) of each sample's E1 + E2 + …"""
    errors = [f"{{E{k}{sfx}}}" for sfx in spec.suffixes for k in range(1, spec.n_out + 1)]
    formula = "+".join(errors)
    if spec.n_samples > 1 and spec.reduction == "mean":
        formula = f"({formula})/{spec.n_samples}"
    return Column("E_total", "E_total", "loss", formula)


def delta_columns(spec: Network, sample: int) -> list[Column]:
    """One sample's ∂E/∂z for every neuron, output layer first: each a chain-rule product of its factors."""
    sfx = spec.suffix(sample)
    e = "E_total" if spec.n_samples == 1 else "E"  # several samples: the sample's own loss E = E1 + E2 + …
    group = "backward pass" if spec.n_samples == 1 else f"backward, sample {sample}"
    cols = []
    for o, t in zip(spec.output_neurons, spec.targets):
        difference = f"({{a_{o}{sfx}}}-{{{t}{sfx}}})"
        if spec.loss == "cross_entropy":  # the loss and its output activation together: ∂E/∂o = a − t
            factors = (Factor(f"∂{e}/∂{o}{sfx}", f"dE_d{o}{sfx}", difference),)
        else:
            factors = (Factor(f"∂{e}/∂a_{o}{sfx}", f"dE_da_{o}{sfx}", difference), _slope(spec.output_fn, o, sfx))
        cols.append(Column(f"dE_d{o}{sfx}", f"∂{e}/∂{o}{sfx}", group, factors=factors, number_format=SMALL_FORMAT))
    for n in reversed(range(spec.depth)):
        for h in spec.hidden_layers[n]:
            terms = [f"{{dE_d{k}{sfx}}}*{{{spec.weights[(f'a_{h}', k)]}}}" for k in spec.neuron_layers[n + 1]]
            upstream = Factor(f"∂{e}/∂a_{h}{sfx}", f"dE_da_{h}{sfx}", "(" + "+".join(terms) + ")")
            cols.append(Column(f"dE_d{h}{sfx}", f"∂{e}/∂{h}{sfx}", group, factors=(upstream, _slope(spec.hidden_fn, h, sfx)),
                               number_format=SMALL_FORMAT))
    return cols


def _target_of(spec: Network, o: str) -> str:
    return spec.targets[spec.output_neurons.index(o)]


def _upstream(spec: Network, h: str) -> Factor:
    """∂E_total/∂a_h, inlined (one hidden layer, one sample): a_h reaches E_total through every output."""
    terms = []
    for o in spec.output_neurons:
        signal = f"({{a_{o}}}-{{{_target_of(spec, o)}}})"
        if spec.loss == "mse":
            signal += "*" + _slope(spec.output_fn, o, "").formula
        terms.append(f"{signal}*{{{spec.weights[(f'a_{h}', o)]}}}")
    return Factor(f"∂E_total/∂a_{h}", f"dE_da_{h}", "(" + "+".join(terms) + ")")


def _source_and_neuron(spec: Network, param: str) -> tuple[str | None, str]:
    if param.startswith("b_"):
        return None, param.removeprefix("b_")
    return next(pair for pair, w in spec.weights.items() if w == param)


def gradient_column(spec: Network, param: str) -> Column:
    """∂E_total/∂param: ∂E_total/∂z · ∂z/∂param (∂z/∂b = 1), summed over the samples when there are several."""
    source, z = _source_and_neuron(spec, param)
    header = f"∂E_total/∂{param}"
    if spec.n_samples > 1:
        terms = [f"{{dE_d{z}{sfx}}}" + (f"*{{{source}{sfx}}}" if source else "") for sfx in spec.suffixes]
        formula = "+".join(terms)
        if spec.reduction == "mean":
            formula = f"({formula})/{spec.n_samples}"
        return Column(f"dE_d{param}", header, "gradients", formula, number_format=SMALL_FORMAT)
    if spec.delta_columns:
        factors = [Factor(f"∂E_total/∂{z}", f"dE_d{z}", f"{{dE_d{z}}}")]
    elif z in spec.output_neurons and spec.loss == "cross_entropy":
        factors = [Factor(f"∂E_total/∂{z}", f"dE_d{z}", f"({{a_{z}}}-{{{_target_of(spec, z)}}})")]
    elif z in spec.output_neurons:  # today's sheet: the chain rule written out in every gradient
        factors = [Factor(f"∂E_total/∂a_{z}", f"dE_da_{z}", f"({{a_{z}}}-{{{_target_of(spec, z)}}})"),
                   _slope(spec.output_fn, z, "")]
    else:
        factors = [_upstream(spec, z), _slope(spec.hidden_fn, z, "")]
    if source:
        factors.append(Factor(f"∂{z}/∂{param}", source, f"{{{source}}}"))
    return Column(f"dE_d{param}", header, "gradients", factors=tuple(factors), number_format=SMALL_FORMAT)


def network_columns(spec: Network) -> list[Column]:
    """Every sample's forward pass and errors, E_total, every sample's ∂E/∂z (deep or several samples),
    then the gradients."""
    cols = [c for s in range(1, spec.n_samples + 1) for c in forward_columns(spec, s)]
    cols.append(e_total_column(spec))
    if spec.delta_columns:
        cols += [c for s in range(1, spec.n_samples + 1) for c in delta_columns(spec, s)]
    return cols + [gradient_column(spec, p) for p in spec.trained]
