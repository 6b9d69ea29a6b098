"""Benchmark: train each model's default recipe for N seeds, interleaved, on an idle machine, in one run.

    python bench/benchmark.py [--seeds 5] [--models reference,seed,fast,tiny] [--seeds-for seed=2]
                              [--threads 2] [--device cpu] [--tag _h200] [--allow-noisy] [--docs]

Before it starts it checks that the machine is idle: the 1-minute load average, and a short fixed
matmul timed against the figure this script recorded on the idle machine (output/idle_calibration.json,
written on the first idle run). A busy machine is refused, unless `--allow-noisy`, which marks every
figure "noisy". Models are interleaved (seed 1 of each, then seed 2, ...) so that a slow spell hits all
of them alike. Per run it records wall and process CPU time, the load average before and after, and the
achieved training GFLOP/s (conv and matmul FLOPs per image of one forward and backward pass, times the
images trained, over the training seconds) against the fp32 and bf16 matmul peaks measured in the same
run. Each run trains in a fresh process, as `mnist train` would: a run then never inherits another's
allocator or kernel caches (when all ran in one process, `fast` seeds 2-5 took 17-26 % longer than
seed 1, which ran before any `tiny`). Writes
output/benchmark{tag}.json after every run, output/benchmark{tag}.png and
output/mnist_seed{tag}.json at the end; `--docs` then rewrites the result tables of docs/benchmarks.md
(bench/report.py). In each run the data is in memory before the clock starts.
"""

from __future__ import annotations

import os

# Read before anything else runs: loading torch and the data takes seconds of CPU, which the 1-minute
# load average would count against the machine.
LOAD_AT_START = os.getloadavg()[0]

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import mnist  # noqa: F401 - first: it sets the OpenMP wait policy, which torch reads once, when it loads

# isort: split
import machine
import report
import torch

from bpcore.files import write_json
from bpcore.plotting import COLOURS, figure, save_png
from mnist import data as mnist_data
from mnist.config import recipe
from mnist.models import build
from mnist.threads import set_threads
from mnist.train import hardware, train

OUTPUT = Path(__file__).resolve().parents[1] / "output"
IDLE_FILE = "idle_calibration.json"  # in the output folder: this machine's calibration figure when idle
SPEED_GOALS = {("reference", "fast"): 15.0}  # fast must be at least 15x quicker than the reference recipe


def run_summary(result, wall: float, cpu: float, load_before: float, load_after: float, flops: float,
                peaks: dict, noisy: bool) -> dict:
    """One run's figures: per-epoch accuracy and seconds, time to the target, speed against the peak."""
    c = result.config
    elapsed, first = 0.0, None
    for e in result.epochs:
        elapsed += e["seconds"]
        if first is None and e["test_accuracy"] >= c.target:
            first = {"epoch": e["epoch"], "seconds": round(elapsed, 2)}
    train_seconds = sum(e["train_seconds"] for e in result.epochs)
    images = (60_000 - c.val_split if not c.subset else c.subset) * len(result.epochs)
    gflops = flops * images / train_seconds / 1e9
    return {
        "model": c.model, "seed": c.seed, "params": result.params, "precision": result.precision,
        "note": result.note, "accuracy": [round(a, 2) for a in result.accuracies],
        "seconds": [round(e["seconds"], 2) for e in result.epochs],
        "final_accuracy": round(result.accuracies[-1], 2), "first_at_target": first,
        "total_seconds": round(elapsed, 2), "train_seconds": round(train_seconds, 2),
        "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
        "threads": sorted({e["threads"] for e in result.epochs}),  # at each epoch's end
        "load_before": round(load_before, 2), "load_after": round(load_after, 2),
        "flops_per_image": round(flops), "images": images, "gflops": round(gflops, 1),
        "fraction_of_peak": round(gflops / peaks[result.precision], 3),
        "target_met": result.target_met, "passed": result.passed, "noisy": noisy, "config": c.to_dict(),
    }


def aggregate(runs: list[dict]) -> dict:
    model_runs: dict[str, list[dict]] = {}
    for r in runs:
        model_runs.setdefault(r["model"], []).append(r)
    return {
        model: {
            "params": rs[0]["params"], "precision": rs[0]["precision"], "seeds": len(rs),
            "passed": sum(r["passed"] for r in rs), "final_accuracy": [r["final_accuracy"] for r in rs],
            "median_wall_seconds": round(statistics.median(r["wall_seconds"] for r in rs), 1),
            "median_seconds_to_target": (round(statistics.median(t), 1) if (t := [
                r["first_at_target"]["seconds"] for r in rs if r["first_at_target"]]) else None),
            "median_gflops": round(statistics.median(r["gflops"] for r in rs), 1),
            "median_fraction_of_peak": round(statistics.median(r["fraction_of_peak"] for r in rs), 3),
            "flops_per_image": rs[0]["flops_per_image"],
            "target_rule": rs[0]["config"]["target_epochs"], "epochs": rs[0]["config"]["epochs"],
        }
        for model, rs in model_runs.items()
    }


def ratios(summary: dict) -> dict:
    """Speed-ups (median wall time of the slower over the quicker) and the parameter ratio seed/tiny."""
    out = {}
    for slow, quick in [("reference", "fast"), ("seed", "fast"), ("reference", "tiny")]:
        if slow in summary and quick in summary:
            value = summary[slow]["median_wall_seconds"] / summary[quick]["median_wall_seconds"]
            goal = SPEED_GOALS.get((slow, quick))
            out[f"{slow}_time_over_{quick}_time"] = {
                "text": f"{quick} is quicker than {slow} (median wall time {slow} / {quick})",
                "value": round(value, 2), "goal": goal, "met": goal is None or value >= goal}
    if "seed" in summary and "tiny" in summary:
        out["seed_params_over_tiny_params"] = {
            "text": "seed parameters / tiny parameters",
            "value": round(summary["seed"]["params"] / summary["tiny"]["params"], 2), "goal": None, "met": True}
    return out


def plot(runs: list[dict], path: Path, title: str) -> None:
    fig, (ax,) = figure(9, 5)
    colours = {"reference": COLOURS[1], "seed": COLOURS[0], "tiny": COLOURS[3], "fast": COLOURS[2]}
    for r in runs:
        t = [sum(r["seconds"][: i + 1]) for i in range(len(r["seconds"]))]
        first = r is next(x for x in runs if x["model"] == r["model"])
        ax.plot(t, r["accuracy"], marker=".", color=colours.get(r["model"]), alpha=0.7,
                label=f"{r['model']} ({r['params']:,} params, {r['precision']})" if first else None)
    ax.axhline(99.4, color="grey", linestyle="--", label="99.4 %")
    ax.set(xlabel="wall-clock seconds (training + per-epoch test evaluation)", ylabel="test accuracy (%)",
           ylim=(98.5, 99.8), title=title)
    ax.set_xscale("log")
    ax.legend(loc="lower right")
    save_png(fig, path)


def interleaved(models: list[str], seeds: dict[str, int]) -> list[tuple[str, int]]:
    """(model, seed) in run order: seed 1 of every model, then seed 2 of those that have one, ..."""
    return [(m, s) for s in range(1, max(seeds.values(), default=0) + 1) for m in models if s <= seeds[m]]


def check_idle(cores: int, idle_file: Path) -> machine.IdleCheck:
    idle = json.loads(idle_file.read_text())["calibration_gflops"] if idle_file.exists() else None
    return machine.idle_verdict(LOAD_AT_START, machine.calibration_gflops(), idle, cores)


def record_idle_figure(check: machine.IdleCheck, threads: int, idle_file: Path) -> None:
    """Keep the calibration of an idle machine, the first time one is seen, as the figure to compare with."""
    if not idle_file.exists() and check.idle:
        write_json(idle_file, {"calibration_gflops": round(check.calibration, 1), "load": round(check.load, 2),
                               "threads": threads, "matmul": f"{machine.CALIBRATION_SIZE}² fp32",
                               **hardware(), "recorded": time.strftime("%Y-%m-%d %H:%M:%S %Z")})


def train_one(spec: dict) -> dict:
    """One run in this fresh process (data parsed before the clock starts); returns its run_summary."""
    governor = set_threads(spec["threads"])
    dataset = mnist_data.load()
    import torch._dynamo  # noqa: F401 - the first optimizer imports it (1.6 s here): an import, as torch's is, untimed
    c = recipe(spec["model"], seed=spec["seed"], device=spec["device"], subset=spec["subset"] or None,
               epochs=spec["epochs"] or None)
    cpu0, t0 = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = train(c, tmp, dataset, progress=False, governor=governor)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return run_summary(result, wall, cpu, 0.0, 0.0, spec["flops"], spec["peaks"], spec["noisy"])


def run_in_child(spec: dict) -> dict:
    """Run `train_one(spec)` in a fresh Python process, with the load average read before and after it."""
    load_before = machine.load_average()
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True,
                          text=True, check=False)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise click.ClickException(f"{spec['model']} seed {spec['seed']} failed: {last}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load_before": round(load_before, 2),
            "load_after": round(machine.load_average(), 2)}


@click.command()
@click.option("--seeds", type=int, default=5, show_default=True, help="Seeds per model (1..N).")
@click.option("--models", default="reference,seed,fast,tiny", show_default=True,
              help="Comma-separated models (recipes), in the order each round runs them.")
@click.option("--seeds-for", multiple=True, metavar="MODEL=N",
              help="Fewer (or more) seeds for one model, e.g. seed=2 where its 20-epoch runs take long.")
@click.option("--threads", type=click.IntRange(1), default=None,
              help="torch CPU threads [default: as `mnist train`: $OMP_NUM_THREADS, else one per usable CPU].")
@click.option("--device", default="cpu", show_default=True, help="Device to train on.")
@click.option("--tag", default="", help="Suffix for the output files, e.g. '_h200' for a GPU run.")
@click.option("--allow-noisy", is_flag=True, help="Run on a busy machine, marking every figure 'noisy'.")
@click.option("--docs", "--readme", "docs", is_flag=True,
              help="At the end, rewrite the result tables of docs/benchmarks.md for this --tag from the JSON "
                   "(--readme: the same, its earlier name).")
@click.option("--out-dir", type=click.Path(file_okay=False), default=str(OUTPUT), show_default=True,
              help="Folder for the JSON and the plot.")
@click.option("--subset", type=int, default=0, help="Smoke test: train on this many images (figures meaningless).")
@click.option("--epochs", type=int, default=0, help="Smoke test: this many epochs instead of each recipe's.")
@click.option("--child", default=None, hidden=True, help="Internal: train the one run this JSON describes.")
def main(seeds, models, seeds_for, threads, device, tag, allow_noisy, docs, out_dir, subset, epochs, child):
    if child is not None:
        click.echo(json.dumps(train_one(json.loads(child))))
        return
    given_threads = threads
    set_threads(threads)
    threads = torch.get_num_threads()
    cores = os.cpu_count() or 1
    model_list = models.split(",")
    per_model = {m: seeds for m in model_list} | {k: int(v) for k, v in (item.split("=") for item in seeds_for)}
    out = Path(out_dir)

    check = check_idle(cores, out / IDLE_FILE)
    if not check.idle and not allow_noisy:
        raise click.ClickException("the machine is busy, so the timings would not be comparable: "
                                   + "; ".join(check.reasons) + ". Wait, or pass --allow-noisy.")
    out.mkdir(parents=True, exist_ok=True)
    record_idle_figure(check, threads, out / IDLE_FILE)
    noisy = not check.idle or bool(subset or epochs)
    peak_device = "cuda" if device.startswith("cuda") else "cpu"  # the peak of the device that trains
    peaks = {name: machine.matmul_gflops(2048 if peak_device == "cpu" else 8192, dtype, device=peak_device)
             for name, dtype in [("fp32", torch.float32), ("bf16", torch.bfloat16)]}
    flops = {m: machine.training_flops_per_image(build(recipe(m).model, dropout=recipe(m).dropout)) for m in model_list}
    env = {**hardware(), "torchvision": __import__("torchvision").__version__, "device": device,
           "command": "python bench/benchmark.py " + " ".join(sys.argv[1:]), "noisy": noisy,
           "idle_check_before": check.to_dict(), "peaks": {k: round(v, 1) for k, v in peaks.items()},
           "peak_matmul": f"{2048 if peak_device == 'cpu' else 8192}² matmul on {peak_device}, best of 5"}
    click.echo(f"idle check: {check.to_dict()}; peaks fp32 {peaks['fp32']:.0f}, bf16 {peaks['bf16']:.0f} GFLOP/s")

    runs: list[dict] = []
    started = time.time()

    def save(final: bool = False) -> dict:
        data = {"schema": 2, "environment": {**env, "benchmark_wall_seconds": round(time.time() - started, 1)},
                "summary": aggregate(runs), "runs": runs}
        data["ratios"] = ratios(data["summary"])
        if final:
            data["environment"]["idle_check_after"] = check_idle(cores, out / IDLE_FILE).to_dict()
        write_json(out / f"benchmark{tag}.json", data)
        return data

    for model, seed in interleaved(model_list, per_model):
        runs.append(run_in_child({"model": model, "seed": seed, "device": device, "subset": subset,
                                  "epochs": epochs, "threads": given_threads, "flops": flops[model],
                                  "peaks": peaks, "noisy": noisy}))
        save()  # after every run: an interrupted benchmark keeps its figures
        r = runs[-1]
        click.echo(f"{model} seed {seed}: final {r['final_accuracy']:.2f}%, per epoch {r['accuracy']}, "
                   f"{r['wall_seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, {r['gflops']} GFLOP/s "
                   f"({r['fraction_of_peak']:.0%} of the {r['precision']} peak), passed={r['passed']}"
                   + (f"; {r['note']}" if r["note"] else ""), err=False)
    data = save(final=True)
    if "seed" in data["summary"]:
        write_json(out / f"mnist_seed{tag}.json", {"environment": data["environment"],
                                                      "summary": data["summary"]["seed"],
                                                      "runs": [r for r in runs if r["model"] == "seed"]})
    plot(runs, out / f"benchmark{tag}.png", f"MNIST test accuracy against time, {device}, {threads} threads"
         + (" (noisy)" if noisy else ""))
    click.echo(report.tables(data))
    if docs:
        path = report.DOCS
        path.write_text(report.rewrite(path.read_text(), report.tables(data), tag))
        click.echo(f"rewrote the result tables of {path}")


if __name__ == "__main__":
    main()
