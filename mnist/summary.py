"""A layer table in the classic torchsummary style: one row per leaf module, in execution order."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .models import count_parameters


@dataclass(frozen=True)
class Row:
    name: str  # e.g. "Conv2d-1": class name and 1-based position in execution order
    shape: tuple[int, ...]  # output shape without the batch dimension
    params: int  # parameters owned by this module itself


def layer_table(model: nn.Module, input_shape: tuple[int, ...] = (1, 28, 28)) -> list[Row]:
    """Run one dummy image through `model` and record every leaf module's output shape."""
    rows: list[Row] = []

    def record(module: nn.Module, _inputs, output: torch.Tensor) -> None:
        name = f"{type(module).__name__}-{len(rows) + 1}"
        rows.append(Row(name, tuple(output.shape[1:]), sum(p.numel() for p in module.parameters())))

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(record) for m in leaves]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return rows


def format_table(model: nn.Module, input_shape: tuple[int, ...] = (1, 28, 28)) -> str:
    rows = layer_table(model, input_shape)
    total, trainable = count_parameters(model), count_parameters(model, trainable_only=True)
    rule, double = "-" * 64, "=" * 64
    lines = [rule, f"{'Layer (type)':>20}  {'Output Shape':>25} {'Param #':>15}", double]
    for row in rows:
        shape = "[-1, " + ", ".join(str(d) for d in row.shape) + "]"
        lines.append(f"{row.name:>20}  {shape:>25} {row.params:>15,}")
    lines += [
        double,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        rule,
    ]
    return "\n".join(lines)
