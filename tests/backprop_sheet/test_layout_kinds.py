"""The layout of the new kinds of network: several samples, cross-entropy, depth, Adam and RMSprop.

Every template keeps to the small grammar the checker compiles, every key is a Python identifier and a
quantity of the reference, every cell looks only left or up, and every template, evaluated on the
reference's own values, gives the reference's value of its column (the engines' check is test_recalc_kinds).
"""

import re

import numpy as np
import pytest

from backprop_sheet import layout as L
from backprop_sheet import network
from backprop_sheet import reference as R
from backprop_sheet.config import SheetConfig, from_mapping
from backprop_sheet.presets import PRESETS, preset
from backprop_sheet.spec import DEFAULT, Network

FUNCTIONS = {"EXP", "LN", "TANH", "MAX", "MIN", "IF", "SQRT", "ABS", "SUM"}
TOKEN = re.compile(r"\s*(?:(\{(?:prev\.)?[A-Za-z_][A-Za-z0-9_]*\})|(\d+\.?\d*(?:[eE][-+]?\d+)?)|([A-Z]+)\(|"
                   r"(<>|<=|>=|[-+*/^(),<>=]))")


def kinds() -> dict[str, SheetConfig]:
    """One config of each new kind, small, with distinct random numbers."""
    rng = np.random.default_rng(7)

    def draw(**kw) -> SheetConfig:
        n_in, n_out, samples = kw.pop("n_in", 2), kw.pop("n_out", 2), kw.pop("samples", 1)
        spec = Network(n_in=n_in, n_out=n_out, n_samples=samples, **{k: v for k, v in kw.items()
                                                                      if k not in ("learning_rates",)})
        targets = rng.dirichlet(np.ones(n_out), samples) if spec.softmax else rng.uniform(0.05, 0.95, (samples, n_out))
        inputs = rng.uniform(-1, 1, (samples, n_in))
        as_config = (lambda a: tuple(tuple(r) for r in a)) if samples > 1 else (lambda a: tuple(a[0]))
        return SheetConfig(inputs=as_config(inputs), targets=as_config(targets),
                           weights=tuple(rng.uniform(-1, 1, spec.n_weights)),
                           biases=tuple(rng.uniform(-0.5, 0.5, spec.depth + 1)), iterations=6,
                           learning_rates=kw.get("learning_rates", (0.3, 0.05)),
                           **{k: v for k, v in kw.items() if k != "learning_rates"})
    return {
        "samples": draw(samples=3, reduction="sum"),
        "cross_entropy": draw(n_out=3, loss="cross_entropy", train_biases=True),
        "binary_cross_entropy": draw(n_out=1, loss="cross_entropy", samples=2),
        "deep": draw(hidden=(3, 2, 2), hidden_activation="tanh", output_activation="linear", samples=2),
        "nesterov": draw(hidden=(2, 3), momentum=0.9, nesterov=True, weight_decay=0.01, train_biases=True),
        "adam": draw(optimizer="adam", weight_decay=0.1, samples=2, learning_rates=(0.01,)),
        "rmsprop": draw(optimizer="rmsprop", hidden_activation="relu", loss="cross_entropy", samples=4,
                        learning_rates=(0.01,)),
        "adam_deep_ce": draw(hidden=(2, 2), optimizer="adam", loss="cross_entropy", n_out=2, train_biases=True,
                             learning_rates=(0.02,)),
        **{name: from_mapping(preset(name) | {"iterations": 5}) for name in PRESETS},
    }


KINDS = kinds()
BIGGEST = Network(n_in=8, hidden=(8, 8, 8), n_out=8, n_samples=16, train_biases=True, loss="cross_entropy",
                  optimizer="adam", weight_decay=0.01)


def templates(spec: Network):
    for column in L.columns(spec):
        yield column.key, column.template(False)
        yield column.key, column.template(True)
        for factor in column.factors:
            yield factor.key, factor.formula


@pytest.mark.parametrize("name", KINDS)
def test_templates_keep_to_the_grammar(name):
    spec = KINDS[name].spec
    for key, template in templates(spec):
        pos = 0
        while pos < len(template):
            m = TOKEN.match(template, pos)
            assert m and m.end() > pos, (key, template, template[pos:])
            assert m[3] is None or m[3] in FUNCTIONS, (key, m[3])
            pos = m.end()
        # Excel's unary minus binds tighter than ^: -x^2 would be (−x)². No template writes one.
        assert not re.search(r"(^|[(*/+\-])-\{[^}]*\}\^", template), (key, template)
        assert key.isidentifier()


@pytest.mark.parametrize("name", KINDS)
def test_templates_only_look_left_or_up(name):
    spec = KINDS[name].spec
    cols, params = L.column_index(spec), L.parameter_index(spec)
    for column in L.columns(spec):
        for prev, key in re.findall(r"\{(prev\.)?(\w+)\}", column.template(False) + column.template(True)):
            assert key in cols or key in params or key == "eta", (column.key, key)
            if key in cols and not prev:
                assert L.col(key, spec) < L.col(column.key, spec), (column.key, key)


@pytest.mark.parametrize("name", KINDS)
def test_every_column_and_factor_is_a_reference_quantity(name):
    config = KINDS[name]
    trajectory = R.of_config(config)
    spec = config.spec
    assert {c.key for c in L.columns(spec)} - set(trajectory) == {"iteration"}
    assert {f.key for c in L.columns(spec) for f in c.factors} <= set(trajectory) | set(L.parameter_index(spec))
    assert [c.key for c in L.gradient_columns(spec)] == network.gradient_names(spec)


def evaluate(template: str, values, n: int, params: dict, eta: float) -> float:
    """A template on row n of the reference: translated to Python (the grammar above has no -x^2)."""
    def ref(m: re.Match) -> str:
        prev, key = bool(m[1]), m[2]
        if key == "eta":
            return f"({eta!r})"
        if key in params:
            return f"({float(params[key])!r})"
        return f"({float(values[key][n - 1 if prev else n])!r})"  # bracketed, as a cell is: (−0.5)**2
    text = re.sub(r"\{(prev\.)?(\w+)\}", ref, template).replace("^", "**")
    text = re.sub(r"IF\(([^,]+)>0,", r"WHERE(\1>0,", text)
    names = {"EXP": np.exp, "LN": np.log, "TANH": np.tanh, "SQRT": np.sqrt, "MAX": np.maximum,
             "WHERE": np.where, "ABS": np.abs}
    return float(eval(text, {"__builtins__": {}}, names))  # our own templates, numbers only


@pytest.mark.parametrize("name", KINDS)
def test_every_template_computes_its_reference_value(name):
    config = KINDS[name]
    spec, trajectory, params = config.spec, R.of_config(config), R.parameter_values(config)
    for k, eta in enumerate(config.learning_rates):
        values = {key: v[:, k] for key, v in trajectory.items()}
        values["iteration"] = np.arange(1.0, config.iterations + 1)
        for column in L.columns(spec):
            for n in range(config.iterations):
                got = evaluate(column.template(n == 0), values, n, params, eta)
                assert got == pytest.approx(values[column.key][n], rel=1e-12, abs=1e-15), (column.key, n + 1)
            for factor in column.factors:  # the Derivation sheet's factors, at iteration 1
                expected = params[factor.key] if factor.key in params else values[factor.key][0]
                assert evaluate(factor.formula, values, 0, params, eta) == pytest.approx(expected, rel=1e-12)


def test_one_hidden_layer_and_one_sample_keep_todays_columns():
    """The chain rule stays written out in each gradient; no ∂E/∂z columns."""
    for spec in (DEFAULT, Network(hidden=3, optimizer="adam"), Network(loss="cross_entropy")):
        assert not spec.delta_columns
        assert not any(c.key in ("dE_dh1", "dE_do1") for c in L.columns(spec))
    ce = L.column_index(Network(loss="cross_entropy"))
    assert ce["dE_dw5"].template(False) == "({a_o1}-{t1})*{a_h1}"  # ∂E/∂o = a − t: no σ' factor
    assert ce["dE_dw1"].template(False) == "(({a_o1}-{t1})*{w5}+({a_o2}-{t2})*{w7})*{a_h1}*(1-{a_h1})*{i1}"


def test_names_generalise():
    spec = KINDS["deep"].spec  # 2-3-2-2-2, two samples
    keys = [c.key for c in L.columns(spec)]
    assert keys[:5] == ["iteration", "w1", "w2", "w3", "w4"]
    assert {"h1", "h3", "h4", "h7", "a_h7", "o1", "E1", "h1_s2", "a_o2_s2", "E2_s2", "dE_dh7_s2"} <= set(keys)
    assert L.column_index(spec)["h4"].template(False) == "{w7}*{a_h1}+{w8}*{a_h2}+{w9}*{a_h3}+{b2}"
    assert L.column_index(spec)["h4_s2"].template(False) == "{w7}*{a_h1_s2}+{w8}*{a_h2_s2}+{w9}*{a_h3_s2}+{b2}"
    assert L.column_index(spec)["dE_dw7"].template(False) == "({dE_dh4}*{a_h1}+{dE_dh4_s2}*{a_h1_s2})/2"
    assert [p.name for p in L.parameters(spec)][:4] == ["i_1", "i_2", "t_1", "t_2"]
    assert "i_1_s2" in [p.name for p in L.parameters(spec)] and "b_4" in [p.name for p in L.parameters(spec)]


def test_optimizer_columns():
    adam = L.column_index(KINDS["adam"].spec)
    assert adam["w1"].template(False) == ("{prev.w1}-{eta}*{prev.m_w1}/(1-{beta1}^{prev.iteration})/"
                                          "(SQRT({prev.s_w1}/(1-{beta2}^{prev.iteration}))+{eps})")
    assert adam["m_w1"].template(True) == "(1-{beta1})*({dE_dw1}+{weight_decay}*{w1})"
    assert adam["s_w1"].template(False) == "{beta2}*{prev.s_w1}+(1-{beta2})*({dE_dw1}+{weight_decay}*{w1})^2"
    rms = L.column_index(KINDS["rmsprop"].spec)
    assert rms["w1"].template(False) == "{prev.w1}-{eta}*{prev.dE_dw1}/(SQRT({prev.s_w1})+{eps})"
    assert rms["s_w1"].template(False) == "{alpha}*{prev.s_w1}+(1-{alpha})*{dE_dw1}^2"
    nesterov = L.column_index(KINDS["nesterov"].spec)
    assert nesterov["w1"].template(False) == \
        "{prev.w1}-{eta}*({prev.dE_dw1}+{weight_decay}*{prev.w1}+{momentum}*{prev.v_w1})"
    keys = {p.key for p in L.listed_parameters(KINDS["adam"].spec)}
    assert {"beta1", "beta2", "eps", "weight_decay"} <= keys and "momentum" not in keys


def test_the_biggest_network_fits_a_sheet():
    """3 hidden layers 8 wide, 16 samples, Adam: within Excel's 16,384 columns and 8,192 characters a formula."""
    cols = L.columns(BIGGEST)
    assert len(cols) <= 16_384
    longest = max(len(L.formula(c, "eta_1", 2, BIGGEST)) for c in cols)
    assert longest <= 8_192
    # iteration; 288 parameters, each with its gradient, m and s; per sample z, a and E; E_total; per sample δ
    assert len(cols) == 1 + 4 * 288 + 16 * (2 * 32 + 8) + 1 + 16 * 32 == 2_818


def test_samples_table_cells_are_distinct_and_beside_the_network_table():
    spec = KINDS["rmsprop"].spec
    cells = [L.parameter_cell(p.key, spec) for p in L.parameters(spec)]
    assert len(set(cells)) == len(cells)
    table = [L.parameter_cell(p.key, spec) for p in L.sample_parameters(spec)]
    assert min(c for _, c in table) == L.SAMPLE_COL + 1 > L.NETWORK_COL + 1
    assert table[0] == (L.PARAMETER_FIRST_ROW, L.SAMPLE_COL + 1) and len(table) == 4 * (2 + 2)
