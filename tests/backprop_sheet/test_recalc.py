"""The generated workbooks recalculated by LibreOffice and by Gnumeric, every computed cell against the
numpy reference.

All workbooks go through one LibreOffice run: starting it costs seconds, converting one costs little.
Gnumeric's ssconvert starts fast and takes one file per run.
"""

import re
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from backprop_sheet import layout as L
from backprop_sheet import network
from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.cli import main
from backprop_sheet.config import InputError, SheetConfig, load_config
from backprop_sheet.generate import generate
from backprop_sheet.recalc import recalculate, recalculate_gnumeric
from backprop_sheet.spec import DEFAULT
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


def random_network(rng: np.random.Generator, n: int) -> SheetConfig:
    """Any network: widths 1-4, every activation in turn, biases trained or not, momentum or none."""
    n_in, hidden, n_out = (int(k) for k in rng.integers(1, 5, 3))
    names = list(ACTIVATIONS)
    train_biases = n % 2 == 0
    per_neuron = train_biases and n % 4 == 0
    return SheetConfig(
        inputs=tuple(rng.uniform(-1, 1, n_in)), targets=tuple(rng.uniform(0, 1, n_out)),
        weights=tuple(rng.uniform(-1, 1, hidden * (n_in + n_out))),
        biases=tuple(rng.uniform(-0.5, 0.5, hidden + n_out if per_neuron else 2)),
        learning_rates=tuple(rng.uniform(0.05, 0.8, rng.integers(1, 3))), iterations=int(rng.integers(2, 30)),
        hidden=hidden, hidden_activation=names[n % 5], output_activation=names[(n + n // 5) % 5],
        train_biases=train_biases, momentum=(0.0, 0.9)[n // 2 % 2])


COMMITTED = Path(__file__).parents[2] / "output" / "backprop.xlsx"
COMMITTED_RELU = COMMITTED.with_name("backprop_relu.xlsx")  # examples/relu.toml, generated
RANDOM_NETWORKS = 24  # half with biases, half without
CONFIGS = {
    "default": SheetConfig(),
    "classic": SheetConfig(biases=(0.35, 0.60)),
    # Large magnitudes: engines write 15 significant digits, so only a relative tolerance passes these.
    "large": SheetConfig(weights=(0.15, 0.2, 0.25, 0.3, 12345678.9, 12345678.9, 12345678.9, 12345678.9)),
    # Just inside the range a spreadsheet can compute: EXP(-h) of about EXP(700) on iteration 1.
    "near_limit": SheetConfig(weights=(-4666.0, -4666.0, -4666.0, -4666.0, 0.4, 0.45, 0.5, 0.55),
                              learning_rates=(0.5,), iterations=20),
}
_rng = np.random.default_rng(20240611)
CONFIGS |= {f"random{n:02d}": random_config(_rng, with_biases=n % 2 == 1) for n in range(RANDOM_NETWORKS)}
ANY_NETWORKS = 25  # every activation for each layer, biases trained or not, β 0 or 0.9
_rng = np.random.default_rng(20261125)
CONFIGS |= {f"network{n:02d}": random_network(_rng, n) for n in range(ANY_NETWORKS)}
MOMENTUM = SheetConfig(hidden=3, hidden_activation="relu", train_biases=True, momentum=0.9, learning_rates=(0.5,),
                       iterations=20)
CONFIGS["momentum"] = MOMENTUM

DEFAULT_TRAJECTORY = network.train(SheetConfig().weights, SheetConfig().inputs, SheetConfig().targets,
                                   SheetConfig().biases, SheetConfig().learning_rates, 100)
TAMPERED = {
    "wrong_constant": {("lr 0.5", "F30"): 0.123},
    "error_cell": {("lr 1", "L20"): "=EXP(1000)"},
    "right_constant": {("lr 0.2", f"B{L.data_row(7)}"): float(DEFAULT_TRAJECTORY["w1"][6, 1])},
    "deleted_sheet": {("lr 0.8", ""): None},
    # A user's edits on the Parameters sheet: verify must follow them, as every formula does.
    "edited_parameters": {("Parameters", "B2"): 0.3, ("Parameters", f"B{L.parameter_row('b2', DEFAULT)}"): 0.7,
                          ("Parameters", f"B{L.rate_first_row(DEFAULT) + 1}"): 1.7},
}
# The new parameters are inputs too: a per-neuron initial bias and β, edited after generating.
TAMPERED_MOMENTUM = {
    "edited_momentum": {("Parameters", f"B{L.parameter_row('momentum', MOMENTUM.spec)}"): 0.5,
                        ("Parameters", f"B{L.parameter_row('b_o2_init', MOMENTUM.spec)}"): -0.4},
    "momentum_switched_off": {("Parameters", f"B{L.parameter_row('momentum', MOMENTUM.spec)}"): 0},
}


def tamper(source: Path, target: Path, edits: dict) -> None:
    wb = openpyxl.load_workbook(source)
    for (sheet, cell), value in edits.items():
        if value is None:
            wb.remove(wb[sheet])
        else:
            wb[sheet][cell] = value
    wb.save(target)


def edit_value(source: Path, target: Path, sheet: str, cell: str, value: float) -> None:
    """Change one constant in the sheet's XML, keeping everything else (charts included) byte for byte."""
    with zipfile.ZipFile(source) as src:
        part = {ws: f"xl/worksheets/sheet{n}.xml" for n, ws in
                enumerate(re.findall(r'<sheet [^>]*name="([^"]*)"', src.read("xl/workbook.xml").decode()), 1)}[sheet]
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == part:
                    data, count = re.subn(rf'(<c r="{cell}"[^>]*><v>)[^<]*(</v>)'.encode(),
                                          rb"\g<1>" + repr(value).encode() + rb"\g<2>", data)
                    assert count == 1
                dst.writestr(info, data)


def expected_cells(config: SheetConfig) -> int:
    rates, spec = len(config.learning_rates), config.spec
    derivation = sum(len(c.factors) + 2 for c in L.gradient_columns(spec))
    return rates * (1 + config.iterations * len(L.columns(spec))) + 4 * rates + derivation


ETA_ROW = L.rate_first_row(DEFAULT) + 2  # η3 = 0.5 in the default workbook, edited to 3


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("originals")
    for name, config in CONFIGS.items():
        generate(config, folder / f"{name}.xlsx")
    for name, edits in TAMPERED.items():
        tamper(folder / "default.xlsx", folder / f"{name}.xlsx", edits)
    tamper(folder / "large.xlsx", folder / "large_tampered.xlsx", {("lr 1", f"G{L.data_row(50)}"): 12345678.8})
    edit_value(folder / "default.xlsx", folder / "eta_edited.xlsx", "Parameters", f"B{ETA_ROW}", 3.0)
    for name, edits in TAMPERED_MOMENTUM.items():
        tamper(folder / "momentum.xlsx", folder / f"{name}.xlsx", edits)
    openpyxl.Workbook().save(folder / "not_ours.xlsx")
    return folder


@pytest.fixture(scope="module")
def batch(soffice, originals, tmp_path_factory):
    """{name: (original, recalculated)} for every workbook of this module, from one LibreOffice run."""
    out = tmp_path_factory.mktemp("recalculated")
    paths = sorted(originals.glob("*.xlsx")) + [COMMITTED, COMMITTED_RELU]
    return {p.stem: (p, r) for p, r in zip(paths, recalculate(paths, out))}


@pytest.fixture(scope="module")
def gnumeric(originals, tmp_path_factory, gnumeric_program):
    """{name: (original, recalculated)}: the generated workbooks and the η edit, recalculated by Gnumeric."""
    out = tmp_path_factory.mktemp("gnumeric")
    paths = [originals / f"{name}.xlsx" for name in [*CONFIGS, "eta_edited"]]
    return {p.stem: (p, r) for p, r in zip(paths, recalculate_gnumeric(paths, out))}


@pytest.mark.parametrize("name", CONFIGS)
def test_every_cell_matches_the_reference(batch, name):
    report = compare(*batch[name])
    assert report.ok, (report.mismatches[:5], report.error_cells[:5], report.constant_cells[:5], report.problems)
    assert report.max_scaled_diff <= 1e-9
    assert report.cells == expected_cells(CONFIGS[name])


@pytest.mark.parametrize("name", CONFIGS)
def test_gnumeric_matches_the_reference(gnumeric, name):
    report = compare(*gnumeric[name])
    assert report.ok, (report.mismatches[:5], report.error_cells[:5], report.constant_cells[:5], report.problems)
    assert report.max_scaled_diff <= 1e-9
    assert report.cells == expected_cells(CONFIGS[name])


@pytest.mark.slow  # its fixture writes the 30 workbooks the engines recalculate: 6 s
@pytest.mark.parametrize("name", CONFIGS)
def test_cached_values_are_the_reference(originals, name):
    """Read without any recalculation (openpyxl's data_only), as a viewer that never recalculates does."""
    path = originals / f"{name}.xlsx"
    report = compare(path, path)
    assert report.ok and report.max_abs_diff == 0 and report.cells == expected_cells(CONFIGS[name])


def test_large_values_pass_only_with_a_relative_tolerance(batch):
    report = compare(*batch["large"])
    assert report.ok and 0 < report.max_abs_diff  # LibreOffice's 15 digits differ from the double's 17


def test_near_limit_values_give_no_error_cells(batch, gnumeric):
    for engine in (batch, gnumeric):
        report = compare(*engine["near_limit"])
        assert report.ok and not report.error_cells


def test_edited_rate_changes_labels_and_legend(batch, gnumeric):
    """η3 = 3 on the Parameters sheet: after recalculation every label and the legend say 3."""
    for engine in (batch, gnumeric):
        report = compare(*engine["eta_edited"])
        assert report.ok, (report.mismatches[:5], report.problems)
        values = read_grids(engine["eta_edited"][1])
        assert values["lr 0.5"][L.RATE_CELL[0] - 1][L.RATE_CELL[1] - 1] == 3
        summary = values["Summary"][L.summary_row(2) - 1]
        assert summary[0] == 3 and summary[L.SUMMARY_LABEL_COL - 1] == "η = 3"
    with zipfile.ZipFile(batch["eta_edited"][1]) as recalculated:  # LibreOffice keeps the charts
        legends = [re.findall(r"<c:tx><c:strRef><c:f>[^<]*</c:f><c:strCache>.*?<c:v>([^<]*)</c:v>",
                              recalculated.read(name).decode())
                   for name in recalculated.namelist() if name.startswith("xl/charts/chart")]
    assert ["η = 0.1", "η = 0.2", "η = 3", "η = 0.8", "η = 1", "η = 2"] in legends
    assert ["η = 3"] in legends  # the rate sheet's own chart


def test_random_networks_cover_biases_and_none():
    biased = [c.biases != (0.0, 0.0) for name, c in CONFIGS.items() if name.startswith("random")]
    assert len(biased) >= 20 and sum(biased) >= 10 and len(biased) - sum(biased) >= 10


def test_libreoffice_reproduces_the_classic_example(batch):
    values = read_grids(batch["classic"][1])
    assert values["Summary"][L.summary_row(0) - 1][3] == pytest.approx(0.298371109, abs=1e-9)
    second = values["lr 0.5"][L.data_row(2) - 1]
    assert [second[L.col(f"w{n}", DEFAULT) - 1] for n in (5, 6, 7, 8)] == pytest.approx(
        [0.35891648, 0.408666186, 0.511301270, 0.561370121], abs=1e-8)


def test_committed_workbook_is_the_default_and_passes(batch, tmp_path):
    assert compare(*batch["backprop"]).ok
    generate(SheetConfig(), tmp_path / "fresh.xlsx")
    fresh = tmp_path / "fresh.xlsx"
    assert read_grids(COMMITTED, formulas=True) == read_grids(fresh, formulas=True)
    assert read_grids(COMMITTED) == read_grids(fresh)  # the cached values too


def test_any_networks_cover_every_kind():
    specs = [CONFIGS[f"network{n:02d}"].spec for n in range(ANY_NETWORKS)]
    assert len(specs) >= 20
    assert {s.hidden_activation for s in specs} == {s.output_activation for s in specs} == set(ACTIVATIONS)
    assert {(s.train_biases, s.momentum) for s in specs} == {(b, m) for b in (False, True) for m in (0.0, 0.9)}
    assert {w for s in specs for w in (s.n_in, s.hidden, s.n_out)} == {1, 2, 3, 4}


@pytest.mark.parametrize("name", TAMPERED_MOMENTUM)
def test_edited_bias_and_momentum_recompute_everywhere(batch, name):
    """β and the per-neuron initial biases are inputs: every sheet, and verify, follow an edit."""
    report = compare(*batch[name])
    assert report.ok and report.max_abs_diff <= 1e-9, (report.mismatches[:5], report.problems)
    last = L.summary_cells(["lr 0.5"], MOMENTUM.iterations, MOMENTUM.spec)[-1]  # E_total at the last iteration
    assert last.iteration == MOMENTUM.iterations
    edited = read_grids(batch[name][1])["Summary"][last.row - 1][last.col - 1]
    assert edited != pytest.approx(read_grids(batch["momentum"][1])["Summary"][last.row - 1][last.col - 1])


def test_committed_relu_example_passes(batch):
    report = compare(*batch["backprop_relu"])
    assert report.ok and report.max_abs_diff <= 1e-9, (report.mismatches[:5], report.problems)
    assert report.cells == expected_cells(load_config(COMMITTED.parents[1] / "examples" / "relu.toml"))


def test_wrong_constant_is_caught(batch):
    report = compare(*batch["wrong_constant"])
    assert not report.ok
    assert report.constant_cells == ["'lr 0.5'!F30: 0.123"]
    (mismatch,) = [m for m in report.mismatches if m.startswith("'lr 0.5'!F30:")]
    assert re.fullmatch(r"'lr 0.5'!F30: got 0.123, expected 0\.\d+", mismatch)  # plain numbers
    assert not any("np." in m for m in report.mismatches)
    assert report.max_abs_diff > 0.1


def test_error_cell_is_caught(batch):
    report = compare(*batch["error_cell"])
    assert not report.ok
    assert "'lr 1'!L20: #NUM!" in report.error_cells


def test_correct_constant_is_still_not_a_formula(batch):
    report = compare(*batch["right_constant"])
    assert not report.mismatches and not report.error_cells
    assert [c.split(":")[0] for c in report.constant_cells] == [f"'lr 0.2'!B{L.data_row(7)}"]


def test_edited_parameters_recompute_everywhere(batch):
    report = compare(*batch["edited_parameters"])
    assert report.ok and report.max_abs_diff <= 1e-9
    edited = read_grids(batch["edited_parameters"][1])["Summary"]
    default = read_grids(batch["default"][1])["Summary"]
    assert edited[L.summary_row(1) - 1][0] == 1.7 and edited[L.summary_row(1) - 1][1] == "η = 1.7"
    assert edited[L.summary_row(0) - 1][3] != pytest.approx(default[L.summary_row(0) - 1][3])


def test_foreign_workbook_is_bad_input(batch):
    with pytest.raises(InputError, match="no 'Parameters' sheet"):
        compare(*batch["not_ours"])


def test_cli_verify_passes_committed_workbook(soffice, runner):
    result = runner.invoke(main, ["verify", str(COMMITTED)])
    assert result.exit_code == 0, result.output
    assert "tolerance: |got − expected| ≤ 1e-09 · max(1, |expected|)" in result.output
    assert result.output.rstrip().endswith("OK")


@pytest.mark.parametrize("name, shown", [("wrong_constant", "mismatches"), ("error_cell", "#NUM!")])
def test_cli_verify_fails_tampered_workbook(soffice, runner, batch, name, shown):
    result = runner.invoke(main, ["verify", str(batch[name][0])])
    assert result.exit_code == 1, result.output
    assert shown in result.output and "Traceback" not in result.output


def test_cli_verify_without_libreoffice(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("BACKPROP_SOFFICE", raising=False)
    generate(SheetConfig(iterations=2), tmp_path / "b.xlsx")
    result = runner.invoke(main, ["verify", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        ("Error: LibreOffice's 'soffice' is not on PATH; verify needs it to recalculate "
         "(Debian/Ubuntu: apt-get install libreoffice-calc-nogui; or set $BACKPROP_SOFFICE)")]


def test_cli_verify_finds_soffice_through_the_environment(runner, monkeypatch, tmp_path, soffice,
                                                         path_without_engines):
    """Where soffice is not on PATH (Windows, macOS), $BACKPROP_SOFFICE names it."""
    generate(SheetConfig(iterations=2), tmp_path / "b.xlsx")
    monkeypatch.setenv("PATH", path_without_engines)
    monkeypatch.setenv("BACKPROP_SOFFICE", soffice)
    result = runner.invoke(main, ["verify", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 0 and result.output.strip().endswith("OK"), result.output
    monkeypatch.setenv("BACKPROP_SOFFICE", str(tmp_path / "nothing"))
    result = runner.invoke(main, ["verify", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 1 and "$BACKPROP_SOFFICE" in result.output and "not an executable" in result.output


@pytest.mark.parametrize("content", [None, b"i1,i2\n0.05,0.1\n"])
def test_cli_verify_bad_path(runner, tmp_path, content):
    path = tmp_path / "b.xlsx"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(main, ["verify", str(path)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output


def test_tampered_large_workbook_fails(batch):
    report = compare(*batch["large_tampered"])
    assert not report.ok and len(report.mismatches) >= 1
    assert report.mismatches[0].startswith(f"'lr 1'!G{L.data_row(50)}: got 12345678.8, expected 12345678.9")


def test_deleted_sheet_is_one_structural_problem(batch):
    report = compare(*batch["deleted_sheet"])
    assert not report.ok and report.problems == [
        ("the Parameters sheet has 6 learning rates but the workbook has 5 learning-rate sheets "
         "('lr 0.1', 'lr 0.2', 'lr 0.5', 'lr 1', 'lr 2')")]
    assert not (report.mismatches or report.error_cells or report.constant_cells)


def test_cli_verify_names_the_structural_problem_alone(soffice, runner, batch):
    result = runner.invoke(main, ["verify", str(batch["deleted_sheet"][0])])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("structure: the Parameters sheet has 6 learning rates")
    assert len(result.output.splitlines()) == 2 and "FAILED" in result.output


def test_cli_verify_in_gnumeric(runner, gnumeric):
    result = runner.invoke(main, ["verify", "--engine", "gnumeric", str(gnumeric["default"][0])])
    assert result.exit_code == 0, result.output
    assert "(gnumeric)" in result.output and result.output.rstrip().endswith("OK")


def test_gnumeric_reads_every_chart_with_iteration_along_the_bottom(gnumeric, originals, tmp_path):
    """Gnumeric's own file format shows what it made of the charts: one X axis (horizontal) each."""
    out = tmp_path / "default.gnumeric.xml"
    subprocess.run(["ssconvert", "-T", "Gnumeric_XmlIO:sax:0", str(originals / "default.xlsx"), str(out)],
                   check=True, capture_output=True, timeout=120)
    graphs = re.findall(r"<gnm:SheetObjectGraph.*?</gnm:SheetObjectGraph>", out.read_text(), re.DOTALL)
    assert len(graphs) == 7  # the Summary's and one per rate sheet
    for graph in graphs:
        assert graph.count('role="X-Axis"') == 1 and graph.count('role="Y-Axis"') == 1
        x_axis = graph[graph.index('role="X-Axis"'):graph.index('role="Y-Axis"')]
        assert "&quot;iteration&quot;" in x_axis and '<property name="assigned-format-string-XL">#,##0' in x_axis
