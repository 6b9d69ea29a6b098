"""Choose recipes on a validation split: 10,000 images held out of the 60,000 training images.

Usage: python bench/tune.py MODEL [--seeds 1,2] [--threads 1] [--device cuda] [--log FILE] KEY=VALUE ...
MODEL is a package model or a candidate of bench/candidates.py. Each run appends one JSON line
(config, per-epoch validation accuracy, seconds, device, and the final weights' accuracy on the clean,
unaugmented training images: near 100 % while validation lags means overfitting; well short of 100 %
means the model underfits) to output/tuning.jsonl (or --log). The test set is never touched here.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import mnist  # noqa: F401 - first: it sets the OpenMP wait policy, which torch reads once, when it loads

# isort: split
import candidates  # noqa: F401 - registers the candidate architectures
import torch

from mnist import data as mnist_data
from mnist.config import ConfigError, TrainConfig, recipe
from mnist.train import (
    evaluate,
    load_checkpoint,
    make_split,
    memory_format,
    model_from_checkpoint,
    select_device,
    train,
)

TYPES = {f.name: f.type for f in fields(TrainConfig)}


class BadInput(click.ClickException):
    """Bad input: one `Error: ...` line and exit status 2, as in the mnist command."""

    exit_code = 2


def boolean(value: str) -> bool:
    if value.lower() not in ("1", "true", "0", "false"):
        raise ValueError(value)
    return value.lower() in ("1", "true")


def parse(assignment: str) -> tuple[str, object]:
    """KEY=VALUE -> (key, value of the field's type); BadInput for an unknown key or a bad value."""
    key, sep, value = assignment.partition("=")
    if not sep or key not in TYPES:
        raise BadInput(f"{assignment!r}: expected KEY=VALUE with KEY one of {', '.join(TYPES)}")
    kind = {"int": int, "float": float, "bool": boolean, "str": str}[TYPES[key]]
    try:
        return key, kind(value)
    except ValueError:
        raise BadInput(f"{assignment!r}: {key} takes a {TYPES[key]}") from None


def clean_train_accuracy(c: TrainConfig, checkpoint: Path, dataset: mnist_data.MNIST) -> float:
    """Accuracy in percent of the checkpoint's (evaluated) weights on the training images it learnt from."""
    model, _ = model_from_checkpoint(load_checkpoint(checkpoint))
    device = select_device(c.device)
    model = model.to(device, memory_format=memory_format(c))
    split = make_split(dataset, c, device)
    _, correct = evaluate(model, split.train_images, split.train_labels, c.eval_batch_size, fmt=memory_format(c))
    return round(100 * correct / len(split.train_labels), 3)


@click.command()
@click.argument("model")
@click.argument("overrides", nargs=-1)
@click.option("--seeds", default="1", help="Comma-separated seeds.")
@click.option("--threads", type=click.IntRange(0), default=0, help="torch threads (0: leave as is).")
@click.option("--val-split", type=int, default=10_000, help="Validation images held out of training.")
@click.option("--device", default="cpu", show_default=True, help="Device to train on.")
@click.option("--log", default="output/tuning.jsonl", show_default=True, help="JSON-lines file to append to.")
def main(model, overrides, seeds, threads, val_split, device, log):
    try:  # every config is built, and so validated, before any data is loaded
        settings = dict(parse(a) for a in overrides)
        configs = [recipe(model, **{"seed": int(s), "val_split": val_split, "device": device, **settings})
                   for s in seeds.split(",")]
    except ConfigError as e:
        raise BadInput(str(e)) from None
    except ValueError:
        raise BadInput(f"--seeds: {seeds!r} is not a comma-separated list of whole numbers") from None
    if threads:
        torch.set_num_threads(threads)
    dataset = mnist_data.load()
    for c in configs:
        seed = c.seed
        with tempfile.TemporaryDirectory() as tmp:
            result = train(c, tmp, dataset, progress=False)
            train_accuracy = clean_train_accuracy(c, Path(tmp) / "last.pt", dataset)
        accs = [round(a, 2) for a in result.accuracies]
        line = {"overrides": list(overrides), "seed": seed, "val_accuracy": accs,
                "seconds": round(sum(e["seconds"] for e in result.epochs), 1), "params": result.params,
                "train_accuracy": train_accuracy,
                "threads": torch.get_num_threads(), "device": device, "config": c.to_dict()}
        print(model, overrides, seed, accs, line["seconds"], f"train {train_accuracy}", flush=True)
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a") as f:
            f.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
