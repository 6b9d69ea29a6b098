import dataclasses

import pytest

from backprop_sheet.config import CLASSIC_WEIGHTS, InputError, SheetConfig, from_mapping, load_config
from backprop_sheet.spec import Network


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
    with pytest.raises(InputError, match="known: inputs, targets, weights, biases, learning_rates, iterations, "
                                         "activation, hidden, hidden_activation, output_activation, "
                                         "train_biases, momentum"):
        from_mapping({"beta": 0.9})


def test_network_keys():
    config = from_mapping({"hidden": 3, "activation": "relu", "output_activation": "sigmoid",
                           "train_biases": True, "momentum": 0, "inputs": [1, 0, 0.5]})
    assert config.spec == Network(n_in=3, hidden=3, n_out=2, hidden_activation="relu",
                                  output_activation="sigmoid", train_biases=True, momentum=0.0)
    assert len(config.weights) == 3 * 3 + 2 * 3 and len(set(config.weights)) > 5  # no symmetric start
    assert isinstance(config.momentum, float)


def test_default_weights_are_the_classic_ones_only_for_2_2_2():
    assert from_mapping({}).weights == SheetConfig().weights == CLASSIC_WEIGHTS
    assert from_mapping({"activation": "tanh", "momentum": 0.5}).weights == CLASSIC_WEIGHTS
    assert len(from_mapping({"hidden": 1}).weights) == 4


@pytest.mark.parametrize("biases, ok", [((0.1, 0.2), True), ((0.1, 0.2, 0.3, 0.4, 0.5), True), ((0.1,), False),
                                        ((0.1, 0.2, 0.3, 0.4), False)])
def test_trained_biases_take_one_per_layer_or_one_per_neuron(biases, ok):
    values = {"hidden": 3, "train_biases": True, "biases": list(biases)}
    if ok:
        assert from_mapping(values).biases == biases
    else:
        with pytest.raises(InputError, match="biases needs 2 or 5 numbers"):
            from_mapping(values)


@pytest.mark.parametrize("field, value, message", [
    ("n_in", 0, "between 1 and 8"), ("hidden", 9, "between 1 and 8"), ("n_out", 2.0, "whole number"),
    ("hidden_activation", "softmax", "unknown activation"), ("output_activation", None, "unknown activation"),
    ("train_biases", 1, "true or false"), ("momentum", 1.0, r"\[0, 1\)"), ("momentum", -0.5, r"\[0, 1\)"),
    ("momentum", True, r"\[0, 1\)")])
def test_network_spec_refuses(field, value, message):
    with pytest.raises(InputError, match=message):
        Network(**{field: value})
