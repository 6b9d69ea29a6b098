"""The numpy reference against torch autograd, and against the classic worked example."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_sheet import network
from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.config import SheetConfig
from backprop_sheet.spec import Network

CLASSIC_BIASES = (0.35, 0.60)  # the worked example everyone checks their first backprop against


def torch_e_total(w, inputs, targets, biases):
    """E_total in matrix form, independent of network.py. w: tensor (8,)."""
    W1, W2 = w[:4].reshape(2, 2), w[4:].reshape(2, 2)  # rows: (w1 w2 | w3 w4), (w5 w6 | w7 w8)
    i, t = torch.tensor(inputs, dtype=torch.float64), torch.tensor(targets, dtype=torch.float64)
    a_h = torch.sigmoid(W1 @ i + biases[0])  # (2,)
    a_o = torch.sigmoid(W2 @ a_h + biases[1])  # (2,)
    return 0.5 * ((t - a_o) ** 2).sum()


def torch_gradients(weights, inputs, targets, biases):
    """E_total and ∂E_total/∂w1..w8 by autograd."""
    w = torch.tensor(weights, dtype=torch.float64, requires_grad=True)
    e_total = torch_e_total(w, inputs, targets, biases)
    e_total.backward()
    return e_total.item(), w.grad.numpy()


def reference_gradients(weights, inputs, targets, biases):
    row = network.step(tuple(np.float64(w) for w in weights), inputs, targets, biases)
    return float(row["E_total"]), np.array([row[g] for g in network.GRADIENTS])


def test_classic_worked_example():
    d = SheetConfig()
    first = network.train(d.weights, d.inputs, d.targets, CLASSIC_BIASES, [0.5], 2)
    assert first["E_total"][0, 0] == pytest.approx(0.298371109, abs=1e-9)
    updated = [first[w][1, 0] for w in network.WEIGHTS]
    expected = [0.149780716, 0.19956143, 0.24975114, 0.29950229, 0.35891648, 0.408666186, 0.511301270, 0.561370121]
    assert updated == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize("biases", [(0.0, 0.0), CLASSIC_BIASES])
def test_default_network_matches_autograd(biases):
    d = SheetConfig()
    e_ref, g_ref = reference_gradients(d.weights, d.inputs, d.targets, biases)
    e_torch, g_torch = torch_gradients(d.weights, d.inputs, d.targets, biases)
    assert abs(e_ref - e_torch) < 1e-12
    np.testing.assert_allclose(g_ref, g_torch, rtol=0, atol=1e-12)


unit = st.floats(-3, 3, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(weights=st.lists(unit, min_size=8, max_size=8), inputs=st.tuples(unit, unit),
       targets=st.tuples(st.floats(0, 1), st.floats(0, 1)),
       biases=st.one_of(st.just((0.0, 0.0)), st.tuples(unit, unit)))
def test_random_networks_match_autograd(weights, inputs, targets, biases):
    e_ref, g_ref = reference_gradients(weights, inputs, targets, biases)
    e_torch, g_torch = torch_gradients(weights, inputs, targets, biases)
    assert abs(e_ref - e_torch) < 1e-12
    np.testing.assert_allclose(g_ref, g_torch, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_training_matches_torch_sgd(seed):
    """Whole trajectories, all rates at once, against torch's plain SGD (simultaneous updates)."""
    rng = np.random.default_rng(seed)
    weights, inputs, targets = rng.uniform(-2, 2, 8), rng.uniform(-1, 1, 2), rng.uniform(0, 1, 2)
    biases = tuple(rng.uniform(-1, 1, 2)) if seed % 2 else (0.0, 0.0)
    rates, steps = [0.1, 0.7, 2.5], 30
    trajectory = network.train(weights, inputs, targets, biases, rates, steps)
    for k, rate in enumerate(rates):
        w = torch.tensor(weights, dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.SGD([w], lr=rate)
        for n in range(steps):
            np.testing.assert_allclose([trajectory[f"w{m}"][n, k] for m in range(1, 9)], w.detach().numpy(),
                                       rtol=0, atol=1e-12)
            optimizer.zero_grad()
            e_total = torch_e_total(w, inputs, targets, biases)
            assert abs(trajectory["E_total"][n, k] - e_total.item()) < 1e-12
            e_total.backward()
            optimizer.step()


def test_train_shapes_and_first_row():
    d = SheetConfig()
    trajectory = network.train(d.weights, d.inputs, d.targets, d.biases, d.learning_rates, 7)
    assert all(values.shape == (7, 6) for values in trajectory.values())
    assert [trajectory[w][0, 3] for w in network.WEIGHTS] == list(d.weights)


# ---- Any network of spec.Network: the reference against torch autograd and torch.optim.SGD(momentum=β) ----

ACTIVATION_NAMES = list(ACTIVATIONS)
TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
                     "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01), "linear": lambda z: z}
ORACLE_CASES = 200  # every pair of activations × biases trained or not × β ∈ {0, 0.9}, 4 times, random widths


def oracle_case(n: int):
    """Case n: a spec and its numbers, drawn from a generator seeded by n (so each case reruns alone)."""
    rng = np.random.default_rng(1000 + n)
    n_in, hidden, n_out = (int(k) for k in rng.integers(1, 5, 3))
    spec = Network(n_in=n_in, hidden=hidden, n_out=n_out,
                   hidden_activation=ACTIVATION_NAMES[n % 5], output_activation=ACTIVATION_NAMES[n // 5 % 5],
                   train_biases=n // 25 % 2 == 0, momentum=(0.0, 0.9)[n // 50 % 2])
    per_neuron = spec.train_biases and rng.random() < 0.5
    biases = rng.uniform(-0.5, 0.5, hidden + n_out if per_neuron else 2)
    return (spec, rng.uniform(-1, 1, spec.n_weights), rng.uniform(-1, 1, n_in), rng.uniform(0, 1, n_out),
            tuple(biases))


def torch_trajectory(spec: Network, weights, inputs, targets, biases, rate: float, steps: int):
    """Per step: (parameters in spec.trained order, E_total, gradients, momentum buffers after the step)."""
    def tensor(values, grad=False):
        return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)

    n_first = spec.hidden * spec.n_in
    W1 = tensor(np.reshape(weights[:n_first], (spec.hidden, spec.n_in)), True)  # row h: from i1, i2, …
    W2 = tensor(np.reshape(weights[n_first:], (spec.n_out, spec.hidden)), True)  # row o: from a_h1, a_h2, …
    per_neuron = len(biases) == spec.hidden + spec.n_out and spec.hidden + spec.n_out != 2
    b_h = tensor(biases[:spec.hidden] if per_neuron else np.full(spec.hidden, biases[0]), spec.train_biases)
    b_o = tensor(biases[spec.hidden:] if per_neuron else np.full(spec.n_out, biases[1]), spec.train_biases)
    params = [W1, W2] + ([b_h, b_o] if spec.train_biases else [])
    optimizer = torch.optim.SGD(params, lr=rate, momentum=spec.momentum)
    i, t = tensor(inputs), tensor(targets)
    act_h, act_o = TORCH_ACTIVATIONS[spec.hidden_activation], TORCH_ACTIVATIONS[spec.output_activation]
    rows = []
    for _ in range(steps):
        flat = torch.cat([p.detach().flatten() for p in params]).numpy().copy()
        optimizer.zero_grad()
        a_o = act_o(W2 @ act_h(W1 @ i + b_h) + b_o)
        e_total = 0.5 * ((t - a_o) ** 2).sum()
        e_total.backward()
        grads = torch.cat([p.grad.flatten() for p in params]).numpy().copy()
        optimizer.step()
        buffers = None
        if spec.momentum:
            buffers = torch.cat([optimizer.state[p]["momentum_buffer"].flatten() for p in params]).numpy().copy()
        rows.append((flat, e_total.item(), grads, buffers))
    return rows


@pytest.mark.parametrize("n", range(ORACLE_CASES))
def test_any_network_matches_torch_sgd(n):
    spec, weights, inputs, targets, biases = oracle_case(n)
    rates, steps = [0.05, 0.3], 10
    trajectory = network.train(weights, inputs, targets, biases, rates, steps, spec=spec)
    gradients, velocity = network.gradient_names(spec), network.velocity_names(spec)
    for k, rate in enumerate(rates):
        for step, (params, e_total, grads, buffers) in enumerate(
                torch_trajectory(spec, weights, inputs, targets, biases, rate, steps)):
            ours = {name: values[step, k] for name, values in trajectory.items()}
            np.testing.assert_allclose([ours[p] for p in spec.trained], params, rtol=1e-12, atol=1e-12)
            assert ours["E_total"] == pytest.approx(e_total, rel=1e-12, abs=1e-12)
            np.testing.assert_allclose([ours[g] for g in gradients], grads, rtol=1e-12, atol=1e-12)
            if spec.momentum:
                np.testing.assert_allclose([ours[v] for v in velocity], buffers, rtol=1e-12, atol=1e-12)
            else:
                assert velocity[0] not in trajectory


def test_oracle_cases_cover_every_kind():
    specs = [oracle_case(n)[0] for n in range(ORACLE_CASES)]
    assert {(s.hidden_activation, s.output_activation, s.train_biases, s.momentum) for s in specs} == {
        (h, o, b, m) for h in ACTIVATIONS for o in ACTIVATIONS for b in (False, True) for m in (0.0, 0.9)}
    assert {w for s in specs for w in (s.n_in, s.hidden, s.n_out)} == {1, 2, 3, 4}


@pytest.mark.parametrize("activation, slope", [("relu", 0.0), ("leaky_relu", 0.01)])
def test_kink_at_zero_follows_torch(activation, slope):
    """Zero inputs and biases put every hidden neuron exactly at z = 0, where relu' is 0 and leaky_relu' 0.01."""
    spec = Network(hidden=3, hidden_activation=activation, train_biases=True)
    weights, inputs, targets, biases = np.linspace(-0.5, 0.6, spec.n_weights), (0.0, 0.0), (0.2, 0.7), (0.0, 0.0)
    row = network.train(weights, inputs, targets, biases, [0.5], 1, spec=spec)
    assert [row[f"h{j}"][0, 0] for j in (1, 2, 3)] == [0.0, 0.0, 0.0]
    assert [row[f"da_h{j}_dh{j}"][0, 0] for j in (1, 2, 3)] == [slope] * 3
    ((_, _, grads, _),) = torch_trajectory(spec, weights, inputs, targets, biases, 0.5, 1)
    np.testing.assert_allclose([row[g][0, 0] for g in network.gradient_names(spec)], grads, rtol=0, atol=1e-15)


def test_momentum_first_step_is_plain_descent():
    """v = 0 before the first update, so iteration 2's weights are w − η·g; iteration 3's use β·g + g'."""
    spec = Network(momentum=0.9)
    d = SheetConfig()
    with_m = network.train(d.weights, d.inputs, d.targets, d.biases, [0.5], 3, spec=spec)
    plain = network.train(d.weights, d.inputs, d.targets, d.biases, [0.5], 2)
    for w in network.WEIGHTS:
        assert with_m[w][1, 0] == plain[w][1, 0]
        v2 = 0.9 * with_m[f"dE_d{w}"][0, 0] + with_m[f"dE_d{w}"][1, 0]
        assert with_m[f"v_{w}"][1, 0] == v2
        assert with_m[w][2, 0] == with_m[w][1, 0] - 0.5 * v2
