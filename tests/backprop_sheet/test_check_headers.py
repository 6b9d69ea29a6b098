"""Header spellings, labels, sheet names and typed-number precision: the parsing `check` rests on."""

import pytest

from backprop_sheet.check.headers import canonical, label
from backprop_sheet.check.local import half_unit
from backprop_sheet.check.params import rate_from_title

SPELLINGS = {
    "E_total": ["E_total", "E_Total", "E_tot", "Etotal", "E total", "Total Error", "E_tot (loss)"],
    "a_h1": ["a_h1", "a_h_1", "out_h1", "σ(h1)"],
    "a_o2": ["a_o2", "out_o2", "σ(o2)"],
    "dE_dw1": ["∂E_total/∂w1", "∂E/∂w1", "δE_total/δw1", "dE/dw1", "dE_total/dw1", "grad w1", "∂(E_total)/∂w1"],
    "dE_dw5": ["∂E_total/∂W5", "dE_dw5"],
    # spellings from real submissions that were once missed
    "dE_dw2": ["E∂w2", "dw2", "∂E∂W2", "Etotaldw2", "δE_tot/δw2", "dEtotal/dw2", "dE by dw2", "∂E_total/∂w2 "],
    "w1": ["w1", "W1"],
    "t1": ["t1 ( output of out_o1)", "t1"],
    "iteration": ["Sno.", "iteration", "Epoch"],
    "h1": ["h1", "h1=w1*i1+w2*i2", "h1 = w1·i1 + w2·i2 + b1", "net_h1"],
    "a_o1": ["a_o1 = σ(o1)", "out_o1=1/(1+exp(-o1))"],
}


@pytest.mark.parametrize("quantity", SPELLINGS)
def test_header_spellings(quantity):
    for text in SPELLINGS[quantity]:
        assert canonical(text) == quantity, text


@pytest.mark.parametrize("text", ["notes", "notes on momentum", "E_total/Loss", "quantity", "Initial Values", "", None, 3.0])
def test_other_headers_name_nothing(text):
    assert canonical(text) is None


def test_labels():
    assert label("learning rate η") == ("eta", None)
    assert label("lr=") == ("eta", None)
    assert label("η = 0.5") == ("eta", 0.5)
    assert label("t1 (target)") == ("t1", None)
    assert label("L.R. 0.1") is None  # a title above a column, not the label of the number below it
    assert label("η1") is None
    assert label("w1") is None  # initial weights come from the table's first row


def test_rate_from_sheet_names():
    assert rate_from_title("lr 0.5") == 0.5
    assert rate_from_title("L.R. 0.1") == 0.1
    assert rate_from_title("eta=2") == 2.0
    assert rate_from_title("0.8") == 0.8
    assert rate_from_title("Sheet1") is None
    assert rate_from_title("Sheet 2 - Calculations") is None


def test_half_unit_of_typed_numbers():
    assert half_unit(0.506875) == pytest.approx(5e-7)
    assert half_unit(9.22e-05) == pytest.approx(5e-8)
    assert half_unit(-9.74e-07) == pytest.approx(5e-10)
    assert half_unit(0.24251985734837728) == 0.0  # full precision: exact
