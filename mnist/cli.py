"""The `mnist` command: fetch, summary, train, evaluate, predict."""

from __future__ import annotations

import shlex
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import click
import torch
from click.core import ParameterSource

from bpcore.cli import fail, group
from bpcore.files import check_writable_folder, folder_kept_only_if_used

from . import data as mnist_data
from .config import ConfigError, recipe
from .models import MODELS, build, count_parameters
from .summary import format_table
from .threads import set_threads
from .train import (
    ResumeMismatch,
    TrainingError,
    check_new_run,
    evaluate,
    load_checkpoint,
    model_from_checkpoint,
    resolve_precision,
    resume_state,
    run_files,
    select_device,
    train,
)

DATA_OPTIONS = [
    click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
                 help=f"Folder holding the verified IDX files [default: ${mnist_data.CACHE_ENV}, else "
                      f"$XDG_CACHE_HOME/{mnist_data.DEFAULT_CACHE.as_posix()}, else "
                      f"~/.cache/{mnist_data.DEFAULT_CACHE.as_posix()}]."),
    click.option("--data-dir", type=click.Path(exists=True, file_okay=False), default=None,
                 help=f"Folder of your own IDX files (raw or .gz), tried first [default: ${mnist_data.DATA_DIR_ENV}]."),
]
# The option that sets each TrainConfig field, for messages about it.
OPTION_OF = {"model": "--model", "epochs": "--epochs", "batch_size": "--batch-size", "lr": "--lr", "seed": "--seed",
             "device": "--device", "target": "--target", "param_budget": "--param-budget",
             "val_split": "--val-split", "subset": "--subset"}


def data_options(f):
    for option in reversed(DATA_OPTIONS):
        f = option(f)
    return f


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def load_data(cache_dir, data_dir) -> mnist_data.MNIST:
    try:
        return mnist_data.load(cache_dir, data_dir, log=lambda m: click.echo(m, err=True))
    except mnist_data.DataError as e:
        fail(str(e))


def on_terminal() -> bool:
    """Whether stderr is a terminal: only there does a progress bar redraw itself in place. In a log file,
    a pipe or CI each redraw would be kept, and an epoch's bar become one line of thousands of characters."""
    return sys.stderr.isatty()


@group("mnist")
def main():
    """Train small CNNs on MNIST with checked accuracy targets."""


@main.command()
@data_options
def fetch(cache_dir, data_dir):
    """Download (or copy) the four MNIST IDX files and verify them by SHA-256."""
    try:
        root = mnist_data.fetch(cache_dir, data_dir, log=lambda m: click.echo(m, err=True))
    except mnist_data.DataError as e:
        fail(str(e))
    click.echo(f"MNIST verified in {root}: {', '.join(mnist_data.SHA256)}")


@main.command()
@click.option("--model", "model_name", type=click.Choice(list(MODELS)), default="fast", show_default=True,
              help="Which model's layer table to print (the default is train's).")
def summary(model_name):
    """Print a model's layer table with output shapes and parameter counts."""
    click.echo(format_table(build(model_name)))


def resume_command(out: Path) -> str:
    """The command that continues this run: the options given on the command line, then --out and --resume."""
    ctx = click.get_current_context()
    words = ["mnist", "train"]
    for param in ctx.command.params:
        if param.name in ("out", "resume", "overwrite") or \
                ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
            continue
        value = ctx.params[param.name]
        if getattr(param, "is_flag", False):
            words += [param.opts[0]] if value else []
        else:
            words += [param.opts[0], str(value)]
    return shlex.join([*words, "--out", str(out), "--resume"])


def fresh_folder(base: Path) -> Path:
    """`base` if it holds no run, else the first of base-2, base-3, ... that holds none."""
    n, folder = 1, base
    while run_files(folder):
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


@main.command(name="train")
@click.option("--model", "model_name", type=click.Choice(list(MODELS)), default="fast", show_default=True,
              help="Model to train; its recipe gives every default below.")
@click.option("--epochs", type=int, help="Epoch budget [default: the recipe's].")
@click.option("--batch-size", type=int, help="Images per step [default: the recipe's].")
@click.option("--lr", type=float, help="Peak learning rate [default: the recipe's].")
@click.option("--seed", type=int, default=None, help="Random seed [default: 1].")
@click.option("--device", default=None, help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N, mps [default: auto].")
@click.option("--target", type=float, default=None, help="Target test accuracy in percent, in (0, 100] [default: 99.4].")
@click.option("--param-budget", type=int, help="Most parameters allowed [default: 20,000].")
@click.option("--val-split", type=int, default=None,
              help="Hold out this many training images and report on them instead of the test set (tuning).")
@click.option("--subset", type=int, default=None, help="Train on only the first N training images (quick experiments).")
@click.option("--threads", type=click.IntRange(1, 4096), default=None,
              help="CPU threads for torch [default: $OMP_NUM_THREADS if set, else one per CPU this process may "
                   "use that other programs are not keeping busy, chosen again every second while training].")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Run folder for checkpoints, metrics and plots [default: runs/MODEL-seedN, or runs/MODEL-seedN-2, "
                   "... when that holds a run; a dry run: a throw-away folder].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--overwrite", is_flag=True, help="Replace the run in --out (its files are deleted first).")
@click.option("--dry-run", is_flag=True, help="One epoch on 1,024 images, evaluated on 1,000: a smoke test.")
@click.option("--quiet", is_flag=True, help="No progress bar (there is one only when stderr is a terminal).")
@data_options
def train_command(model_name, epochs, batch_size, lr, seed, device, target, param_budget, val_split, subset, threads,
                  out, resume, overwrite, dry_run, quiet, cache_dir, data_dir):
    """Train a model; exit 0 only if it met its accuracy target within budget (1 if not, 2 on bad input)."""
    try:
        c = recipe(model_name, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device,
                   target=target, param_budget=param_budget, val_split=val_split, subset=subset)
        if dry_run:
            c = replace(c, epochs=1, subset=min(1024, c.subset or 1024))
    except ConfigError as e:
        fail(f"{OPTION_OF.get(e.field, e.field)} {e.message}")
    if resume and overwrite:
        fail("--resume continues the run in --out and --overwrite replaces it: give one of them")
    if dry_run and out is None:
        if resume:
            fail("--resume with --dry-run needs the dry run's --out folder")
        with tempfile.TemporaryDirectory(prefix=f"mnist-dry-run-{c.model}-") as tmp:
            click.echo(f"Dry run in a throw-away folder, {tmp}, deleted at the end (--out keeps the files)")
            run_training(c, Path(tmp), resume, overwrite, dry_run, quiet, threads, cache_dir, data_dir)
        return
    if out is None:
        base = Path(f"runs/{c.model}-seed{c.seed}")
        out = base if resume or overwrite else fresh_folder(base)
        if out != base:
            click.echo(f"{base} holds an earlier run, kept as it is; this run goes to {out} "
                       f"(--resume continues the earlier one, --overwrite replaces it)")
    run_training(c, Path(out), resume, overwrite, dry_run, quiet, threads, cache_dir, data_dir)


def run_training(c, out: Path, resume, overwrite, dry_run, quiet, threads, cache_dir, data_dir) -> None:
    """Check the run folder, load the data, train, print the verdict and exit with its status."""
    try:
        if resume:
            done = resume_state(out, c)["epoch"]
            click.echo(f"Resuming {out} at epoch {done + 1} of {c.epochs}" if done < c.epochs else
                       f"{out} already finished its {plural(c.epochs, 'epoch')}; nothing left to train")
        else:
            check_new_run(out, overwrite)
    except ResumeMismatch as e:
        listed = ", ".join(f"{OPTION_OF.get(name, name)} {was} (not {now})" for name, was, now in e.differences)
        fail(f"{e.path} was made with {listed}; resume with the run's options")
    except TrainingError as e:
        fail(str(e))
    try:
        result = train_in(out, c, resume, overwrite, dry_run, quiet, threads, cache_dir, data_dir)
    except OSError as e:  # the folder cannot be made, or a file in it cannot be written (a full disk, ...)
        fail(f"cannot write to output folder {out}: {e.strerror or e}")
    if result.stopped:
        fail(result.stopped)
    totals = (f"best {max(result.accuracies):.2f}%, last {result.accuracies[-1]:.2f}%; "
              f"parameters {result.params:,} (budget {c.param_budget:,}: {'ok' if result.within_budget else 'OVER'}); "
              f"{sum(e['seconds'] for e in result.epochs):.1f} s")
    if dry_run:  # a smoke test: one epoch on a few images says nothing about the target
        click.echo(f"Dry run: no target checked ({plural(c.epochs, 'epoch')} on {c.subset:,} images, evaluated on "
                   f"{result.epochs[-1]['total']:,}); {totals}")
        sys.exit(0)
    reached = result.first_reached
    rule = {0: "any epoch", 1: "the last epoch"}.get(c.target_epochs, f"each of the last {c.target_epochs} epochs")
    click.echo(f"Target {c.target:.2f}% ({rule}): {'MET' if result.target_met else 'NOT met'}; "
               f"first reached at epoch {reached if reached else '-'}; {totals}")
    sys.exit(0 if result.passed else 1)


def train_in(out: Path, c, resume, overwrite, dry_run, quiet, threads, cache_dir, data_dir):
    """Make the run folder (removed again if the run stops before its first file), load the data, train."""
    with folder_kept_only_if_used(out):
        check_writable_folder(out)
        dataset = load_data(cache_dir, data_dir)
        governor = set_threads(threads)
        device_name = select_device(c.device)
        threads_note = ""
        if device_name.type == "cpu":
            threads_note = f", {plural(torch.get_num_threads(), 'thread')}" + (
                " (adjusted to the machine's load)" if governor else "")
        precision, note = resolve_precision(c, device_name)
        click.echo(f"Training {c.model} ({count_parameters(build(c.model)):,} parameters, {precision}) on "
                   f"{device_name}{threads_note} for {plural(c.epochs, 'epoch')}; run folder {out}")
        if note:
            click.echo(f"Note: {note}")

        def report(record, result):
            click.echo(f"{record['eval_set']} set: Average loss: {record['test_loss']:.4f}, "
                       f"Accuracy: {record['correct']}/{record['total']} ({record['test_accuracy']:.2f}%)"
                       f"  [epoch {record['epoch']}, {record['seconds']:.1f} s]")

        try:
            result = train(c, out, dataset, resume=resume, overwrite=overwrite, test_subset=1000 if dry_run else 0,
                           progress=not quiet and on_terminal(), on_epoch_end=report, governor=governor)
        except TrainingError as e:
            fail(str(e))
        except KeyboardInterrupt:
            if (out / "last.pt").exists():
                click.echo(f"\nInterrupted; the last finished epoch is saved in {out / 'last.pt'}. "
                           f"Continue with: {resume_command(out)}", err=True)
            else:
                click.echo("\nInterrupted before the first epoch ended; nothing was saved.", err=True)
            sys.exit(130)
        return result


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
    set_threads()
    loss, correct = evaluate(model, mnist_data.normalise(dataset.test_images), dataset.test_labels)
    n = len(dataset.test_labels)
    click.echo(f"Test set: Average loss: {loss:.4f}, Accuracy: {correct}/{n} ({100.0 * correct / n:.2f}%)")


@main.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.argument("images", nargs=-1, required=True, type=click.Path())  # each checked on its own, below
def predict(checkpoint, images):
    """Classify PNG or JPEG digit images: the two likeliest digits with their probabilities.

    One line per image, in the order given; a file that cannot be read gets an `Error:` line and the others
    are still classified. Exit status 0 when every image held a digit, 1 when some held none (blank or
    uniform), 2 when some file could not be read.
    """
    from .images import ImageError, NoDigit, load_digit

    model, _ = load_model(checkpoint)
    model.eval()
    set_threads()
    frames, lines, unreadable, missing = {}, {}, 0, 0
    for path in images:
        try:
            frames[path] = load_digit(path)
        except ImageError as e:
            lines[path], unreadable = f"{path}: Error: {e.reason}", unreadable + 1
        except NoDigit as e:
            lines[path], missing = f"{path}: no digit found: {e}", missing + 1
    if frames:
        with torch.no_grad():
            probs = model(torch.stack(list(frames.values()))).exp()  # (N, 10)
        for path, p in zip(frames, probs):
            top = torch.topk(p, 2)
            (d1, d2), (p1, p2) = top.indices.tolist(), top.values.tolist()
            lines[path] = f"{path}: {d1} (p={p1:.3f}); next {d2} (p={p2:.3f})"
    for path in images:
        click.echo(lines[path])
    sys.exit(2 if unreadable else 1 if missing else 0)


if __name__ == "__main__":
    main()
