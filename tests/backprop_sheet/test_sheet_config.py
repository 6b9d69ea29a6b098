import dataclasses

import pytest

from backprop_sheet.config import InputError, SheetConfig, from_mapping, load_config


def test_defaults_are_the_issue_network():
    config = SheetConfig()
    assert config.inputs == (0.05, 0.10) and config.targets == (0.01, 0.99)
    assert config.weights == (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)
    assert config.biases == (0.0, 0.0)
    assert config.learning_rates == (0.1, 0.2, 0.5, 0.8, 1.0, 2.0) and config.iterations == 100


def test_load_config_converts_integers_and_keeps_unset_defaults(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text("biases = [0, 1]\nlearning_rates = [2]\niterations = 3\n")
    config = load_config(path)
    assert config.biases == (0.0, 1.0) and all(isinstance(b, float) for b in config.biases)
    assert config.learning_rates == (2.0,) and config.iterations == 3
    assert config.weights == SheetConfig().weights


def test_overrides_are_validated():
    with pytest.raises(InputError, match="positive"):
        dataclasses.replace(SheetConfig(), learning_rates=(0.1, -1.0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        SheetConfig().iterations = 5


def test_unknown_key_names_the_known_ones():
    with pytest.raises(InputError, match="known: inputs, targets, weights, biases, learning_rates, iterations"):
        from_mapping({"momentum": 0.9})
