"""What the machine can do and whether it is idle: matmul peaks, a calibration, a model's training FLOPs.

The benchmark's figures are only worth comparing when nothing else runs. `idle_verdict` is the pure rule;
the rest measures. The idle figure is recorded once per machine in output/idle_calibration.json.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

MAX_LOAD_PER_CORE = 0.15  # a 1-minute load average above this many runnable processes per core is "busy"
MIN_CALIBRATION = 0.85  # busy when the calibration matmul runs below this fraction of the idle figure
CALIBRATION_SIZE = 512  # the calibration: a 512x512 fp32 matmul, short enough to be cheap, long enough to time


def load_average() -> float:
    """The 1-minute load average (runnable plus waiting processes)."""
    return os.getloadavg()[0]


def matmul_gflops(n: int, dtype: torch.dtype, seconds: float = 0.5, repeats: int = 5, device: str = "cpu") -> float:
    """GFLOP/s of an n x n x n matmul in `dtype` on `device`: the best of `repeats` timed spells."""
    a, b = torch.randn(n, n, device=device).to(dtype), torch.randn(n, n, device=device).to(dtype)
    _time(a, b, 1)  # warm-up: oneDNN (or cuBLAS) picks its kernel
    reps = max(1, int(seconds / max(1e-6, _time(a, b, 1))))
    best = min(_time(a, b, reps) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _time(a: torch.Tensor, b: torch.Tensor, reps: int) -> float:
    """Seconds per a @ b, over `reps` of them."""
    sync = torch.cuda.synchronize if a.is_cuda else (lambda: None)
    sync()
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync()
    return (time.perf_counter() - t0) / reps


def calibration_gflops() -> float:
    """The fixed calibration figure: a short fp32 matmul, compared with the idle machine's."""
    return matmul_gflops(CALIBRATION_SIZE, torch.float32, seconds=0.2, repeats=5)


@dataclass(frozen=True)
class IdleCheck:
    load: float  # 1-minute load average when checked
    calibration: float  # calibration GFLOP/s now
    idle_calibration: float | None  # the recorded idle figure, None if none was recorded yet
    cores: int  # CPUs the load is shared by
    reasons: tuple[str, ...]  # why the machine is judged busy; empty when idle

    @property
    def idle(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict:
        return {"load": round(self.load, 2), "calibration_gflops": round(self.calibration, 1),
                "idle_calibration_gflops": self.idle_calibration and round(self.idle_calibration, 1),
                "cores": self.cores, "idle": self.idle, "reasons": list(self.reasons)}


def idle_verdict(load: float, calibration: float, idle_calibration: float | None, cores: int) -> IdleCheck:
    """Judge the machine idle or busy from its load average and its calibration against the idle figure."""
    reasons = []
    if load > MAX_LOAD_PER_CORE * cores:
        reasons.append(f"1-minute load average {load:.2f} is above {MAX_LOAD_PER_CORE * cores:.2f} "
                       f"({MAX_LOAD_PER_CORE} per core on {cores} cores)")
    if idle_calibration and calibration < MIN_CALIBRATION * idle_calibration:
        reasons.append(f"the calibration matmul ran at {calibration:.1f} GFLOP/s, below {MIN_CALIBRATION:.0%} "
                       f"of the {idle_calibration:.1f} GFLOP/s recorded on this machine idle")
    return IdleCheck(load, calibration, idle_calibration, cores, tuple(reasons))


def training_flops_per_image(model: torch.nn.Module, batch: int = 64) -> float:
    """Conv and matmul FLOPs of one training step (forward and backward) per image, as counted by
    torch's FlopCounterMode. Elementwise layers (BN, ReLU, pooling) are not counted: they are a small
    share of the arithmetic, though not of the time."""
    x = torch.randn(batch, 1, 28, 28)
    model.train()
    with FlopCounterMode(display=False) as counter:
        F.nll_loss(model(x), torch.zeros(batch, dtype=torch.long)).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() / batch
