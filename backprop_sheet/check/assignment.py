"""What a table is graded against: the assignment's parameter values and initial weights, for its network.

They come from `--config` (or the default assignment) where its network is the table's, and from the
workbook's own Parameters sheet where it carries `generate`'s network table (a generated workbook or a
handout), which also names the network.
"""

from dataclasses import dataclass

from backprop_sheet import layout as L
from backprop_sheet import reference
from backprop_sheet.check.params import Found
from backprop_sheet.check.sheets import Sheet, cell_name
from backprop_sheet.config import SheetConfig, default_weights
from backprop_sheet.spec import Network
from bpcore.errors import InputError

DEFAULT_SOURCE = "the assignment's default"  # config_source when no --config was given


@dataclass(frozen=True)
class OwnSheet:
    """A workbook's own Parameters sheet with its network table (generate's, or a handout's)."""
    spec: Network
    values: dict[str, Found]  # parameter key → its value and cell
    initial: dict[str, float]  # trained parameter → its initial value (the sheet's w1_init, b_h1_init, …)


def own_parameters(sheets: list[Sheet]) -> OwnSheet | None:
    """The network and parameter values a generated workbook or handout states, if it is one."""
    from backprop_sheet.verify import read_parameters
    sheet = next((s for s in sheets if s.title == L.PARAMETERS_SHEET), None)
    if sheet is None or sheet.get(1, L.NETWORK_COL) != "network":
        return None
    rows = max((r for r, _ in sheet.values), default=0)
    cols = max((c for _, c in sheet.values), default=0)
    grid = [tuple(sheet.get(r, c) for c in range(1, cols + 1)) for r in range(1, rows + 1)]
    try:
        found = read_parameters(grid)
    except (InputError, TypeError, ValueError):
        return None
    cells = {p.key: L.parameter_cell(p.key, found.spec) for p in L.parameters(found.spec)}
    return OwnSheet(found.spec, {k: Found(v, f"cell {cell_name(sheet.title, *cells[k])}", (sheet.title, *cells[k]))
                                 for k, v in found.values.items() if not k.endswith("_init")},
                    {k.removesuffix("_init"): v for k, v in found.values.items() if k.endswith("_init")})


def defaults_for(spec: Network, config: SheetConfig) -> dict[str, float]:
    """The assignment's parameter values, where its network has as many of each as this table's."""
    if config.spec == spec:
        return {k: v for k, v in reference.parameter_values(config).items() if not k.endswith("_init")}
    out = {}
    if len(config.inputs) == spec.n_in:
        out |= dict(zip(spec.inputs, config.inputs))
    if len(config.targets) == spec.n_out:
        out |= dict(zip(spec.targets, config.targets))
    if not spec.train_biases:
        out |= {"b1": config.biases[0], "b2": config.biases[1 % len(config.biases)]}
    if spec.with_velocity:
        out["momentum"] = spec.momentum
    return out


def initial_for(spec: Network, config: SheetConfig, own: OwnSheet | None) -> dict[str, float]:
    """The assignment's initial weights and trained biases, for a network of this table's shape."""
    if config.spec == spec:
        return {k.removesuffix("_init"): v for k, v in reference.parameter_values(config).items()
                if k.endswith("_init")} | dict(zip(spec.weights.values(), config.weights))
    if own is not None and own.spec == spec:
        return dict(own.initial)
    out = dict(zip(spec.weights.values(), default_weights(spec)))
    return out | {b: 0.0 for b in spec.bias_names}
