"""The generated workbooks recalculated by LibreOffice, every computed cell against the numpy reference.

All workbooks go through one LibreOffice run: starting it costs seconds, converting one costs little.
"""

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from backprop_sheet import layout as L
from backprop_sheet import network
from backprop_sheet.cli import main
from backprop_sheet.config import InputError, SheetConfig
from backprop_sheet.generate import generate
from backprop_sheet.recalc import recalculate
from backprop_sheet.verify import compare
from backprop_sheet.workbook import read_grids


def random_config(rng: np.random.Generator, with_biases: bool) -> SheetConfig:
    """A randomly drawn network with 1-3 learning rates and a short run."""
    return SheetConfig(
        inputs=tuple(rng.uniform(-1, 1, 2)),
        targets=tuple(rng.uniform(0, 1, 2)),
        weights=tuple(rng.uniform(-2, 2, 8)),
        biases=tuple(rng.uniform(-1, 1, 2)) if with_biases else (0.0, 0.0),
        learning_rates=tuple(rng.uniform(0.05, 3, rng.integers(1, 4))),
        iterations=int(rng.integers(2, 60)),
    )


COMMITTED = Path(__file__).parents[2] / "output" / "backprop.xlsx"
RANDOM_NETWORKS = 24  # half with biases, half without
CONFIGS = {"default": SheetConfig(), "classic": SheetConfig(biases=(0.35, 0.60))}
_rng = np.random.default_rng(20240611)
CONFIGS |= {f"random{n:02d}": random_config(_rng, with_biases=n % 2 == 1) for n in range(RANDOM_NETWORKS)}

DEFAULT_TRAJECTORY = network.train(SheetConfig().weights, SheetConfig().inputs, SheetConfig().targets,
                                   SheetConfig().biases, SheetConfig().learning_rates, 100)
TAMPERED = {
    "wrong_constant": {("lr 0.5", "F30"): 0.123},
    "error_cell": {("lr 1", "L20"): "=EXP(1000)"},
    "right_constant": {("lr 0.2", "B10"): float(DEFAULT_TRAJECTORY["w1"][L.data_row(10) - L.FIRST_ROW - 3, 1])},
    # A user's edits on the Parameters sheet: verify must follow them, as every formula does.
    "edited_parameters": {("Parameters", "B2"): 0.3, ("Parameters", f"B{L.parameter_row('b2')}"): 0.7,
                          ("Parameters", f"B{L.RATE_FIRST_ROW + 1}"): 1.7},
}


def tamper(source: Path, target: Path, edits: dict) -> None:
    wb = openpyxl.load_workbook(source)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell] = value
    wb.save(target)


def expected_cells(config: SheetConfig) -> int:
    rates = len(config.learning_rates)
    return rates * (1 + config.iterations * len(L.COLUMNS)) + 3 * rates + 5 * len(L.GRADIENT_COLUMNS)


@pytest.fixture(scope="module")
def batch(soffice, tmp_path_factory):
    """{name: (original, recalculated)} for every workbook of this module, from one LibreOffice run."""
    originals, out = tmp_path_factory.mktemp("originals"), tmp_path_factory.mktemp("recalculated")
    for name, config in CONFIGS.items():
        generate(config, originals / f"{name}.xlsx")
    for name, edits in TAMPERED.items():
        tamper(originals / "default.xlsx", originals / f"{name}.xlsx", edits)
    openpyxl.Workbook().save(originals / "not_ours.xlsx")
    paths = sorted(originals.glob("*.xlsx")) + [COMMITTED]
    return {p.stem: (p, r) for p, r in zip(paths, recalculate(paths, out))}


@pytest.mark.parametrize("name", CONFIGS)
def test_every_cell_matches_the_reference(batch, name):
    report = compare(*batch[name])
    assert report.ok, (report.mismatches[:5], report.error_cells[:5], report.constant_cells[:5], report.problems)
    assert report.max_abs_diff <= 1e-9
    assert report.cells == expected_cells(CONFIGS[name])


def test_random_networks_cover_biases_and_none():
    biased = [c.biases != (0.0, 0.0) for name, c in CONFIGS.items() if name.startswith("random")]
    assert len(biased) >= 20 and sum(biased) >= 10 and len(biased) - sum(biased) >= 10


def test_libreoffice_reproduces_the_classic_example(batch):
    values = read_grids(batch["classic"][1])
    assert values["Summary"][L.SUMMARY_HEADER_ROW][2] == pytest.approx(0.298371109, abs=1e-9)
    second = values["lr 0.5"][L.data_row(2) - 1]
    assert [second[L.col(f"w{n}") - 1] for n in (5, 6, 7, 8)] == pytest.approx(
        [0.35891648, 0.408666186, 0.511301270, 0.561370121], abs=1e-8)


def test_committed_workbook_is_the_default_and_passes(batch, tmp_path):
    assert compare(*batch["backprop"]).ok
    generate(SheetConfig(), tmp_path / "fresh.xlsx")
    assert read_grids(COMMITTED, formulas=True) == read_grids(tmp_path / "fresh.xlsx", formulas=True)


def test_wrong_constant_is_caught(batch):
    report = compare(*batch["wrong_constant"])
    assert not report.ok
    assert report.constant_cells == ["'lr 0.5'!F30: 0.123"]
    assert any(m.startswith("'lr 0.5'!F30: got 0.123") for m in report.mismatches)
    assert report.max_abs_diff > 0.1


def test_error_cell_is_caught(batch):
    report = compare(*batch["error_cell"])
    assert not report.ok
    assert "'lr 1'!L20: #NUM!" in report.error_cells


def test_correct_constant_is_still_not_a_formula(batch):
    report = compare(*batch["right_constant"])
    assert not report.mismatches and not report.error_cells
    assert [c.split(":")[0] for c in report.constant_cells] == ["'lr 0.2'!B10"]


def test_edited_parameters_recompute_everywhere(batch):
    report = compare(*batch["edited_parameters"])
    assert report.ok and report.max_abs_diff <= 1e-9
    edited = read_grids(batch["edited_parameters"][1])["Summary"]
    default = read_grids(batch["default"][1])["Summary"]
    assert edited[L.SUMMARY_HEADER_ROW + 1][0] == 1.7
    assert edited[L.SUMMARY_HEADER_ROW][2] != pytest.approx(default[L.SUMMARY_HEADER_ROW][2])


def test_foreign_workbook_is_bad_input(batch):
    with pytest.raises(InputError, match="no 'Parameters' sheet"):
        compare(*batch["not_ours"])


def test_cli_verify_passes_committed_workbook(soffice, runner):
    result = runner.invoke(main, ["verify", str(COMMITTED)])
    assert result.exit_code == 0, result.output
    assert "largest absolute difference" in result.output and result.output.rstrip().endswith("OK")


@pytest.mark.parametrize("name, shown", [("wrong_constant", "mismatches"), ("error_cell", "#NUM!")])
def test_cli_verify_fails_tampered_workbook(soffice, runner, batch, name, shown):
    result = runner.invoke(main, ["verify", str(batch[name][0])])
    assert result.exit_code == 1, result.output
    assert shown in result.output and "Traceback" not in result.output


def test_cli_verify_without_libreoffice(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    generate(SheetConfig(iterations=2), tmp_path / "b.xlsx")
    result = runner.invoke(main, ["verify", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        ("Error: LibreOffice's 'soffice' is not on PATH; verify needs it to recalculate "
         "(Debian/Ubuntu: apt-get install libreoffice-calc-nogui)")]


@pytest.mark.parametrize("content", [None, b"i1,i2\n0.05,0.1\n"])
def test_cli_verify_bad_path(runner, tmp_path, content):
    path = tmp_path / "b.xlsx"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(main, ["verify", str(path)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
