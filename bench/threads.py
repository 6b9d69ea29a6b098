"""Busy-core benchmark: how much slower `fast` training gets when other programs keep the cores busy.

    python bench/threads.py [--seconds 8] [--repeats 3] [--out output/threads.json]
    python bench/threads.py --default-only --repeats 10 --out output/threads_default.json

Times steps of the `fast` recipe's training (batch 256, SGD, channels-last, its bf16 autocast where the CPU
runs bf16 fast; random images: the arithmetic does not depend on the pixels) in a fresh process per case,
since OpenMP reads its wait policy once, when torch loads it. Settings: 1 thread (no OpenMP team, so no
wait policy applies); 2 threads under libgomp's default policy (spin up to 300,000 rounds at a barrier,
then sleep), PASSIVE (sleep at once), ACTIVE (spin, never sleep) and GOMP_SPINCOUNT=10000; and the
`mnist train` default (its spin count, its thread count chosen at the start and re-chosen every second
while training by mnist/threads.py's ThreadGovernor). Loads: idle, one and both cores kept busy by busy-loop processes from
before the run starts, and, for the settings that a load arriving later treats differently, busy loops
that start mid-run (the figure then covers the seconds after they start, the governor's reaction
included). Each case runs for `--seconds` after 5 warm-up steps, and all cases are repeated `--repeats`
times, interleaved; the figure is the median over repeats of each case's mean step time (an epoch's
time is a sum of steps). `--default-only` times only the `mnist train` default, so that more repeats fit
in the same time and its slowdowns get a tighter median (its idle loss needs the other settings). Run it
on an otherwise idle machine.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
POLICIES = {  # name: the OpenMP environment it sets ("default": none, libgomp's own behaviour)
    "default": {}, "PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"}, "ACTIVE": {"OMP_WAIT_POLICY": "ACTIVE"},
    "spin 10k": {"GOMP_SPINCOUNT": "10000"},
}
LOADS = {0: "idle", 1: "one core busy", 2: "both cores busy"}
MID_RUN_AFTER = 1.0  # mid-run cases: seconds of idle timed steps before the busy loops start
HOG = [sys.executable, "-c", "while True: pass"]
GOALS = {1: 2.0, 2: 2.5}  # most slowdown allowed, against the idle time, with this many cores busy
IDLE_LOSS_GOAL = 0.05  # the chosen default may be at most 5 % slower than the fastest idle setting


def worker(threads: int, seconds: float, hogs: int) -> dict:
    """Time `fast` training steps in this process: runs in a child whose environment holds the policy.

    threads 0: the mnist default, with its governor. hogs > 0: start that many busy loops after
    MID_RUN_AFTER timed seconds and time the `seconds` after they start.
    """
    import torch  # before mnist: the package would otherwise set its own wait policy

    sys.path.insert(0, str(ROOT))
    from mnist.config import recipe
    from mnist.models import build
    from mnist.threads import set_threads
    from mnist.train import autocast, make_optimizer, resolve_precision

    governor = set_threads(threads or None)
    torch.manual_seed(0)
    c = recipe("fast")
    precision, _ = resolve_precision(c, torch.device("cpu"))
    model = build("fast").to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, c)
    x = torch.randn(c.batch_size, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (c.batch_size,))

    def step():
        with autocast(torch.device("cpu"), precision):
            logp = model(x).float()
        loss = torch.nn.functional.nll_loss(logp, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if governor is not None:
            governor.tick()

    def timed(limit: float) -> list[float]:
        times, start = [], time.perf_counter()
        while time.perf_counter() - start < limit or len(times) < 5:
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        return times

    for _ in range(5):
        step()
    threads_at_start, busy = torch.get_num_threads(), []
    if hogs:
        timed(MID_RUN_AFTER)
        busy = [subprocess.Popen(HOG) for _ in range(hogs)]
    try:
        times = sorted(timed(seconds))
    finally:
        for hog in busy:
            hog.kill()
            hog.wait()
    return {"steps": len(times), "mean_ms": round(1000 * sum(times) / len(times), 2),
            "median_ms": round(1000 * times[len(times) // 2], 2), "max_ms": round(1000 * times[-1], 2),
            "precision": precision, "threads_at_start": threads_at_start, "threads_at_end": torch.get_num_threads(),
            "thread_changes": governor.changes if governor else 0,
            "early_checks": governor.early_checks if governor else 0}


def measure(threads: int, policy: str, busy: int, mid_run: bool, seconds: float) -> dict:
    """Time steps in a fresh process with `threads` threads (0: the mnist default) and `busy` cores busy,
    from the start or from mid-run."""
    from mnist.threads import OPENMP_ENV

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "GOMP_SPINCOUNT")}
    env.update(POLICIES[policy] if threads else OPENMP_ENV)
    hogs = [] if mid_run else [subprocess.Popen(HOG) for _ in range(busy)]
    time.sleep(0.5)  # let them start
    try:
        done = subprocess.run([sys.executable, __file__, "--worker", str(threads), "--seconds", str(seconds),
                               "--hogs", str(busy if mid_run else 0)],
                              env=env, capture_output=True, text=True, check=True)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return round(values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2, 2)


def summarise(cases: list[dict]) -> dict:
    """Per setting: idle ms per step (median over repeats), its loss against the fastest idle setting, and
    its slowdown with 1 and 2 cores busy (from the start, and from mid-run), against its own idle time and
    against the fastest idle setting; whether the default meets the goals."""
    groups: dict[tuple, list[float]] = {}
    for r in cases:
        groups.setdefault((r["threads"], r["policy"], r["busy"], r["mid_run"]), []).append(r["mean_ms"])
    by = {key: median(values) for key, values in groups.items()}
    fastest_idle = min(ms for (_, _, busy, _), ms in by.items() if busy == 0)
    compared = len({(t, p) for t, p, _, _ in by}) > 1  # the idle loss needs other settings to compare with
    rows = {}
    for t, p in dict.fromkeys((r["threads"], r["policy"]) for r in cases):
        idle = by[(t, p, 0, False)]
        row = {"threads": t or "default", "policy": p, "idle_ms": idle,
               "idle_loss": round(idle / fastest_idle - 1, 3) if compared else None}
        for busy in [b for b in LOADS if b]:
            for mid_run, when in ((False, ""), (True, "_mid_run")):
                if (t, p, busy, mid_run) in by:
                    ms = by[(t, p, busy, mid_run)]
                    row[f"ms_{busy}_busy{when}"] = ms
                    row[f"slowdown_{busy}_busy{when}"] = round(ms / idle, 2)
                    row[f"slowdown_{busy}_busy{when}_vs_fastest_idle"] = round(ms / fastest_idle, 2)
        rows[p if not t else f"{t} thread{'s' if t > 1 else ''}, {p}"] = row
    chosen = rows["mnist default"]
    chosen["goals_met"] = (chosen["idle_loss"] is None or chosen["idle_loss"] <= IDLE_LOSS_GOAL) and all(
        chosen[f"slowdown_{busy}_busy"] <= goal for busy, goal in GOALS.items() if f"slowdown_{busy}_busy" in chosen)
    chosen["goals_met_mid_run"] = all(chosen[f"slowdown_{busy}_busy_mid_run"] <= goal for busy, goal in GOALS.items()
                                      if f"slowdown_{busy}_busy_mid_run" in chosen)
    return {"fastest_idle_ms": fastest_idle, "rows": rows}


def report(r: dict) -> None:
    print(f"{LOADS[r['busy']] + (' mid-run' if r['mid_run'] else ''):>24}, {r['threads'] or 'default'} threads "
          f"({r['threads_at_start']}->{r['threads_at_end']}, {r['thread_changes']} changes, {r.get('early_checks', 0)} early), {r['policy']:>13}: {r['mean_ms']:7.1f} ms/step mean, "
          f"{r['median_ms']:7.1f} median, {r['max_ms']:7.1f} max ({r['steps']} steps)", flush=True)


def case_list(cpus: int, default_only: bool = False) -> list[tuple[int, str, int, bool]]:
    """(threads, policy, busy cores, mid-run) for every case of one repeat."""
    settings = [] if default_only else [(t, p) for t in (1, 2) if t <= cpus
                                        for p in (POLICIES if t > 1 else ["default"])]
    settings.append((0, "mnist default"))
    loads = [b for b in LOADS if b <= cpus]
    cases = [(t, p, busy, False) for busy in loads for t, p in settings]
    mid_run = [(2, "default"), (0, "mnist default")] if cpus >= 2 and not default_only else [(0, "mnist default")]
    return cases + [(t, p, busy, True) for busy in loads if busy for t, p in mid_run]


@click.command()
@click.option("--seconds", type=float, default=8.0, show_default=True, help="Timed seconds per case.")
@click.option("--repeats", type=click.IntRange(1), default=3, show_default=True,
              help="Times every case is run, interleaved; the figure is the median.")
@click.option("--out", type=click.Path(dir_okay=False), default=str(ROOT / "output" / "threads.json"),
              show_default=True, help="Where to write the figures.")
@click.option("--default-only", is_flag=True, help="Time only the mnist default (more repeats in the same time).")
@click.option("--resummarise", is_flag=True, help="Recompute the summary of --out from its cases; time nothing.")
@click.option("--worker", "worker_threads", type=int, default=None, hidden=True,
              help="Internal: time steps with this many threads and print them as JSON.")
@click.option("--hogs", type=int, default=0, hidden=True, help="Internal: busy loops the worker starts mid-run.")
def cli(seconds, repeats, out, default_only, resummarise, worker_threads, hogs):
    if worker_threads is not None:
        print(json.dumps(worker(worker_threads, seconds, hogs)))
        return
    sys.path.insert(0, str(ROOT))
    from bpcore.files import write_json

    if resummarise:
        data = json.loads(Path(out).read_text())
        write_json(out, {**data, "summary": summarise(data["cases"])})
        print(json.dumps(data["summary"] | summarise(data["cases"]), indent=1))
        return
    from mnist.threads import MIN_SAMPLE_SECONDS, OPENMP_ENV, RECHECK_SECONDS, SLOW_STEP, usable_cpus

    cpus = usable_cpus()
    load_at_start = os.getloadavg()[0]
    started = time.time()
    cases = []
    for repeat in range(1, repeats + 1):
        for threads, policy, busy, mid_run in case_list(cpus, default_only):
            cases.append({"threads": threads, "policy": policy, "busy": busy, "mid_run": mid_run, "repeat": repeat,
                          **measure(threads, policy, busy, mid_run, seconds)})
            report(cases[-1])
    summary = summarise(cases)
    for name, row in summary["rows"].items():
        print(f"{name:>22}: {row}")
    import torch

    env = {"cpu": platform.processor() or platform.machine(), "usable_cpus": cpus, "python": platform.python_version(),
           "torch": torch.__version__, "load_average_at_start": round(load_at_start, 2),
           "load_average_at_end": round(os.getloadavg()[0], 2),
           "wall_seconds": round(time.time() - started, 1), "seconds_per_case": seconds, "repeats": repeats,
           "default_only": default_only,
           "mid_run_after_seconds": MID_RUN_AFTER,
           "mnist_default": {"openmp_env": OPENMP_ENV, "threads": "usable CPUs less those other programs keep busy, "
                             f"chosen at the start and every {RECHECK_SECONDS:g} s while training, "
                             f"and {MIN_SAMPLE_SECONDS:g} s after a step {SLOW_STEP:g}x the typical one"},
           "goals": {"idle_loss_at_most": IDLE_LOSS_GOAL, "slowdown_at_most": {f"{b}_busy": g for b, g in GOALS.items()}}}
    write_json(out, {"environment": env, "summary": summary, "cases": cases})
    print(f"wrote {out}")


if __name__ == "__main__":
    cli()
