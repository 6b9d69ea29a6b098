"""The `mnist` command: fetch, summary, train, evaluate, predict."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import click
import torch

from . import data as mnist_data
from .config import recipe
from .files import check_writable_folder
from .models import MODELS, build, count_parameters
from .summary import format_table
from .train import TrainingError, evaluate, load_checkpoint, model_from_checkpoint, select_device, train

DATA_OPTIONS = [
    click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
                 help=f"Folder holding the verified IDX files [default: ${mnist_data.CACHE_ENV} or ./data]."),
    click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                 help=f"Folder of your own IDX files (raw or .gz), tried first [default: ${mnist_data.DATA_DIR_ENV}]."),
]


def data_options(f):
    for option in reversed(DATA_OPTIONS):
        f = option(f)
    return f


def positive(ctx, param, value):
    """Click callback: the value, if given, must be a finite number above zero (NaN fails too)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"must be a finite positive number, got {value}")
    return value


def load_data(cache_dir, data_dir) -> mnist_data.MNIST:
    try:
        return mnist_data.load(cache_dir, data_dir, log=lambda m: click.echo(m, err=True))
    except mnist_data.DataError as e:
        raise click.ClickException(str(e)) from None


def fail(message: str) -> None:
    """A clear one-line error with exit status 2, as for any bad input."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Train small CNNs on MNIST with checked accuracy targets."""


@main.command()
@data_options
def fetch(cache_dir, data_dir):
    """Download (or copy) the four MNIST IDX files and verify them by SHA-256."""
    try:
        root = mnist_data.fetch(cache_dir, data_dir, log=lambda m: click.echo(m, err=True))
    except mnist_data.DataError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"MNIST verified in {root}: {', '.join(mnist_data.SHA256)}")


@main.command()
@click.option("--model", "model_name", type=click.Choice(list(MODELS)), default="seed", show_default=True,
              help="Which model's layer table to print.")
def summary(model_name):
    """Print a model's layer table with output shapes and parameter counts."""
    click.echo(format_table(build(model_name)))


@main.command(name="train")
@click.option("--model", "model_name", type=click.Choice(list(MODELS)), default="seed", show_default=True,
              help="Model to train; its recipe gives every default below.")
@click.option("--epochs", type=int, callback=positive, help="Epoch budget [default: the recipe's].")
@click.option("--batch-size", type=int, callback=positive, help="Images per step [default: the recipe's].")
@click.option("--lr", type=float, callback=positive, help="Peak learning rate [default: the recipe's].")
@click.option("--seed", type=int, default=None, help="Random seed [default: 1].")
@click.option("--device", default=None, help="auto (cuda, then mps, then cpu), cpu, cuda, mps [default: auto].")
@click.option("--target", type=float, default=None, help="Target test accuracy in percent [default: 99.4].")
@click.option("--param-budget", type=int, callback=positive, help="Most parameters allowed [default: 20,000].")
@click.option("--val-split", type=click.IntRange(0, 59_000), default=None,
              help="Hold out this many training images and report on them instead of the test set (tuning).")
@click.option("--subset", type=click.IntRange(1, 60_000), default=None,
              help="Train on only the first N training images (quick experiments).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Run folder for checkpoints, metrics and plots [default: runs/MODEL-seedN].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--dry-run", is_flag=True, help="One epoch on 1,024 images, evaluated on 1,000: a smoke test.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@data_options
def train_command(model_name, epochs, batch_size, lr, seed, device, target, param_budget, val_split, subset, out,
                  resume, dry_run, quiet, cache_dir, data_dir):
    """Train a model; exit 0 only if it met its accuracy target within budget."""
    c = recipe(model_name, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device, target=target,
               param_budget=param_budget, val_split=val_split, subset=subset)
    if dry_run:
        c = replace(c, epochs=1, subset=1024)
    out = Path(out or f"runs/{c.model}-seed{c.seed}")
    try:
        check_writable_folder(out)
    except OSError as e:
        fail(f"cannot write to output folder {out}: {e.strerror or e}")
    dataset = load_data(cache_dir, data_dir)
    device_name = select_device(c.device)
    click.echo(f"Training {c.model} ({count_parameters(build(c.model)):,} parameters) on {device_name} "
               f"for {c.epochs} epochs; run folder {out}")

    def report(record, result):
        click.echo(f"{record['eval_set']} set: Average loss: {record['test_loss']:.4f}, "
                   f"Accuracy: {record['correct']}/{record['total']} ({record['test_accuracy']:.2f}%)"
                   f"  [epoch {record['epoch']}, {record['seconds']:.1f} s]")

    try:
        result = train(c, out, dataset, resume=resume, test_subset=1000 if dry_run else 0, progress=not quiet,
                       on_epoch_end=report)
    except TrainingError as e:
        fail(str(e))
    if result.stopped:
        fail(result.stopped)
    reached = result.first_reached
    rule = {0: "any epoch", 1: "the last epoch"}.get(c.target_epochs, f"each of the last {c.target_epochs} epochs")
    click.echo(f"Target {c.target:.2f}% ({rule}): {'MET' if result.target_met else 'NOT met'}; "
               f"first reached at epoch {reached if reached else '-'}; "
               f"best {max(result.accuracies):.2f}%, last {result.accuracies[-1]:.2f}%; "
               f"parameters {result.params:,} (budget {c.param_budget:,}: "
               f"{'ok' if result.within_budget else 'OVER'}); "
               f"{sum(e['seconds'] for e in result.epochs):.1f} s")
    sys.exit(0 if result.passed or dry_run else 1)


def load_model(checkpoint):
    try:
        state = load_checkpoint(checkpoint)
        return model_from_checkpoint(state)
    except TrainingError as e:
        fail(str(e))


@main.command(name="evaluate")
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@data_options
def evaluate_command(checkpoint, cache_dir, data_dir):
    """Print the test loss and accuracy of a checkpoint."""
    model, _ = load_model(checkpoint)
    dataset = load_data(cache_dir, data_dir)
    loss, correct = evaluate(model, mnist_data.normalise(dataset.test_images), dataset.test_labels)
    n = len(dataset.test_labels)
    click.echo(f"Test set: Average loss: {loss:.4f}, Accuracy: {correct}/{n} ({100.0 * correct / n:.2f}%)")


@main.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False))
def predict(checkpoint, images):
    """Classify PNG or JPEG digit images (converted to 28x28 grayscale)."""
    from .images import ImageError, load_digit

    model, _ = load_model(checkpoint)
    try:
        batch = torch.stack([load_digit(path) for path in images])  # (N, 1, 28, 28)
    except ImageError as e:
        fail(str(e))
    model.eval()
    with torch.no_grad():
        probs = model(batch).exp()
    for path, p in zip(images, probs):
        click.echo(f"{path}: {int(p.argmax())} (p={float(p.max()):.3f})")


if __name__ == "__main__":
    main()
