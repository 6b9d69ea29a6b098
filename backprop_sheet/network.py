"""The network in numpy float64: the reference every workbook cell is checked against.

Any network of `spec.Network` (the default is the classic 2-2-2 sigmoid one). Every quantity is a named
array, as on the sheet: a per-sample quantity (h1, a_o1, E1, dE_dh1, …) has shape (S, R), one row per
sample, and a per-iteration one (a weight, E_total, a gradient, an optimizer buffer) shape (R,), one value
per learning rate, so that `train` runs one trajectory per rate side by side. Every operation is
elementwise, and sums run left to right in the order the sheet's formulas write them.
"""

import numpy as np

from backprop_sheet import activations, optimizers
from backprop_sheet.spec import DEFAULT, Network

sigmoid = activations.sigmoid  # the default network's activation, as callers knew it

# The default network's quantity names, in the order the sheet shows them.
WEIGHTS = tuple(DEFAULT.trained)
FORWARD = ("h1", "h2", "a_h1", "a_h2", "o1", "o2", "a_o1", "a_o2", "E1", "E2", "E_total")
GRADIENTS = tuple(f"dE_d{w}" for w in WEIGHTS)


def gradient_names(spec: Network) -> list[str]:
    return [f"dE_d{p}" for p in spec.trained]


def velocity_names(spec: Network) -> list[str]:
    return [f"v_{p}" for p in spec.trained]


def _params(p, spec: Network) -> dict:
    """{name: value} of the trained parameters, from a mapping or a sequence in `spec.trained` order."""
    return dict(p) if isinstance(p, dict) else dict(zip(spec.trained, p, strict=True))


def _sum(values):
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


def _forward(p: dict, x: list, t: list, b, spec: Network) -> dict:
    """Forward pass and loss of every sample. x, t: per input and per target an array (S, 1);
    b: the fixed bias of each layer (used only when biases are not trained)."""
    q = {}
    values = x
    for n, layer in enumerate(spec.neuron_layers):
        for z in layer:
            terms = [p[spec.weights[(source, z)]] * value for source, value in zip(spec.sources(n), values)]
            q[z] = _sum(terms) + (p[f"b_{z}"] if spec.train_biases else b[n])
        output = n == spec.depth
        if output and spec.softmax:
            values = activations.softmax([q[z] for z in layer])
        else:
            act = spec.output_fn if output else spec.hidden_fn
            values = [act.f(q[z]) for z in layer]
        q |= {f"a_{z}": a for z, a in zip(layer, values)}
    for k, (t_k, a_k) in enumerate(zip(t, values), start=1):
        if spec.loss == "mse":
            q[f"E{k}"] = 0.5 * (t_k - a_k) ** 2
        elif spec.softmax:  # −Σ t·ln a, one term per output
            q[f"E{k}"] = -t_k * np.log(a_k)
        else:  # binary cross-entropy of the one sigmoid output
            q[f"E{k}"] = -(t_k * np.log(a_k) + (1 - t_k) * np.log(1 - a_k))
    # E_total: sample 1's errors, then sample 2's, …; the mean divides by S.
    errors = [q[f"E{k}"][s] for s in range(spec.n_samples) for k in range(1, spec.n_out + 1)]
    total = _sum(errors)
    q["E_total"] = total / spec.n_samples if spec.n_samples > 1 and spec.reduction == "mean" else total
    return q


def _backward(p: dict, x: list, t: list, q: dict, spec: Network) -> dict:
    """∂E/∂z of every neuron and sample (δ), its chain-rule factors, and ∂E_total/∂(every trained parameter)."""
    g = {}
    for o, t_k in zip(spec.output_neurons, t):
        if spec.loss == "cross_entropy":  # softmax or sigmoid with its cross-entropy: ∂E/∂o = a − t
            g[f"dE_d{o}"] = q[f"a_{o}"] - t_k
            continue
        g[f"dE_da_{o}"] = q[f"a_{o}"] - t_k  # only E_k depends on a_ok
        g[f"da_{o}_d{o}"] = spec.output_fn.df(q[f"a_{o}"], q[o])
        g[f"dE_d{o}"] = g[f"dE_da_{o}"] * g[f"da_{o}_d{o}"]
    # Hidden layers, last to first: each a_h feeds every neuron of the next layer, through the weights
    # before this update.
    for n in reversed(range(spec.depth)):
        for h in spec.hidden_layers[n]:
            g[f"dE_da_{h}"] = _sum([g[f"dE_d{k}"] * p[spec.weights[(f"a_{h}", k)]] for k in spec.neuron_layers[n + 1]])
            g[f"da_{h}_d{h}"] = spec.hidden_fn.df(q[f"a_{h}"], q[h])
            g[f"dE_d{h}"] = g[f"dE_da_{h}"] * g[f"da_{h}_d{h}"]
    # z = Σ w·x + b: ∂z/∂w = x (an input or the previous layer's a), ∂z/∂b = 1; then over the samples.
    per_sample = {w: g[f"dE_d{z}"] * (x[spec.inputs.index(source)] if source in spec.inputs else q[source])
                  for (source, z), w in spec.weights.items()}
    per_sample |= {b: g[f"dE_d{b.removeprefix('b_')}"] for b in spec.bias_names}
    mean = spec.n_samples > 1 and spec.reduction == "mean"
    for name, values in per_sample.items():
        total = _sum(list(values))
        g[f"dE_d{name}"] = total / spec.n_samples if mean else total
    return g


def _columns(values, width: int) -> list:
    """Per input (or target) an array (S, 1), from one sample's list or a list of samples' lists."""
    array = np.asarray(values, dtype=np.float64)
    array = array.reshape(1, width) if array.ndim < 2 else array  # (S, width)
    return [array[:, k:k + 1] for k in range(width)]


def _one_sample(q: dict, p: dict) -> dict:
    """One sample's quantities without the sample axis; plain scalars where the parameters were scalars."""
    if all(np.ndim(v) == 0 for v in p.values()):
        return {name: np.asarray(value).reshape(-1)[0] for name, value in q.items()}
    return {name: value[0] if np.ndim(value) == 2 else value for name, value in q.items()}


def forward(p, i, t, b, spec: Network = DEFAULT) -> dict:
    """Forward pass and loss of one sample. p: the trained parameters (w1.. and b_h1.. if trained);
    i: inputs; t: targets; b: the fixed bias of each layer (b1, b2; used only when biases are not trained)."""
    p = _params(p, spec)
    return _one_sample(_forward(p, _columns(i, spec.n_in), _columns(t, spec.n_out), b, spec), p)


def step(p, i, t, b, spec: Network = DEFAULT) -> dict:
    """One iteration's every quantity for one sample: the parameters, the forward pass and the gradients."""
    p = _params(p, spec)
    x, t = _columns(i, spec.n_in), _columns(t, spec.n_out)
    q = _forward(p, x, t, b, spec)
    return _one_sample(p | q | _backward(p, x, t, q, spec), p)


def default_spec(weights, inputs, targets) -> Network:
    """The sigmoid network with fixed biases whose widths the lists imply (2-2-2 for today's lists)."""
    x = np.asarray(inputs, dtype=np.float64)
    n_in, n_out = x.shape[-1], np.shape(targets)[-1]
    return Network(n_in=n_in, hidden=len(weights) // (n_in + n_out), n_out=n_out,
                   n_samples=x.shape[0] if x.ndim == 2 else 1)


def train(weights, inputs, targets, biases, learning_rates, iterations, spec: Network | None = None,
          velocity: bool | None = None):
    """Run `iterations` rows for each learning rate at once.

    weights: w1.. in spec order; inputs, targets: one sample's list, or one list per sample;
    biases: one per layer (b1, b2, …), or one per neuron when trained.
    velocity: whether to keep SGD's momentum buffers v_<p> (default: when spec.momentum > 0); with
    velocity and β = 0 the steps are plain gradient descent, as a workbook whose β was set to 0 computes.
    Returns {quantity: array (iterations, R)}, R = len(learning_rates); row k is iteration k + 1,
    whose parameters are the result of k updates. Sample s's quantities are named with spec.suffix(s).
    """
    spec = spec or default_spec(weights, inputs, targets)
    velocity = spec.with_velocity if velocity is None else velocity
    lr = np.asarray(learning_rates, dtype=np.float64)  # (R,)
    initial = dict(zip(spec.weights.values(), np.asarray(weights, dtype=np.float64), strict=True))
    initial |= spec.initial_biases([float(v) for v in biases])
    p = {name: np.full_like(lr, value) for name, value in initial.items()}
    x, t = _columns(inputs, spec.n_in), _columns(targets, spec.n_out)
    b = tuple(np.asarray(biases, dtype=np.float64))
    buffers = None
    out = {}  # quantity → (iterations, S, R) or (iterations, R), filled row by row
    for n in range(iterations):
        q = _forward(p, x, t, b, spec)
        row = p | q | _backward(p, x, t, q, spec)
        buffers = optimizers.state(spec, p, row, buffers, velocity)
        row |= buffers
        if not out:
            out = {name: np.empty((iterations, *np.shape(value))) for name, value in row.items()}
        for name, value in row.items():
            out[name][n] = value
        p = optimizers.step(spec, p, row, lr, n + 1)
    named = {}
    for name, values in out.items():
        if values.ndim == 3:  # per sample: one (iterations, R) view each, sample 1 unsuffixed
            named |= {name + spec.suffix(s + 1): values[:, s, :] for s in range(values.shape[1])}
        else:
            named[name] = values
    return named
