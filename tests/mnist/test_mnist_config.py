"""TrainConfig checks itself: every setting out of range is refused by name, whoever builds the config."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from mnist.config import RECIPES, ConfigError, TrainConfig, recipe


def test_the_recipes_and_the_defaults_are_valid():
    assert TrainConfig().model == "seed"
    assert all(isinstance(c, TrainConfig) for c in RECIPES.values())


BAD = [
    ("model", "nope"), ("optimizer", "adam"), ("schedule", "cosine"), ("epochs", 0), ("epochs", 1.5),
    ("epochs", True), ("batch_size", 0), ("batch_size", 60_001), ("lr", 0.0), ("lr", -1.0), ("lr", math.nan),
    ("lr", math.inf), ("lr", "0.1"), ("warmup", 1.0), ("momentum", -0.1), ("dropout", 1.0), ("ema", 1.0),
    ("label_smoothing", 1.5), ("shift", -1), ("rotate", -5.0), ("scale", 1.0), ("target", 0.0), ("target", 100.5),
    ("target", math.nan), ("param_budget", 0), ("val_split", 60_000), ("val_split", -1), ("subset", 60_001),
    ("eval_batch_size", 0), ("device", "banana"), ("device", "meta"), ("nesterov", "yes"), ("target_epochs", -1),
]
if not torch.cuda.is_available():
    BAD += [("device", "cuda"), ("device", "cuda:0")]


@pytest.mark.parametrize("field, value", BAD)
def test_a_bad_setting_is_refused_by_name(field, value):
    with pytest.raises(ConfigError) as raised:
        TrainConfig(**{field: value})
    assert raised.value.field == field and str(raised.value).startswith(field)


def test_the_batch_must_fit_the_training_images_left():
    with pytest.raises(ConfigError, match="at most the 1,000 training images"):
        recipe("fast", subset=1000, batch_size=2000)
    with pytest.raises(ConfigError, match="at most the 100 training images"):
        recipe("fast", val_split=59_900)
    with pytest.raises(ConfigError, match="subset must be at most the 50,000"):
        recipe("fast", val_split=10_000, subset=50_001)
    assert recipe("fast", subset=256).batch_size == 256


def test_a_target_of_exactly_100_and_cpu_are_fine():
    assert recipe("fast", target=100.0, device="cpu").target == 100.0


def load_tune(monkeypatch):
    path = Path(__file__).resolve().parents[2] / "bench" / "tune.py"
    monkeypatch.syspath_prepend(str(path.parent))  # as when run as a script: bench/candidates.py importable
    spec = importlib.util.spec_from_file_location("tune", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("args, words", [
    (["fast", "optimizer=adam"], ["optimizer", "adam"]),
    (["fast", "frob=1"], ["frob=1"]),
    (["fast", "lr=fast"], ["lr", "float"]),
    (["fast", "nesterov=maybe"], ["nesterov", "bool"]),
    (["nope"], ["model", "nope"]),
    (["fast", "--device", "banana"], ["device", "banana"]),
])
def test_tune_goes_through_the_same_checks(args, words, monkeypatch):
    tune = load_tune(monkeypatch)
    monkeypatch.setattr(tune.mnist_data, "load", lambda *a, **k: pytest.fail("data loaded before the check"))
    result = CliRunner().invoke(tune.main, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1, result.output
    for word in words:
        assert word in result.output
