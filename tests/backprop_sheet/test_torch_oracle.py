"""The numpy reference against torch: autograd for the gradients, torch.optim for every step.

Each case draws a network of every kind the generator makes (1-8 samples, 1-3 hidden layers, mse or
cross-entropy, mean or sum, SGD with momentum, Nesterov and weight decay, Adam, RMSprop, biases trained
or fixed) and runs it for a few steps in both; parameters, E_total, gradients and every optimizer buffer
must agree to 1e-12 at each step. The torch side is written in matrix form from the issue's definitions,
independent of network.py and optimizers.py.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from backprop_sheet import network
from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.spec import Network

TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
                     "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "linear": lambda z: z}
CASES = 324  # every depth × loss × optimizer × reduction × biases trained or not (72), four and a half times
STEPS = 8
TOLERANCE = 1e-12  # relative, and absolute for values near 0


def oracle_case(n: int):
    """Case n: (spec, weights, inputs, targets, biases, rates), from a generator seeded by n."""
    rng = np.random.default_rng(5000 + n)
    depth, loss = 1 + n % 3, ("mse", "cross_entropy")[n // 3 % 2]
    optimizer, reduction = ("sgd", "adam", "rmsprop")[n // 6 % 3], ("mean", "sum")[n // 18 % 2]
    train_biases = n // 36 % 2 == 0
    n_in, n_out, samples = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 9))
    layers = tuple(int(w) for w in rng.integers(1, 9 if n % 5 == 0 else 5, depth))
    names = list(ACTIVATIONS)
    settings = {}
    if optimizer == "sgd":
        momentum = float(rng.choice([0.0, 0.5, 0.9]))
        settings = dict(momentum=momentum, nesterov=bool(momentum and rng.random() < 0.5))
    elif optimizer == "adam":
        settings = dict(betas=(float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999))),
                        eps=float(rng.choice([1e-8, 1e-3])))
    else:
        settings = dict(alpha=float(rng.uniform(0.8, 0.99)), eps=float(rng.choice([1e-8, 1e-3])))
    spec = Network(n_in=n_in, hidden=layers if depth > 1 else layers[0], n_out=n_out,
                   hidden_activation=names[n % 5],
                   output_activation=None if loss == "cross_entropy" else names[n // 5 % 5],
                   train_biases=train_biases, loss=loss, reduction=reduction, n_samples=samples,
                   optimizer=optimizer, weight_decay=float(rng.choice([0.0, 0.01, 0.1])), **settings)
    per_neuron = train_biases and rng.random() < 0.5
    biases = rng.uniform(-0.5, 0.5, len(spec.hidden_neurons) + n_out if per_neuron else depth + 1)
    inputs = rng.uniform(-1, 1, (samples, n_in))
    if loss == "mse" or n_out == 1:
        targets = rng.uniform(0, 1, (samples, n_out))
    elif rng.random() < 0.5:  # one-hot
        targets = np.eye(n_out)[rng.integers(0, n_out, samples)]
    else:
        targets = rng.dirichlet(np.ones(n_out), samples)
    # Rates at which no case diverges in 8 steps (a sum over samples takes larger steps).
    rates = [0.1 / (samples if reduction == "sum" else 1), 0.02] if optimizer == "sgd" else [0.02, 0.003]
    return spec, rng.uniform(-1, 1, spec.n_weights), inputs, targets, tuple(biases), rates


def torch_trajectory(spec: Network, weights, inputs, targets, biases, rate: float, steps: int):
    """Per step: (parameters in spec.trained order, E_total, gradients, optimizer buffers after the step)."""
    def tensor(values, grad=False):
        return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)

    widths = (spec.n_in, *spec.layers, spec.n_out)
    Ws, start = [], 0
    for fan_in, fan_out in itertools.pairwise(widths):  # row j: from every neuron of the layer before, in order
        Ws.append(tensor(np.reshape(weights[start:start + fan_in * fan_out], (fan_out, fan_in)), True))
        start += fan_in * fan_out
    per_neuron = len(biases) == sum(widths[1:]) and len(biases) != len(widths) - 1
    bs, start = [], 0
    for layer, width in enumerate(widths[1:]):
        values = biases[start:start + width] if per_neuron else np.full(width, biases[layer])
        bs.append(tensor(values, spec.train_biases))
        start += width
    params = Ws + (bs if spec.train_biases else [])
    settings = dict(lr=rate, weight_decay=spec.weight_decay)
    if spec.optimizer == "sgd":
        optimizer = torch.optim.SGD(params, momentum=spec.momentum, nesterov=spec.nesterov, **settings)
        buffers = ["momentum_buffer"] if spec.momentum else []
    elif spec.optimizer == "adam":
        optimizer = torch.optim.Adam(params, betas=spec.betas, eps=spec.eps, **settings)
        buffers = ["exp_avg", "exp_avg_sq"]
    else:
        optimizer = torch.optim.RMSprop(params, alpha=spec.alpha, eps=spec.eps, **settings)
        buffers = ["square_avg"]
    X, T = tensor(inputs), tensor(targets)  # (S, n_in), (S, n_out)
    hidden = TORCH_ACTIVATIONS[spec.hidden_activation]
    rows = []
    for _ in range(steps):
        flat = torch.cat([p.detach().flatten() for p in params]).numpy().copy()
        optimizer.zero_grad()
        A = X
        for W, b in zip(Ws[:-1], bs[:-1]):
            A = hidden(A @ W.T + b)
        O = A @ Ws[-1].T + bs[-1]  # (S, n_out)
        if spec.loss == "mse":
            per_sample = 0.5 * ((T - TORCH_ACTIVATIONS[spec.output_activation](O)) ** 2).sum(dim=1)
        elif spec.n_out > 1:
            per_sample = -(T * F.log_softmax(O, dim=1)).sum(dim=1)
        else:
            per_sample = F.binary_cross_entropy_with_logits(O, T, reduction="none").sum(dim=1)
        e_total = per_sample.mean() if spec.reduction == "mean" else per_sample.sum()
        e_total.backward()
        grads = torch.cat([p.grad.flatten() for p in params]).numpy().copy()
        optimizer.step()
        state = [torch.cat([optimizer.state[p][name].flatten() for p in params]).numpy().copy() for name in buffers]
        rows.append((flat, e_total.item(), grads, state))
    return rows


@pytest.mark.parametrize("n", range(CASES))
def test_reference_matches_torch(n):
    spec, weights, inputs, targets, biases, rates = oracle_case(n)
    trajectory = network.train(weights, inputs, targets, biases, rates, STEPS, spec=spec)
    prefixes = {"sgd": ["v_"] if spec.momentum else [], "adam": ["m_", "s_"], "rmsprop": ["s_"]}[spec.optimizer]
    for k, rate in enumerate(rates):
        rows = torch_trajectory(spec, weights, inputs, targets, biases, rate, STEPS)  # every step at once:
        theirs = {"parameters": np.array([r[0] for r in rows]), "E_total": np.array([r[1] for r in rows]),
                  "gradients": np.array([r[2] for r in rows])}
        ours = {"parameters": np.column_stack([trajectory[p][:, k] for p in spec.trained]),
                "E_total": trajectory["E_total"][:, k],
                "gradients": np.column_stack([trajectory[g][:, k] for g in network.gradient_names(spec)])}
        for j, prefix in enumerate(prefixes):
            theirs[prefix] = np.array([r[3][j] for r in rows])
            ours[prefix] = np.column_stack([trajectory[prefix + p][:, k] for p in spec.trained])
        assert len(rows[0][3]) == len(prefixes)
        for what, values in theirs.items():  # (steps, quantities)
            np.testing.assert_allclose(ours[what], values, rtol=TOLERANCE, atol=TOLERANCE, err_msg=what)


def test_cases_cover_every_kind():
    specs = [oracle_case(n)[0] for n in range(CASES)]
    assert len(specs) >= 300
    kinds = {(s.depth, s.loss, s.optimizer, s.reduction, s.train_biases) for s in specs}
    assert kinds == {(d, loss, o, r, b) for d in (1, 2, 3) for loss in ("mse", "cross_entropy")
                     for o in ("sgd", "adam", "rmsprop") for r in ("mean", "sum") for b in (False, True)}
    assert {s.n_samples for s in specs} == set(range(1, 9))
    assert any(s.nesterov for s in specs) and any(s.momentum and not s.nesterov for s in specs)
    assert {s.weight_decay > 0 for s in specs if s.optimizer == "sgd"} == {True, False}
    assert {s.weight_decay > 0 for s in specs if s.optimizer != "sgd"} == {True, False}
    assert {s.n_out == 1 for s in specs if s.loss == "cross_entropy"} == {True, False}  # sigmoid and softmax
    assert max(w for s in specs for w in s.layers) == 8
    assert {s.hidden_activation for s in specs} == set(ACTIVATIONS)


def test_the_trajectories_move():
    """A trajectory that never moved would agree with torch trivially (a deep ReLU net may start dead)."""
    still = []
    for n in range(CASES):
        spec, weights, inputs, targets, biases, rates = oracle_case(n)
        trajectory = network.train(weights, inputs, targets, biases, rates, STEPS, spec=spec)
        if max(abs(trajectory[p][-1, 0] - trajectory[p][0, 0]) for p in spec.trained) < 1e-4:
            still.append(n)
    assert len(still) <= CASES // 50, still
