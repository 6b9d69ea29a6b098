"""Keep freed memory for reuse, so that a training step does not page-fault its buffers back in each time.

Every step allocates and frees the same activation and gradient buffers, megabytes each. glibc's malloc
serves a block above its mmap threshold straight from the operating system and unmaps it when freed,
and it gives the free top of its heap back once that passes its trim threshold. Both thresholds move by
themselves, following the largest block recently unmapped (up to 32 MiB), so whether a step's buffers
are reused or faulted in afresh, page by page, depends on what else the process allocated before.
Timing steps alone, with nothing else allocated, glibc's own thresholds cost 880-6,600 page faults per
step and made a step of `fast`, `tiny` and `reference` 1.08x, 1.38x and 1.28x slower. In the trainer the
float32 augmentation chunks (31 MiB) used to raise the thresholds far enough by chance; with uint8 chunks
(7.8 MiB) `fast`'s evaluation took 0.28-0.37 s instead of 0.16 s, until this module fixed the thresholds.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
MMAP_THRESHOLD = 32 * 2**20  # blocks up to this size come from the heap and are reused: glibc's maximum
TRIM_THRESHOLD = 256 * 2**20  # free memory at the top of the heap is given back only beyond this much
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")


def keep_freed_memory() -> str:
    """Fix glibc malloc's two thresholds (see the module docstring). Returns what was done, for the run's
    record: "kept", or why not: the user's own malloc settings are left alone, and only glibc has these."""
    if any(name in os.environ for name in USER_SETTINGS):
        return "user settings"
    if not sys.platform.startswith("linux"):
        return "not glibc"
    try:
        mallopt = ctypes.CDLL(None).mallopt  # from the C library this process already runs on
    except (OSError, AttributeError):
        return "not glibc"
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    if not (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
        return "not glibc"  # musl has a mallopt that ignores its arguments and returns 0
    return "kept"
