"""The thread default: the OpenMP spin setting reaches the environment before torch loads (unless the user
chose their own), and the thread count leaves out the CPUs other programs keep busy, at the start and
while training."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import torch

from mnist import threads


def environment_after_importing_the_cli(**env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in threads.USER_SETTINGS}
    code = ("import os, mnist.cli, torch; "
            "print(os.environ.get('GOMP_SPINCOUNT'), os.environ.get('OMP_WAIT_POLICY'))")
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                         check=True).stdout.split()
    return dict(zip(["GOMP_SPINCOUNT", "OMP_WAIT_POLICY"], out))


@pytest.mark.slow  # a fresh process that imports torch
def test_the_spin_count_is_set_before_torch_loads():
    assert environment_after_importing_the_cli() == {"GOMP_SPINCOUNT": threads.OPENMP_ENV["GOMP_SPINCOUNT"],
                                                     "OMP_WAIT_POLICY": "None"}


@pytest.mark.slow  # fresh processes that import torch
def test_a_users_own_wait_policy_wins():
    assert environment_after_importing_the_cli(OMP_WAIT_POLICY="ACTIVE") == {"GOMP_SPINCOUNT": "None",
                                                                              "OMP_WAIT_POLICY": "ACTIVE"}
    assert environment_after_importing_the_cli(GOMP_SPINCOUNT="5")["GOMP_SPINCOUNT"] == "5"


@pytest.mark.parametrize("busy, usable, expected", [(0.0, 2, 2), (0.3, 2, 2), (0.5, 2, 1), (0.9, 2, 1),
                                                    (1.6, 2, 1), (3.0, 2, 1), (0.2, 8, 8), (2.6, 8, 5)])
def test_the_default_leaves_out_the_busy_cpus(monkeypatch, busy, usable, expected):
    monkeypatch.setattr(threads, "busy_cpus", lambda: busy)
    monkeypatch.setattr(threads, "usable_cpus", lambda: usable)
    assert threads.default_threads() == expected


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="needs /proc/stat")
def test_a_busy_loop_in_another_process_is_seen():
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        assert threads.busy_cpus(0.5) >= 0.7  # at least the hog's core (more if the machine is busier)
    finally:
        hog.kill()
        hog.wait()


def test_threads_given_are_used_and_omp_num_threads_is_respected(monkeypatch):
    before = torch.get_num_threads()
    try:
        assert threads.set_threads(1) is None  # a count given stays fixed: no governor
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        monkeypatch.setattr(threads, "default_threads", lambda: pytest.fail("OMP_NUM_THREADS was ignored"))
        assert threads.set_threads() is None
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_the_default_comes_with_a_governor(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "default_threads", lambda: 1)
    try:
        assert isinstance(threads.set_threads(), threads.ThreadGovernor)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_the_governor_follows_other_programs_load(monkeypatch):
    """Between checks it does nothing; at a check it sets the count the others' load leaves room for."""
    before = torch.get_num_threads()
    others = [0.0]
    monkeypatch.setattr(threads, "usable_cpus", lambda: 2)
    monkeypatch.setattr(threads.CpuSample, "others_busy", lambda self: others[0])
    try:
        torch.set_num_threads(2)
        governor = threads.ThreadGovernor(interval=0.0)
        assert governor.tick() is None  # idle: stays at 2
        others[0] = 0.6  # another program takes part of a core
        assert governor.tick() == 1 and torch.get_num_threads() == 1
        others[0] = 1.0  # it keeps its core: one thread stays
        assert governor.tick() is None
        others[0] = 0.05  # it stopped
        assert governor.tick() == 2 and torch.get_num_threads() == 2
        assert governor.changes == 2
        slow = threads.ThreadGovernor(interval=3600.0)
        others[0] = 2.0
        assert slow.tick() is None and torch.get_num_threads() == 2  # not yet time to look
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="needs /proc/stat")
def test_this_process_own_work_is_not_counted_as_others():
    sample = threads.CpuSample()
    end = time.monotonic() + 0.5
    while time.monotonic() < end:  # keep one core busy ourselves
        pass
    assert sample.others_busy() < 0.4  # less than a busy CPU's share, unless the machine is busy


def test_usable_cpus_follow_the_affinity_mask():
    if hasattr(os, "sched_getaffinity"):
        assert threads.usable_cpus() == len(os.sched_getaffinity(0))
    assert threads.usable_cpus() >= 1


def test_a_sudden_slow_step_brings_the_check_forward(monkeypatch):
    """Steps of 20 ms; a load arrives and they take 100 ms: the count drops about 0.25 s later, not 1 s."""
    before = torch.get_num_threads()
    clock, others = [1000.0], [0.0]
    monkeypatch.setattr(threads.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(threads, "usable_cpus", lambda: 2)
    monkeypatch.setattr(threads.CpuSample, "others_busy", lambda self: others[0])

    def steps(count: int, seconds: float) -> list[int | None]:
        changed = []
        for _ in range(count):
            clock[0] += seconds
            changed.append(governor.tick())
        return changed

    try:
        torch.set_num_threads(2)
        governor = threads.ThreadGovernor()
        assert steps(40, 0.02) == [None] * 40  # 0.8 s of steady steps: no check yet
        others[0] = 2.0  # both cores taken
        changed = steps(4, 0.1)
        assert changed == [None, None, None, 1] and torch.get_num_threads() == 1  # 0.3 s after the first slow step
        assert governor.early_checks == 1
        assert steps(5, 0.05) == [None] * 5  # one thread, 2.5x the old steps: typical by now, no early check
        others[0] = 0.0
        assert 2 in steps(25, 0.05) and governor.early_checks == 1  # the load left: the 1 s check sees it
    finally:
        torch.set_num_threads(before)


def test_steady_steps_leave_the_check_at_its_interval(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(threads.time, "monotonic", lambda: clock[0])
    governor = threads.ThreadGovernor(interval=3600.0)
    for seconds in [0.02, 0.03, 0.02, 0.04] * 50:  # jitter under SLOW_STEP times typical
        clock[0] += seconds
        assert governor.tick() is None
    assert governor.early_checks == 0
