"""Keeping freed memory: each allocation pattern runs in a fresh process, as malloc's thresholds are process-wide."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnist.memory import USER_SETTINGS, keep_freed_memory

ROOT = Path(__file__).resolve().parents[2]
# A training step in miniature, straight on the C library (no other allocation can come between): four
# 8 MiB buffers allocated, written and freed, 30 times over. With glibc's own thresholds the freed 32 MiB
# at the top of the heap passes its trim threshold (twice the largest block recently unmapped: 16 MiB),
# goes back to the system and is faulted in again the next time.
STEPS = """
import ctypes, json, resource, sys
sys.path.insert(0, {root!r})
from mnist.memory import keep_freed_memory
done = keep_freed_memory() if {keep} else "default"
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
SIZE = 8 * 2**20
def step():
    buffers = [libc.malloc(SIZE) for _ in range(4)]
    for b in buffers:
        ctypes.memset(b, 1, SIZE)
    for b in reversed(buffers):
        libc.free(b)
libc.free(libc.malloc(SIZE))  # glibc's thresholds follow this first, unmapped block: 8 and 16 MiB
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    step()
print(json.dumps({{"done": done, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}}))
"""


def faults(keep: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in USER_SETTINGS}
    out = subprocess.run([sys.executable, "-c", STEPS.format(root=str(ROOT), keep=keep)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc thresholds: Linux only")
def test_kept_memory_is_reused_not_faulted_in_again():
    default, kept = faults(keep=False), faults(keep=True)
    assert kept["done"] == "kept"
    pages = 4 * 8 * 2**20 // 4096  # one step's buffers, in 4 KiB pages
    assert default["faults"] > 20 * pages  # faulted in again at (almost) every one of the 30 steps
    assert kept["faults"] < pages  # reused


def test_the_users_own_malloc_settings_are_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1000000")
    assert keep_freed_memory() == "user settings"


def test_elsewhere_than_linux_nothing_is_changed(monkeypatch):
    for name in USER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert keep_freed_memory() == "not glibc"
