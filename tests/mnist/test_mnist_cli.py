"""The `mnist` command as a user runs it: happy paths and every bad input (exit 2, no traceback)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mnist.cli import main


def assert_clean_error(result, *words):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    for word in words:
        assert word in result.output


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, dataset):
    """The fast model trained for two epochs on 8,000 real images, through the CLI."""
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(main, ["train", "--model", "fast", "--epochs", "2", "--batch-size", "64", "--out", str(out), "--quiet",
                                       "--subset", "8000", "--target", "50"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Test set: Average loss:" in result.output and "Accuracy:" in result.output
    assert "Target 50.00%" in result.output and "MET" in result.output
    return out / "last.pt"


def test_dry_run_trains_end_to_end(runner, dataset, tmp_path):
    result = runner.invoke(main, ["train", "--model", "tiny", "--dry-run", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Test set: Average loss:" in result.output
    assert (tmp_path / "last.pt").exists() and (tmp_path / "metrics.json").exists()


def test_evaluate_prints_loss_and_accuracy(runner, checkpoint):
    result = runner.invoke(main, ["evaluate", str(checkpoint)])
    assert result.exit_code == 0, result.output
    accuracy = float(result.output.split("(")[-1].split("%")[0])
    assert "Test set: Average loss:" in result.output and accuracy > 90


def test_predict_reads_png_and_jpeg_digits(runner, checkpoint, dataset, tmp_path):
    paths, labels = [], []
    for i in range(8):
        image = dataset.test_images[i].numpy()
        path = tmp_path / f"digit{i}.{'png' if i % 2 else 'jpg'}"
        Image.fromarray(255 - image).resize((112, 112)).save(path)  # dark ink on white paper, 4x larger
        paths.append(str(path))
        labels.append(int(dataset.test_labels[i]))
    result = runner.invoke(main, ["predict", str(checkpoint), *paths])
    assert result.exit_code == 0, result.output
    predicted = [int(line.split(": ")[1].split()[0]) for line in result.output.strip().splitlines()]
    assert sum(p == t for p, t in zip(predicted, labels)) >= 7, (predicted, labels)


def test_summary_prints_the_seed_total(runner):
    result = runner.invoke(main, ["summary", "--model", "seed"])
    assert result.exit_code == 0 and "Total params: 19,712" in result.output


@pytest.mark.parametrize("args, words", [
    (["train", "--model", "nope"], ["nope"]),
    (["train", "--epochs", "0"], ["--epochs", "positive"]),
    (["train", "--batch-size", "-5"], ["--batch-size"]),
    (["train", "--lr", "0"], ["--lr"]),
    (["train", "--lr", "-0.1"], ["--lr"]),
    (["train", "--lr", "nan"], ["--lr"]),
    (["train", "--lr", "inf"], ["--lr", "finite"]),
    (["summary", "--model", "nope"], ["nope"]),
])
def test_bad_training_options(runner, args, words):
    assert_clean_error(runner.invoke(main, args), *words)


def test_unwritable_output_folder(runner, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(main, ["train", "--dry-run", "--out", str(blocker / "run")])
    assert_clean_error(result, "cannot write", "run")


def test_missing_and_corrupt_checkpoints(runner, tmp_path):
    assert_clean_error(runner.invoke(main, ["evaluate", str(tmp_path / "none.pt")]), "does not exist")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x80\x04 this is not a checkpoint")
    assert_clean_error(runner.invoke(main, ["evaluate", str(bad)]), "corrupt")
    assert_clean_error(runner.invoke(main, ["predict", str(bad), str(bad)]), "corrupt")


def test_resume_without_a_checkpoint(runner, tmp_path, dataset):
    assert_clean_error(runner.invoke(main, ["train", "--dry-run", "--resume", "--out", str(tmp_path)]),
                       "does not exist")


def test_predict_refuses_a_non_image(runner, checkpoint, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("seven")
    gif = tmp_path / "digit.gif"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(gif)
    assert_clean_error(runner.invoke(main, ["predict", str(checkpoint), str(text)]), "notes.txt")
    assert_clean_error(runner.invoke(main, ["predict", str(checkpoint), str(gif)]), "GIF")
    assert_clean_error(runner.invoke(main, ["predict", str(checkpoint), str(tmp_path / "gone.png")]), "gone.png")
