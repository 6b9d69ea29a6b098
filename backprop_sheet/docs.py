"""The docs' tables (docs/workbook.md), made from the layout and the reference so that they cannot drift."""

from backprop_sheet import layout as L
from backprop_sheet.config import SheetConfig
from backprop_sheet.plot import e_total_curves
from backprop_sheet.spec import DEFAULT, Network


def columns_table(spec: Network = DEFAULT) -> str:
    """The columns of a learning-rate sheet (of the default network unless told)."""
    lines = ["| column | header | equation (row k) | formula in the sheet (iteration 2, η = eta_1) |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | `{c}` | `{d}` |" for a, b, c, d in L.column_docs(L.rate_name(0), spec)]
    return "\n".join(lines)


def e_total_table(config: SheetConfig) -> str:
    """E_total at the first and the last iteration for each learning rate."""
    e_total = e_total_curves(config)
    lines = [f"| η | E_total at iteration 1 | E_total at iteration {config.iterations} |", "| ---: | ---: | ---: |"]
    lines += [f"| {rate:g} | {e_total[0, k]:.9f} | {e_total[-1, k]:.9f} |"
              for k, rate in enumerate(config.learning_rates)]
    return "\n".join(lines)
