"""A corpus of student-style backprop workbooks, each written by `build` with openpyxl.

Every workbook is one `Spec`: where the table and the parameters stand, how the headers are spelled,
which columns come in which order, and at most one planted mistake (a change to one formula template).
`expected` names the root causes `check` must report for it: (quantity, diagnosis id, cell).
"""

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from backprop_sheet import network
from backprop_sheet.recalc import find_soffice

WEIGHTS = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)


def _hidden(h: int, i: int, wa: str, wb: str, slope: str | None = None) -> str:
    slope = slope or f"{{a_h{h}}}*(1-{{a_h{h}}})"
    return (f"(({{a_o1}}-{{t1}})*{{a_o1}}*(1-{{a_o1}})*{{{wa}}}+({{a_o2}}-{{t2}})*{{a_o2}}*(1-{{a_o2}})*{{{wb}}})"
            f"*{slope}*{{i{i}}}")


# The right formula of every quantity; {q} is this row's q, {prev.q} the row above's, {eta} the rate.
TEMPLATES = {
    **{f"w{n}": f"{{prev.w{n}}}-{{eta}}*{{prev.dE_dw{n}}}" for n in range(1, 9)},
    "h1": "{w1}*{i1}+{w2}*{i2}+{b1}",
    "h2": "{w3}*{i1}+{w4}*{i2}+{b1}",
    "a_h1": "1/(1+EXP(-{h1}))",
    "a_h2": "1/(1+EXP(-{h2}))",
    "o1": "{w5}*{a_h1}+{w6}*{a_h2}+{b2}",
    "o2": "{w7}*{a_h1}+{w8}*{a_h2}+{b2}",
    "a_o1": "1/(1+EXP(-{o1}))",
    "a_o2": "1/(1+EXP(-{o2}))",
    "E1": "0.5*({t1}-{a_o1})^2",
    "E2": "0.5*({t2}-{a_o2})^2",
    "E_total": "{E1}+{E2}",
    "dE_dw1": _hidden(1, 1, "w5", "w7"),
    "dE_dw2": _hidden(1, 2, "w5", "w7"),
    "dE_dw3": _hidden(2, 1, "w6", "w8"),
    "dE_dw4": _hidden(2, 2, "w6", "w8"),
    "dE_dw5": "({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{a_h1}",
    "dE_dw6": "({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{a_h2}",
    "dE_dw7": "({a_o2}-{t2})*{a_o2}*(1-{a_o2})*{a_h1}",
    "dE_dw8": "({a_o2}-{t2})*{a_o2}*(1-{a_o2})*{a_h2}",
}
ORDER = tuple(TEMPLATES)

HEADERS_A = {q: q for q in ORDER} | {f"dE_dw{n}": f"∂E_total/∂w{n}" for n in range(1, 9)}
HEADERS_B = (HEADERS_A | {f"w{n}": f"W{n}" for n in range(1, 9)} | {"E_total": "E_Total", "a_h1": "out_h1",
             "a_h2": "out_h2", "a_o1": "out_o1", "a_o2": "out_o2"} | {f"dE_dw{n}": f"dE/dw{n}" for n in range(1, 9)})
HEADERS_C = (HEADERS_A | {"E_total": "Total Error", "a_h1": "σ(h1)", "a_h2": "σ(h2)", "a_o1": "σ(o1)", "a_o2": "σ(o2)"}
             | {f"dE_dw{n}": f"δE_total/δw{n}" for n in range(1, 9)})
HEADERS_D = (HEADERS_A | {"E_total": "E_tot (loss)", "a_h1": "a_h_1", "a_h2": "a_h_2"}
             | {f"dE_dw{n}": f"grad w{n}" for n in range(1, 9)} | {"E1": "E1 = ½(t1 − a_o1)²"})
HEADERS_E = HEADERS_A | {"E_total": "Etotal"} | {f"dE_dw{n}": f"dE_total/dw{n}" for n in range(1, 9)}
HEADERS_F = HEADERS_A | {"E_total": "E total"} | {f"dE_dw{n}": f"∂E/∂w{n}" for n in range(1, 9)}
# Gradient headers as real submissions spell them, each column its own way, and a "Step" counter in front
# Headers that name nothing: the columns are found by what they compute
HEADERS_H = HEADERS_A | {"h1": "Σ net 1", "a_o2": "ŷ (2nd)", "dE_dw7": ""}
HEADERS_G = HEADERS_A | {"iteration": "Step"} | dict(zip(
    (f"dE_dw{n}" for n in range(1, 9)), ("E∂w1", "dw2", "∂E∂W3", "Etotaldw4", "δE_tot/δw5", "E∂w6", "dw7", "∂E∂W8")))


@dataclass(frozen=True)
class Spec:
    name: str  # file name without suffix
    expected: tuple[tuple[str, str, str], ...] = ()  # root causes: (quantity, diagnosis, cell); () = right
    rates: tuple[float, ...] = (0.5,)
    layout: str = "sheets"  # "sheets": one sheet per rate; "stacked": all on one sheet; "side": side by side
    params: str = "above"  # "above", "beside", "sheet" (another sheet), "columns" (in the table), "none"
    rate: str = "label"  # "label": a labelled cell; "title": only the sheet's name; "inline": "η = 0.5"
    headers: dict = field(default_factory=lambda: HEADERS_A)
    order: tuple = ORDER  # quantities in column order; "notes" / None (a blank spacer) / "iteration"
    rows: int = 12
    biases: tuple[float, float] = (0.0, 0.0)
    templates: dict = field(default_factory=dict)  # the planted mistake: quantity → its wrong template
    planted_from: int = 1  # the iteration from which the planted templates stand (the rows above are right)
    update_rate: float | None = None  # a literal rate in the update formulas (wrong_learning_rate)
    paste_from: int = 0  # iteration from which `paste` columns hold numbers, not formulas
    paste: tuple[str, ...] = ()
    paste_rate: float | None = None  # the pasted numbers come from this rate's trajectory (stale)
    values_only: int = 0  # every computed cell a number, rounded to this many significant digits (0: full)
    origin: tuple[int, int] = (5, 2)  # header row and first column of the first table
    suffix: str = ".xlsx"
    title: str = "lr {rate}"  # sheet name pattern


def _title(spec: Spec, rate: float) -> str:
    return spec.title.format(rate=repr(rate).removesuffix(".0"))


def _trajectory(spec: Spec, rate: float) -> dict:
    return network.train(WEIGHTS, (0.05, 0.10), (0.01, 0.99), spec.biases, [rate], spec.rows)


def _round(value: float, digits: int) -> float:
    return float(f"{value:.{digits}g}") if digits else value


def _write_table(ws, spec: Spec, rate: float, row0: int, col0: int, refs: dict[str, str]) -> None:
    """One table: headers at row0, iterations below, from column col0."""
    columns = {}
    order = list(spec.order)
    if spec.params == "columns":
        order = ["i1", "i2", "t1", "t2"] + order
    for k, q in enumerate(order):
        col = col0 + k
        if q is None:
            continue
        header = spec.headers[q] if q in spec.headers else {"notes": "notes", "iteration": "iteration", "i1": "i1", "i2": "i2",
                                         "t1": "t1 (target of out_o1)", "t2": "t2"}[q]
        if header:
            ws.cell(row0, col, header)
        columns[q] = get_column_letter(col)
    eta = repr(spec.update_rate) if spec.update_rate is not None else refs["eta"]
    reference = _trajectory(spec, rate)
    stale = _trajectory(spec, spec.paste_rate) if spec.paste_rate else reference
    for k in range(spec.rows):
        r = row0 + 1 + k
        templates = TEMPLATES | spec.templates if k + 1 >= spec.planted_from else TEMPLATES

        def ref(m: re.Match, r: int = r, templates: dict = templates) -> str:
            key = m[2]
            if key == "eta":
                return eta
            if key == "eta_drift":  # η without $, filled down: the first update's row refers to η's own cell
                column, row = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", refs["eta"]).groups()
                return f"{column}{int(row) + r - row0 - 2}"  # table row k = r - row0 - 1 reads η row + k - 1
            if key in columns and key in TEMPLATES or key in columns and spec.params == "columns":
                return f"{columns[key]}{r - 1 if m[1] else r}"
            if key in TEMPLATES:  # a quantity without a column of its own: its formula, inline
                return "(" + re.sub(r"\{(prev\.)?(\w+)\}", ref, templates[key]) + ")"
            return refs[key]

        for q, letter in columns.items():
            cell = ws[f"{letter}{r}"]
            if q == "notes":
                cell.value = "ok" if k % 3 == 0 else None
            elif q == "iteration":
                cell.value = k + 1
            elif q in ("i1", "i2", "t1", "t2"):
                cell.value = {"i1": 0.05, "i2": 0.10, "t1": 0.01, "t2": 0.99}[q]
            elif spec.values_only:
                cell.value = _round(float(reference[q][k, 0]), spec.values_only)
            elif q.startswith("w") and k == 0:
                cell.value = WEIGHTS[int(q[1]) - 1]
            elif q in spec.paste and k + 1 >= spec.paste_from:
                cell.value = float(stale[q][k, 0])
            else:
                cell.value = "=" + re.sub(r"\{(prev\.)?(\w+)\}", ref, templates[q])


def _parameter_block(ws, spec: Spec, row: int, col: int, vertical: bool, rate: float | None) -> dict[str, str]:
    """Labels with their values (below them, or to their right); returns the absolute references."""
    values = {"i1": 0.05, "i2": 0.10, "t1": 0.01, "t2": 0.99}
    if spec.biases != (0.0, 0.0):
        values |= {"b1": spec.biases[0], "b2": spec.biases[1]}
    if rate is not None:
        values["η"] = rate
    refs = {}
    for k, (key, value) in enumerate(values.items()):
        label_at = (row + k, col) if vertical else (row, col + k)
        value_at = (label_at[0], label_at[1] + 1) if vertical else (label_at[0] + 1, label_at[1])
        ws.cell(*label_at, "learning rate" if key == "η" and vertical else key)
        ws.cell(*value_at, value)
        refs["eta" if key == "η" else key] = f"${get_column_letter(value_at[1])}${value_at[0]}"
    return refs


def build(spec: Spec, folder: Path) -> Path:
    """Write the workbook (as .xlsx; `convert` makes the .ods ones) and return its path."""
    wb = Workbook()
    wb.remove(wb.active)
    base = {"b1": "0", "b2": "0"}
    shared = {}
    if spec.params == "sheet":
        inputs = wb.create_sheet("Inputs")
        inputs["A1"] = "Inputs and targets"
        shared = {k: f"Inputs!{v}" for k, v in _parameter_block(inputs, spec, 3, 1, True, None).items()}
    row0, col0 = spec.origin
    width = len(spec.order) + (4 if spec.params == "columns" else 0)
    if spec.layout == "sheets":
        placements = [(wb.create_sheet(_title(spec, rate)), rate, row0, col0) for rate in spec.rates]
    else:
        ws = wb.create_sheet(spec.title.format(rate="all") if "{rate}" in spec.title else spec.title)
        step = spec.rows + 8
        placements = [(ws, rate, row0 + (k * step if spec.layout == "stacked" else 0),
                       col0 + (k * (width + 6) if spec.layout == "side" else 0))
                      for k, rate in enumerate(spec.rates)]
    for ws, rate, r0, c0 in placements:
        refs = base | shared
        if spec.params == "above":
            refs |= _parameter_block(ws, spec, r0 - 3, c0 + 2, False, rate if spec.rate == "label" else None)
        elif spec.params == "beside":
            refs |= _parameter_block(ws, spec, r0, c0 + width + 1, True, rate if spec.rate == "label" else None)
        elif spec.params == "columns" and spec.rate == "label":
            ws.cell(r0 - 1, c0 + 5, "lr=")
            ws.cell(r0 - 1, c0 + 6, rate)
            refs["eta"] = f"${get_column_letter(c0 + 6)}${r0 - 1}"
        elif spec.params == "sheet" and spec.rate == "label":
            ws.cell(r0 - 2, c0, "η")
            ws.cell(r0 - 2, c0 + 1, rate)
            refs["eta"] = f"${get_column_letter(c0 + 1)}${r0 - 2}"
        if spec.rate == "inline":
            ws.cell(r0 - 2, c0, f"η = {rate}")
        if spec.rate in ("title", "inline"):
            refs["eta"] = repr(rate)
        if spec.params == "none":
            refs |= {"i1": "0.05", "i2": "0.1", "t1": "0.01", "t2": "0.99"}
        _write_table(ws, spec, rate, r0, c0, refs)
    path = folder / f"{spec.name}.xlsx"
    wb.save(path)
    return path


def convert(paths: list[Path], suffix: str, folder: Path) -> list[Path]:
    """Convert .xlsx files to `suffix` (".ods") in one LibreOffice run."""
    if not paths:
        return []
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([find_soffice(), f"-env:UserInstallation={Path(out, 'profile').as_uri()}", "--headless",
                        "--norestore", "--convert-to", suffix[1:], "--outdir", out, *map(str, paths)],
                       check=True, capture_output=True, timeout=300)
        converted = []
        for path in paths:
            target = folder / (path.stem + suffix)
            Path(out, path.stem + suffix).replace(target)
            path.unlink()
            converted.append(target)
    return converted


def build_all(specs: list[Spec], folder: Path) -> dict[str, Path]:
    paths = {spec.name: build(spec, folder) for spec in specs}
    ods = [paths[s.name] for s in specs if s.suffix == ".ods"]
    for path in convert(ods, ".ods", folder):
        paths[path.stem] = path
    return paths


def _grad(template: str) -> str:
    return "2*(" + template + ")"


SHUFFLED = ("iteration", "notes", *ORDER[8:11], None, *ORDER[:8], *ORDER[11:19], "notes", *ORDER[19:])
SEQUENTIAL = {f"dE_dw{n}": _hidden(h, i, wa, wb).replace(f"{{{wa}}}", f"({{{wa}}}-{{eta}}*{{dE_dw{wa[1]}}})")
              .replace(f"{{{wb}}}", f"({{{wb}}}-{{eta}}*{{dE_dw{wb[1]}}})")
              for n, h, i, wa, wb in ((1, 1, 1, "w5", "w7"), (2, 1, 2, "w5", "w7"), (3, 2, 1, "w6", "w8"),
                                      (4, 2, 2, "w6", "w8"))}

SPECS = [
    # right, in unusual layouts
    Spec("right_two_sheets", rates=(0.1, 0.5)),
    Spec("right_stacked_six_rates", rates=(0.1, 0.2, 0.5, 0.8, 1.0, 2.0), layout="stacked", params="columns",
         headers=HEADERS_B, title="Training", rows=10),
    Spec("right_shuffled_columns", rates=(1.0,), order=SHUFFLED, headers=HEADERS_C, params="beside",
         title="Backprop"),
    Spec("right_side_by_side", rates=(0.5, 2.0), layout="side", headers=HEADERS_D, title="two rates"),
    Spec("right_parameters_sheet_biases", params="sheet", headers=HEADERS_E, biases=(0.35, 0.60)),
    Spec("right_rate_in_sheet_name", rates=(0.8,), rate="title", params="none", headers=HEADERS_F,
         title="eta={rate}"),
    Spec("right_ods", rates=(0.2, 2.0), params="beside", suffix=".ods"),
    Spec("right_values_six_digits", rates=(0.2,), values_only=6, title="L.R. {rate}"),
    Spec("right_values_only", rates=(0.8,), values_only=17, rate="title", params="none"),
    Spec("right_inline_rate", rate="inline", origin=(4, 1), title="Sheet1"),
    Spec("right_no_net_input_columns", order=tuple(q for q in ORDER if q not in ("h1", "h2"))),
    # one planted mistake each
    Spec("mistake_h1_typo", (("h1", "h1_w2_plus_i2", "'lr 0.5'!J6"),),
         templates={"h1": "{w1}*{i1}+{w2}+{i2}+{b1}"}),
    Spec("mistake_h2_typo", (("h2", "h2_w4_plus_i2", "'lr 0.5'!K6"),), headers=HEADERS_B,
         templates={"h2": "{w3}*{i1}+{w4}+{i2}+{b1}"}),
    Spec("mistake_a_h2_from_h1", (("a_h2", "wrong_hidden_activation", "'lr 0.5'!M6"),), templates={"a_h2": "1/(1+EXP(-{h1}))"}),
    Spec("mistake_hidden_activation", (("dE_dw3", "wrong_hidden_activation", "'lr 0.5'!W6"),
                                      ("dE_dw4", "wrong_hidden_activation", "'lr 0.5'!X6")),
         templates={"dE_dw3": _hidden(2, 1, "w6", "w8", "{a_h1}*(1-{a_h1})"),
                    "dE_dw4": _hidden(2, 2, "w6", "w8", "{a_h1}*(1-{a_h1})")}),
    Spec("mistake_output_activation", (("dE_dw6", "wrong_hidden_activation", "'lr 0.5'!Z6"),), headers=HEADERS_C,
         templates={"dE_dw6": "({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{a_h1}"}),
    Spec("mistake_gradients_doubled", tuple((f"dE_dw{n}", "loss_without_half", f"'lr 0.5'!{c}6")
                                            for n, c in zip(range(1, 9), ("U", "V", "W", "X", "Y", "Z", "AA", "AB"))),
         templates={f"dE_dw{n}": _grad(TEMPLATES[f"dE_dw{n}"]) for n in range(1, 9)}),
    Spec("mistake_loss_without_half", (("E1", "loss_without_half", "'lr 0.5'!R6"),),
         templates={"E1": "({t1}-{a_o1})^2"}),
    Spec("mistake_output_slope", (("dE_dw5", "sigmoid_slope_missing", "'lr 0.5'!Y6"),), headers=HEADERS_D,
         templates={"dE_dw5": "({a_o1}-{t1})*{a_o1}*{a_h1}"}),
    Spec("mistake_hidden_slope", (("dE_dw1", "sigmoid_slope_missing", "'lr 0.5'!U6"),),
         templates={"dE_dw1": _hidden(1, 1, "w5", "w7", "{a_h1}")}),
    Spec("mistake_sequential_update", tuple((f"dE_dw{n}", "sequential_update", f"'Training'!{c}{row}")
                                            for n, c in zip(range(1, 5), ("Y", "Z", "AA", "AB")) for row in (7, 27)),
         rates=(0.5, 1.0), layout="stacked", params="columns", title="Training", origin=(6, 2),
         templates=SEQUENTIAL),
    Spec("mistake_update_sign", (("w2", "update_sign", "'lr 0.5'!C7"),), headers=HEADERS_E,
         templates={"w2": "{prev.w2}+{eta}*{prev.dE_dw2}"}),
    Spec("mistake_gradient_with_real_headers", (("dE_dw2", "sigmoid_slope_missing", "'lr 0.5'!W6"),),
         headers=HEADERS_G, order=("iteration", *ORDER), templates={"dE_dw2": _hidden(1, 2, "w5", "w7", "{a_h1}")}),
    Spec("right_real_headers", headers=HEADERS_G, order=("iteration", *ORDER), rates=(0.2,)),
    Spec("mistake_wrong_output_weight", (("dE_dw1", "wrong_output_weight", "'lr 0.5'!U6"),),
         templates={"dE_dw1": _hidden(1, 1, "w5", "w6")}),
    Spec("mistake_product_for_difference", (("dE_dw5", "product_for_difference", "'lr 0.5'!Y6"),),
         templates={"dE_dw5": "{a_o1}*{t1}*{a_o1}*(1-{a_o1})*{a_h1}"}),
    Spec("mistake_precedence_output", (("dE_dw6", "operator_precedence", "'lr 0.5'!Z6"),), headers=HEADERS_B,
         templates={"dE_dw6": "{a_o1}-{t1}*{a_o1}*(1-{a_o1})*{a_h2}"}),
    Spec("mistake_precedence_hidden", (("dE_dw3", "operator_precedence", "'lr 0.5'!W6"),),
         templates={"dE_dw3": "({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{w6}+({a_o2}-{t2})*{a_o2}*(1-{a_o2})*{w8}"
                              "*{a_h2}*(1-{a_h2})*{i1}"}),
    Spec("mistake_precedence_sigmoid", (("a_h1", "operator_precedence", "'lr 0.5'!L6"),), headers=HEADERS_C,
         templates={"a_h1": "1/1+EXP(-{h1})"}),
    Spec("mistake_unanchored_rate", tuple((f"w{n}", "unanchored_reference", f"'lr 0.5'!{c}8")
                                          for n, c in zip(range(1, 9), "BCDEFGHI")), params="beside",
         templates={f"w{n}": f"{{prev.w{n}}}-{{eta_drift}}*{{prev.dE_dw{n}}}" for n in range(1, 9)}),
    Spec("mistake_update_wrong_gradient", (("w6", "update_wrong_gradient", "'lr 0.5'!G7"),),
         templates={"w6": "{prev.w6}-{eta}*{prev.dE_dw8}"}),
    Spec("mistake_learning_rate_label", (("w1", "wrong_learning_rate", "'lr 0.5'!B7"),), update_rate=0.1),
    Spec("mistake_learning_rate_sheet_name", (("w1", "wrong_learning_rate", "'lr 0.5'!B7"),), rate="title",
         update_rate=0.2, params="beside"),
    Spec("mistake_pasted_values", (("E_total", "pasted_values", "'lr 0.5'!T11"),), paste=("E_total",), paste_from=6),
    Spec("mistake_pasted_stale_values", (("a_o1", "pasted_values", "'lr 0.5'!P9"),), paste=("a_o1",),
         paste_from=4, paste_rate=0.1),
    Spec("mistake_bias_missing", (("o1", "bias_missing", "'lr 0.5'!N6"),), biases=(0.35, 0.60),
         templates={"o1": "{w5}*{a_h1}+{w6}*{a_h2}"}),
    Spec("mistake_sigmoid_sign", (("a_o2", "sigmoid_sign", "'lr 0.5'!Q6"),), templates={"a_o2": "1/(1+EXP({o2}))"}),
    Spec("mistake_unknown", (("a_o1", "unknown", "'lr 0.5'!P6"),), templates={"a_o1": "1/(1+EXP(-{o1}))+0.001"}),
    Spec("mistake_wrong_row", (("h2", "wrong_row", "'lr 0.5'!K7"),), planted_from=2,
         templates={"h2": "{prev.w3}*{i1}+{w4}*{i2}+{b1}"}),
    Spec("mistake_wrong_row_gradient", (("dE_dw6", "wrong_row", "'lr 0.5'!Z7"),), planted_from=2, headers=HEADERS_C,
         templates={"dE_dw6": "({a_o1}-{t1})*{a_o1}*(1-{a_o1})*{prev.a_h2}"}),
    Spec("right_headers_that_name_nothing", headers=HEADERS_H, rates=(0.8,)),
    Spec("mistake_in_a_column_without_a_name", (("a_o2", "sigmoid_sign", "'lr 0.5'!Q6"),), headers=HEADERS_H,
         templates={"a_o2": "1/(1+EXP({o2}))"}),
    Spec("mistake_ods_h1_typo", (("h1", "h1_w2_plus_i2", "'lr 0.5'!J6"), ("h1", "h1_w2_plus_i2", "'lr 1'!J6")),
         rates=(0.5, 1.0), suffix=".ods", templates={"h1": "{w1}*{i1}+{w2}+{i2}+{b1}"}),
]
