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


@pytest.mark.parametrize("config, message", [
    # A sigmoid output rounded to 1: LN(1 − a) of 0, though its target is 1 and the loss would be 0.
    (SheetConfig(loss="cross_entropy", targets=(1.0,), weights=(1, 1, 1, 1, 40, 40)),
     "would fail at iteration 1 (the initial weights, every learning rate): LN(1-a_o1) is of 0 or less (a_o1 = 1;"),
    # A softmax output rounded to 0 whose target is 0: 0·LN(0) is #NUM! in a spreadsheet all the same.
    (SheetConfig(loss="cross_entropy", targets=(0.0, 1.0), weights=(1, 1, 1, 1, -2000, 30, 0, 0)),
     "LN(a_o1) is of 0 or less (a_o1 = 0;"),
    (SheetConfig(loss="cross_entropy", targets=(0.0, 1.0), weights=(1, 1, 1, 1, 2000, 30, 0, 0)),
     "EXP(o1) overflows (o1 = 1090.98258604781; EXP of more than 709.78 is #NUM!)"),
    # Several samples: the quantity named is the sample's own.
    (SheetConfig(inputs=((0.0, 0.0), (1e4, 1e4)), targets=((0.5, 0.5), (0.5, 0.5)), weights=(-1.0,) * 8),
     "EXP(-h1_s2) overflows (h1_s2 = -20000;"),
])
def test_new_failures_are_refused_with_where_and_why(config, message):
    with pytest.raises(InputError) as error:
        reference.checked(config)
    assert message in str(error.value)


def test_cross_entropy_near_the_edge_passes():
    """Outputs close to 0 and 1, but not rounded to them, are computable: nothing is refused."""
    config = SheetConfig(loss="cross_entropy", targets=(1.0,), weights=(1, 1, 1, 1, 30, 30))
    trajectory = reference.checked(config)
    assert 0 < 1 - trajectory["a_o1"][0, 0] < 1e-12
