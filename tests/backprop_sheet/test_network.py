"""The numpy reference against torch autograd, and against the classic worked example."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_sheet import network
from backprop_sheet.config import SheetConfig

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
