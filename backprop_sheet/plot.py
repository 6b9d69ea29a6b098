"""The learning-rate comparison as a picture, drawn from the numpy reference."""

from typing import BinaryIO

import numpy as np

from backprop_sheet import network
from backprop_sheet.config import SheetConfig
from bpcore.plotting import figure, save_png


def e_total_curves(config: SheetConfig):
    """E_total for every iteration and learning rate: array (iterations, rates)."""
    return network.train(config.weights, config.inputs, config.targets, config.biases,
                         config.learning_rates, config.iterations, spec=config.spec)["E_total"]


def plot_learning_rates(config: SheetConfig, file: BinaryIO) -> None:
    """Write a PNG of E_total against iteration, one line per learning rate."""
    e_total = e_total_curves(config)
    iterations = range(1, config.iterations + 1)
    fig, (ax,) = figure(8, 4.5)
    for k, rate in enumerate(config.learning_rates):
        ax.plot(iterations, e_total[:, k], label=f"η = {rate:g}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("E_total")
    ax.set_title(f"E_total by learning rate: {config.spec.describe()}")
    ax.legend()
    save_png(fig, file)


def plot_curves(curves: dict[str, np.ndarray], title: str, file: BinaryIO, log: bool = True) -> None:
    """A PNG of several E_total curves against iteration, one per label (e.g. one per optimizer)."""
    fig, (ax,) = figure(8, 4.5)
    for label, e_total in curves.items():
        ax.plot(range(1, len(e_total) + 1), e_total, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("E_total" + (" (log scale)" if log else ""))
    ax.set_title(title)
    ax.legend()
    save_png(fig, file)
