"""Workbooks of the new kinds (several samples, cross-entropy, depth, SGD with Nesterov and weight decay,
Adam, RMSprop) recalculated by LibreOffice and by Gnumeric, every computed cell against the reference;
and the new inputs (a sample, β1, β2, ε, α, λ) edited after generating, which every sheet and verify follow."""

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from backprop_sheet import layout as L
from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.config import InputError, SheetConfig, from_mapping
from backprop_sheet.generate import generate
from backprop_sheet.presets import PRESETS, preset
from backprop_sheet.recalc import recalculate, recalculate_gnumeric
from backprop_sheet.verify import compare
from backprop_sheet.workbook import read_grids

RANDOM_KINDS = 24  # every optimizer × loss × depth, samples 1-8, reductions, biases, Nesterov, weight decay


def random_kind(rng: np.random.Generator, n: int) -> SheetConfig:
    depth, loss, optimizer = 1 + n % 3, ("mse", "cross_entropy")[n // 3 % 2], ("sgd", "adam", "rmsprop")[n // 6 % 3]
    n_in, n_out, samples = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 9))
    layers = tuple(int(w) for w in rng.integers(1, 4, depth))
    settings = {}
    if optimizer == "sgd":
        settings = dict(momentum=(0.0, 0.9)[n % 2], nesterov=n % 4 == 1)
    elif optimizer == "adam":
        settings = dict(betas=(0.8, 0.99), eps=1e-6)
    else:
        settings = dict(alpha=0.9, eps=1e-6)
    spec_targets = (rng.dirichlet(np.ones(n_out), samples) if loss == "cross_entropy" and n_out > 1
                    else rng.uniform(0.05, 0.95, (samples, n_out)))
    train_biases = n % 2 == 0
    n_weights = sum(a * b for a, b in zip((n_in, *layers), (*layers, n_out)))
    biases = rng.uniform(-0.5, 0.5, sum(layers) + n_out if train_biases and n % 4 == 0 else depth + 1)
    names = list(ACTIVATIONS)
    return SheetConfig(
        inputs=tuple(tuple(s) for s in rng.uniform(-1, 1, (samples, n_in))),
        targets=tuple(tuple(s) for s in spec_targets), weights=tuple(rng.uniform(-1, 1, n_weights)),
        biases=tuple(biases), hidden=layers if depth > 1 else layers[0], hidden_activation=names[n % 5],
        output_activation=None if loss == "cross_entropy" else names[n // 5 % 5], train_biases=train_biases,
        loss=loss, reduction=("mean", "sum")[n // 2 % 2], optimizer=optimizer,
        weight_decay=(0.0, 0.05)[n // 4 % 2], learning_rates=tuple(rng.uniform(0.005, 0.1, rng.integers(1, 3))),
        iterations=int(rng.integers(2, 16)), **settings)


_rng = np.random.default_rng(20261202)
CONFIGS = {f"kind{n:02d}": random_kind(_rng, n) for n in range(RANDOM_KINDS)}
CONFIGS |= {f"preset_{name}": from_mapping(preset(name) | {"iterations": 30}) for name in PRESETS}
ADAM = SheetConfig(inputs=((0.1, 0.9), (0.8, 0.2), (0.5, 0.5)), targets=((0.0, 1.0), (1.0, 0.0), (0.5, 0.5)),
                   hidden=(3, 2), loss="cross_entropy", optimizer="adam", weight_decay=0.01, train_biases=True,
                   learning_rates=(0.05,), iterations=20)
RMSPROP = SheetConfig(optimizer="rmsprop", learning_rates=(0.01,), iterations=20)
CONFIGS |= {"adam": ADAM, "rmsprop": RMSPROP}
EDITS = {  # (original, {parameter key: new value}): the user's edits on the Parameters sheet
    "adam_edited": ("adam", {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3, "weight_decay": 0.2, "i2_s3": -0.7}),
    "rmsprop_edited": ("rmsprop", {"alpha": 0.5, "eps": 0.01, "t1": 0.3}),
}


def expected_cells(config: SheetConfig) -> int:
    rates, spec = len(config.learning_rates), config.spec
    derivation = sum(len(c.factors) + 2 for c in L.derivation_columns(spec))
    return rates * (1 + config.iterations * len(L.columns(spec))) + 4 * rates + derivation


def edit(source: Path, target: Path, config: SheetConfig, values: dict) -> None:
    wb = openpyxl.load_workbook(source)
    for key, value in values.items():
        wb[L.PARAMETERS_SHEET].cell(*L.parameter_cell(key, config.spec)).value = value
    wb.save(target)


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kinds")
    for name, config in CONFIGS.items():
        generate(config, folder / f"{name}.xlsx")
    for name, (source, values) in EDITS.items():
        edit(folder / f"{source}.xlsx", folder / f"{name}.xlsx", CONFIGS[source], values)
    edit(folder / "adam.xlsx", folder / "beta_of_one.xlsx", ADAM, {"beta1": 1.0})
    return folder


@pytest.fixture(scope="module")
def libreoffice(soffice, originals, tmp_path_factory):
    out = tmp_path_factory.mktemp("kinds_libreoffice")
    paths = sorted(originals.glob("*.xlsx"))
    return {p.stem: (p, r) for p, r in zip(paths, recalculate(paths, out))}


@pytest.fixture(scope="module")
def gnumeric(gnumeric_program, originals, tmp_path_factory):
    out = tmp_path_factory.mktemp("kinds_gnumeric")
    paths = [originals / f"{name}.xlsx" for name in [*CONFIGS, *EDITS]]
    return {p.stem: (p, r) for p, r in zip(paths, recalculate_gnumeric(paths, out))}


def test_the_random_kinds_cover_every_option():
    specs = [c.spec for name, c in CONFIGS.items() if name.startswith("kind")]
    assert len(specs) >= 20
    assert {(s.depth, s.loss, s.optimizer) for s in specs} == {
        (d, loss, o) for d in (1, 2, 3) for loss in ("mse", "cross_entropy") for o in ("sgd", "adam", "rmsprop")}
    assert {s.reduction for s in specs} == {"mean", "sum"} and {s.train_biases for s in specs} == {True, False}
    assert any(s.nesterov for s in specs) and any(s.with_velocity and not s.nesterov for s in specs)
    assert any(s.with_decay for s in specs) and max(s.n_samples for s in specs) >= 6
    assert any(s.n_samples == 1 for s in specs) and any(s.loss == "cross_entropy" and s.n_out == 1 for s in specs)


@pytest.mark.parametrize("name", [*CONFIGS, *EDITS])
def test_libreoffice_matches_the_reference(libreoffice, name):
    report = compare(*libreoffice[name])
    assert report.ok, (report.mismatches[:5], report.error_cells[:5], report.constant_cells[:5], report.problems)
    assert report.max_scaled_diff <= 1e-9
    assert report.cells == expected_cells(CONFIGS[EDITS[name][0] if name in EDITS else name])


@pytest.mark.parametrize("name", [*CONFIGS, *EDITS])
def test_gnumeric_matches_the_reference(gnumeric, name):
    report = compare(*gnumeric[name])
    assert report.ok, (report.mismatches[:5], report.error_cells[:5], report.constant_cells[:5], report.problems)
    assert report.max_scaled_diff <= 1e-9


@pytest.mark.parametrize("name", EDITS)
def test_edited_settings_and_samples_change_the_run(libreoffice, name):
    """The edits reach E_total: a formula, not a copy, reads every one of them."""
    source = EDITS[name][0]
    last = L.summary_cells(["x"], CONFIGS[source].iterations, CONFIGS[source].spec)[-1]
    edited = read_grids(libreoffice[name][1])[L.SUMMARY_SHEET][last.row - 1][last.col - 1]
    before = read_grids(libreoffice[source][1])[L.SUMMARY_SHEET][last.row - 1][last.col - 1]
    assert edited != pytest.approx(before, rel=1e-6)


def test_verify_refuses_a_beta_of_one(libreoffice):
    with pytest.raises(InputError, match=r"the Parameters sheet's λ, ε, β1, β2: betas must be a number in \[0, 1\)"):
        compare(*libreoffice["beta_of_one"])


@pytest.mark.slow  # generates the 29 workbooks the engines recalculate
@pytest.mark.parametrize("name", CONFIGS)
def test_cached_values_are_the_reference(originals, name):
    path = originals / f"{name}.xlsx"
    report = compare(path, path)
    assert report.ok and report.max_abs_diff == 0 and report.cells == expected_cells(CONFIGS[name])
