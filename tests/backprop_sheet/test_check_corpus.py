"""`check` on the corpus of student-style workbooks, on our own workbooks and on real submissions.

Everything is recalculated by LibreOffice in one `check` call (module-scoped), as a class would be.
"""

import importlib.util
import os
from pathlib import Path

import pytest

from backprop_sheet.check.run import check
from backprop_sheet.config import SheetConfig
from backprop_sheet.generate import generate
from backprop_sheet.recalc import recalculate

_spec = importlib.util.spec_from_file_location("corpus", Path(__file__).with_name("corpus.py"))
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

# Real submissions are not part of the project: they are read from the shared/ folder beside the checkout
# (../shared/real-workbooks), or from the folder that $BACKPROP_REAL_WORKBOOKS names.
REAL_ENV = "BACKPROP_REAL_WORKBOOKS"
REAL = Path(os.environ.get(REAL_ENV) or Path(__file__).parents[3] / "shared" / "real-workbooks")
REAL_FILES = {name: REAL / name for name in ("Sudarshanpune-mnist_nn-S3.xlsx",
                                              "TSAI-END3-Group-Session_1_Assignment.xlsx",
                                              "gkdivya-EVA-4_Backpropagation.xlsx")}
CLASSIC = SheetConfig(biases=(0.35, 0.60), learning_rates=(0.5, 1.0), iterations=30)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, soffice):
    folder = tmp_path_factory.mktemp("corpus")
    paths = corpus.build_all(corpus.SPECS, folder)
    ours = folder / "ours"
    ours.mkdir()
    generate(SheetConfig(), ours / "default.xlsx")
    generate(CLASSIC, ours / "classic.xlsx")
    files = [*paths.values(), ours / "default.xlsx", ours / "classic.xlsx"]
    files += [p for p in REAL_FILES.values() if p.exists()]
    results = check([str(f) for f in files])
    return {Path(r.path).stem: r for r in results}


def test_corpus_is_large_and_varied():
    assert len(corpus.SPECS) >= 20
    assert sum(not s.expected for s in corpus.SPECS) >= 5
    assert {s.suffix for s in corpus.SPECS} == {".xlsx", ".ods"}
    planted = {d for s in corpus.SPECS for _, d, _ in s.expected}
    assert planted >= {"h1_w2_plus_i2", "wrong_hidden_activation", "loss_without_half", "sigmoid_slope_missing",
                       "sequential_update", "update_sign", "update_wrong_gradient", "wrong_learning_rate",
                       "pasted_values", "unknown", "wrong_output_weight", "product_for_difference",
                       "operator_precedence", "unanchored_reference"}


@pytest.mark.parametrize("spec", corpus.SPECS, ids=lambda s: s.name)
def test_root_causes_are_exactly_the_planted_mistake(graded, spec):
    result = graded[spec.name]
    assert result.error is None
    assert result.tables, "no table found"
    found = sorted((c.quantity, c.diagnosis, c.cell) for c in result.root_causes)
    assert found == sorted(spec.expected)
    assert result.status == ("mistakes" if spec.expected else "ok")
    assert len(result.tables) == len(spec.rates)
    for table, rate in zip(result.tables, spec.rates):
        used = spec.update_rate if spec.update_rate and spec.rate == "title" else rate  # a label beats updates
        assert table.learning_rate.value == pytest.approx(used, rel=1e-9)


def test_a_wrong_activation_is_the_only_root_cause(graded):
    # a_h2 is computed from h1: everything downstream is off the reference but right locally
    table = graded["mistake_a_h2_from_h1"].tables[0]
    assert [c.quantity for c in table.root_causes] == ["a_h2"]
    assert table.columns["dE_dw8"].status == "wrong"
    assert table.columns["a_h1"].first_wrong.cell == "'lr 0.5'!L7"  # iteration 1's a_h1 is right


def test_missing_and_other_columns_are_reported(graded):
    table = graded["right_no_net_input_columns"].tables[0]
    assert table.table.missing == ["h1", "h2"]
    assert [c.status for q, c in table.columns.items() if q in ("h1", "h2")] == ["missing", "missing"]
    shuffled = graded["right_shuffled_columns"].tables[0]
    assert [u.split()[1] for u in shuffled.table.unmapped] == ["'notes'", "'notes'"]
    # the parameters stand beside the table, their labels on its header row: labels, not columns
    assert shuffled.parameters["i1"].source == "cell 'Backprop'!AI5 (labelled 'i1')"
    assert shuffled.table.where == "'Backprop'!B5:AF17"


def test_parameters_are_reported_with_their_source(graded):
    table = graded["right_parameters_sheet_biases"].tables[0]
    assert table.parameters["b1"].value == 0.35 and "'Inputs'!B7" in table.parameters["b1"].source
    assert table.parameters["i1"].value == 0.05 and "'Inputs'!B3" in table.parameters["i1"].source
    named = graded["right_rate_in_sheet_name"].tables[0]
    assert named.learning_rate.source == "weight updates"
    assert named.rates_found[0].source == "sheet name 'eta=0.8'"


def test_our_own_workbooks_pass(graded):
    for name, rates in (("default", SheetConfig().learning_rates), ("classic", CLASSIC.learning_rates)):
        result = graded[name]
        assert result.status == "ok", [c.as_dict() for c in result.root_causes]
        assert [t.learning_rate.value for t in result.tables] == list(rates)
        assert all(t.table.missing == [] for t in result.tables)
    assert graded["classic"].tables[0].parameters["b2"].value == 0.60


def _real(graded, name):
    if not REAL_FILES[name].exists():
        pytest.skip(f"real student workbook {name} is not in {REAL}: set ${REAL_ENV} to a folder that holds it, "
                    f"or check the project out beside its shared/ folder (../shared/real-workbooks)")
    return graded[REAL_FILES[name].stem]


def test_real_stacked_tables_are_right(graded):
    result = _real(graded, "TSAI-END3-Group-Session_1_Assignment.xlsx")
    assert result.status == "ok"
    assert [t.learning_rate.value for t in result.tables] == [0.5, 0.1, 0.2, 0.8, 1.0, 2.0]
    assert [t.table.rows for t in result.tables] == [51] * 6


def test_real_hidden_activation_mistake_is_found(graded):
    result = _real(graded, "Sudarshanpune-mnist_nn-S3.xlsx")
    assert [(c.quantity, c.diagnosis, c.cell) for c in result.root_causes] == [
        ("dE_dw3", "wrong_hidden_activation", "'Sheet1'!AA32"),
        ("dE_dw4", "wrong_hidden_activation", "'Sheet1'!AB32"),
        ("h1", "unknown", "'Sheet1'!J33"),  # h1 = h1 of the row above − η·∂E/∂w5
    ]


def test_real_pasted_rounded_sheets_are_judged_at_their_precision(graded):
    result = _real(graded, "gkdivya-EVA-4_Backpropagation.xlsx")
    assert [t.table.sheet for t in result.tables] == ["L.R. 0.1", "L.R. 0.2", "L.R. 0.5", "L.R. 0.8", "L.R. 1",
                                                      "L.R. 2"]
    for table in result.tables:
        assert {(c.quantity, c.diagnosis) for c in table.root_causes} == {
            ("dE_dw3", "wrong_hidden_activation"), ("dE_dw4", "wrong_hidden_activation")}
        assert {c.cell.split("!")[1] for c in table.root_causes} == {
            f"{col}{table.table.first_row}" for col in ("Z", "AA")}


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory, soffice):
    """The corpus as a spreadsheet application saves it: every formula with its value (LibreOffice here)."""
    built = tmp_path_factory.mktemp("built")
    saved = tmp_path_factory.mktemp("saved")
    paths = list(corpus.build_all(corpus.SPECS, built).values())
    return recalculate(paths, saved)


def _verdict(result):
    return result.status, sorted((c.quantity, c.diagnosis, c.cell) for c in result.root_causes)


def test_saved_values_give_the_same_verdicts_without_any_engine(graded, saved_by_libreoffice, monkeypatch,
                                                                path_without_engines):
    monkeypatch.setenv("PATH", path_without_engines)
    monkeypatch.delenv("BACKPROP_SOFFICE", raising=False)
    results = check([str(p) for p in saved_by_libreoffice])
    assert len(results) == len(corpus.SPECS)
    for result in results:
        assert result.values_from == "values as saved by " + result.values_from.removeprefix("values as saved by ")
        assert "LibreOffice" in result.values_from, result.values_from
        assert _verdict(result) == _verdict(graded[Path(result.path).stem]), result.path


def test_real_workbooks_are_graded_alike_with_and_without_libreoffice(soffice, monkeypatch, path_without_engines):
    real = [str(p) for p in REAL_FILES.values() if p.exists()]
    if not real:
        pytest.skip(f"no real student workbooks in {REAL}: set ${REAL_ENV} to a folder that holds them")
    recalculated = check(real, recalculate_mode="always")
    assert all(r.values_from == "recalculated by LibreOffice" and r.stale == [] for r in recalculated)
    monkeypatch.setenv("PATH", path_without_engines)
    monkeypatch.delenv("BACKPROP_SOFFICE", raising=False)
    saved = check(real)
    assert [r.values_from for r in saved] == ["values as saved by Microsoft Excel"] * len(real)
    assert [_verdict(r) for r in saved] == [_verdict(r) for r in recalculated]


def test_columns_without_a_readable_header_are_named_by_what_they_compute(graded):
    table = graded["right_headers_that_name_nothing"].tables[0].table
    assert table.missing == []
    assert table.identified["w1"] == "header 'w1'"
    for q, header in (("h1", "its header 'Σ net 1'"), ("a_o2", "its header 'ŷ (2nd)'"), ("dE_dw7", "without a header")):
        assert table.identified[q].startswith("by what it computes (") and header in table.identified[q], q
    wrong = graded["mistake_in_a_column_without_a_name"].tables[0].table
    assert "the known mistake sigmoid_sign" in wrong.identified["a_o2"]


def test_rubric_carries_an_error_forward_or_charges_every_inherited_cell(graded):
    from backprop_sheet.check import rubric
    result = graded["mistake_h1_typo"]  # h1 wrong from iteration 1; everything after it follows the student's h1
    carried = {p.name: p.score for p in rubric.score(result, rubric.Rubric(), (0.5,))}
    strict = {p.name: p.score for p in rubric.score(result, rubric.Rubric(error_carried_forward=False), (0.5,))}
    rows = corpus.SPECS[[s.name for s in corpus.SPECS].index("mistake_h1_typo")].rows
    assert carried["forward pass"] == pytest.approx(25 * (8 * rows - rows) / (8 * rows), abs=0.01)  # h1's cells
    assert carried["loss"] == 15 and carried["gradients"] == 30 and carried["updates"] == 20
    assert strict["loss"] < 1 and strict["gradients"] < 3 and strict["forward pass"] < carried["forward pass"]
