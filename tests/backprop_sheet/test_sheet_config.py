import dataclasses
import re

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
                                         "train_biases, momentum, loss, reduction, optimizer, nesterov, "
                                         "weight_decay, betas, eps, alpha"):
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
    ("hidden_activation", "softmax", "unknown activation"), ("output_activation", "gelu", "unknown activation"),
    ("train_biases", 1, "true or false"), ("momentum", 1.0, r"\[0, 1\)"), ("momentum", -0.5, r"\[0, 1\)"),
    ("momentum", True, r"\[0, 1\)")])
def test_network_spec_refuses(field, value, message):
    with pytest.raises(InputError, match=message):
        Network(**{field: value})


# ---- Several samples, losses, depth, optimizers ----

XOR_INPUTS = [[0, 0], [0, 1], [1, 0], [1, 1]]


def test_several_samples_are_one_list_each():
    config = from_mapping({"inputs": XOR_INPUTS, "targets": [[0], [1], [1], [0]], "train_biases": True})
    assert config.inputs == ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
    assert config.sample_targets == ((0.0,), (1.0,), (1.0,), (0.0,))
    assert config.spec == Network(n_in=2, hidden=2, n_out=1, train_biases=True, n_samples=4)


def test_one_sample_as_a_list_of_one_list_is_todays_config():
    assert from_mapping({"inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99]]}) == SheetConfig()
    assert SheetConfig().sample_inputs == ((0.05, 0.10),)


@pytest.mark.parametrize("values, message", [
    ({"inputs": [[0, 0], [0, 1, 1]], "targets": [[0], [1]]}, "sample 2 has 3 numbers but sample 1 has 2"),
    ({"inputs": [[0, 0], 1], "targets": [[0], [1]]}, "mixes numbers and lists"),
    ({"inputs": XOR_INPUTS, "targets": [[0], [1]]}, "inputs has 4 samples but targets has 2"),
    ({"inputs": XOR_INPUTS, "targets": [0, 1, 1, 0]}, "inputs has 4 samples but targets has 1"),
    ({"inputs": [[0, 0]] * 17, "targets": [[0]] * 17}, "give 1 to 16 samples, got 17"),
    ({"inputs": [[0, "x"], [0, 1]], "targets": [[0], [1]]}, "inputs of sample 1: 'x' is not a number"),
])
def test_bad_samples_are_refused(values, message):
    with pytest.raises(InputError, match=message):
        from_mapping(values)


def test_cross_entropy_sets_the_output_activation():
    softmax = from_mapping({"loss": "cross_entropy", "targets": [0, 1, 0]})
    assert softmax.output_activation == "softmax" and softmax.spec.softmax
    assert from_mapping({"loss": "cross_entropy", "targets": [0.3]}).output_activation == "sigmoid"
    # `activation` then names the hidden layers only: the output is the loss's
    relu = from_mapping({"loss": "cross_entropy", "activation": "relu"})
    assert (relu.hidden_activation, relu.output_activation) == ("relu", "softmax")


@pytest.mark.parametrize("values, message", [
    ({"loss": "cross_entropy", "output_activation": "sigmoid"},
     "output_activation 'sigmoid' contradicts loss 'cross_entropy', whose output with 2 outputs is 'softmax'"),
    ({"loss": "cross_entropy", "targets": [1], "output_activation": "softmax"}, "whose output with 1 output is 'sigmoid'"),
    ({"output_activation": "softmax"}, "'softmax' needs loss = 'cross_entropy'"),
    ({"loss": "hinge"}, "loss: unknown loss 'hinge' (known: mse, cross_entropy)"),
    ({"reduction": "max", "inputs": XOR_INPUTS, "targets": [[0]] * 4}, "unknown reduction 'max'"),
    ({"loss": "cross_entropy", "targets": [0.5, 0.6]}, "sum to 1.1"),
    ({"loss": "cross_entropy", "targets": [1.5, -0.5]}, "probabilities in [0, 1]; the targets are 1.5, -0.5"),
    ({"loss": "cross_entropy", "targets": [1.2]}, "probabilities in [0, 1]"),
    ({"loss": "cross_entropy", "inputs": [[0, 0], [1, 1]], "targets": [[0, 1], [0.5, 0.4]]}, "sample 2's targets sum"),
])
def test_contradictions_and_non_probabilities_are_refused(values, message):
    with pytest.raises(InputError, match=re.escape(message)):
        from_mapping(values)


def test_cross_entropy_targets_may_be_probabilities():
    config = from_mapping({"loss": "cross_entropy", "targets": [0.1, 0.2, 0.7]})
    assert config.targets == (0.1, 0.2, 0.7)


def test_deep_networks():
    config = from_mapping({"hidden": [4, 3, 2], "inputs": [1, 2, 3], "targets": [0.5]})
    spec = config.spec
    assert spec.layers == (4, 3, 2) and spec.depth == 3 and len(config.weights) == 3 * 4 + 4 * 3 + 3 * 2 + 2
    assert spec.hidden_layers == [["h1", "h2", "h3", "h4"], ["h5", "h6", "h7"], ["h8", "h9"]]
    assert config.biases == (0.0, 0.0, 0.0, 0.0) and spec.fixed_biases == ["b1", "b2", "b3", "b4"]
    assert list(spec.weights.items())[:5] == [(("i1", "h1"), "w1"), (("i2", "h1"), "w2"), (("i3", "h1"), "w3"),
                                              (("i1", "h2"), "w4"), (("i2", "h2"), "w5")]
    assert spec.weights[("a_h4", "h5")] == "w16" and spec.weights[("a_h9", "o1")] == "w32"
    assert from_mapping({"hidden": [3]}).spec == Network(hidden=3)  # one layer is an int, as before
    assert from_mapping({"hidden": [2, 1]}).weights != CLASSIC_WEIGHTS  # 8 weights, but not the 2-2-2 network


@pytest.mark.parametrize("values, message", [
    ({"hidden": [2, 2, 2, 2]}, "give 1 to 3 hidden layers, got 4"), ({"hidden": []}, "give 1 to 3 hidden layers"),
    ({"hidden": [2, 9]}, "between 1 and 8, got 9"), ({"hidden": [2, 1.5]}, "whole number"),
    ({"hidden": [2, 2], "biases": [0, 0]}, "biases needs 3 numbers"),
    ({"hidden": [2, 2], "train_biases": True, "biases": [0, 0]}, "biases needs 3 or 6 numbers"),
])
def test_bad_depth_is_refused(values, message):
    with pytest.raises(InputError, match=re.escape(message)):
        from_mapping(values)


def test_optimizer_keys():
    adam = from_mapping({"optimizer": "adam", "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0})
    assert adam.spec.betas == (0.8, 0.99) and adam.spec.eps == 1e-6 and isinstance(adam.weight_decay, float)
    rms = from_mapping({"optimizer": "rmsprop", "alpha": 0.9, "weight_decay": 0.01})
    assert rms.spec.alpha == 0.9 and rms.spec.with_decay
    nesterov = from_mapping({"momentum": 0.9, "nesterov": True})
    assert nesterov.spec.nesterov and nesterov.spec.with_velocity


@pytest.mark.parametrize("values, message", [
    ({"optimizer": "lbfgs"}, "optimizer: unknown optimizer 'lbfgs' (known: sgd, adam, rmsprop)"),
    ({"optimizer": "adam", "betas": [1, 0.999]}, "betas must be a number in [0, 1), got 1.0"),
    ({"optimizer": "adam", "betas": [0.9, -0.1]}, "betas must be a number in [0, 1)"),
    ({"optimizer": "adam", "betas": [0.9]}, "betas must be two numbers in [0, 1)"),
    ({"optimizer": "adam", "eps": 0}, "eps must be a positive number, got 0.0"),
    ({"optimizer": "rmsprop", "alpha": 1}, "alpha must be a number in [0, 1)"),
    ({"optimizer": "adam", "momentum": 0.9}, "momentum is SGD's"),
    ({"nesterov": True}, "nesterov needs optimizer 'sgd' with a momentum above 0"),
    ({"optimizer": "adam", "nesterov": True}, "nesterov needs optimizer 'sgd'"),
    ({"nesterov": "yes", "momentum": 0.5}, "nesterov must be true or false"),
    ({"weight_decay": -0.1}, "weight_decay must be a number in [0, inf)"),
    ({"betas": [0.9, 0.99]}, "betas is a setting of adam, not of 'sgd'"),
    ({"eps": 1e-8}, "eps is a setting of adam and rmsprop, not of 'sgd'"),
    ({"optimizer": "adam", "alpha": 0.9}, "alpha is a setting of rmsprop, not of 'adam'"),
])
def test_bad_optimizer_settings_are_refused(values, message):
    with pytest.raises(InputError, match=re.escape(message)):
        from_mapping(values)
