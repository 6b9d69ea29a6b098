"""The network in numpy float64: the reference every workbook cell is checked against.

Any one-hidden-layer network of `spec.Network` (the default is the classic 2-2-2 sigmoid one). Every
quantity is a named scalar, as on the sheet, and every function is elementwise, so a value may be a
float or an array: `train` passes arrays of shape (R,) to run one trajectory per learning rate side by side.
Sums run left to right in the order the sheet's formulas write them.
"""

import numpy as np

from backprop_sheet import activations
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


def forward(p, i, t, b, spec: Network = DEFAULT) -> dict:
    """Forward pass and loss. p: the trained parameters (w1.. and b_h1.. if trained); i: inputs;
    t: targets; b: (b1, b2), the fixed bias of each layer (used only when biases are not trained)."""
    p = _params(p, spec)
    q = {}

    def layer(sources, values, neurons, fixed_bias, act):
        for z in neurons:
            total = None
            for x, value in zip(sources, values):
                term = p[spec.weights[(x, z)]] * value
                total = term if total is None else total + term
            q[z] = total + (p[f"b_{z}"] if spec.train_biases else fixed_bias)
        for z in neurons:
            q[f"a_{z}"] = act.f(q[z])
        return [q[f"a_{z}"] for z in neurons]

    a_h = layer(spec.inputs, i, spec.hidden_neurons, b[0], spec.hidden_fn)
    a_o = layer([f"a_{h}" for h in spec.hidden_neurons], a_h, spec.output_neurons, b[1], spec.output_fn)
    errors = [0.5 * (t_k - a_k) ** 2 for t_k, a_k in zip(t, a_o)]
    for k, e in enumerate(errors, start=1):
        q[f"E{k}"] = e
    total = errors[0]
    for e in errors[1:]:
        total = total + e
    q["E_total"] = total
    return q


def backward(p, i, t, fwd, spec: Network = DEFAULT) -> dict:
    """∂E_total/∂(every trained parameter) by the chain rule, with the named factors the derivation sheet shows."""
    p = _params(p, spec)
    g = {}
    hidden, outputs = spec.hidden_neurons, spec.output_neurons
    # Output layer: only E_k depends on a_ok, so ∂E_total/∂a_ok = a_ok − t_k.
    for o, t_k in zip(outputs, t):
        g[f"dE_da_{o}"] = fwd[f"a_{o}"] - t_k
    for o in outputs:
        g[f"da_{o}_d{o}"] = spec.output_fn.df(fwd[f"a_{o}"], fwd[o])
    # Hidden layer: each a_h feeds every output, through the weights before this update.
    for h in hidden:
        total = None
        for o in outputs:
            term = g[f"dE_da_{o}"] * g[f"da_{o}_d{o}"] * p[spec.weights[(f"a_{h}", o)]]
            total = term if total is None else total + term
        g[f"dE_da_{h}"] = total
    for h in hidden:
        g[f"da_{h}_d{h}"] = spec.hidden_fn.df(fwd[f"a_{h}"], fwd[h])
    # z = Σ w·x + b: ∂z/∂w = x (an input or a hidden activation), ∂z/∂b = 1.
    for (x, z), w in spec.weights.items():
        source = i[spec.inputs.index(x)] if x in spec.inputs else fwd[x]
        g[f"dE_d{w}"] = g[f"dE_da_{z}"] * g[f"da_{z}_d{z}"] * source
    for b in spec.bias_names:
        z = b.removeprefix("b_")
        g[f"dE_d{b}"] = g[f"dE_da_{z}"] * g[f"da_{z}_d{z}"]
    return g


def step(p, i, t, b, spec: Network = DEFAULT) -> dict:
    """One iteration's every quantity: the parameters it starts from, the forward pass and the gradients."""
    p = _params(p, spec)
    fwd = forward(p, i, t, b, spec)
    return p | fwd | backward(p, i, t, fwd, spec)


def update(p, grads, lr, spec: Network = DEFAULT) -> dict:
    """Simultaneous gradient step: every new parameter uses the gradients (or velocities) of the same iteration.

    `grads` holds dE_d<p> and, with momentum, v_<p>; the step follows v when it is there.
    """
    p = _params(p, spec)
    return {name: value - lr * grads.get(f"v_{name}", grads[f"dE_d{name}"]) for name, value in p.items()}


def velocities(grads: dict, previous: dict | None, beta) -> dict:
    """PyTorch SGD's momentum buffers {v_<p>: …} from {dE_d<p>: …}: v = g at the first update, then β·v + g."""
    v = {}
    for name, g in grads.items():
        key = "v_" + name.removeprefix("dE_d")
        v[key] = g if previous is None else beta * previous[key] + g
    return v


def default_spec(weights, inputs, targets) -> Network:
    """The sigmoid network with fixed biases whose widths the lists imply (2-2-2 for today's lists)."""
    n_in, n_out = len(inputs), len(targets)
    return Network(n_in=n_in, hidden=len(weights) // (n_in + n_out), n_out=n_out)


def train(weights, inputs, targets, biases, learning_rates, iterations, spec: Network | None = None,
          velocity: bool | None = None):
    """Run `iterations` rows for each learning rate at once.

    weights: w1.. in spec order; biases: (b1, b2), one per layer, or one per neuron when trained.
    velocity: whether to keep the momentum buffers v_<p> (default: when spec.momentum > 0); with
    velocity and β = 0 the steps are plain gradient descent, as a workbook whose β was set to 0 computes.
    Returns {quantity: array (iterations, R)}, R = len(learning_rates); row k is iteration k + 1,
    whose parameters are the result of k updates.
    """
    spec = spec or default_spec(weights, inputs, targets)
    velocity = spec.with_velocity if velocity is None else velocity
    lr = np.asarray(learning_rates, dtype=np.float64)  # (R,)
    initial = dict(zip(spec.weights.values(), np.asarray(weights, dtype=np.float64), strict=True))
    initial |= spec.initial_biases([float(v) for v in biases])
    p = {name: np.full_like(lr, value) for name, value in initial.items()}
    i, t, b = (tuple(np.asarray(v, dtype=np.float64)) for v in (inputs, targets, biases))
    beta, v = np.float64(spec.momentum), None
    out = {}  # quantity → (iterations, R), filled row by row: no list of per-row dicts to stack
    for n in range(iterations):
        row = step(p, i, t, b, spec)
        if velocity:
            v = velocities({g: row[g] for g in gradient_names(spec)}, v, beta)
            row |= v
        if not out:
            out = {name: np.empty((iterations, len(lr))) for name in row}
        for name, value in row.items():
            out[name][n] = value
        p = update(p, row, lr, spec)
    return out
