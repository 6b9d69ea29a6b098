"""Time a recipe's training epochs: the figure to compare speed-ups by, without a full run.

    python bench/epochtime.py MODEL [--epochs 2] [--threads 2] [KEY=VALUE ...]

Trains MODEL's recipe (with the overrides) for a few epochs on the 50,000-image validation split and
appends one JSON line to output/epoch_times.jsonl: seconds per epoch for training and for evaluation,
milliseconds per step, the precision used, threads and the load average before and after. The first
epoch carries the warm-up (allocations, oneDNN kernel choice), so compare the later ones. Run it on an
otherwise idle machine: on a busy one the figures mean nothing.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import mnist  # noqa: F401 - first: it sets the OpenMP wait policy, which torch reads once, when it loads

# isort: split
import candidates  # noqa: F401 - registers the candidate architectures
import torch
from tune import parse

from mnist import data as mnist_data
from mnist.config import recipe
from mnist.train import train


@click.command()
@click.argument("model")
@click.argument("overrides", nargs=-1)
@click.option("--epochs", type=int, default=2, show_default=True, help="Epochs to time (the first warms up).")
@click.option("--threads", type=int, default=2, show_default=True, help="torch threads.")
@click.option("--log", default="output/epoch_times.jsonl", show_default=True, help="JSON-lines file to append to.")
def main(model, overrides, epochs, threads, log):
    torch.set_num_threads(threads)
    dataset = mnist_data.load()
    c = recipe(model, **{"val_split": 10_000, "device": "cpu", **dict(parse(a) for a in overrides), "epochs": epochs})
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        result = train(c, tmp, dataset, progress=False)
    steps = -(-(60_000 - c.val_split) // c.batch_size)
    line = {"model": model, "overrides": list(overrides), "threads": threads, "precision": result.precision,
            "malloc": result.malloc,
            "train_seconds": [round(e["train_seconds"], 2) for e in result.epochs],
            "eval_seconds": [round(e["seconds"] - e["train_seconds"], 2) for e in result.epochs],
            "ms_per_step": [round(1000 * e["train_seconds"] / steps, 3) for e in result.epochs],
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "torch": torch.__version__}
    print(json.dumps(line), flush=True)
    with open(log, "a") as f:
        f.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
