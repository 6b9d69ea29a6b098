"""Benchmark: train seed, tiny and fast with their default recipes for N seeds each, in one invocation.

    python bench/benchmark.py [--seeds 5] [--models seed,tiny,fast] [--device cpu]

Writes output/benchmark.json (every run: parameters, per-epoch test accuracy and seconds, final accuracy,
time to the first epoch >= 99.4 %, total wall time; plus hardware, threads and versions),
output/benchmark.png (test accuracy against wall-clock seconds), output/mnist_seed.json (the seed
model's runs alone), and prints a table with the two ratios. Data is loaded into memory before any clock
starts. Run it on an otherwise idle machine: the timings are only comparable within one run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import click
import matplotlib

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import mnist  # noqa: F401 - first: it sets the OpenMP wait policy, which torch reads once, when it loads

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from mnist import data as mnist_data
from mnist.config import recipe
from mnist.files import atomic_write, write_json
from mnist.threads import set_threads
from mnist.train import hardware, train

OUTPUT = Path(__file__).resolve().parents[1] / "output"


def run_summary(result) -> dict:
    """One run's figures: per-epoch accuracy and seconds, final accuracy, time to the target."""
    c = result.config
    elapsed, first = 0.0, None
    for e in result.epochs:
        elapsed += e["seconds"]
        if first is None and e["test_accuracy"] >= c.target:
            first = {"epoch": e["epoch"], "seconds": round(elapsed, 2)}
    return {
        "model": c.model, "seed": c.seed, "params": result.params,
        "accuracy": [round(a, 2) for a in result.accuracies],
        "seconds": [round(e["seconds"], 2) for e in result.epochs],
        "final_accuracy": round(result.accuracies[-1], 2), "first_at_target": first,
        "total_seconds": round(elapsed, 2), "target_met": result.target_met, "passed": result.passed,
        "config": c.to_dict(),
    }


def aggregate(runs: list[dict]) -> dict:
    model_runs = {}
    for r in runs:
        model_runs.setdefault(r["model"], []).append(r)
    return {
        model: {
            "params": rs[0]["params"], "seeds": len(rs), "passed": sum(r["passed"] for r in rs),
            "final_accuracy": [r["final_accuracy"] for r in rs],
            "median_total_seconds": round(statistics.median(r["total_seconds"] for r in rs), 1),
            "median_seconds_to_target": (round(statistics.median(t), 1) if (t := [
                r["first_at_target"]["seconds"] for r in rs if r["first_at_target"]]) else None),
            "target_rule": rs[0]["config"]["target_epochs"], "epochs": rs[0]["config"]["epochs"],
        }
        for model, rs in model_runs.items()
    }


def ratios(summary: dict) -> dict:
    out = {}
    if "seed" in summary and "fast" in summary:
        out["seed_time_over_fast_time"] = round(
            summary["seed"]["median_total_seconds"] / summary["fast"]["median_total_seconds"], 2)
    if "seed" in summary and "tiny" in summary:
        out["seed_params_over_tiny_params"] = round(summary["seed"]["params"] / summary["tiny"]["params"], 2)
    return out


def table(summary: dict, ratio: dict) -> str:
    lines = [("| model | params | epochs | seeds passing | final test accuracy per seed (%) | median total s "
              "| median s to 99.4 % |"), "|---|---:|---:|---:|---|---:|---:|"]
    for model, s in summary.items():
        lines.append(f"| {model} | {s['params']:,} | {s['epochs']} | {s['passed']}/{s['seeds']} | "
                     f"{', '.join(f'{a:.2f}' for a in s['final_accuracy'])} | {s['median_total_seconds']} | "
                     f"{s['median_seconds_to_target'] if s['median_seconds_to_target'] is not None else '-'} |")
    lines.append("")
    for name, value in ratio.items():
        lines.append(f"{name.replace('_', ' ')}: {value}x")
    return "\n".join(lines)


def plot(runs: list[dict], path: Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(9, 5))
    colours = {"seed": "C0", "tiny": "C1", "fast": "C2"}
    for r in runs:
        t = [sum(r["seconds"][: i + 1]) for i in range(len(r["seconds"]))]
        first = r is next(x for x in runs if x["model"] == r["model"])
        ax.plot(t, r["accuracy"], marker=".", color=colours.get(r["model"]), alpha=0.7,
                label=f"{r['model']} ({r['params']:,} params)" if first else None)
    ax.axhline(99.4, color="grey", linestyle="--", label="99.4 %")
    ax.set(xlabel="wall-clock seconds (training + per-epoch test evaluation)", ylabel="test accuracy (%)",
           ylim=(98.5, 99.8), title=title)
    ax.set_xscale("log")
    ax.legend(loc="lower right")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    plt.close(fig)


def save(runs: list[dict], device: str, tag: str, started: float) -> tuple[dict, dict]:
    """Write output/benchmark{tag}.json (and mnist_seed{tag}.json) for the runs so far."""
    summary = aggregate(runs)
    ratio = ratios(summary)
    env = {**hardware(), "torchvision": __import__("torchvision").__version__, "device": device,
           "benchmark_wall_seconds": round(time.time() - started, 1)}
    write_json(OUTPUT / f"benchmark{tag}.json", {"environment": env, "summary": summary, "ratios": ratio,
                                                 "runs": runs})
    if "seed" in summary:
        write_json(OUTPUT / f"mnist_seed{tag}.json", {"environment": env, "summary": summary["seed"],
                                                      "runs": [r for r in runs if r["model"] == "seed"]})
    return summary, ratio


@click.command()
@click.option("--seeds", type=int, default=5, show_default=True, help="Seeds per model (1..N).")
@click.option("--models", default="seed,tiny,fast", show_default=True, help="Comma-separated models, run in order.")
@click.option("--device", default="cpu", show_default=True, help="Device to train on.")
@click.option("--seeds-for", multiple=True, metavar="MODEL=N",
              help="Fewer (or more) seeds for one model, e.g. seed=2 where its 20-epoch runs take too long.")
@click.option("--tag", default="", help="Suffix for the output files, e.g. '_h100' for a GPU run.")
@click.option("--threads", type=click.IntRange(1), default=None,
              help="torch CPU threads [default: as `mnist train`: $OMP_NUM_THREADS, else one per usable CPU].")
def main(seeds, models, device, seeds_for, tag, threads):
    set_threads(threads)
    dataset = mnist_data.load()  # parsed and in memory before any clock starts
    per_model = {k: int(v) for k, v in (item.split("=") for item in seeds_for)}
    runs = []
    started = time.time()
    for model in models.split(","):
        for seed in range(1, per_model.get(model, seeds) + 1):
            c = recipe(model, seed=seed, device=device)
            with tempfile.TemporaryDirectory() as tmp:
                result = train(c, tmp, dataset, progress=False)
            runs.append(run_summary(result))
            r = runs[-1]
            save(runs, device, tag, started)  # after every run: an interrupted benchmark keeps its figures
            print(f"{model} seed {seed}: final {r['final_accuracy']:.2f}%, per epoch {r['accuracy']}, "
                  f"{r['total_seconds']:.1f} s, passed={r['passed']}", flush=True)
    summary, ratio = save(runs, device, tag, started)
    plot(runs, OUTPUT / f"benchmark{tag}.png", f"MNIST test accuracy against time, {device}, "
         f"{torch.get_num_threads()} threads")
    print(table(summary, ratio))


if __name__ == "__main__":
    main()
