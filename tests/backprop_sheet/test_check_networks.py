"""`check` on every network the generator makes: the shape read from the workbook, its formulas from the layout.

The oracle of the formulas is the numpy reference (itself checked against PyTorch): every template of
`layout.columns(spec)`, compiled by `formula.py`, must give the reference's own numbers on its trajectory.
Workbooks with a planted mistake are recalculated by LibreOffice, as a student's spreadsheet would be.
"""

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from backprop_sheet import layout, network
from backprop_sheet.check import diagnose
from backprop_sheet.check.model import model
from backprop_sheet.check.run import check
from backprop_sheet.config import SheetConfig, load_config
from backprop_sheet.formula import compile_expression, parse
from backprop_sheet.generate import generate
from backprop_sheet.spec import Network

EXAMPLES = Path(__file__).parents[2] / "examples"
RELU = SheetConfig(hidden=3, hidden_activation="relu", output_activation="relu", train_biases=True,
                   biases=(0.1, 0.1), momentum=0.9, learning_rates=(0.05, 0.2), iterations=25,
                   weights=(-0.31, 0.50, 0.09, 0.34, -0.23, -0.39, 0.29, 0.02, 0.44, 0.14, -0.30, 0.01))
SPECS = [Network(), Network(2, 3, 2, "relu", "relu", True, 0.9), Network(2, 4, 1, "tanh", "sigmoid"),
         Network(3, 2, 2, "leaky_relu", "linear", True), Network(1, 1, 1), Network(4, 8, 3, "sigmoid", "tanh", False, 0.5)]


def _config(spec: Network, iterations: int = 12) -> SheetConfig:
    rng = np.random.default_rng(spec.n_weights)
    biases = (0.2, -0.1) if spec.train_biases else (0.35, 0.6)
    return SheetConfig(inputs=tuple(np.round(rng.uniform(-1, 1, spec.n_in), 2)),
                       targets=tuple(np.round(rng.uniform(0.1, 0.9, spec.n_out), 2)), hidden=spec.hidden,
                       hidden_activation=spec.hidden_activation, output_activation=spec.output_activation,
                       train_biases=spec.train_biases, biases=biases, momentum=spec.momentum,
                       learning_rates=(0.3,), iterations=iterations)


@pytest.mark.parametrize("spec", SPECS, ids=Network.describe)
def test_compiled_layout_formulas_give_the_reference_numbers(spec):
    config = _config(spec)
    t = network.train(config.weights, config.inputs, config.targets, config.biases, [0.3], config.iterations, spec)
    m = model(spec)
    values = {q: t[q][:, 0] for q in m.checked}
    values |= {k: np.full(config.iterations, v) for k, v in zip(spec.inputs + spec.targets,
                                                                  config.inputs + config.targets)}
    values |= {"b1": np.full(config.iterations, config.biases[0]), "b2": np.full(config.iterations, config.biases[1]),
               "momentum": np.full(config.iterations, spec.momentum), "eta": np.full(config.iterations, 0.3)}

    class Rows(dict):
        def __missing__(self, key):
            column = self[key.removeprefix("prev.")]
            return np.concatenate([[np.nan], column[:-1]])

    rows = Rows(values)
    for q in m.checked:
        got = m.formulas[q].f(rows)
        start = 1 if q in spec.trained else 0  # the first row of a weight is the student's choice
        np.testing.assert_allclose(got[start:], values[q][start:], rtol=1e-12, atol=1e-15, err_msg=q)


def test_excel_precedence_is_kept():
    assert compile_expression(parse("-2^2"))({}) == 4.0  # unary minus binds tighter than ^
    assert compile_expression(parse("2^3^2"))({}) == 64.0  # ^ is left-associative
    assert compile_expression(parse("1+2*3>6"))({}) == 1.0
    assert compile_expression(parse("IF({z}>0,{z},0.01*{z})"))({"z": np.array([-2.0, 3.0])}).tolist() == [-0.02, 3.0]


@pytest.mark.parametrize("spec", SPECS, ids=Network.describe)
def test_every_variant_differs_from_the_right_formula(spec):
    for q in model(spec).checked:
        right = parse(layout.column_index(spec)[q].template(False))
        for variant in diagnose.variants(spec, q):
            assert parse(variant.formula.text) != right, (q, variant.id)


def _graded(tmp_path, config: SheetConfig, name: str = "net", **kwargs):
    path = tmp_path / f"{name}.xlsx"
    generate(config, path)
    return check([str(path)], **kwargs)[0]


@pytest.mark.parametrize("spec", SPECS, ids=Network.describe)
def test_generated_workbooks_of_every_network_pass_and_their_shape_is_read(tmp_path, spec):
    result = _graded(tmp_path, _config(spec))
    assert result.values_from.startswith("values as saved by")  # no engine needed: the cached values
    assert result.status == "ok", [c.as_dict() for c in result.root_causes]
    for table in result.tables:
        assert table.network == spec
        assert table.table.missing == []


def test_example_configs_and_our_relu_workbook_pass(tmp_path):
    for name in ("relu", "tanh_2_4_1", "classic"):
        config = load_config(str(EXAMPLES / f"{name}.toml"))
        result = _graded(tmp_path, replace(config, iterations=30), name)
        assert result.status == "ok", (name, [c.as_dict() for c in result.root_causes])
        assert {t.network for t in result.tables} == {config.spec}
    ours = Path(__file__).parents[2] / "output" / "backprop_relu.xlsx"
    result = check([str(ours)])[0]
    assert result.status == "ok", [c.as_dict() for c in result.root_causes]


def test_config_names_the_network_outright(tmp_path):
    path = tmp_path / "relu.xlsx"
    generate(RELU, path)
    as_relu = check([str(path)], RELU, "--config relu.toml")[0]
    assert as_relu.status == "ok"
    as_classic = check([str(path)], SheetConfig(), "--config classic.toml")[0]  # the teacher set 2-2-2 sigmoid
    assert as_classic.status == "mistakes"
    assert all(t.network == SheetConfig().spec for t in as_classic.tables)


def _plant(path: Path, config: SheetConfig, key: str, template: str, from_iteration: int = 1) -> None:
    """Rewrite one column's formula on every rate sheet from `from_iteration` on (values dropped: recalculate)."""
    spec = config.spec
    wb = load_workbook(path)
    column = layout.Column(key, key, "", formula=template)
    for k in range(len(config.learning_rates)):
        ws = wb[layout.rate_sheet_title(config.learning_rates[k])]
        for it in range(from_iteration, config.iterations + 1):
            ws.cell(layout.data_row(it), layout.col(key, spec), layout.formula(column, layout.rate_name(k), it, spec))
    wb.save(path)


def _cell(config: SheetConfig, key: str, iteration: int) -> str:
    title = layout.rate_sheet_title(config.learning_rates[0])
    return f"'{title}'!{layout.letter(key, config.spec)}{layout.data_row(iteration)}"


def _right(key: str) -> str:
    return layout.column_index(RELU.spec)[key].template(False)


# (quantity, its wrong template, the first iteration it is planted in, the diagnosis, the iteration it shows)
PLANTED = [
    ("a_h3", "MAX(0,{h2})", 1, "wrong_hidden_activation", 1),
    ("dE_dw1", _right("dE_dw1").replace("{w10}", "{w8}"), 1, "wrong_output_weight", 1),
    ("h2", _right("h2").replace("{w3}", "{prev.w3}"), 2, "wrong_row", 2),
    ("b_o1", _right("b_o1").replace("-{eta}", "+{eta}"), 2, "update_sign", 2),
    ("v_w4", "{momentum}*{prev.v_w4}+(1-{momentum})*{dE_dw4}", 2, "momentum_as_average", 2),
    ("o2", _right("o2").replace("+{b_o2}", ""), 1, "bias_missing", 1),
    ("dE_dw9", _right("dE_dw9").replace("({a_o1}-{t1})", "{a_o1}*{t1}"), 1, "product_for_difference", 1),
    ("h1", _right("h1").replace("{w2}*{i2}", "{w2}+{i2}"), 1, "h1_w2_plus_i2", 1),
]


@pytest.fixture(scope="module")
def planted(tmp_path_factory, soffice):
    folder = tmp_path_factory.mktemp("planted")
    paths = []
    for key, template, start, _, _ in PLANTED:
        path = folder / f"{key}.xlsx"
        generate(RELU, path)
        _plant(path, RELU, key, template, start)
        paths.append(path)
    right = folder / "right.xlsx"
    generate(RELU, right)
    _plant(right, RELU, "h1", _right("h1"))  # the right formula rewritten: its values gone, recalculated
    results = check([str(p) for p in [*paths, right]])
    return {Path(r.path).stem: r for r in results}


def test_relu_network_recalculated_is_right(planted):
    result = planted["right"]
    assert result.values_from == "recalculated by LibreOffice"
    assert result.status == "ok", [c.as_dict() for c in result.root_causes]
    assert result.tables[0].network == RELU.spec


@pytest.mark.parametrize("key, template, start, diagnosis, shows", PLANTED, ids=[p[3] for p in PLANTED])
def test_one_planted_mistake_in_a_relu_network_is_named_at_its_cell(planted, key, template, start, diagnosis, shows):
    result = planted[key]
    assert result.values_from == "recalculated by LibreOffice"
    causes = [(c.quantity, c.diagnosis, c.cell) for c in result.tables[0].root_causes]
    assert causes == [(key, diagnosis, _cell(RELU, key, shows))], [c.as_dict() for c in result.tables[0].root_causes]


def test_headers_of_wide_networks_are_read():
    from backprop_sheet.check.headers import canonical
    assert [canonical(t) for t in ("w12", "b_h3", "v_w11", "dE_db_o2", "∂E/∂b_h1", "v_b_h2", "a_h7", "E3", "β")] == [
        "w12", "b_h3", "v_w11", "dE_db_o2", "dE_db_h1", "v_b_h2", "a_h7", "E3", "momentum"]
    assert re.fullmatch(r"\w+", canonical("net h8"))


# The kinds the generator added: several samples, cross-entropy, depth, optimizers. Their shape comes from
# the workbook's own Parameters sheet (or --config / --key); the formulas, again, from the layout.
NEW_KINDS = {
    "xor": "preset",
    "ai-by-hand": "preset",
    "adam": SheetConfig(optimizer="adam", learning_rates=(0.05, 0.1), iterations=15),
    "rmsprop": SheetConfig(optimizer="rmsprop", learning_rates=(0.01,), iterations=15),
    "nesterov": SheetConfig(momentum=0.9, nesterov=True, weight_decay=0.01, learning_rates=(0.3,), iterations=15),
    "deep_ce": SheetConfig(hidden=(3, 2), loss="cross_entropy", train_biases=True, biases=(0.1, 0.0, 0.0),
                           targets=(0.0, 1.0), learning_rates=(0.5,), iterations=15),
}


def _kind(name):
    config = NEW_KINDS[name]
    return replace(load_config(str(EXAMPLES / f"{name}.toml")), iterations=20) if config == "preset" else config


@pytest.mark.parametrize("name", NEW_KINDS)
def test_generated_workbooks_of_the_new_kinds_pass(tmp_path, name):
    config = _kind(name)
    result = _graded(tmp_path, config, name)
    assert result.status == "ok", [c.as_dict() for c in result.root_causes][:3]
    assert {t.network for t in result.tables} == {config.spec}
    assert all(t.table.missing == [] for t in result.tables)
    assert check([str(tmp_path / f"{name}.xlsx")], config, "--config")[0].status == "ok"


NEW_PLANTED = [  # (kind, quantity, its wrong template, from iteration, the diagnosis, the iteration it shows)
    ("xor", "h2_s3", lambda t: t.replace("+{b_h2}", ""), 1, "bias_missing", 2),  # b_h2 starts at 0
    ("adam", "w3", lambda t: t.replace("-{eta}*", "+{eta}*", 1), 2, "update_sign", 2),
    ("deep_ce", "a_h4", lambda t: t.replace("{h4}", "{h3}"), 1, "wrong_hidden_activation", 1),
]


@pytest.fixture(scope="module")
def planted_new(tmp_path_factory, soffice):
    folder = tmp_path_factory.mktemp("planted_new")
    paths = []
    for kind, key, change, start, _, _ in NEW_PLANTED:
        config = _kind(kind)
        path = folder / f"{kind}.xlsx"
        generate(config, path)
        _plant(path, config, key, change(layout.column_index(config.spec)[key].template(False)), start)
        paths.append(path)
    return dict(zip([p[0] for p in NEW_PLANTED], check([str(p) for p in paths])))


@pytest.mark.parametrize("kind, key, change, start, diagnosis, shows", NEW_PLANTED, ids=[p[0] for p in NEW_PLANTED])
def test_one_planted_mistake_in_a_new_kind_is_named_at_its_cell(planted_new, kind, key, change, start, diagnosis,
                                                                 shows):
    result = planted_new[kind]
    config = _kind(kind)
    assert result.values_from == "recalculated by LibreOffice"
    first = result.tables[0].root_causes[0]
    assert (first.quantity, first.diagnosis, first.cell) == (key, diagnosis, _cell(config, key, shows)), \
        [c.as_dict() for c in result.tables[0].root_causes][:3]
