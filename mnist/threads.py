"""How many CPU threads torch uses, and how they wait: a default that stays fast when other programs are busy.

Two torch threads on a 2-core machine are 1.6x as fast as one when the machine is idle, but when other
programs keep the cores busy, each OpenMP barrier waits for a partner thread that is not running, and a
step takes 3-8x as long (bench/threads.py, output/threads.json). So the default thread count is one per
usable CPU that other programs are not keeping busy (at least one), chosen when training starts and chosen
again every second while it runs (`ThreadGovernor`): a program that starts or stops mid-run changes
the count within RECHECK_SECONDS, and one that starts while two threads run within about a quarter
second, since the sudden slow steps it causes bring the check forward. And a thread that reaches a
barrier spins for 10,000 rounds before it sleeps instead of libgomp's 300,000, which gives a busy
core back sooner at no measurable cost on an idle machine. The spin count is read once, when torch
loads its OpenMP library, so it must be in the environment before `import torch`: `mnist/__init__.py`
calls `set_wait_policy()` first thing.
"""

from __future__ import annotations

import os
import sys
import time

OPENMP_ENV = {"GOMP_SPINCOUNT": "10000"}  # libgomp's; LLVM's OpenMP (macOS) ignores it
USER_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")  # if the user set either, theirs is kept as it is
BUSY_SAMPLE_SECONDS = 0.25  # how long the machine's CPU use is sampled before training starts
RECHECK_SECONDS = 1.0  # while training, how often the thread count is chosen again
SLOW_STEP = 2.0  # a step this many times the typical one since the last check starts an early check...
MIN_SAMPLE_SECONDS = 0.25  # ...if the CPU sample spans at least this long: as long as the one at the start
BUSY_SHARE = 0.4  # a CPU that other programs use this much of (or more) counts as busy


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
    """(busy, total) jiffies since boot of the CPUs this process may use, from /proc/stat; None where there is none."""
    mine = {f"cpu{i}" for i in os.sched_getaffinity(0)} if hasattr(os, "sched_getaffinity") else None
    busy = total = 0
    try:
        with open("/proc/stat") as f:
            for line in f:
                name, *values = line.split()
                if not name.startswith("cpu") or name == "cpu" or (mine is not None and name not in mine):
                    continue
                fields = [int(v) for v in values[:8]]
                idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
                busy, total = busy + sum(fields) - idle, total + sum(fields)
    except (OSError, ValueError):
        return None
    return (busy, total) if total else None


def _own_cpu_seconds() -> float:
    """CPU seconds this process has used, all its threads together."""
    t = os.times()
    return t.user + t.system


def busy_cpus(seconds: float = BUSY_SAMPLE_SECONDS) -> float:
    """How many usable CPUs other programs keep busy, sampled over `seconds` while this process sleeps (0 if unknown)."""
    sample = CpuSample()
    time.sleep(seconds)
    return sample.others_busy()


class CpuSample:
    """The usable CPUs' busy time since this was made, less this process's own: what other programs used."""

    def __init__(self):
        self.machine, self.own = _cpu_times(), _own_cpu_seconds()

    def others_busy(self) -> float:
        """CPUs kept busy by other programs since the sample began, on average (0 if unknown)."""
        machine, own = _cpu_times(), _own_cpu_seconds()
        if self.machine is None or machine is None or machine[1] == self.machine[1]:
            return 0.0
        cpus = usable_cpus()
        wall = (machine[1] - self.machine[1]) / (os.sysconf("SC_CLK_TCK") * cpus)  # seconds the sample spans
        used = cpus * (machine[0] - self.machine[0]) / (machine[1] - self.machine[1])  # CPUs busy, us included
        return max(0.0, used - (own - self.own) / wall)


def threads_for(usable: int, others: float) -> int:
    """One thread per usable CPU that others do not keep busy; a CPU counts as busy from BUSY_SHARE of it."""
    return max(1, usable - int(others + 1 - BUSY_SHARE))


def default_threads() -> int:
    """One thread per usable CPU that other programs are not keeping busy, at least one."""
    return threads_for(usable_cpus(), busy_cpus())


class ThreadGovernor:
    """Re-chooses the torch thread count every RECHECK_SECONDS while training: call `tick()` once per step.

    A load that arrives while several threads run makes every step several times slower at once (their
    barriers stall). So a step over SLOW_STEP times the typical one starts a fresh CPU sample, and the
    check comes once it spans MIN_SAMPLE_SECONDS: the count drops within about a quarter of a second of
    the first slow step instead of up to RECHECK_SECONDS later. The typical step is a running average of
    the steps since the last check, slow ones left out, so it is relearnt at each thread count. A false
    alarm (an epoch's end, a passing hiccup) costs one more /proc/stat read.
    """

    def __init__(self, interval: float = RECHECK_SECONDS):
        self.interval, self.changes, self.early_checks = interval, 0, 0
        self._last_tick = time.monotonic()
        self._restart()

    def _restart(self, early: bool = False) -> None:
        self._since, self._sample, self._early, self._typical = time.monotonic(), CpuSample(), early, None

    def _slow_step(self, now: float) -> bool:
        """Whether the step that just ended took over SLOW_STEP times the typical one; else it joins the average."""
        step, self._last_tick = now - self._last_tick, now
        if self._typical is not None and step > SLOW_STEP * self._typical:
            return True
        self._typical = step if self._typical is None else 0.9 * self._typical + 0.1 * step
        return False

    def tick(self) -> int | None:
        """The new thread count if it changed at this check, else None. Costs a clock read between checks."""
        now = time.monotonic()
        if self._slow_step(now) and not self._early:
            self._restart(early=True)  # sample the slow spell alone
        if now - self._since < (MIN_SAMPLE_SECONDS if self._early else self.interval):
            return None
        self.early_checks += self._early
        import torch

        wanted = threads_for(usable_cpus(), self._sample.others_busy())
        self._restart()
        if wanted == torch.get_num_threads():
            return None
        torch.set_num_threads(wanted)
        self.changes += 1
        return wanted


def set_threads(threads: int | None = None) -> ThreadGovernor | None:
    """Use `threads` torch threads; by default $OMP_NUM_THREADS if set, else `default_threads()`.

    Returns a ThreadGovernor that keeps the default up to date while training, or None when the count was
    given (by `threads` or $OMP_NUM_THREADS), which then stays fixed.
    """
    import torch

    if threads:
        torch.set_num_threads(threads)
    elif not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(default_threads())
        return ThreadGovernor()
    return None
