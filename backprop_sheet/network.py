"""The 2-2-2 sigmoid network in numpy float64: the reference every workbook cell is checked against.

Every function is elementwise, so a parameter may be a float or an array: `train` passes arrays of
shape (R,) to run one trajectory per learning rate side by side.
"""

import numpy as np

# Quantity names, in the order the sheet shows them; each name is a key of `forward`/`backward`.
WEIGHTS = tuple(f"w{n}" for n in range(1, 9))
FORWARD = ("h1", "h2", "a_h1", "a_h2", "o1", "o2", "a_o1", "a_o2", "E1", "E2", "E_total")
GRADIENTS = tuple(f"dE_dw{n}" for n in range(1, 9))


def sigmoid(x):
    with np.errstate(over="ignore"):  # exp(-x) = inf for x ≪ 0 gives σ = 0, which is right
        return 1.0 / (1.0 + np.exp(-x))


def forward(w, i, t, b):
    """Forward pass and loss. w = (w1..w8), i = (i1, i2), t = (t1, t2), b = (b1, b2)."""
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    i1, i2 = i
    t1, t2 = t
    b1, b2 = b
    h1 = w1 * i1 + w2 * i2 + b1
    h2 = w3 * i1 + w4 * i2 + b1
    a_h1, a_h2 = sigmoid(h1), sigmoid(h2)
    o1 = w5 * a_h1 + w6 * a_h2 + b2
    o2 = w7 * a_h1 + w8 * a_h2 + b2
    a_o1, a_o2 = sigmoid(o1), sigmoid(o2)
    E1 = 0.5 * (t1 - a_o1) ** 2
    E2 = 0.5 * (t2 - a_o2) ** 2
    return dict(h1=h1, h2=h2, a_h1=a_h1, a_h2=a_h2, o1=o1, o2=o2, a_o1=a_o1, a_o2=a_o2,
                E1=E1, E2=E2, E_total=E1 + E2)


def backward(w, i, t, fwd):
    """∂E_total/∂w1..w8 by the chain rule, with the named factors the derivation sheet shows."""
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    i1, i2 = i
    t1, t2 = t
    a_h1, a_h2, a_o1, a_o2 = fwd["a_h1"], fwd["a_h2"], fwd["a_o1"], fwd["a_o2"]
    # Output layer: only E1 depends on a_o1 and only E2 on a_o2; σ'(o) = a_o·(1 − a_o).
    dE_da_o1 = a_o1 - t1
    dE_da_o2 = a_o2 - t2
    da_o1_do1 = a_o1 * (1 - a_o1)
    da_o2_do2 = a_o2 * (1 - a_o2)
    # o1 = w5·a_h1 + w6·a_h2 + b2, o2 = w7·a_h1 + w8·a_h2 + b2
    dE_dw5 = dE_da_o1 * da_o1_do1 * a_h1
    dE_dw6 = dE_da_o1 * da_o1_do1 * a_h2
    dE_dw7 = dE_da_o2 * da_o2_do2 * a_h1
    dE_dw8 = dE_da_o2 * da_o2_do2 * a_h2
    # Hidden layer: each a_h feeds both outputs, through the weights before this update.
    dE_da_h1 = dE_da_o1 * da_o1_do1 * w5 + dE_da_o2 * da_o2_do2 * w7
    dE_da_h2 = dE_da_o1 * da_o1_do1 * w6 + dE_da_o2 * da_o2_do2 * w8
    da_h1_dh1 = a_h1 * (1 - a_h1)
    da_h2_dh2 = a_h2 * (1 - a_h2)
    # h1 = w1·i1 + w2·i2 + b1, h2 = w3·i1 + w4·i2 + b1
    dE_dw1 = dE_da_h1 * da_h1_dh1 * i1
    dE_dw2 = dE_da_h1 * da_h1_dh1 * i2
    dE_dw3 = dE_da_h2 * da_h2_dh2 * i1
    dE_dw4 = dE_da_h2 * da_h2_dh2 * i2
    return dict(dE_da_o1=dE_da_o1, dE_da_o2=dE_da_o2, da_o1_do1=da_o1_do1, da_o2_do2=da_o2_do2,
                dE_da_h1=dE_da_h1, dE_da_h2=dE_da_h2, da_h1_dh1=da_h1_dh1, da_h2_dh2=da_h2_dh2,
                dE_dw1=dE_dw1, dE_dw2=dE_dw2, dE_dw3=dE_dw3, dE_dw4=dE_dw4,
                dE_dw5=dE_dw5, dE_dw6=dE_dw6, dE_dw7=dE_dw7, dE_dw8=dE_dw8)


def step(w, i, t, b):
    """One iteration's every quantity: the weights it starts from, the forward pass and the gradients."""
    fwd = forward(w, i, t, b)
    return dict(zip(WEIGHTS, w)) | fwd | backward(w, i, t, fwd)


def update(w, grads, lr):
    """Simultaneous gradient step: every new weight uses the gradients of the same iteration."""
    return tuple(w_n - lr * grads[g] for w_n, g in zip(w, GRADIENTS))


def train(weights, inputs, targets, biases, learning_rates, iterations):
    """Run `iterations` rows for each learning rate at once.

    Returns {quantity: array (iterations, R)}, R = len(learning_rates); row k is iteration k + 1,
    whose weights are the result of k updates.
    """
    lr = np.asarray(learning_rates, dtype=np.float64)  # (R,)
    w = tuple(np.full_like(lr, w_n) for w_n in np.asarray(weights, dtype=np.float64))
    i, t, b = (tuple(np.asarray(v, dtype=np.float64)) for v in (inputs, targets, biases))
    rows = []
    for _ in range(iterations):
        row = step(w, i, t, b)
        rows.append(row)
        w = update(w, row, lr)
    return {name: np.stack([row[name] for row in rows]) for name in rows[0]}
