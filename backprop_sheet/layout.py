"""Where every quantity lives in the workbook and which formula computes it: the one table of columns.

`columns(spec)` is that table for a network of `spec.Network`. Formula templates name quantities in
braces: `{w1}` is this row's w1 cell, `{prev.w1}` the previous row's, `{i1}` a parameter (one of the
workbook's defined names) and `{eta}` the sheet's learning rate.
The writer, the charts, the verifier, the derivation sheet and the docs' column table all read from here.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from backprop_sheet.activations import Activation
from backprop_sheet.spec import Network

EXCEL_MAX_ROWS = 1_048_576  # rows per worksheet in Excel and in LibreOffice Calc

PARAMETERS_SHEET = "Parameters"
SUMMARY_SHEET = "Summary"
DERIVATION_SHEET = "Derivation"


@dataclass(frozen=True)
class Parameter:
    key: str  # placeholder in the formula templates
    label: str  # what the Parameters sheet shows
    name: str  # the workbook's defined name; "i1", "w1", ... are cell addresses, so names get an underscore
    meaning: str


def _fixed_bias_meaning(layer: str, count: int) -> str:
    every = {1: "the", 2: "both"}.get(count, "every")
    return f"bias of {every} {layer} neuron{'s' if count > 1 else ''} (not trained)"


@cache
def parameters(spec: Network) -> tuple[Parameter, ...]:
    """The Parameters sheet's inputs, in order; every formula reads them through their defined names."""
    params = [Parameter(i, i, f"i_{i[1:]}", f"input {i[1:]}") for i in spec.inputs]
    params += [Parameter(t, t, f"t_{t[1:]}", f"target of output {t[1:]}") for t in spec.targets]
    params += [Parameter(f"{w}_init", w, f"{w}_init", f"initial weight, {src} → {dst}")
               for (src, dst), w in spec.weights.items()]
    if spec.train_biases:
        params += [Parameter(f"{b}_init", b, f"{b}_init", f"initial bias of {b.removeprefix('b_')} (trained)")
                   for b in spec.bias_names]
    else:
        params += [Parameter("b1", "b1", "b_1", _fixed_bias_meaning("hidden", spec.hidden)),
                   Parameter("b2", "b2", "b_2", _fixed_bias_meaning("output", spec.n_out))]
    if spec.with_velocity:
        params.append(Parameter("momentum", "β", "momentum", "momentum: v ← β·v + ∂E_total/∂w, then w ← w − η·v"))
    return tuple(params)


@cache
def parameter_index(spec: Network) -> dict[str, Parameter]:
    return {p.key: p for p in parameters(spec)}


# Parameters sheet: a header row, one row per parameter, the iteration count, then one row per rate.
PARAMETER_FIRST_ROW = 2
VALUE_COL = 2  # the column (B) that holds every value on the Parameters sheet
# Columns F:G of the Parameters sheet record the network's shape, which verify reads back.
NETWORK_COL = 6
NETWORK_FIELDS = (("inputs", "n_in"), ("hidden neurons", "hidden"), ("outputs", "n_out"),
                  ("hidden activation", "hidden_activation"), ("output activation", "output_activation"),
                  ("trained biases", "train_biases"), ("momentum β when generated", "momentum"))


def iterations_row(spec: Network) -> int:
    return PARAMETER_FIRST_ROW + len(parameters(spec))


def rate_first_row(spec: Network) -> int:
    return iterations_row(spec) + 1


def parameter_row(key: str, spec: Network) -> int:
    return PARAMETER_FIRST_ROW + list(parameter_index(spec)).index(key)


def rate_name(k: int) -> str:
    """Defined name of the k-th learning rate (0-based k)."""
    return f"eta_{k + 1}"


def rate_sheet_title(rate: float) -> str:
    # repr is the shortest text that reads back as the same float, so distinct rates get distinct sheets.
    return "lr " + repr(float(rate)).removesuffix(".0")


def quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class Factor:
    symbol: str  # the partial derivative it stands for
    key: str  # the reference quantity (network.py) or parameter holding its value
    formula: str  # template


@dataclass(frozen=True)
class Column:
    key: str  # quantity name in network.py
    header: str  # header row text: the name the equations use
    group: str  # the band above the headers
    formula: str = ""  # template for every iteration after the first (and the first, unless `first`)
    first: str = ""  # template for iteration 1, where it differs
    factors: tuple[Factor, ...] = ()  # gradients only: the chain rule; the formula is their product
    number_format: str = "0.000000000"

    def template(self, first_row: bool) -> str:
        if self.factors:
            return "*".join(f.formula for f in self.factors)
        return self.first if first_row and self.first else self.formula


def _activation(act: Activation, z: str) -> str:
    return act.formula.replace("{z}", f"{{{z}}}")


def _slope(act: Activation, a: str, z: str) -> Factor:
    # The derivative is written with the activation (or the input) the row already has: σ' = a·(1 − a).
    formula = act.derivative.replace("{a}", f"{{{a}}}").replace("{z}", f"{{{z}}}")
    return Factor(f"∂{a}/∂{z}", f"d{a}_d{z}", formula)


def _upstream(spec: Network, h: str) -> Factor:
    """∂E_total/∂a_h: a_h reaches E_total through every output, each through its own weight."""
    terms = [f"({{a_{o}}}-{{{t}}})*{_slope(spec.output_fn, f'a_{o}', o).formula}*{{{spec.weights[(f'a_{h}', o)]}}}"
             for o, t in zip(spec.output_neurons, spec.targets)]
    return Factor(f"∂E_total/∂a_{h}", f"dE_da_{h}", "(" + "+".join(terms) + ")")


def _gradient(spec: Network, param: str) -> Column:
    """∂E_total/∂param by the chain rule: ∂E_total/∂a · ∂a/∂z · ∂z/∂param (the last is 1 for a bias)."""
    if param.startswith("b_"):
        z, source = param.removeprefix("b_"), None
    else:
        source, z = next(pair for pair, w in spec.weights.items() if w == param)
    if z in spec.output_neurons:
        t = spec.targets[spec.output_neurons.index(z)]
        factors = [Factor(f"∂E_total/∂a_{z}", f"dE_da_{z}", f"({{a_{z}}}-{{{t}}})"),
                   _slope(spec.output_fn, f"a_{z}", z)]
    else:
        factors = [_upstream(spec, z), _slope(spec.hidden_fn, f"a_{z}", z)]
    if source:
        factors.append(Factor(f"∂{z}/∂{param}", source, f"{{{source}}}"))
    return Column(f"dE_d{param}", f"∂E_total/∂{param}", "gradients", factors=tuple(factors),
                  number_format="0.000000E+00")


def _weighted_sum(spec: Network, z: str, sources: list[str], fixed_bias: str) -> str:
    terms = [f"{{{spec.weights[(x, z)]}}}*{{{x}}}" for x in sources]
    return "+".join(terms) + (f"+{{b_{z}}}" if spec.train_biases else f"+{{{fixed_bias}}}")


@cache
def columns(spec: Network) -> tuple[Column, ...]:
    """The one table of a learning-rate sheet's columns, left to right, for this network."""
    step = "v_" if spec.with_velocity else "dE_d"  # with momentum the step follows the velocity
    cols = [Column("iteration", "iteration", "", formula="{prev.iteration}+1", first="1", number_format="0")]
    cols += [Column(p, p, "biases" if p.startswith("b_") else "weights",
                    formula=f"{{prev.{p}}}-{{eta}}*{{prev.{step}{p}}}", first=f"{{{p}_init}}")
             for p in spec.trained]
    a_h = [f"a_{h}" for h in spec.hidden_neurons]
    for neurons, sources, bias, act in ((spec.hidden_neurons, spec.inputs, "b1", spec.hidden_fn),
                                        (spec.output_neurons, a_h, "b2", spec.output_fn)):
        cols += [Column(z, z, "forward pass", _weighted_sum(spec, z, sources, bias)) for z in neurons]
        cols += [Column(f"a_{z}", f"a_{z}", "forward pass", _activation(act, z)) for z in neurons]
    errors = [f"E{k}" for k in range(1, spec.n_out + 1)]
    cols += [Column(e, e, "loss", f"0.5*({{{t}}}-{{a_{o}}})^2")
             for e, t, o in zip(errors, spec.targets, spec.output_neurons)]
    cols.append(Column("E_total", "E_total", "loss", "+".join(f"{{{e}}}" for e in errors)))
    cols += [_gradient(spec, p) for p in spec.trained]
    if spec.with_velocity:
        cols += [Column(f"v_{p}", f"v_{p}", "velocities", formula=f"{{momentum}}*{{prev.v_{p}}}+{{dE_d{p}}}",
                        first=f"{{dE_d{p}}}", number_format="0.000000E+00") for p in spec.trained]
    return tuple(cols)


@cache
def column_index(spec: Network) -> dict[str, Column]:
    return {c.key: c for c in columns(spec)}


def gradient_columns(spec: Network) -> tuple[Column, ...]:
    return tuple(c for c in columns(spec) if c.factors)


# Learning-rate sheets: the rate in B1, the chart above the table (visible when the sheet opens), then
# group bands, headers and one row per iteration. The panes freeze below the headers.
RATE_CELL = (1, 2)  # (row, column) of the sheet's own `=eta_k`
CHART_ROW = 2  # the chart's top-left cell is in column A of this row
CHART_ROWS = 15  # rows the chart covers
CHART_COLUMNS = 8  # columns it spans, from A
GROUP_ROW = CHART_ROW + CHART_ROWS
HEADER_ROW = GROUP_ROW + 1
FIRST_ROW = HEADER_ROW + 1
MAX_ITERATIONS = EXCEL_MAX_ROWS - FIRST_ROW + 1


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col(key: str, spec: Network) -> int:
    """1-based column index of a quantity on the learning-rate sheets."""
    return list(column_index(spec)).index(key) + 1


def letter(key: str, spec: Network) -> str:
    return column_letter(col(key, spec))


def data_row(iteration: int) -> int:
    return FIRST_ROW + iteration - 1


_FIELD = re.compile(r"\{(prev\.)?(\w+)\}")


def render(template: str, ref: Callable[[str, bool], str]) -> str:
    """Replace each {key} / {prev.key} by ref(key, is_previous_row)."""
    return _FIELD.sub(lambda m: ref(m[2], bool(m[1])), template)


def _name(key: str, eta: str, spec: Network) -> str:
    return eta if key == "eta" else parameter_index(spec)[key].name


def row_pattern(column: Column, eta: str, first_row: bool, spec: Network) -> str:
    """The formula for any data row, with {r} for the row and {p} for the previous one (str.format)."""
    def ref(key: str, prev: bool) -> str:
        if key in column_index(spec):
            return letter(key, spec) + ("{p}" if prev else "{r}")
        return _name(key, eta, spec)
    return "=" + render(column.template(first_row), ref)


def formula(column: Column, eta: str, iteration: int, spec: Network) -> str:
    row = data_row(iteration)
    return row_pattern(column, eta, iteration == 1, spec).format(r=row, p=row - 1)


def cell_formula(template: str, sheet: str, iteration: int, spec: Network) -> str:
    """A template evaluated on another sheet's row (used by the derivation sheet)."""
    def ref(key: str, prev: bool) -> str:
        if key in column_index(spec):
            return f"{quote_sheet(sheet)}!{letter(key, spec)}{data_row(iteration) - prev}"
        return _name(key, "", spec)
    return "=" + render(template, ref)


def symbolic(template: str, spec: Network) -> str:
    """The template as an equation: `{prev.w1}-{eta}*{prev.dE_dw1}` → `w1[k-1]-η·∂E_total/∂w1[k-1]`."""
    cols, params = column_index(spec), parameter_index(spec)

    def ref(key: str, prev: bool) -> str:
        name = "η" if key == "eta" else cols[key].header if key in cols else params[key].label
        if key.endswith("_init"):
            name += " (initial)"
        return name + ("[k-1]" if prev else "")
    return render(template, ref).replace("*", "·")


@dataclass(frozen=True)
class Linked:
    """A computed cell outside the iteration grid, and the reference value it must show."""
    row: int
    col: int
    formula: str
    quantity: str  # a network.py quantity, a parameter key, or "eta"
    rate: int  # which learning rate's trajectory (0-based)
    iteration: int  # 1-based


@dataclass(frozen=True)
class Label:
    """A text cell that names a learning rate: a formula, so that it follows the Parameters sheet."""
    row: int
    col: int
    prefix: str  # the text before the rate
    rate: int  # 0-based

    @property
    def formula(self) -> str:
        return f'="{self.prefix}"&{rate_name(self.rate)}'

    def text(self, rate: float) -> str:
        """What the formula shows: spreadsheets join a number to text with up to 15 significant digits."""
        return self.prefix + number_text(rate)


def number_text(value: float) -> str:
    text = f"{value:.15g}".replace("e", "E")
    mantissa, _, exponent = text.partition("E")
    return mantissa + ("E" + exponent[0] + exponent[1:].lstrip("0").rjust(2, "0") if exponent else "")


# Summary sheet: a table with one row per learning rate, headed at SUMMARY_HEADER_ROW, the chart below it.
SUMMARY_HEADER_ROW = 4
SUMMARY_HEADERS = ("learning rate η", "legend", "sheet tab", "E_total at iteration 1", "E_total at iteration {n}")
SUMMARY_WIDTHS = (16, 14, 12, 24, 24)
SUMMARY_LABEL_COL = 2  # the legend text of each rate: the chart's series names
SUMMARY_TAB_COL = 3
SUMMARY_CHART_ROWS = 20  # the chart spans the table's columns and this many rows below it


def summary_row(k: int) -> int:
    return SUMMARY_HEADER_ROW + 1 + k


def summary_chart_row(rates: int) -> int:
    return summary_row(rates) + 1


def summary_cells(titles: list[str], iterations: int, spec: Network) -> list[Linked]:
    cells = []
    for k, title in enumerate(titles):
        row = summary_row(k)
        e_total = f"{quote_sheet(title)}!${letter('E_total', spec)}$"
        cells += [
            Linked(row, 1, f"={rate_name(k)}", "eta", k, 1),
            Linked(row, 4, f"={e_total}{data_row(1)}", "E_total", k, 1),
            Linked(row, 5, f"={e_total}{data_row(iterations)}", "E_total", k, iterations),
        ]
    return cells


def summary_labels(rates: int) -> list[Label]:
    return [Label(summary_row(k), SUMMARY_LABEL_COL, "η = ", k) for k in range(rates)]


def legend_ref(k: int) -> str:
    """The cell holding the k-th rate's legend text (the Summary's label column)."""
    return f"{quote_sheet(SUMMARY_SHEET)}!${column_letter(SUMMARY_LABEL_COL)}${summary_row(k)}"


# Derivation sheet: one row per gradient column; factor values are taken from iteration 1 of the
# first learning-rate sheet (iteration 1 is the same on every sheet).
DERIVATION_HEADER_ROW = 4
DERIVATION_HEADERS = ("gradient", "chain rule", "factor 1", "factor 2", "factor 3",
                      "factor 1 value", "factor 2 value", "factor 3 value", "product", "on the sheet")
DERIVATION_WIDTHS = (14, 30, 34, 22, 14, 14, 14, 14, 12, 12)  # characters; the text columns wrap
FACTOR_VALUE_COL = 6  # F: first of the value columns


def derivation_cells(first_title: str, spec: Network) -> list[Linked]:
    cells = []
    for n, column in enumerate(gradient_columns(spec)):
        row = DERIVATION_HEADER_ROW + 1 + n
        for j, factor in enumerate(column.factors):
            cells.append(Linked(row, FACTOR_VALUE_COL + j, cell_formula(factor.formula, first_title, 1, spec),
                                factor.key, 0, 1))
        values = [column_letter(FACTOR_VALUE_COL + j) + str(row) for j in range(len(column.factors))]
        cells.append(Linked(row, FACTOR_VALUE_COL + 3, "=" + "*".join(values), column.key, 0, 1))
        cells.append(Linked(row, FACTOR_VALUE_COL + 4,
                            f"={quote_sheet(first_title)}!{letter(column.key, spec)}{data_row(1)}",
                            column.key, 0, 1))
    return cells


def derivation_columns_row(spec: Network) -> int:
    """The heading row of the derivation sheet's table of columns, two rows below the gradients."""
    return DERIVATION_HEADER_ROW + len(gradient_columns(spec)) + 2


def column_docs(eta: str, spec: Network) -> list[tuple[str, str, str, str]]:
    """(letter, header, equation, formula at iteration 2) for every column of a learning-rate sheet."""
    return [(letter(c.key, spec), c.header, symbolic(c.template(False), spec), formula(c, eta, 2, spec))
            for c in columns(spec)]

