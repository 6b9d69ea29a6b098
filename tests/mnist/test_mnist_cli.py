"""The `mnist` command as a user runs it: happy paths, every bad input (exit 2, one line, no traceback, no
folder left), runs that are never overwritten, resume and interrupt messages."""

from __future__ import annotations

import os
import shlex
import stat

import numpy as np
import pytest
import torch
from PIL import Image

from mnist import cli
from mnist import data as mnist_data
from mnist.cli import main
from mnist.config import recipe
from mnist.train import train

# A quick fast-model run: 2,000 training images, one epoch.
QUICK = ["train", "--model", "fast", "--epochs", "1", "--subset", "2000", "--batch-size", "100", "--target", "10",
         "--quiet"]


def assert_clean_error(result, *words):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1, result.output
    assert result.output.startswith("Error: "), result.output
    for word in words:
        assert word in result.output


def test_dry_run_trains_end_to_end(runner, dataset, tmp_path):
    out = tmp_path / "dry"
    threads = torch.get_num_threads()
    result = runner.invoke(main, ["train", "--model", "tiny", "--dry-run", "--out", str(out), "--quiet",
                                  "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "Test set: Average loss:" in result.output
    assert "1 thread for 1 epoch;" in result.output  # singular, and the thread count is said
    assert (out / "last.pt").exists() and (out / "metrics.json").exists()
    torch.set_num_threads(threads)  # --threads 1 set it for this whole test process


def test_run_files_get_the_users_umask(runner, dataset, tmp_path):
    old = os.umask(0o022)
    try:
        assert runner.invoke(main, [*QUICK, "--out", str(tmp_path / "run")]).exit_code == 0
    finally:
        os.umask(old)
    for name in ("last.pt", "best.pt", "metrics.json", "config.json", "curves.png"):
        assert stat.S_IMODE((tmp_path / "run" / name).stat().st_mode) == 0o644, name


def test_a_finished_run_is_never_overwritten(runner, dataset, tmp_path, monkeypatch):
    monkeypatch.setenv(mnist_data.CACHE_ENV, str(mnist_data.cache_dir().absolute()))
    monkeypatch.chdir(tmp_path)  # the default run folder is ./runs/MODEL-seedN
    assert runner.invoke(main, QUICK).exit_code == 0
    best = tmp_path / "runs" / "fast-seed1" / "best.pt"
    before = best.read_bytes()

    dry = runner.invoke(main, ["train", "--model", "fast", "--dry-run", "--quiet"])
    assert dry.exit_code == 0, dry.output
    assert "throw-away folder" in dry.output
    assert best.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["fast-seed1"]

    again = runner.invoke(main, QUICK)
    assert again.exit_code == 0, again.output
    assert "runs/fast-seed1 holds an earlier run" in again.output and "runs/fast-seed1-2" in again.output
    assert (tmp_path / "runs" / "fast-seed1-2" / "best.pt").exists()
    assert best.read_bytes() == before

    assert_clean_error(runner.invoke(main, [*QUICK, "--out", "runs/fast-seed1"]), "already holds a run",
                       "--resume", "--overwrite")
    assert_clean_error(runner.invoke(main, ["train", "--model", "fast", "--dry-run", "--out", "runs/fast-seed1"]),
                       "already holds a run")
    assert best.read_bytes() == before

    replaced = runner.invoke(main, [*QUICK, "--out", "runs/fast-seed1", "--overwrite", "--seed", "2"])
    assert replaced.exit_code == 0, replaced.output
    assert best.read_bytes() != before


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


BAD_TRAINING_OPTIONS = [
    (["--model", "nope"], ["nope"]),
    (["--epochs", "0"], ["--epochs", "positive"]),
    (["--epochs", "two"], ["--epochs", "two"]),
    (["--batch-size", "-5"], ["--batch-size"]),
    (["--batch-size", "1000000000"], ["--batch-size", "60,000 training images"]),
    (["--model", "fast", "--subset", "100"], ["--batch-size", "100 training images"]),
    (["--lr", "0"], ["--lr"]),
    (["--lr", "-0.1"], ["--lr"]),
    (["--lr", "nan"], ["--lr"]),
    (["--lr", "inf"], ["--lr", "finite"]),
    (["--target", "nan"], ["--target"]),
    (["--target", "150"], ["--target", "(0, 100]"]),
    (["--target", "0"], ["--target", "(0, 100]"]),
    (["--val-split", "60000"], ["--val-split"]),
    (["--subset", "-1"], ["--subset"]),
    (["--threads", "0"], ["--threads"]),
    (["--device", "banana"], ["--device", "banana"]),
    (["--data-dir", "/nonexistent"], ["--data-dir", "/nonexistent", "does not exist"]),
    (["--resume", "--overwrite"], ["--resume", "--overwrite"]),
    (["--no-such-option"], ["--no-such-option"]),
]
if not torch.cuda.is_available():
    BAD_TRAINING_OPTIONS.append((["--device", "cuda"], ["--device", "cuda", "not available"]))


@pytest.mark.parametrize("args, words", BAD_TRAINING_OPTIONS)
def test_bad_training_options(runner, tmp_path, args, words):
    out = tmp_path / "runs" / "run"
    assert_clean_error(runner.invoke(main, ["train", *args, "--out", str(out)]), *words)
    assert not (tmp_path / "runs").exists()  # no folder left behind


def test_bad_summary_option(runner):
    assert_clean_error(runner.invoke(main, ["summary", "--model", "nope"]), "nope")


def test_a_failed_start_leaves_no_folder(runner, tmp_path, monkeypatch):
    def no_data(*args, **kwargs):
        raise mnist_data.DataError("no source worked")

    monkeypatch.setattr(mnist_data, "load", no_data)
    assert_clean_error(runner.invoke(main, ["train", "--dry-run", "--out", str(tmp_path / "a" / "b")]),
                       "no source worked")
    assert list(tmp_path.iterdir()) == []


def test_a_data_folder_from_the_environment_must_exist(runner, tmp_path, monkeypatch):
    monkeypatch.setenv(mnist_data.DATA_DIR_ENV, str(tmp_path / "nowhere"))
    assert_clean_error(runner.invoke(main, ["fetch"]), "nowhere", "not a folder")


def test_resume_says_where_it_starts_and_which_option_differs(runner, dataset, tmp_path):
    args = ["train", "--model", "fast", "--epochs", "2", "--subset", "2000", "--batch-size", "100", "--target", "10",
            "--quiet", "--out", str(tmp_path)]
    c = recipe("fast", epochs=2, subset=2000, batch_size=100, target=10.0)  # what those options make

    def stop(record, result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(c, tmp_path, dataset, progress=False, on_epoch_end=stop)
    mismatch = runner.invoke(main, [*args, "--resume", "--lr", "0.05"])
    assert_clean_error(mismatch, "--lr 0.2 (not 0.05)")
    resumed = runner.invoke(main, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert f"Resuming {tmp_path} at epoch 2 of 2" in resumed.output
    assert "nothing left to train" in runner.invoke(main, [*args, "--resume"]).output


def test_ctrl_c_says_how_to_resume(runner, dataset, tmp_path, monkeypatch):
    real_train = cli.train

    def interrupted_after_one_epoch(*args, **kwargs):
        def stop(record, result):
            kwargs["on_epoch_end"](record, result)
            raise KeyboardInterrupt

        return real_train(*args, **{**kwargs, "on_epoch_end": stop})

    monkeypatch.setattr(cli, "train", interrupted_after_one_epoch)
    out = tmp_path / "run"
    result = runner.invoke(main, ["train", "--model", "fast", "--epochs", "2", "--subset", "2000", "--batch-size",
                                  "100", "--target", "10", "--quiet", "--out", str(out)])
    assert result.exit_code == 130 and "Traceback" not in result.output
    command = result.output.split("Continue with: ")[1].strip()
    words = shlex.split(command)
    assert words[:2] == ["mnist", "train"] and "--resume" in words and str(out) in words
    monkeypatch.setattr(cli, "train", real_train)
    resumed = runner.invoke(main, words[1:])  # the command after "mnist"
    assert resumed.exit_code == 0, resumed.output
    assert "at epoch 2 of 2" in resumed.output


def test_ctrl_c_before_the_first_epoch_leaves_no_folder(runner, dataset, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "train", interrupted)
    result = runner.invoke(main, ["train", "--dry-run", "--out", str(tmp_path / "run")])
    assert result.exit_code == 130 and "nothing was saved" in result.output
    assert not (tmp_path / "run").exists()


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
    assert_clean_error(runner.invoke(main, ["train", "--dry-run", "--resume", "--out", str(tmp_path / "run")]),
                       "does not exist", "end of its first epoch", "without --resume")
    assert not (tmp_path / "run").exists()


def test_predict_refuses_a_non_image(runner, checkpoint, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("seven")
    gif = tmp_path / "digit.gif"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(gif)
    assert_clean_error(runner.invoke(main, ["predict", str(checkpoint), str(text)]), "notes.txt")
    assert_clean_error(runner.invoke(main, ["predict", str(checkpoint), str(gif)]), "GIF")
    assert_clean_error(runner.invoke(main, ["predict", str(checkpoint), str(tmp_path / "gone.png")]), "gone.png")
