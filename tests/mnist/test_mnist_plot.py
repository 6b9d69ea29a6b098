"""The curves plot: what it shows, the PNG it writes, and no pyplot anywhere in mnist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bpcore.plotting import DPI
from mnist.plot import curves_figure, plot_curves

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = [{"epoch": e, "train_loss": 1.0 / e, "test_loss": 0.8 / e, "test_accuracy": 90.0 + e} for e in (1, 2, 3)]


def test_the_curves_show_both_losses_on_a_log_scale_and_the_accuracy_against_its_target():
    fig = curves_figure(EPOCHS, "fast: 18,938 parameters, seed 1", target=99.4)
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_yscale() == "log" and ax_loss.get_title() == "loss"
    assert [line.get_label() for line in ax_loss.get_lines()] == ["train", "test"]
    assert list(ax_loss.get_lines()[0].get_ydata()) == [1.0, 0.5, 1 / 3]
    assert list(ax_loss.get_lines()[1].get_ydata()) == [0.8, 0.4, 0.8 / 3]
    accuracy, target = ax_acc.get_lines()
    assert list(accuracy.get_xdata()) == [1, 2, 3] and list(accuracy.get_ydata()) == [91.0, 92.0, 93.0]
    assert list(target.get_ydata()) == [99.4, 99.4] and target.get_linestyle() == "--"
    assert [t.get_text() for t in ax_acc.get_legend().get_texts()] == ["test", "target 99.4%"]
    assert ax_acc.get_title() == "test accuracy" and fig.get_suptitle() == "fast: 18,938 parameters, seed 1"
    assert len(curves_figure(EPOCHS, "no target").axes[1].get_lines()) == 1


def test_plot_curves_writes_a_png_of_the_figure_size(tmp_path):
    path = plot_curves(EPOCHS, tmp_path / "curves.png", "title", target=99.4)
    assert path == tmp_path / "curves.png"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (10 * DPI, 4 * DPI)
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary file left


@pytest.mark.slow  # a fresh process that imports the trainer and torch
def test_no_pyplot_is_imported_by_mnist(tmp_path):
    code = ("import sys, mnist.cli, mnist.train, mnist.plot\n"
            f"mnist.plot.plot_curves({EPOCHS!r}, {str(tmp_path / 'c.png')!r}, 't', 99.4)\n"
            "print('matplotlib.pyplot' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert not any("pyplot" in p.read_text() for p in (ROOT / "mnist").glob("*.py"))
