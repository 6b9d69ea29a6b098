"""Training without importing torch's compiler: the same steps as torch.optim's own, and no torch._dynamo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from mnist import startup

ROOT = Path(__file__).resolve().parents[2]


def trained(optimizer_of, take_step, steps: int = 5) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    optimizer = optimizer_of(model.parameters())
    x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()
        take_step(optimizer)
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("optimizer_of", [
    lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: torch.optim.SGD(ps, lr=0.1),
    lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.01),
], ids=["sgd-nesterov", "sgd", "adamw"])
def test_step_is_torch_optims_own_step(optimizer_of):
    startup.skip_compiler_import()
    ours = trained(optimizer_of, startup.step)
    theirs = trained(optimizer_of, lambda opt: opt.step())
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs))
    assert not all(torch.equal(a, b) for a, b in zip(ours, trained(optimizer_of, lambda opt: None)))


def test_a_hooked_optimizer_takes_the_ordinary_step():
    calls = []
    def optimizer_of(ps):
        opt = torch.optim.SGD(ps, lr=0.1)
        opt.register_step_post_hook(lambda *args: calls.append(1))
        return opt
    trained(optimizer_of, startup.step, steps=3)
    assert calls == [1, 1, 1]


def test_training_imports_no_compiler(dataset, tmp_path):
    """A whole (small) run in a fresh process: torch._dynamo, sympy and triton are never imported."""
    code = (
        "import sys\n"
        "from mnist import data, train\n"
        "from mnist.config import recipe\n"
        f"result = train.train(recipe('fast', subset=512, epochs=1), {str(tmp_path)!r}, data.load(), progress=False)\n"
        "assert result.epochs, result\n"
        "print(sorted(m for m in ('torch._dynamo', 'sympy', 'triton') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
