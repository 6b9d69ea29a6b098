"""The optimizers in numpy, each as torch.optim computes it: SGD (momentum, Nesterov), Adam and RMSprop.

A state is a dict of named buffers as the sheet's columns hold them: v_<p> (SGD's velocity, torch's
momentum_buffer), m_<p> and s_<p> (Adam's exp_avg and exp_avg_sq), s_<p> (RMSprop's square_avg).
Values are elementwise arrays, one per learning rate. Iteration k (1-based) holds the state after the
k-th gradient; the parameters of iteration k + 1 are one step from those of iteration k.
"""

import numpy as np

from backprop_sheet.spec import Network


def decayed(g, p, spec: Network):
    """The gradient each optimizer steps along: g + λ·p with weight decay (torch's L2 form), else g."""
    return g + spec.weight_decay * p if spec.with_decay else g


def state_names(spec: Network, velocity: bool | None = None) -> list[str]:
    """The buffers' prefixes: ['v_'] with momentum, ['m_', 's_'] for Adam, ['s_'] for RMSprop."""
    if spec.optimizer == "adam":
        return ["m_", "s_"]
    if spec.optimizer == "rmsprop":
        return ["s_"]
    return ["v_"] if (spec.with_velocity if velocity is None else velocity) else []


def state(spec: Network, params: dict, grads: dict, previous: dict | None, velocity: bool | None = None) -> dict:
    """The buffers after this iteration's gradients {dE_d<p>: …}; `previous` is None at iteration 1 (zeros)."""
    out = {}
    b1, b2 = spec.betas
    for name, value in params.items():
        g = decayed(grads[f"dE_d{name}"], value, spec)
        for prefix in state_names(spec, velocity):
            key = prefix + name
            if prefix == "v_":  # torch: buf = g at the first step, then β·buf + g
                out[key] = g if previous is None else spec.momentum * previous[key] + g
            elif prefix == "m_":  # Adam's first moment; zero before the first step
                out[key] = (1 - b1) * g if previous is None else b1 * previous[key] + (1 - b1) * g
            elif spec.optimizer == "adam":  # Adam's second moment
                out[key] = (1 - b2) * g ** 2 if previous is None else b2 * previous[key] + (1 - b2) * g ** 2
            else:  # RMSprop's mean square
                alpha = spec.alpha
                out[key] = (1 - alpha) * g ** 2 if previous is None else alpha * previous[key] + (1 - alpha) * g ** 2
    return out


def step(spec: Network, params: dict, row: dict, lr, k: int) -> dict:
    """The parameters of iteration k + 1 from iteration k's parameters, gradients and state (all in `row`)."""
    b1, b2 = spec.betas
    new = {}
    for name, value in params.items():
        g = decayed(row[f"dE_d{name}"], value, spec)
        if spec.optimizer == "adam":  # bias-corrected: m̂ = m/(1 − β1^k), ŝ = s/(1 − β2^k)
            new[name] = value - lr * row[f"m_{name}"] / (1 - b1 ** k) / (np.sqrt(row[f"s_{name}"] / (1 - b2 ** k))
                                                                         + spec.eps)
        elif spec.optimizer == "rmsprop":
            new[name] = value - lr * g / (np.sqrt(row[f"s_{name}"]) + spec.eps)
        elif f"v_{name}" in row:
            v = row[f"v_{name}"]
            new[name] = value - lr * ((g + spec.momentum * v) if spec.nesterov else v)
        else:
            new[name] = value - lr * g
    return new
