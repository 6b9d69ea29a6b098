"""The `mnist` command as a user runs it: happy paths, every bad input (exit 2, one line, no traceback, no
folder left), runs that are never overwritten, resume and interrupt messages, the dry run's verdict, and
progress bars only on a terminal."""

from __future__ import annotations

import os
import shlex
import stat

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import bpcore
from mnist import cli
from mnist import data as mnist_data
from mnist.cli import main
from mnist.config import recipe
from mnist.models import build, count_parameters
from mnist.train import Result, make_optimizer, save_checkpoint, train

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


def assert_no_progress_bar(output: str):
    assert "\r" not in output and "batch/s" not in output and "it/s" not in output, output
    assert max(len(line) for line in output.splitlines()) < 300, output


def test_dry_run_trains_end_to_end(runner, dataset, tmp_path):
    out = tmp_path / "dry"
    threads = torch.get_num_threads()
    result = runner.invoke(main, ["train", "--model", "tiny", "--dry-run", "--out", str(out), "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "Test set: Average loss:" in result.output
    assert "1 thread for 1 epoch;" in result.output  # singular, and the thread count is said
    assert "Dry run: no target checked (1 epoch on 1,024 images, evaluated on 1,000); best " in result.output
    assert "Target" not in result.output and "NOT met" not in result.output
    assert_no_progress_bar(result.output)  # CliRunner's stderr is no terminal, and --quiet was not given
    assert (out / "last.pt").exists() and (out / "metrics.json").exists()
    torch.set_num_threads(threads)  # --threads 1 set it for this whole test process


def test_on_a_terminal_the_bar_is_drawn(runner, dataset, tmp_path, monkeypatch):
    """The control for the test above: the same dry run, told that stderr is a terminal, draws a bar."""
    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    result = runner.invoke(main, ["train", "--dry-run", "--out", str(tmp_path / "dry")])
    assert result.exit_code == 0, result.output
    assert "\r" in result.output and "epoch 1/1" in result.output


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


def test_summary_and_train_default_to_the_fast_model(runner, monkeypatch):
    fast = count_parameters(build("fast"))
    assert fast != 19_712
    result = runner.invoke(main, ["summary"])
    assert result.exit_code == 0 and f"Total params: {fast:,}" in result.output
    configs = []
    monkeypatch.setattr(cli, "run_training", lambda c, *args: configs.append(c))
    assert runner.invoke(main, ["train", "--dry-run"]).exit_code == 0
    assert [(c.model, c.epochs) for c in configs] == [("fast", 1)]  # the fast recipe, cut to one epoch
    assert "[default: fast]" in runner.invoke(main, ["train", "--help"]).output


def test_version_help_and_a_bare_command(runner):
    version = runner.invoke(main, ["--version"])
    assert version.exit_code == 0 and version.output == f"mnist {bpcore.__version__}\n"
    for flag in ("-h", "--help"):
        helped = runner.invoke(main, [flag])
        assert helped.exit_code == 0 and "Usage:" in helped.output
        assert all(name in helped.output for name in ("fetch", "summary", "train", "evaluate", "predict"))
    bare = runner.invoke(main, [])  # the help, as click shows it: not an `Error:` line
    assert "Usage:" in bare.output and "train" in bare.output and "Error" not in bare.output
    assert bare.exit_code in (0, 2)  # 2 from click 8.2 on


def fake_result(c, accuracy: float) -> Result:
    epochs = [{"epoch": e, "test_accuracy": accuracy, "seconds": 1.5, "total": 1000} for e in range(1, c.epochs + 1)]
    return Result(c, count_parameters(build(c.model)), epochs=epochs)


def test_a_dry_run_checks_no_target(runner, monkeypatch, tmp_path):
    """The verdict line alone: training is replaced by a result far below the target."""
    monkeypatch.setattr(cli, "train_in", lambda out, c, *args: fake_result(c, 12.3))
    dry = runner.invoke(main, ["train", "--dry-run", "--out", str(tmp_path / "dry")])
    assert dry.exit_code == 0, dry.output
    assert dry.output.strip().splitlines()[-1] == (
        "Dry run: no target checked (1 epoch on 1,024 images, evaluated on 1,000); best 12.30%, last 12.30%; "
        "parameters 18,938 (budget 20,000: ok); 1.5 s")
    assert "Target" not in dry.output
    real = runner.invoke(main, ["train", "--epochs", "2", "--out", str(tmp_path / "real")])
    assert real.exit_code == 1, real.output
    assert "Target 99.40% (the last epoch): NOT met; first reached at epoch -; best 12.30%" in real.output


class Trained(Exception):
    """Raised by a stand-in for `train` once it has seen its arguments."""


def progress_asked(runner, monkeypatch, tmp_path, terminal: bool, *args) -> bool:
    """Whether `mnist train` asks `train` for a progress bar, with stderr a terminal or not."""
    images, labels = torch.zeros(2000, 28, 28, dtype=torch.uint8), torch.arange(2000) % 10
    monkeypatch.setattr(mnist_data, "load", lambda *a, **k: mnist_data.MNIST(images, labels, images, labels))
    monkeypatch.setattr(cli, "on_terminal", lambda: terminal)
    asked = []

    def stand_in(*a, progress, **k):
        asked.append(progress)
        raise KeyboardInterrupt  # stops the run before its first file: no training, nothing left

    monkeypatch.setattr(cli, "train", stand_in)
    result = runner.invoke(main, ["train", "--dry-run", "--out", str(tmp_path / "run"), *args])
    assert result.exit_code == 130 and "nothing was saved" in result.output, result.output
    return asked == [True]


def test_a_progress_bar_only_on_a_terminal_and_never_with_quiet(runner, monkeypatch, tmp_path):
    threads = torch.get_num_threads()
    try:
        assert progress_asked(runner, monkeypatch, tmp_path, terminal=True)
        assert not progress_asked(runner, monkeypatch, tmp_path, terminal=False)
        assert not progress_asked(runner, monkeypatch, tmp_path, True, "--quiet")
    finally:
        torch.set_num_threads(threads)  # the CLI chose a thread count for this whole test process


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


def test_predict_reports_each_unreadable_file_and_still_reads_the_others(runner, checkpoint, dataset, tmp_path):
    digit = tmp_path / "digit.png"
    Image.fromarray(255 - dataset.test_images[0].numpy()).resize((112, 112)).save(digit)
    text = tmp_path / "notes.txt"
    text.write_text("seven")
    gif = tmp_path / "digit.gif"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(gif)
    files = [text, digit, gif, tmp_path / "gone.png", tmp_path]
    result = runner.invoke(main, ["predict", str(checkpoint), *map(str, files)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.output.splitlines() == [
        f"{text}: Error: not a readable PNG or JPEG image (UnidentifiedImageError)",
        result.output.splitlines()[1],
        f"{gif}: Error: is GIF, not a PNG or JPEG image",
        f"{tmp_path / 'gone.png'}: Error: no such file",
        f"{tmp_path}: Error: is a folder, not an image",
    ]
    assert result.output.splitlines()[1].startswith(f"{digit}: {int(dataset.test_labels[0])} (p=")


def digit_picture(path, blank: bool = False):
    """A ring drawn in black on white (or a blank white page), 100x100 pixels."""
    image = Image.new("L", (100, 100), 255)
    if not blank:
        ImageDraw.Draw(image).ellipse((30, 15, 70, 85), outline=0, width=8)
    image.save(path)
    return path


@pytest.fixture
def untrained_checkpoint(tmp_path):
    """A checkpoint of the fast model as built, untrained: enough to test what predict prints, not digits."""
    c = recipe("fast", device="cpu")
    torch.manual_seed(0)
    model = build(c.model)
    path = tmp_path / "untrained.pt"
    save_checkpoint(path, model, make_optimizer(model, c), c, 1, [], torch.Generator())
    return path


def test_predict_exit_status_and_order(runner, untrained_checkpoint, tmp_path):
    """0: every file held a digit; 1: some held none; 2: some could not be read. One line per file, in order."""
    ring, blank = digit_picture(tmp_path / "ring.png"), digit_picture(tmp_path / "blank.png", blank=True)
    notes = tmp_path / "notes.txt"
    notes.write_text("seven")

    def predict(*files):
        result = runner.invoke(main, ["predict", str(untrained_checkpoint), *map(str, files)])
        assert "Traceback" not in result.output and not isinstance(result.exception, Exception), result.output
        lines = result.output.splitlines()
        assert [line.split(": ")[0] for line in lines] == [str(f) for f in files], result.output
        return result.exit_code, [line.split(": ", 1)[1] for line in lines]

    code, (read,) = predict(ring)
    assert code == 0 and " (p=" in read and "; next " in read
    code, lines = predict(blank, ring)
    assert code == 1 and lines[0].startswith("no digit found: ") and lines[1] == read
    code, lines = predict(ring, notes, blank)
    assert code == 2 and lines == [read, lines[1], lines[2]]
    assert lines[1].startswith("Error: not a readable PNG or JPEG image") and lines[2].startswith("no digit found")
