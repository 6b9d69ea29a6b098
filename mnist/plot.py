"""PNG plots of training curves (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from .files import atomic_write


def plot_curves(epochs: list[dict], path: str | Path, title: str, target: float | None = None) -> Path:
    """Loss (train and test) and test accuracy per epoch, side by side."""
    x = [e["epoch"] for e in epochs]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(x, [e["train_loss"] for e in epochs], marker="o", label="train")
    ax_loss.plot(x, [e["test_loss"] for e in epochs], marker="o", label="test")
    ax_loss.set(xlabel="epoch", ylabel="average loss (NLL)", yscale="log", title="loss")
    ax_loss.legend()
    ax_acc.plot(x, [e["test_accuracy"] for e in epochs], marker="o", color="C2")
    if target is not None:
        ax_acc.axhline(target, color="grey", linestyle="--", label=f"target {target}%")
        ax_acc.legend()
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="test accuracy")
    fig.suptitle(title)
    fig.tight_layout()
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    finally:
        plt.close(fig)
