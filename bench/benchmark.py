"""Benchmark: train each model's default recipe for N seeds, interleaved, on an idle machine, in one run.

    python bench/benchmark.py [--seeds 10] [--first-seed 100] [--models reference,seed,fast,tiny] [--seeds-for seed=2]
                              [--threads 2] [--device cpu] [--tag _h200] [--allow-noisy] [--docs]

Before it starts it checks that the machine is idle: the 1-minute load average, and a short fixed
matmul timed against the figure this script recorded on the idle machine (output/idle_calibration.json,
written on the first idle run). A busy machine is refused, unless `--allow-noisy`, which marks every
figure "noisy". Models are interleaved (seed 1 of each, then seed 2, ...) so that a slow spell hits all
of them alike. Per run it records wall and process CPU time, the load average before and after, and the
achieved training GFLOP/s (conv and matmul FLOPs per image of one forward and backward pass, times the
images trained, over the training seconds) against the fp32 and bf16 matmul peaks measured in the same
run. Each run is the `mnist train` command itself, in a subprocess, and its time is what a user waits
for: from the command's start to its exit (imports, loading MNIST, checkpoints and the plot included).
The trainer's own clock (the epochs' seconds) is kept beside it as `total_seconds`; ratios use the
command's wall time. Seeds follow a rule fixed in advance: 100, 101, … (`--first-seed`). Writes
output/benchmark{tag}.json after every run, output/benchmark{tag}.png and
output/mnist_seed{tag}.json at the end; `--docs` then rewrites the result tables of docs/benchmarks.md
(bench/report.py).
"""

from __future__ import annotations

import os

# Read before anything else runs: loading torch and the data takes seconds of CPU, which the 1-minute
# load average would count against the machine.
LOAD_AT_START = os.getloadavg()[0]

import json
import resource
import shutil
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
from mnist.config import TrainConfig, recipe
from mnist.models import build
from mnist.threads import set_threads
from mnist.train import hardware

OUTPUT = Path(__file__).resolve().parents[1] / "output"
IDLE_FILE = "idle_calibration.json"  # in the output folder: this machine's calibration figure when idle
FIRST_SEED = 100  # seeds FIRST_SEED.. : fixed before any run, and used by no recipe search
SPEED_GOALS = {("reference", "fast"): 15.0}  # fast must be at least 15x quicker than the reference recipe
# `mnist train` options a recipe variant may change, e.g. "fast:epochs=7" (`--models`): what a user can type.
VARIANT_OPTIONS = {"epochs": int, "batch-size": int, "lr": float}


def parse_recipe(label: str) -> tuple[str, dict[str, str]]:
    """"fast:epochs=7" -> ("fast", {"epochs": "7"}): a model's recipe with `mnist train` options changed."""
    model, *changes = label.split(":")
    options = {}
    for change in changes:
        name, _, value = change.partition("=")
        try:
            VARIANT_OPTIONS[name](value)  # a number of the option's kind
        except (KeyError, ValueError):
            value = ""
        if not value:
            raise click.BadParameter(f"{label!r}: a variant changes {', '.join(VARIANT_OPTIONS)} as "
                                     f"MODEL:OPTION=VALUE, e.g. fast:epochs=7", param_hint="--models")
        options[name] = value
    return model, options


def recipe_config(label: str) -> TrainConfig:
    model, options = parse_recipe(label)
    return recipe(model, **{name.replace("-", "_"): VARIANT_OPTIONS[name](v) for name, v in options.items()})


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
    model_runs: dict[str, list[dict]] = {}  # by recipe: a model's default, or a variant such as fast:epochs=7
    for r in runs:
        model_runs.setdefault(r.get("recipe", r["model"]), []).append(r)
    return {
        model: {
            "model": rs[0]["model"], "params": rs[0]["params"], "precision": rs[0]["precision"], "seeds": len(rs),
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
    """Speed-ups (median wall time of the slower over the quicker) and the parameter ratio seed/tiny. A
    variant of a model (fast:epochs=7) gets the ratios, and the goal, of its model."""
    out = {}
    for slow, model in [("reference", "fast"), ("seed", "fast"), ("reference", "tiny")]:
        for quick in [label for label, s in summary.items() if s.get("model", label) == model]:
            if slow not in summary:
                continue
            value = summary[slow]["median_wall_seconds"] / summary[quick]["median_wall_seconds"]
            goal = SPEED_GOALS.get((slow, model))
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
    labels = list(dict.fromkeys(r.get("recipe", r["model"]) for r in runs))
    spare = iter(COLOURS[4:] * 4)  # a variant's colour: none of the four models' own
    colour = {label: colours.get(label) or next(spare) for label in labels}
    for r in runs:
        label = r.get("recipe", r["model"])
        t = [sum(r["seconds"][: i + 1]) for i in range(len(r["seconds"]))]
        first = r is next(x for x in runs if x.get("recipe", x["model"]) == label)
        ax.plot(t, r["accuracy"], marker=".", color=colour[label], alpha=0.7,
                label=f"{label} ({r['params']:,} params, {r['precision']})" if first else None)
    ax.axhline(99.4, color="grey", linestyle="--", label="99.4 %")
    ax.set(xlabel="wall-clock seconds (training + per-epoch test evaluation)", ylabel="test accuracy (%)",
           ylim=(98.5, 99.8), title=title)
    ax.set_xscale("log")
    ax.legend(loc="lower right")
    save_png(fig, path)


def interleaved(models: list[str], seeds: dict[str, int], first: int = 1) -> list[tuple[str, int]]:
    """(model, seed) in run order: the first seed of every model, then the next of those that have one, ..."""
    return [(m, first + k) for k in range(max(seeds.values(), default=0)) for m in models if k < seeds[m]]


def check_idle(cores: int, idle_file: Path) -> machine.IdleCheck:
    idle = json.loads(idle_file.read_text())["calibration_gflops"] if idle_file.exists() else None
    return machine.idle_verdict(LOAD_AT_START, machine.calibration_gflops(), idle, cores)


def record_idle_figure(check: machine.IdleCheck, threads: int, idle_file: Path) -> None:
    """Keep the calibration of an idle machine, the first time one is seen, as the figure to compare with."""
    if not idle_file.exists() and check.idle:
        write_json(idle_file, {"calibration_gflops": round(check.calibration, 1), "load": round(check.load, 2),
                               "threads": threads, "matmul": f"{machine.CALIBRATION_SIZE}² fp32",
                               **hardware(), "recorded": time.strftime("%Y-%m-%d %H:%M:%S %Z")})


def mnist_command() -> list[str]:
    """How a user starts the trainer here: the `mnist` console script beside this Python, else on PATH."""
    beside = Path(sys.executable).with_name("mnist")
    found = str(beside) if beside.exists() else shutil.which("mnist")
    if found is None:
        raise click.ClickException("the mnist command is not installed: pip install -e '.[mnist]'")
    return [found]


class _Run:
    """What run_summary reads of a training Result, rebuilt from the run's metrics.json."""

    def __init__(self, metrics: dict):
        self.config = TrainConfig.from_dict(metrics["config"])
        self.params, self.epochs = metrics["params"], metrics["epochs"]
        self.precision, self.note = metrics["precision"], metrics["note"]
        self.target_met, self.passed = metrics["target_met"], metrics["passed"]
        self.accuracies = [e["test_accuracy"] for e in self.epochs]


def run_in_child(spec: dict) -> dict:
    """`mnist train` as a user runs it, in a subprocess: the wall time is from its start to its exit."""
    load_before = machine.load_average()
    with tempfile.TemporaryDirectory() as tmp:
        model, options = parse_recipe(spec["recipe"])
        command = mnist_command() + ["train", "--model", model, "--seed", str(spec["seed"]),
                                     "--device", spec["device"], "--out", tmp, "--overwrite", "--quiet"]
        command += [f"--{name}={value}" for name, value in options.items()]
        command += [f"--{name}={spec[name]}" for name in ("subset", "epochs", "threads") if spec.get(name)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        metrics_file = Path(tmp) / "metrics.json"
        if done.returncode not in (0, 1) or not metrics_file.exists():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise click.ClickException(f"{spec['model']} seed {spec['seed']} failed: {last}")
        metrics = json.loads(metrics_file.read_text())
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    summary = run_summary(_Run(metrics), wall, cpu, load_before, machine.load_average(), spec["flops"],
                          spec["peaks"], spec["noisy"])
    return {**summary, "recipe": spec["recipe"], "command": " ".join(["mnist", *command[1:]]).replace(tmp, "RUN_FOLDER")}


@click.command()
@click.option("--seeds", type=int, default=10, show_default=True, help="Seeds per model: FIRST_SEED, FIRST_SEED+1, ….")
@click.option("--first-seed", type=int, default=FIRST_SEED, show_default=True,
              help="The first seed. The rule is fixed in advance (100 and up, seeds no recipe search used), "
                   "never chosen by results.")
@click.option("--models", default="reference,seed,fast,tiny", show_default=True,
              help="Comma-separated models (their recipes), in the order each round runs them; MODEL:OPTION=VALUE "
                   "is a variant of a recipe with an `mnist train` option changed (epochs, batch-size, lr), e.g. "
                   "fast:epochs=7.")
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
def main(seeds, first_seed, models, seeds_for, threads, device, tag, allow_noisy, docs, out_dir, subset, epochs):
    given_threads = threads
    set_threads(threads)
    threads = torch.get_num_threads()
    cores = os.cpu_count() or 1
    model_list = models.split(",")
    configs = {label: recipe_config(label) for label in model_list}  # a bad variant stops here, before any run
    per_model = {m: seeds for m in model_list} | {k: int(v) for k, _, v in (item.rpartition("=") for item in seeds_for)}
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
    flops = {m: machine.training_flops_per_image(build(c.model, dropout=c.dropout)) for m, c in configs.items()}
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

    for model, seed in interleaved(model_list, per_model, first_seed):
        runs.append(run_in_child({"recipe": model, "seed": seed, "device": device, "subset": subset,
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
