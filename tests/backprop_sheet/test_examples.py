"""Every config in examples/ is one the generator takes, and its workbook holds the reference's numbers."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop_sheet import network
from backprop_sheet.cli import main
from backprop_sheet.config import load_config
from backprop_sheet.verify import compare, verify

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.toml"))
BIG = {"mazur", "xor"}  # 10,000 and 4 × 1,000 rows: seconds to write and to read back, so not in the quick loop


def test_the_examples_are_there():
    assert {p.name for p in EXAMPLES} >= {"classic.toml", "relu.toml", "xor.toml", "mazur.toml", "ai-by-hand.toml"}


@pytest.mark.parametrize("example", [pytest.param(p, marks=pytest.mark.slow) if p.stem in BIG else p
                                     for p in EXAMPLES], ids=lambda p: p.stem)
def test_example_generates_a_workbook_whose_cached_values_are_the_reference(example, tmp_path):
    out = tmp_path / f"{example.stem}.xlsx"
    result = CliRunner().invoke(main, ["generate", "--config", str(example), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = compare(out, out)  # the values saved with the formulas, as a viewer that never recalculates shows them
    assert report.ok and report.cells > 0, report


def test_classic_example_is_the_classic_worked_example(tmp_path):
    config = load_config(Path(__file__).parents[2] / "examples" / "classic.toml")
    run = network.train(config.weights, config.inputs, config.targets, config.biases, config.learning_rates,
                        2, spec=config.spec)
    assert run["E_total"][0, 0] == pytest.approx(0.298371109, abs=1e-9)
    assert run["w5"][1, 0] == pytest.approx(0.35891648, abs=1e-8)
    assert run["w8"][1, 0] == pytest.approx(0.561370121, abs=1e-9)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_workbook_recalculates_in_libreoffice(example, tmp_path, soffice):
    out = tmp_path / f"{example.stem}.xlsx"
    assert CliRunner().invoke(main, ["generate", "--config", str(example), "--out", str(out)]).exit_code == 0
    report = verify(out)
    assert report.ok, report
