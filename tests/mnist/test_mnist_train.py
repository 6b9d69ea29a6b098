"""The training loop on real MNIST subsets: it learns, it resumes exactly, it stops on NaN."""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import replace

import pytest
import torch

from mnist import data as mnist_data
from mnist import train as train_module
from mnist.config import TrainConfig, recipe
from mnist.train import (
    Result,
    ResumeMismatch,
    TrainingError,
    evaluate,
    load_checkpoint,
    lr_at,
    memory_format,
    model_from_checkpoint,
    train,
)

SMALL = dict(subset=3000, device="cpu", epochs=2, batch_size=64)


@pytest.mark.parametrize("model", ["seed", "tiny", "fast"])
def test_each_model_learns_on_a_small_real_subset(model, dataset, tmp_path):
    c = recipe(model, **SMALL)
    result = train(c, tmp_path, dataset, test_subset=2000, progress=False)
    assert len(result.epochs) == 2
    assert result.accuracies[-1] > 60.0, result.accuracies  # chance is 10%
    assert result.epochs[-1]["train_loss"] < result.epochs[0]["train_loss"]
    for name in ("last.pt", "best.pt", "metrics.json", "config.json", "curves.png"):
        assert (tmp_path / name).stat().st_size > 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2]
    assert metrics["config"]["model"] == model and metrics["params"] == result.params
    assert metrics["malloc"] == ("kept" if sys.platform.startswith("linux") else "not glibc")  # mnist/memory.py


def test_resume_gives_the_same_result_as_an_uninterrupted_run(dataset, tmp_path):
    c = recipe("tiny", subset=2000, device="cpu", epochs=3, batch_size=100, shift=2, rotate=5.0, dropout=0.1)
    whole = train(c, tmp_path / "whole", dataset, test_subset=1000, progress=False)

    class Interrupt(Exception):
        pass

    def stop_after_first(record, result):
        if record["epoch"] == 1:
            raise Interrupt

    with pytest.raises(Interrupt):
        train(c, tmp_path / "cut", dataset, test_subset=1000, progress=False, on_epoch_end=stop_after_first)
    assert load_checkpoint(tmp_path / "cut" / "last.pt")["epoch"] == 1
    resumed = train(c, tmp_path / "cut", dataset, test_subset=1000, progress=False, resume=True)
    assert [e["test_loss"] for e in resumed.epochs] == [e["test_loss"] for e in whole.epochs]
    a = load_checkpoint(tmp_path / "whole" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "cut" / "last.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_refuses_a_different_config(dataset, tmp_path):
    c = recipe("tiny", subset=500, device="cpu", epochs=1)
    train(c, tmp_path, dataset, test_subset=500, progress=False)
    with pytest.raises(ResumeMismatch, match="different settings") as raised:
        train(TrainConfig(**{**c.to_dict(), "lr": 0.5}), tmp_path, dataset, resume=True, progress=False)
    assert raised.value.differences == [("lr", c.lr, 0.5)]


def test_a_new_run_never_writes_over_another(dataset, tmp_path):
    c = recipe("fast", subset=500, device="cpu", epochs=1, batch_size=100)
    train(c, tmp_path, dataset, test_subset=500, progress=False)
    before = (tmp_path / "best.pt").read_bytes()
    with pytest.raises(TrainingError, match="already holds a run"):
        train(replace(c, seed=2), tmp_path, dataset, test_subset=500, progress=False)
    assert (tmp_path / "best.pt").read_bytes() == before
    (tmp_path / "curves.png").unlink()
    train(replace(c, seed=2), tmp_path, dataset, test_subset=500, progress=False, overwrite=True)
    assert (tmp_path / "best.pt").read_bytes() != before
    assert load_checkpoint(tmp_path / "best.pt")["config"]["seed"] == 2


def test_a_run_stopped_in_its_first_epoch_leaves_no_files(dataset, tmp_path, monkeypatch):
    def stop(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "augment", stop)
    with pytest.raises(KeyboardInterrupt):
        train(recipe("fast", subset=500, device="cpu", epochs=1, batch_size=100), tmp_path / "run", dataset,
              progress=False)
    assert list((tmp_path / "run").iterdir()) == []  # a new run may start there: nothing to overwrite


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(dataset, tmp_path, monkeypatch):
    c = recipe("tiny", subset=1000, device="cpu", epochs=3, batch_size=100)
    real_augment = train_module.augment

    def poisoned(x, *args):  # from epoch 2 on, feed NaN images (augment is called once per epoch here)
        return real_augment(x, *args) * (float("nan") if poisoned.calls > 1 else 1.0)

    def count_calls(x, *args):
        poisoned.calls += 1
        return poisoned(x, *args)

    poisoned.calls = 0
    monkeypatch.setattr(train_module, "augment", count_calls)
    result = train(c, tmp_path, dataset, test_subset=500, progress=False)
    assert result.stopped and "nan" in result.stopped and "epoch 2" in result.stopped
    assert not result.passed
    state = load_checkpoint(tmp_path / "last.pt")
    assert state["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


def test_onecycle_schedule_warms_up_then_decays_to_final():
    c = TrainConfig(lr=0.4, warmup=0.25, div=10, final_div=100)
    lrs = [lr_at(s, 100, c) for s in range(100)]
    assert lrs[0] == pytest.approx(0.04) and lrs[25] == pytest.approx(0.4) and lrs[-1] == pytest.approx(0.004)
    assert max(lrs) == pytest.approx(0.4)
    assert all(a <= b for a, b in itertools.pairwise(lrs[:26])) and all(a >= b for a, b in itertools.pairwise(lrs[25:]))
    assert lr_at(7, 100, TrainConfig(lr=0.3, schedule="constant")) == 0.3


@pytest.mark.parametrize("k, accs, met", [
    (0, [98.0, 99.41, 99.2], True), (0, [98.0, 99.39, 99.2], False),
    (1, [99.5, 99.5, 99.39], False), (3, [99.4, 99.45, 99.41], True), (3, [99.3, 99.45, 99.41], False),
])
def test_target_rules(k, accs, met):
    result = Result(TrainConfig(epochs=3, target=99.4, target_epochs=k), params=100,
                    epochs=[{"epoch": i + 1, "test_accuracy": a, "seconds": 1.0} for i, a in enumerate(accs)])
    assert result.target_met is met
    assert Result(result.config, params=30_000, epochs=result.epochs).passed is False


def test_a_seed_makes_a_cpu_run_repeatable(dataset, tmp_path):
    c = recipe("fast", subset=1000, device="cpu", epochs=1, batch_size=100, seed=7)
    runs = [train(c, tmp_path / str(i), dataset, test_subset=500, progress=False) for i in range(2)]
    assert runs[0].epochs[0]["train_loss"] == runs[1].epochs[0]["train_loss"]
    other = train(TrainConfig(**{**c.to_dict(), "seed": 8}), tmp_path / "other", dataset, test_subset=500,
                  progress=False)
    assert other.epochs[0]["train_loss"] != runs[0].epochs[0]["train_loss"]


def test_ema_follows_a_hand_computed_average_with_warm_up():
    from torch.optim.swa_utils import AveragedModel

    from mnist.train import ema_update

    net = torch.nn.Sequential(torch.nn.Linear(1, 1, bias=False), torch.nn.BatchNorm1d(1))
    ema = AveragedModel(net, multi_avg_fn=ema_update(0.5), use_buffers=True)
    values = [3.0, -1.0, 4.0, 1.5, -5.0, 9.0, 2.0, 6.0, -5.0, 3.5] * 4
    expected = None
    for n, v in enumerate(values):
        with torch.no_grad():
            net[0].weight.fill_(v)
        net[1].num_batches_tracked += 1
        ema.update_parameters(net)
        d = min(0.5, (1 + n) / (10 + n))  # AveragedModel copies on its first update, then averages
        expected = v if expected is None else d * expected + (1 - d) * v
        assert ema.module[0].weight.item() == pytest.approx(expected, rel=1e-5, abs=1e-5)  # float32
    assert ema.module[1].num_batches_tracked.item() == len(values)  # integer buffers are copied, not averaged


def test_with_ema_the_checkpoint_holds_the_weights_that_were_evaluated(dataset, tmp_path):
    c = recipe("tiny", subset=2000, device="cpu", epochs=1, batch_size=100)
    assert c.ema > 0
    result = train(c, tmp_path, dataset, test_subset=1000, progress=False)
    state = load_checkpoint(tmp_path / "last.pt")
    fmt = memory_format(c)  # as in training: same sums
    model = model_from_checkpoint(state)[0].to(memory_format=fmt)
    images = mnist_data.normalise(dataset.test_images[:1000]).contiguous(memory_format=fmt)
    _, correct = evaluate(model, images, dataset.test_labels[:1000], precision=result.precision)  # as evaluated
    assert correct == result.epochs[-1]["correct"]
    trained = state["trained"]
    assert any(not torch.equal(trained[k], v) for k, v in state["model"].items() if v.is_floating_point())
