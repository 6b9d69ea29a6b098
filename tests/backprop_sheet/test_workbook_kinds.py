"""The workbooks of the new kinds, read back with openpyxl: the samples table, the network table that verify
reads, the optimizer's inputs, the Derivation sheet's rows; and the default workbook's Parameters sheet as before."""

import dataclasses

import openpyxl
import pytest

from backprop_sheet import layout as L
from backprop_sheet.config import SheetConfig, from_mapping
from backprop_sheet.generate import generate
from backprop_sheet.presets import preset
from backprop_sheet.verify import compare, read_parameters
from backprop_sheet.workbook import read_grids

XOR = from_mapping(preset("xor") | {"iterations": 5})
DEEP_ADAM = SheetConfig(inputs=((0.1, 0.9), (0.8, 0.2), (0.5, 0.5)), targets=((0.0, 1.0), (1.0, 0.0), (0.5, 0.5)),
                        hidden=(3, 2), loss="cross_entropy", optimizer="adam", betas=(0.8, 0.99), eps=1e-6,
                        weight_decay=0.01, train_biases=True, reduction="sum", learning_rates=(0.05, 0.01),
                        iterations=4)
NESTEROV = SheetConfig(hidden=(2, 2, 2), momentum=0.9, nesterov=True, learning_rates=(0.5,), iterations=4)
RMSPROP = SheetConfig(optimizer="rmsprop", alpha=0.9, loss="cross_entropy", targets=(1.0,), learning_rates=(0.01,),
                      iterations=4)
KINDS = {"xor": XOR, "deep_adam": DEEP_ADAM, "nesterov": NESTEROV, "rmsprop": RMSPROP}


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kinds")
    for name, config in KINDS.items():
        generate(config, folder / f"{name}.xlsx")
    return folder


@pytest.mark.parametrize("name", KINDS)
def test_verify_reads_back_the_network_and_every_input(books, name):
    config = KINDS[name]
    found = read_parameters(read_grids(books / f"{name}.xlsx")[L.PARAMETERS_SHEET])
    # The settings the sheet holds as inputs are read as inputs; the table gives the rest exactly.
    assert dataclasses.replace(found.spec, betas=config.spec.betas, eps=config.spec.eps,
                               alpha=config.spec.alpha) == config.spec
    assert found.learning_rates == list(config.learning_rates) and found.iterations == config.iterations
    if config.optimizer == "adam":
        assert (found.values["beta1"], found.values["beta2"], found.values["eps"]) == (0.8, 0.99, 1e-6)
    if config.optimizer == "rmsprop":
        assert (found.values["alpha"], found.values["eps"]) == (0.9, 1e-8)
    for s, (inputs, targets) in enumerate(zip(config.sample_inputs, config.sample_targets), start=1):
        sfx = config.spec.suffix(s)
        assert [found.values[i + sfx] for i in config.spec.inputs] == list(inputs)
        assert [found.values[t + sfx] for t in config.spec.targets] == list(targets)


@pytest.mark.parametrize("name", KINDS)
def test_cached_values_are_the_reference(books, name):
    report = compare(books / f"{name}.xlsx", books / f"{name}.xlsx")
    assert report.ok and report.max_abs_diff == 0 and report.cells > 0, report.mismatches[:3]


def test_the_samples_table(books):
    ws = openpyxl.load_workbook(books / "xor.xlsx")[L.PARAMETERS_SHEET]
    header = [ws.cell(1, L.SAMPLE_COL + c).value for c in range(4)]
    rows = [[ws.cell(1 + s, L.SAMPLE_COL + c).value for c in range(4)] for s in range(1, 5)]
    assert header == ["sample", "i1", "i2", "t1"]
    assert rows == [[1, 0, 0, 0], [2, 0, 1, 1], [3, 1, 0, 1], [4, 1, 1, 0]]
    wb = openpyxl.load_workbook(books / "xor.xlsx")
    assert wb.defined_names["i_2_s3"].attr_text == f"'Parameters'!$K${L.PARAMETER_FIRST_ROW + 2}"
    assert ws.cell(L.PARAMETER_FIRST_ROW + 2, L.SAMPLE_COL + 2).fill.fgColor.rgb.endswith("FFF2CC")  # an input
    assert "i1" not in [ws.cell(r, 1).value for r in range(1, 30)]  # the samples are not in the list too


def test_the_default_parameters_sheet_is_as_before(default_book):
    """Seven rows in the network table and nothing right of it: the new rows appear only where they differ."""
    ws = openpyxl.load_workbook(default_book)[L.PARAMETERS_SHEET]
    labels = [ws.cell(r, L.NETWORK_COL).value for r in range(2, 12)]
    assert labels == [label for label, _ in L.NETWORK_FIELDS] + [None] * 3
    assert ws.max_column == L.NETWORK_COL + 1


def test_the_optimizers_settings_are_inputs(books):
    grid = read_grids(books / "deep_adam.xlsx")[L.PARAMETERS_SHEET]
    rows = {row[0]: row[1:3] for row in grid[1:] if row[0]}
    assert rows["β1"] == (0.8, "beta_1") and rows["β2"] == (0.99, "beta_2") and rows["ε"] == (1e-6, "epsilon")
    assert rows["λ"] == (0.01, "weight_decay") and "β" not in rows
    network = {row[5]: row[6] for row in grid if len(row) > 6 and row[5]}
    assert network["optimizer"] == "adam" and network["reduction"] == "sum" and network["loss"] == "cross_entropy"
    assert network["hidden neurons"] == "3, 2" and network["samples"] == 3


def test_the_derivation_sheet_shows_sample_1s_chain_rule_then_every_gradient(books):
    spec = DEEP_ADAM.spec
    ws = openpyxl.load_workbook(books / "deep_adam.xlsx")[L.DERIVATION_SHEET]
    rows = L.derivation_columns(spec)
    first = L.DERIVATION_HEADER_ROW + 1
    headers = [ws.cell(first + n, 1).value for n in range(len(rows))]
    assert headers[:7] == ["∂E/∂o1", "∂E/∂o2", "∂E/∂h4", "∂E/∂h5", "∂E/∂h1", "∂E/∂h2", "∂E/∂h3"]
    assert headers[7:] == [f"∂E_total/∂{p}" for p in spec.trained]
    assert "= a − t (see above)" in ws.cell(first, 2).value
    assert "∂E/∂o_k = " in ws.cell(2, 1).value and "a_ok − t_k" in ws.cell(2, 1).value
    gradient = ws.cell(first + 7, 2).value
    assert gradient == "∂E_total/∂w1 = sum over the 3 samples of each sample's ∂E/∂h1 · ∂h1/∂w1"
    assert ws.cell(first + 7, 3).value == "= ∂E/∂h1·i1+∂E/∂h1_s2·i1_s2+∂E/∂h1_s3·i1_s3"


def test_the_rate_sheets_say_how_each_optimizer_steps(books):
    notes = {name: openpyxl.load_workbook(books / f"{name}.xlsx").worksheets[2].cell(1, 3).value for name in KINDS}
    assert "w − η·∂E_total/∂w of the row above" in notes["xor"]
    assert "w − η·m̂/(√ŝ + ε), Adam's bias-corrected moments" in notes["deep_adam"]
    assert "w − η·(g + β·v), Nesterov's momentum" in notes["nesterov"]
    assert "w − η·g/(√s + ε), RMSprop's" in notes["rmsprop"]
