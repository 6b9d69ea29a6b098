"""The training curves as a PNG: loss (train and test, log scale) and test accuracy against its target."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from bpcore.plotting import COLOURS, figure, save_png


def curves_figure(epochs: list[dict], title: str, target: float | None = None) -> Figure:
    """Loss (train and test) and test accuracy per epoch, side by side."""
    x = [e["epoch"] for e in epochs]
    fig, (ax_loss, ax_acc) = figure(10, 4, ncols=2)
    ax_loss.plot(x, [e["train_loss"] for e in epochs], marker="o", label="train")
    ax_loss.plot(x, [e["test_loss"] for e in epochs], marker="o", label="test")
    ax_loss.set(xlabel="epoch", ylabel="average loss (NLL)", yscale="log", title="loss")
    ax_loss.legend()
    ax_acc.plot(x, [e["test_accuracy"] for e in epochs], marker="o", color=COLOURS[2], label="test")
    if target is not None:
        ax_acc.axhline(target, color="grey", linestyle="--", label=f"target {target}%")
        ax_acc.legend()
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="test accuracy")
    fig.suptitle(title)
    return fig


def plot_curves(epochs: list[dict], path: str | Path, title: str, target: float | None = None) -> Path:
    """Write `curves_figure` to `path` as PNG (atomically)."""
    save_png(curves_figure(epochs, title, target), path)
    return Path(path)
