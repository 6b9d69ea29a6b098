"""Busy-core benchmark: how much slower a `fast` training step gets when other programs keep the cores busy.

    python bench/threads.py [--seconds 6] [--out output/threads.json]

For 2 torch threads and each OpenMP wait policy (libgomp's default, which spins up to 300,000 rounds at
every barrier before it sleeps; PASSIVE, which sleeps at once; ACTIVE, which spins; and the default
policy with shorter spins, GOMP_SPINCOUNT 1,000 and 10,000), and for 1 thread (which forms no OpenMP
team, so the policy does not apply: an earlier run measured all three alike), it times steps of the
`fast` model's training (batch 256, SGD, channels-last, random images: the arithmetic does not depend on the
pixels) in a fresh process, since OpenMP reads the policy once when torch loads it, with 0, 1 and 2 cores
kept busy by busy-loop processes that this script starts and stops itself. Each case runs for a fixed time
(`--seconds`) after 5 warm-up steps; the figure is the mean step time (an epoch's time is a sum of steps).
The last case of each load is the `mnist train` default: mnist/threads.py's OpenMP setting, and its
thread count chosen, as `mnist train` does, after sampling how busy the machine is.
Run it on an otherwise idle machine.
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
    "spin 1k": {"GOMP_SPINCOUNT": "1000"}, "spin 10k": {"GOMP_SPINCOUNT": "10000"},
}
LOADS = {0: "idle", 1: "one core busy", 2: "both cores busy"}
GOALS = {1: 2.0, 2: 2.5}  # most slowdown allowed, against the idle time, with this many cores busy
IDLE_LOSS_GOAL = 0.05  # the chosen default may be at most 5 % slower than the fastest idle setting


def worker(threads: int, seconds: float) -> dict:
    """Time `fast` training steps in this process: runs in a child whose environment holds the policy."""
    import torch  # before mnist: the package would otherwise set its own wait policy

    sys.path.insert(0, str(ROOT))
    from mnist.config import recipe
    from mnist.models import build
    from mnist.threads import default_threads
    from mnist.train import make_optimizer

    torch.set_num_threads(threads or default_threads())
    torch.manual_seed(0)
    c = recipe("fast")
    model = build("fast").to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, c)
    x = torch.randn(c.batch_size, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (c.batch_size,))

    def step():
        loss = torch.nn.functional.nll_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(5):
        step()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 5:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    return {"steps": len(times), "mean_ms": round(1000 * sum(times) / len(times), 2),
            "median_ms": round(1000 * times[len(times) // 2], 2), "max_ms": round(1000 * times[-1], 2),
            "torch_threads": torch.get_num_threads()}


def measure(threads: int, policy: str, busy: int, seconds: float) -> dict:
    """Time steps in a fresh process with `threads` threads (0: the mnist default) and `busy` cores busy."""
    from mnist.threads import OPENMP_ENV

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "GOMP_SPINCOUNT")}
    env.update(POLICIES[policy] if threads else OPENMP_ENV)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    time.sleep(0.5)  # let them start
    try:
        done = subprocess.run([sys.executable, __file__, "--worker", str(threads), "--seconds", str(seconds)],
                              env=env, capture_output=True, text=True, check=True)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(cases: list[dict]) -> dict:
    """Per setting: idle ms per step, its loss against the fastest idle setting, and its slowdown with 1 and 2
    cores busy, against its own idle time and against the fastest idle setting; the goals for the default."""
    by = {(r["threads"], r["policy"], r["busy"]): r["mean_ms"] for r in cases}
    fastest_idle = min(ms for (_, _, busy), ms in by.items() if busy == 0)
    rows = {}
    for t, p in dict.fromkeys((r["threads"], r["policy"]) for r in cases):
        idle = by[(t, p, 0)]
        rows[p if not t else f"{t} threads, {p}"] = {
            "threads": t or "chosen at start", "policy": p, "idle_ms": idle,
            "idle_loss": round(idle / fastest_idle - 1, 3),
            **{f"slowdown_{busy}_busy": round(by[(t, p, busy)] / idle, 2) for busy in LOADS if busy and
               (t, p, busy) in by},
            **{f"slowdown_{busy}_busy_vs_fastest_idle": round(by[(t, p, busy)] / fastest_idle, 2)
               for busy in LOADS if busy and (t, p, busy) in by},
        }
    chosen = rows["mnist default"]
    chosen["goals_met"] = chosen["idle_loss"] <= IDLE_LOSS_GOAL and all(
        chosen.get(f"slowdown_{busy}_busy", 0) <= goal for busy, goal in GOALS.items())
    return {"fastest_idle_ms": fastest_idle, "rows": rows}


def report(r: dict) -> None:
    print(f"{LOADS[r['busy']]:>16}, {r['threads'] or 'default'} threads ({r['torch_threads']}), {r['policy']:>13}: "
          f"{r['mean_ms']:7.1f} ms/step mean, {r['median_ms']:7.1f} median, {r['max_ms']:7.1f} max "
          f"({r['steps']} steps)", flush=True)


@click.command()
@click.option("--seconds", type=float, default=6.0, show_default=True, help="Timed seconds per case.")
@click.option("--out", type=click.Path(dir_okay=False), default=str(ROOT / "output" / "threads.json"),
              show_default=True, help="Where to write the figures.")
@click.option("--worker", "worker_threads", type=int, default=None, hidden=True,
              help="Internal: time steps with this many threads and print them as JSON.")
def cli(seconds, out, worker_threads):
    if worker_threads is not None:
        print(json.dumps(worker(worker_threads, seconds)))
        return
    sys.path.insert(0, str(ROOT))
    from mnist.files import write_json
    from mnist.threads import OPENMP_ENV, usable_cpus

    cpus = usable_cpus()
    thread_counts = [t for t in (1, 2) if t <= cpus]
    load_at_start = os.getloadavg()[0]
    started = time.time()
    cases = []
    for busy in [b for b in LOADS if b <= cpus]:
        for threads in thread_counts:
            for policy in POLICIES if threads > 1 else ["default"]:
                cases.append({"threads": threads, "policy": policy, "busy": busy,
                              **measure(threads, policy, busy, seconds)})
                report(cases[-1])
        cases.append({"threads": 0, "policy": "mnist default", "busy": busy, **measure(0, "", busy, seconds)})
        report(cases[-1])
    summary = summarise(cases)
    for name, row in summary["rows"].items():
        print(f"{name:>22}: {row}")
    import torch

    env = {"cpu": platform.processor() or platform.machine(), "usable_cpus": cpus, "python": platform.python_version(),
           "torch": torch.__version__, "load_average_at_start": round(load_at_start, 2),
           "wall_seconds": round(time.time() - started, 1), "seconds_per_case": seconds,
           "mnist_default": {"openmp_env": OPENMP_ENV, "threads": "usable CPUs less those other programs keep busy"},
           "goals": {"idle_loss_at_most": IDLE_LOSS_GOAL, "slowdown_at_most": {f"{b}_busy": g for b, g in GOALS.items()}}}
    write_json(out, {"environment": env, "summary": summary, "cases": cases})
    print(f"wrote {out}")


if __name__ == "__main__":
    cli()
