"""How many CPU threads torch uses, and how they wait: a default that stays fast when other programs are busy.

Two torch threads on a 2-core machine are 1.8x as fast as one when the machine is idle, but when other
programs keep the cores busy, each OpenMP barrier waits for a partner thread that is not running, and a
step takes 3-8x as long (bench/threads.py, output/threads.json). So the default is chosen when training
starts: one thread per usable CPU that other programs are not keeping busy (at least one). And, in case
the machine gets busy later, a thread that reaches a barrier spins for 10,000 rounds before it sleeps
instead of libgomp's 300,000, which gives a busy core back sooner at almost no cost on an idle machine.
The spin count is read once, when torch loads its OpenMP library, so it must be in the environment before
`import torch`: `mnist/__init__.py` calls `set_wait_policy()` first thing.
"""

from __future__ import annotations

import os
import sys
import time

OPENMP_ENV = {"GOMP_SPINCOUNT": "10000"}  # libgomp's; LLVM's OpenMP (macOS) ignores it
USER_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")  # if the user set either, theirs is kept as it is
BUSY_SAMPLE_SECONDS = 0.25  # how long the machine's CPU use is sampled before training starts


def set_wait_policy() -> None:
    """Put OPENMP_ENV in the environment unless the user chose a policy, or torch is already loaded."""
    if "torch" not in sys.modules and not any(name in os.environ for name in USER_SETTINGS):
        os.environ.update(OPENMP_ENV)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, which taskset or a container may narrow)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def busy_cpus(seconds: float = BUSY_SAMPLE_SECONDS) -> float:
    """How many CPUs other programs keep busy, sampled over `seconds` while this process sleeps (0 if unknown)."""
    before = _cpu_times()
    time.sleep(seconds)
    after = _cpu_times()
    if before is None or after is None or after[1] == before[1]:
        return 0.0
    return (os.cpu_count() or 1) * (after[0] - before[0]) / (after[1] - before[1])


def default_threads() -> int:
    """One thread per usable CPU that other programs are not keeping busy, at least one."""
    return max(1, usable_cpus() - round(busy_cpus()))


def set_threads(threads: int | None = None) -> int:
    """Use `threads` torch threads; by default $OMP_NUM_THREADS if set, else `default_threads()`. Returns the count."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    elif not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(default_threads())
    return torch.get_num_threads()
