"""The whole-workbook reference: chunked training equals network.train, and overflows are found."""

import numpy as np
import pytest

from backprop_sheet import network, reference
from backprop_sheet.config import InputError, SheetConfig


def test_chunked_training_is_network_train_exactly(monkeypatch):
    d = SheetConfig(biases=(0.35, 0.6))
    whole = network.train(d.weights, d.inputs, d.targets, d.biases, d.learning_rates, 250)
    monkeypatch.setattr(reference, "CHUNK", 7)
    chunked = reference.train(d.weights, d.inputs, d.targets, d.biases, d.learning_rates, 250)
    assert set(whole) == set(chunked)
    for name in whole:
        np.testing.assert_array_equal(whole[name], chunked[name])


@pytest.mark.parametrize("config, message", [
    (SheetConfig(weights=(-1e4, -1e4, -1e4, -1e4, 0.4, 0.45, 0.5, 0.55)),
     "at iteration 1 (the initial weights, every learning rate): EXP(-h1) overflows (h1 = -1500;"),
    (SheetConfig(learning_rates=(0.1, 2e7)), "at iteration 2 with η = 20000000: EXP(-h1) overflows"),
    (SheetConfig(learning_rates=(1e300,)), "at iteration 2 with η = 1E+300: EXP(-h1) overflows"),
    (SheetConfig(weights=(1e6, -1e6) * 4), "at iteration 1 (the initial weights, every learning rate): EXP(-h1)"),
    (SheetConfig(weights=(0.15, 0.2, 0.25, 0.3, -1e6, -1e6, 0.5, 0.55)), "EXP(-o1) overflows"),
    (SheetConfig(targets=(1e200, 0.99)), "E1 is not a finite number (E1 = inf; numbers past ±1.8E+308 are #NUM!)"),
])
def test_overflow_is_refused_with_where_and_why(config, message):
    with pytest.raises(InputError) as error:
        reference.checked(config)
    assert message in str(error.value)
    assert "EXP" not in message or "EXP of more than 709.78 is #NUM!" in str(error.value)


def test_the_first_overflow_is_the_earliest():
    trajectory = reference.of_config(SheetConfig(learning_rates=(1e6, 2e7)))
    message = reference.first_overflow(trajectory, (1e6, 2e7))
    assert "iteration 2 with η = 20000000" in message


def test_large_but_computable_values_pass():
    config = SheetConfig(weights=(0.15, 0.2, 0.25, 0.3, 12345678.9, 12345678.9, 12345678.9, 12345678.9))
    assert reference.checked(config)["E_total"].shape == (100, 6)
