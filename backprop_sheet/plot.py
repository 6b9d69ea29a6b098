"""The learning-rate comparison as a picture, drawn from the numpy reference."""

from typing import BinaryIO

from matplotlib.figure import Figure

from backprop_sheet import network
from backprop_sheet.config import SheetConfig


def e_total_curves(config: SheetConfig):
    """E_total for every iteration and learning rate: array (iterations, rates)."""
    return network.train(config.weights, config.inputs, config.targets, config.biases,
                         config.learning_rates, config.iterations, spec=config.spec)["E_total"]


def plot_learning_rates(config: SheetConfig, file: BinaryIO) -> None:
    """Write a PNG of E_total against iteration, one line per learning rate."""
    e_total = e_total_curves(config)
    iterations = range(1, config.iterations + 1)
    # Figure without pyplot: no GUI backend, no global state.
    fig = Figure(figsize=(8, 4.5), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    for k, rate in enumerate(config.learning_rates):
        ax.plot(iterations, e_total[:, k], label=f"η = {rate:g}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("E_total")
    ax.set_title(f"E_total by learning rate: {config.spec.describe()}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(file, format="png")
