"""Time `backprop-sheet check` on a class whose workbooks a spreadsheet application saved (values included).

    python bench/check_saved.py [--files 100] [--repeats 3]

The submissions are the test corpus's one-sheet-per-rate layouts in turn, of 1-6 learning-rate sheets
and 20-200 iterations each (file k: 1 + k % 6 sheets, 20 + 37·k % 181 rows: a rule fixed in advance),
built once and saved by LibreOffice, as a student's spreadsheet would save them, with every formula's
value. Each timed run is the whole console command, start-up to the last line; `auto` (the values as
saved, no engine started) and `--recalculate always` (LibreOffice recalculates every file) are
interleaved. Writes output/check_saved_bench.json. About 3 minutes on 2 cores.
"""

import argparse
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

from backprop_generate import cpu_model  # sibling scripts: bench/ is on sys.path when this one runs
from check_speed import _corpus, soffice_version

from backprop_sheet.recalc import recalculate
from bpcore.files import write_json

ROOT = Path(__file__).resolve().parents[1]
TARGETS_S = {"auto": 10.0, "always": 30.0}  # issue goals for 100 such submissions on this 2-core machine
ALL_RATES = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0)


def make_class(folder: Path, files: int) -> list[Path]:
    """The submissions as a spreadsheet saved them: built by the corpus, then saved by LibreOffice."""
    corpus = _corpus()
    layouts = [s for s in corpus.SPECS if s.suffix == ".xlsx" and s.layout == "sheets" and not s.values_only
               and s.rate == "label"]
    built = folder / "built"
    built.mkdir()
    paths = []
    for k in range(files):
        spec = replace(layouts[k % len(layouts)], name=f"student{k:03d}", rates=ALL_RATES[: 1 + k % 6],
                       rows=20 + (37 * k) % 181, title="lr {rate}", expected=())
        paths.append(corpus.build(spec, built))
    saved = folder / "saved"
    saved.mkdir()
    return recalculate(paths, saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100, help="submissions in the class")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each mode (medians reported)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="check-saved-bench-") as tmp:
        paths = make_class(Path(tmp), args.files)
        base = ["backprop-sheet", "check", *map(str, paths), "--json", str(Path(tmp) / "grades.json")]
        commands = {"auto": base, "always": [*base, "--recalculate", "always"]}
        seconds = {mode: [] for mode in commands}
        values_from = {}
        for _ in range(args.repeats):
            for mode, command in commands.items():
                start = time.perf_counter()
                run = subprocess.run(command, check=False, capture_output=True, text=True)
                seconds[mode].append(time.perf_counter() - start)
                if run.returncode not in (0, 1):
                    sys.exit(f"check failed (exit {run.returncode}): {run.stderr.strip()}")
                files = json.loads((Path(tmp) / "grades.json").read_text())["files"]
                values_from[mode] = sorted({f["values_from"] or f["status"] for f in files})
        size = sum(p.stat().st_size for p in paths)
    medians = {mode: round(statistics.median(s), 2) for mode, s in seconds.items()}
    record = {
        "files": args.files, "sheets": "1 + k % 6", "iterations": "20 + 37·k % 181", "total_bytes": size,
        "repeats": args.repeats, "targets_s": TARGETS_S, "median_s": medians,
        "all_s": {mode: [round(x, 2) for x in s] for mode, s in seconds.items()},
        "met": {mode: medians[mode] <= TARGETS_S[mode] for mode in medians}, "values_from": values_from,
        "hardware": {"cpu": cpu_model(), "cores": os.cpu_count(), "machine": platform.machine()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "versions": {"python": platform.python_version(), "libreoffice": soffice_version(),
                     **{p: version(p) for p in ("openpyxl", "numpy", "click")}},
        "date": time.strftime("%Y-%m-%d"),
    }
    write_json(ROOT / "output" / "check_saved_bench.json", record)
    for mode, median in medians.items():
        print(f"{args.files} saved submissions, --recalculate {mode}: {median:.1f} s (median of {args.repeats}: "
              f"{', '.join(f'{x:.1f}' for x in seconds[mode])}; target ≤ {TARGETS_S[mode]:g} s)")


if __name__ == "__main__":
    main()
