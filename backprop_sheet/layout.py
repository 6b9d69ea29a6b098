"""Where every quantity lives in the workbook and which formula computes it: the one table of columns.

Formula templates name quantities in braces: `{w1}` is this row's w1 cell, `{prev.w1}` the previous
row's, `{i1}` a parameter (one of the workbook's defined names) and `{eta}` the sheet's learning rate.
The writer, the charts, the verifier, the derivation sheet and the README table all read from here.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

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


PARAMETERS = (
    Parameter("i1", "i1", "i_1", "input 1"),
    Parameter("i2", "i2", "i_2", "input 2"),
    Parameter("t1", "t1", "t_1", "target of output 1"),
    Parameter("t2", "t2", "t_2", "target of output 2"),
    *(Parameter(f"w{n}_init", f"w{n}", f"w{n}_init", f"initial weight, {src} → {dst}")
      for n, (src, dst) in enumerate(
          [("i1", "h1"), ("i2", "h1"), ("i1", "h2"), ("i2", "h2"),
           ("a_h1", "o1"), ("a_h2", "o1"), ("a_h1", "o2"), ("a_h2", "o2")], start=1)),
    Parameter("b1", "b1", "b_1", "bias of both hidden neurons (not trained)"),
    Parameter("b2", "b2", "b_2", "bias of both output neurons (not trained)"),
)
PARAMETER = {p.key: p for p in PARAMETERS}

# Parameters sheet: a header row, one row per parameter, the iteration count, then one row per rate.
PARAMETER_FIRST_ROW = 2
ITERATIONS_ROW = PARAMETER_FIRST_ROW + len(PARAMETERS)
RATE_FIRST_ROW = ITERATIONS_ROW + 1
VALUE_COL = 2  # the column (B) that holds every value on the Parameters sheet


def parameter_row(key: str) -> int:
    return PARAMETER_FIRST_ROW + list(PARAMETER).index(key)


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


def _sigmoid(z: str) -> str:
    return f"1/(1+EXP(-{{{z}}}))"


def _slope(a: str, z: str) -> Factor:
    # σ'(z) = σ(z)·(1 − σ(z)): the derivative is written with the activation the row already has.
    return Factor(f"∂{a}/∂{z}", f"d{a}_d{z}", f"{{{a}}}*(1-{{{a}}})")


def _output_gradient(n: int, o: str, a_h: str) -> Column:
    """∂E_total/∂w_n for a hidden → output weight w_n on the path a_h → o."""
    t = "t" + o[-1]
    return Column(f"dE_dw{n}", f"∂E_total/∂w{n}", "gradients", factors=(
        Factor(f"∂E_total/∂a_{o}", f"dE_da_{o}", f"({{a_{o}}}-{{{t}}})"),
        _slope(f"a_{o}", o),
        Factor(f"∂{o}/∂w{n}", a_h, f"{{{a_h}}}"),
    ), number_format="0.000000E+00")


def _hidden_gradient(n: int, h: str, i: str, w_o1: str, w_o2: str) -> Column:
    """∂E_total/∂w_n for an input → hidden weight: a_h reaches E_total through o1 (w_o1) and o2 (w_o2)."""
    upstream = f"(({{a_o1}}-{{t1}})*{{a_o1}}*(1-{{a_o1}})*{{{w_o1}}}+({{a_o2}}-{{t2}})*{{a_o2}}*(1-{{a_o2}})*{{{w_o2}}})"
    return Column(f"dE_dw{n}", f"∂E_total/∂w{n}", "gradients", factors=(
        Factor(f"∂E_total/∂a_{h}", f"dE_da_{h}", upstream),
        _slope(f"a_{h}", h),
        Factor(f"∂{h}/∂w{n}", i, f"{{{i}}}"),
    ), number_format="0.000000E+00")


COLUMNS = (
    Column("iteration", "iteration", "", formula="{prev.iteration}+1", first="1", number_format="0"),
    *(Column(f"w{n}", f"w{n}", "weights", formula=f"{{prev.w{n}}}-{{eta}}*{{prev.dE_dw{n}}}",
             first=f"{{w{n}_init}}") for n in range(1, 9)),
    Column("h1", "h1", "forward pass", "{w1}*{i1}+{w2}*{i2}+{b1}"),
    Column("h2", "h2", "forward pass", "{w3}*{i1}+{w4}*{i2}+{b1}"),
    Column("a_h1", "a_h1", "forward pass", _sigmoid("h1")),
    Column("a_h2", "a_h2", "forward pass", _sigmoid("h2")),
    Column("o1", "o1", "forward pass", "{w5}*{a_h1}+{w6}*{a_h2}+{b2}"),
    Column("o2", "o2", "forward pass", "{w7}*{a_h1}+{w8}*{a_h2}+{b2}"),
    Column("a_o1", "a_o1", "forward pass", _sigmoid("o1")),
    Column("a_o2", "a_o2", "forward pass", _sigmoid("o2")),
    Column("E1", "E1", "loss", "0.5*({t1}-{a_o1})^2"),
    Column("E2", "E2", "loss", "0.5*({t2}-{a_o2})^2"),
    Column("E_total", "E_total", "loss", "{E1}+{E2}"),
    _hidden_gradient(1, "h1", "i1", "w5", "w7"),
    _hidden_gradient(2, "h1", "i2", "w5", "w7"),
    _hidden_gradient(3, "h2", "i1", "w6", "w8"),
    _hidden_gradient(4, "h2", "i2", "w6", "w8"),
    _output_gradient(5, "o1", "a_h1"),
    _output_gradient(6, "o1", "a_h2"),
    _output_gradient(7, "o2", "a_h1"),
    _output_gradient(8, "o2", "a_h2"),
)
COLUMN = {c.key: c for c in COLUMNS}
GRADIENT_COLUMNS = tuple(c for c in COLUMNS if c.factors)

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


def col(key: str) -> int:
    """1-based column index of a quantity on the learning-rate sheets."""
    return list(COLUMN).index(key) + 1


def letter(key: str) -> str:
    return column_letter(col(key))


def data_row(iteration: int) -> int:
    return FIRST_ROW + iteration - 1


_FIELD = re.compile(r"\{(prev\.)?(\w+)\}")


def render(template: str, ref: Callable[[str, bool], str]) -> str:
    """Replace each {key} / {prev.key} by ref(key, is_previous_row)."""
    return _FIELD.sub(lambda m: ref(m[2], bool(m[1])), template)


def _name(key: str, eta: str) -> str:
    return eta if key == "eta" else PARAMETER[key].name


def row_pattern(column: Column, eta: str, first_row: bool) -> str:
    """The formula for any data row, with {r} for the row and {p} for the previous one (str.format)."""
    def ref(key: str, prev: bool) -> str:
        if key in COLUMN:
            return letter(key) + ("{p}" if prev else "{r}")
        return _name(key, eta)
    return "=" + render(column.template(first_row), ref)


def formula(column: Column, eta: str, iteration: int) -> str:
    row = data_row(iteration)
    return row_pattern(column, eta, iteration == 1).format(r=row, p=row - 1)


def cell_formula(template: str, sheet: str, iteration: int) -> str:
    """A template evaluated on another sheet's row (used by the derivation sheet)."""
    def ref(key: str, prev: bool) -> str:
        if key in COLUMN:
            return f"{quote_sheet(sheet)}!{letter(key)}{data_row(iteration) - prev}"
        return _name(key, "")
    return "=" + render(template, ref)


def symbolic(template: str) -> str:
    """The template as an equation: `{prev.w1}-{eta}*{prev.dE_dw1}` → `w1[k-1]-η·∂E_total/∂w1[k-1]`."""
    def ref(key: str, prev: bool) -> str:
        name = "η" if key == "eta" else COLUMN[key].header if key in COLUMN else PARAMETER[key].label
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


def summary_cells(titles: list[str], iterations: int) -> list[Linked]:
    cells = []
    for k, title in enumerate(titles):
        row = summary_row(k)
        e_total = f"{quote_sheet(title)}!${letter('E_total')}$"
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


def derivation_cells(first_title: str) -> list[Linked]:
    cells = []
    for n, column in enumerate(GRADIENT_COLUMNS):
        row = DERIVATION_HEADER_ROW + 1 + n
        for j, factor in enumerate(column.factors):
            cells.append(Linked(row, FACTOR_VALUE_COL + j, cell_formula(factor.formula, first_title, 1),
                                factor.key, 0, 1))
        values = [column_letter(FACTOR_VALUE_COL + j) + str(row) for j in range(len(column.factors))]
        cells.append(Linked(row, FACTOR_VALUE_COL + 3, "=" + "*".join(values), column.key, 0, 1))
        cells.append(Linked(row, FACTOR_VALUE_COL + 4,
                            f"={quote_sheet(first_title)}!{letter(column.key)}{data_row(1)}", column.key, 0, 1))
    return cells


def derivation_columns_row() -> int:
    """The heading row of the derivation sheet's table of columns, two rows below the gradients."""
    return DERIVATION_HEADER_ROW + len(GRADIENT_COLUMNS) + 2


def column_docs(eta: str) -> list[tuple[str, str, str, str]]:
    """(letter, header, equation, formula at iteration 2) for every column of a learning-rate sheet."""
    return [(letter(c.key), c.header, symbolic(c.template(False)), formula(c, eta, 2)) for c in COLUMNS]

