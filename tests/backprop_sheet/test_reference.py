"""The whole-workbook reference: overflows are found, for any network."""

import pytest

from backprop_sheet import reference
from backprop_sheet.config import InputError, SheetConfig


def test_overflow_is_found_in_any_network():
    """A linear network has no EXP to overflow, but its numbers can pass the largest double."""
    config = SheetConfig(hidden_activation="linear", output_activation="linear", weights=(1e200,) * 8,
                         inputs=(1e200, 1.0))
    with pytest.raises(InputError, match="h1 is not a finite number"):
        reference.checked(config)
    tanh = SheetConfig(hidden_activation="tanh", output_activation="tanh", weights=(1e6,) * 8)
    assert reference.checked(tanh)["E_total"].shape == (100, 6)  # TANH saturates; nothing overflows


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
    message = reference.first_overflow(trajectory, (1e6, 2e7), SheetConfig().spec)
    assert "iteration 2 with η = 20000000" in message


def test_large_but_computable_values_pass():
    config = SheetConfig(weights=(0.15, 0.2, 0.25, 0.3, 12345678.9, 12345678.9, 12345678.9, 12345678.9))
    assert reference.checked(config)["E_total"].shape == (100, 6)
