"""One plotting style for every picture both packages draw: matplotlib's Figure without pyplot.

No GUI backend and no global state (pyplot costs about 0.5 s to import and keeps every figure alive).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from bpcore.files import atomic_write

DPI = 110  # pixels per inch of every PNG
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def figure(width: float = 8.0, height: float = 4.5, ncols: int = 1) -> tuple[Figure, list]:
    """A figure of width × height inches with `ncols` axes side by side, in the project's style."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]
    for ax in axes:
        ax.set_prop_cycle(color=COLOURS)
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def save_png(fig: Figure, target) -> None:
    """Write the figure as PNG to a path (atomically) or to an open binary file."""
    if isinstance(target, str | Path):
        with atomic_write(target) as file:
            fig.savefig(file, format="png", dpi=DPI)
    else:
        fig.savefig(target, format="png", dpi=DPI)
