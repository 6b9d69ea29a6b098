"""Where every quantity lives in the workbook and which formula computes it: the one table of columns.

`columns(spec)` is that table for a network of `spec.Network`. Formula templates name quantities in
braces: `{w1}` is this row's w1 cell, `{prev.w1}` the previous row's, `{i1}` a parameter (one of the
workbook's defined names) and `{eta}` the sheet's learning rate.
The writer, the charts, the verifier, the derivation sheet and the docs' column table all read from here.
The columns themselves are written in layout_net.py (forward pass, loss, ∂E/∂z, gradients) and
layout_optim.py (parameters and optimizer buffers), which only `columns(spec)` calls.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from backprop_sheet.layout_net import Column, Factor, network_columns
from backprop_sheet.layout_optim import parameter_columns, state_columns, update_text
from backprop_sheet.spec import DEFAULT, Network

__all__ = ["Column", "Factor", "columns", "update_text"]  # Column and Factor live in layout_net, one table

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


def _sample_parameters(spec: Network, sfx: str) -> list[Parameter]:
    params = [Parameter(i + sfx, i + sfx, f"i_{i[1:]}{sfx}", f"input {i[1:]}") for i in spec.inputs]
    return params + [Parameter(t + sfx, t + sfx, f"t_{t[1:]}{sfx}", f"target of output {t[1:]}") for t in spec.targets]


def _hyperparameters(spec: Network) -> list[Parameter]:
    """The optimizer's settings, each an input: a formula reads it, so an edit retrains every sheet."""
    params = []
    if spec.with_velocity:
        rule = "v ← β·v + ∂E_total/∂w, then w ← w − η·" + ("(∂E_total/∂w + β·v)" if spec.nesterov else "v")
        params.append(Parameter("momentum", "β", "momentum", f"momentum: {rule}"))
    if spec.with_decay:
        params.append(Parameter("weight_decay", "λ", "weight_decay",
                                "weight decay: every step follows ∂E_total/∂w + λ·w instead of ∂E_total/∂w"))
    if spec.optimizer == "adam":
        params += [Parameter("beta1", "β1", "beta_1", "Adam: decay of the first moment, m ← β1·m + (1 − β1)·g"),
                   Parameter("beta2", "β2", "beta_2", "Adam: decay of the second moment, s ← β2·s + (1 − β2)·g²")]
    if spec.optimizer == "rmsprop":
        params.append(Parameter("alpha", "α", "alpha", "RMSprop: decay of the mean square, s ← α·s + (1 − α)·g²"))
    if spec.optimizer in ("adam", "rmsprop"):
        params.append(Parameter("eps", "ε", "epsilon", "added to √s, so that a zero gradient never divides by 0"))
    return params


@cache
def listed_parameters(spec: Network) -> tuple[Parameter, ...]:
    """The parameters in the Parameters sheet's list (column B), in order."""
    params = [] if spec.n_samples > 1 else _sample_parameters(spec, "")  # several: in the samples table
    params += [Parameter(f"{w}_init", w, f"{w}_init", f"initial weight, {src} → {dst}")
               for (src, dst), w in spec.weights.items()]
    if spec.train_biases:
        params += [Parameter(f"{b}_init", b, f"{b}_init", f"initial bias of {b.removeprefix('b_')} (trained)")
                   for b in spec.bias_names]
    else:
        for n, (b, layer) in enumerate(zip(spec.fixed_biases, spec.neuron_layers)):
            where = "output" if n == spec.depth else "hidden" if spec.depth == 1 else f"hidden layer {n + 1}"
            params.append(Parameter(b, b, f"b_{b[1:]}", _fixed_bias_meaning(where, len(layer))))
    return tuple(params + _hyperparameters(spec))


@cache
def sample_parameters(spec: Network) -> tuple[Parameter, ...]:
    """With several samples, the samples table's inputs and targets, sample by sample (none for one sample)."""
    if spec.n_samples == 1:
        return ()
    return tuple(p for sfx in spec.suffixes for p in _sample_parameters(spec, sfx))


@cache
def parameters(spec: Network) -> tuple[Parameter, ...]:
    """Every input of the Parameters sheet; every formula reads them through their defined names."""
    return sample_parameters(spec) + listed_parameters(spec)


@cache
def parameter_index(spec: Network) -> dict[str, Parameter]:
    return {p.key: p for p in parameters(spec)}


# Parameters sheet: a header row, one row per listed parameter, the iteration count, then one row per rate.
PARAMETER_FIRST_ROW = 2
VALUE_COL = 2  # the column (B) that holds every listed value on the Parameters sheet
# Columns F:G of the Parameters sheet record the network's shape, which verify reads back.
NETWORK_COL = 6
NETWORK_FIELDS = (("inputs", "n_in"), ("hidden neurons", "hidden"), ("outputs", "n_out"),
                  ("hidden activation", "hidden_activation"), ("output activation", "output_activation"),
                  ("trained biases", "train_biases"), ("momentum β when generated", "momentum"))
# Rows below those, each only where the network differs from the default (whose table stays as it was).
NETWORK_EXTRA_FIELDS = (("samples", "n_samples"), ("loss", "loss"), ("reduction", "reduction"),
                        ("optimizer", "optimizer"), ("nesterov", "nesterov"),
                        ("weight decay λ when generated", "weight_decay"))
# Several samples: a table from column I, a header row (sample, i1.., t1..) and one row per sample.
SAMPLE_COL = NETWORK_COL + 3


def network_fields(spec: Network) -> tuple[tuple[str, str], ...]:
    """The network table's (label, field) rows for this network."""
    return NETWORK_FIELDS + tuple((label, field) for label, field in NETWORK_EXTRA_FIELDS
                                  if getattr(spec, field) != getattr(DEFAULT, field))


def network_value(spec: Network, field: str):
    """A network table cell: a number, a name, yes/no, or the hidden widths as "3, 2"."""
    value = getattr(spec, field)
    if isinstance(value, bool):
        return ("no", "yes")[value]
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return value


def sample_headers(spec: Network) -> list[str]:
    return ["sample", *spec.inputs, *spec.targets]


def iterations_row(spec: Network) -> int:
    return PARAMETER_FIRST_ROW + len(listed_parameters(spec))


def rate_first_row(spec: Network) -> int:
    return iterations_row(spec) + 1


def parameter_row(key: str, spec: Network) -> int:
    """The row of a listed parameter (column VALUE_COL)."""
    return PARAMETER_FIRST_ROW + [p.key for p in listed_parameters(spec)].index(key)


def parameter_cell(key: str, spec: Network) -> tuple[int, int]:
    """(row, column) of any parameter: in the list, or in the samples table."""
    table = [p.key for p in sample_parameters(spec)]
    if key not in table:
        return parameter_row(key, spec), VALUE_COL
    per_sample = spec.n_in + spec.n_out
    sample, index = divmod(table.index(key), per_sample)
    return PARAMETER_FIRST_ROW + sample, SAMPLE_COL + 1 + index


def rate_name(k: int) -> str:
    """Defined name of the k-th learning rate (0-based k)."""
    return f"eta_{k + 1}"


def rate_sheet_title(rate: float) -> str:
    # repr is the shortest text that reads back as the same float, so distinct rates get distinct sheets.
    return "lr " + repr(float(rate)).removesuffix(".0")


def quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


@cache
def columns(spec: Network) -> tuple[Column, ...]:
    """The one table of a learning-rate sheet's columns, left to right, for this network:
    the iteration, the trained parameters, each sample's forward pass and errors, E_total, each sample's
    ∂E/∂z (deep networks and several samples), the gradients, then the optimizer's buffers."""
    cols = [Column("iteration", "iteration", "", formula="{prev.iteration}+1", first="1", number_format="0")]
    return tuple(cols + parameter_columns(spec) + network_columns(spec) + state_columns(spec))


@cache
def column_index(spec: Network) -> dict[str, Column]:
    return {c.key: c for c in columns(spec)}


def gradient_columns(spec: Network) -> tuple[Column, ...]:
    """∂E_total/∂p for every trained parameter p, in `spec.trained` order."""
    keys = {f"dE_d{p}" for p in spec.trained}
    return tuple(c for c in columns(spec) if c.key in keys)


def derivation_columns(spec: Network) -> tuple[Column, ...]:
    """The Derivation sheet's rows: sample 1's ∂E/∂z columns (deep networks, several samples), then the
    gradients; each is a product of its chain-rule factors, except a gradient over several samples (a mean)."""
    first = {f"dE_d{z}" for layer in spec.neuron_layers for z in layer}
    return tuple(c for c in columns(spec) if c.key in first) + gradient_columns(spec)


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
    """Each derivation row's computed cells: its factors' values and their product (a gradient over several
    samples: its own formula, on sample 1's sheet row), then the value on the rate sheet beside it."""
    cells = []
    for n, column in enumerate(derivation_columns(spec)):
        row = DERIVATION_HEADER_ROW + 1 + n
        for j, factor in enumerate(column.factors):
            cells.append(Linked(row, FACTOR_VALUE_COL + j, cell_formula(factor.formula, first_title, 1, spec),
                                factor.key, 0, 1))
        values = [column_letter(FACTOR_VALUE_COL + j) + str(row) for j in range(len(column.factors))]
        product = "=" + "*".join(values) if values else cell_formula(column.template(False), first_title, 1, spec)
        cells.append(Linked(row, FACTOR_VALUE_COL + 3, product, column.key, 0, 1))
        cells.append(Linked(row, FACTOR_VALUE_COL + 4,
                            f"={quote_sheet(first_title)}!{letter(column.key, spec)}{data_row(1)}",
                            column.key, 0, 1))
    return cells


def derivation_columns_row(spec: Network) -> int:
    """The heading row of the derivation sheet's table of columns, two rows below the gradients."""
    return DERIVATION_HEADER_ROW + len(derivation_columns(spec)) + 2


def column_docs(eta: str, spec: Network) -> list[tuple[str, str, str, str]]:
    """(letter, header, equation, formula at iteration 2) for every column of a learning-rate sheet."""
    return [(letter(c.key, spec), c.header, symbolic(c.template(False), spec), formula(c, eta, 2, spec))
            for c in columns(spec)]

