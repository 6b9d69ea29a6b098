"""Time `backprop-sheet generate`: the default workbook, and 6 sheets × 10,000 iterations.

Run from the repository root: `python bench/backprop_generate.py`. Prints the figures and writes
output/backprop_bench.json with the hardware and versions they were measured on.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from backprop_sheet.config import SheetConfig
from backprop_sheet.generate import generate
from backprop_sheet.layout import columns

CASES = {  # name: (config, target seconds from the issue, repeats)
    "default (6 × 100)": (SheetConfig(), 2.0, 5),
    "6 × 10,000": (SheetConfig(iterations=10_000), 30.0, 3),
}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def time_call(config: SheetConfig, out: Path, repeats: int) -> list[float]:
    """In-process: generate() alone, as a caller of the library sees it."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        generate(config, out)
        seconds.append(time.perf_counter() - start)
    return seconds


def time_command(config: SheetConfig, out: Path, repeats: int) -> list[float]:
    """The console command, Python start-up and imports included, as a user sees it."""
    command = ["backprop-sheet", "generate", "--out", str(out), "--iterations", str(config.iterations)]
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (config, target, repeats) in CASES.items():
            out = Path(tmp) / "bench.xlsx"
            call = time_call(config, out, repeats)
            command = time_command(config, out, repeats)
            results.append({
                "case": name, "sheets": len(config.learning_rates), "iterations": config.iterations,
                "cells": len(config.learning_rates) * config.iterations * len(columns(config.spec)),
                "target_s": target, "repeats": repeats,
                "generate_median_s": round(statistics.median(call), 3), "generate_all_s": [round(s, 3) for s in call],
                "command_median_s": round(statistics.median(command), 3),
                "command_all_s": [round(s, 3) for s in command],
                "file_bytes": out.stat().st_size,
            })
            print(f"{name}: generate() {statistics.median(call):.2f} s, `backprop-sheet generate` "
                  f"{statistics.median(command):.2f} s (median of {repeats}; target < {target:g} s), "
                  f"{out.stat().st_size / 1e6:.1f} MB")
    record = {
        "results": results,
        "hardware": {"cpu": cpu_model(), "cores": os.cpu_count(), "machine": platform.machine()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "versions": {"python": platform.python_version(), "platform": platform.platform(),
                     **{p: version(p) for p in ("openpyxl", "numpy", "click")}},
        "date": time.strftime("%Y-%m-%d"),
    }
    Path("output").mkdir(exist_ok=True)
    Path("output/backprop_bench.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"hardware: {record['hardware']['cpu']}, {record['hardware']['cores']} cores; "
          f"load average before {record['load_average_before'][0]}; wrote output/backprop_bench.json")


if __name__ == "__main__":
    sys.exit(main())
