"""Time `backprop-sheet check` on a class: 100 submissions of 6 learning-rate sheets × 100 iterations.

Run from the repository root: `python bench/check_speed.py [--files N] [--repeats R]`. The submissions
are student-style workbooks from the test corpus generator (its one-sheet-per-rate layouts in turn:
varied header spellings and parameter places, most with a planted mistake), written once; each run is the console command, from
start-up through the LibreOffice recalculation of every file to the last report line. Writes
output/check_bench.json with the hardware and versions it was measured on.
"""

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path

from backprop_generate import cpu_model  # a sibling script: bench/ is on sys.path when this one runs

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 60.0  # a class of 100 graded in a minute on a 2-core laptop
RATES = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0)


def _corpus():
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "tests" / "backprop_sheet" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_class(folder: Path, files: int) -> list[Path]:
    corpus = _corpus()
    layouts = [s for s in corpus.SPECS if s.suffix == ".xlsx" and s.layout == "sheets" and not s.values_only
               and s.rate == "label"]
    paths = []
    for k in range(files):
        base = layouts[k % len(layouts)]
        spec = replace(base, name=f"student{k:03d}", rates=RATES, rows=100, title="lr {rate}",
                       expected=())
        paths.append(corpus.build(spec, folder))
    return paths


def soffice_version() -> str:
    try:
        run = subprocess.run(["soffice", "--version"], check=False, capture_output=True, text=True, timeout=60)
        return run.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100, help="submissions in the class")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (the median is reported)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="check-bench-") as tmp:
        paths = make_class(Path(tmp), args.files)
        command = ["backprop-sheet", "check", *map(str, paths), "--csv", str(Path(tmp) / "grades.csv")]
        seconds, statuses = [], {}
        for _ in range(args.repeats):
            start = time.perf_counter()
            run = subprocess.run(command, check=False, capture_output=True, text=True)
            seconds.append(time.perf_counter() - start)
            if run.returncode not in (0, 1):
                sys.exit(f"check failed (exit {run.returncode}): {run.stderr.strip()}")
            lines = (Path(tmp) / "grades.csv").read_text().splitlines()[1:]
            statuses = {s: sum(line.split(",")[1] == s for line in lines) for s in ("ok", "mistakes", "unreadable")}
        size = sum(p.stat().st_size for p in paths)
    median = statistics.median(seconds)
    record = {
        "files": args.files, "sheets_per_file": len(RATES), "iterations": 100,
        "graded": statuses, "total_bytes": size,
        "target_s": TARGET_S, "repeats": args.repeats,
        "median_s": round(median, 2), "all_s": [round(s, 2) for s in seconds],
        "per_file_s": round(median / args.files, 3),
        "hardware": {"cpu": cpu_model(), "cores": os.cpu_count(), "machine": platform.machine()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "versions": {"python": platform.python_version(), "libreoffice": soffice_version(),
                     **{p: version(p) for p in ("openpyxl", "numpy", "click")}},
        "date": time.strftime("%Y-%m-%d"),
    }
    (ROOT / "output").mkdir(exist_ok=True)
    (ROOT / "output" / "check_bench.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"{args.files} submissions × {len(RATES)} sheets × 100 iterations: check {median:.1f} s "
          f"(median of {args.repeats}: {', '.join(f'{s:.1f}' for s in seconds)}; target ≤ {TARGET_S:g} s); "
          f"graded {statuses}; wrote output/check_bench.json")


if __name__ == "__main__":
    main()
