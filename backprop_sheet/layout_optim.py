"""The trained parameters' columns and the optimizer's buffers, as torch.optim's SGD, Adam and RMSprop.

Part of the one table of columns (`layout.columns(spec)` puts it together). Row k holds the parameters
of iteration k, their gradients g and the buffers after g; row k + 1's parameters are one step from
row k's. With weight decay λ every optimizer steps along g + λ·w instead of g, as torch's weight_decay.

- SGD: w ← w − η·g; with momentum β: v ← β·v + g (v = g at iteration 1), w ← w − η·v;
  Nesterov: w ← w − η·(g + β·v).
- Adam: m ← β1·m + (1 − β1)·g, s ← β2·s + (1 − β2)·g² (both 0 before iteration 1),
  w ← w − η·m̂/(√ŝ + ε) with m̂ = m/(1 − β1^k), ŝ = s/(1 − β2^k) at iteration k.
- RMSprop: s ← α·s + (1 − α)·g², w ← w − η·g/(√s + ε).
"""

from backprop_sheet.layout_net import SMALL_FORMAT, Column
from backprop_sheet.spec import Network


def _g(spec: Network, p: str, prev: bool = False, bracket: bool = False) -> str:
    """The gradient the optimizer follows: {dE_dp}, or with weight decay {dE_dp}+{weight_decay}*{p}."""
    at = "prev." if prev else ""
    g = f"{{{at}dE_d{p}}}"
    if not spec.with_decay:
        return g
    g += f"+{{weight_decay}}*{{{at}{p}}}"
    return f"({g})" if bracket else g


def _update(spec: Network, p: str) -> str:
    """Row k + 1's value of parameter p, from row k's."""
    step = f"{{prev.{p}}}-{{eta}}*"
    if spec.optimizer == "adam":
        k = "{prev.iteration}"
        return (step + f"{{prev.m_{p}}}/(1-{{beta1}}^{k})/(SQRT({{prev.s_{p}}}/(1-{{beta2}}^{k}))+{{eps}})")
    if spec.optimizer == "rmsprop":
        return step + _g(spec, p, prev=True, bracket=True) + f"/(SQRT({{prev.s_{p}}})+{{eps}})"
    if spec.nesterov:
        return step + f"({_g(spec, p, prev=True)}+{{momentum}}*{{prev.v_{p}}})"
    if spec.with_velocity:
        return step + f"{{prev.v_{p}}}"
    return step + _g(spec, p, prev=True, bracket=True)


def parameter_columns(spec: Network) -> list[Column]:
    """One column per trained parameter: the initial value at iteration 1, then one step per row."""
    return [Column(p, p, "biases" if p.startswith("b_") else "weights", formula=_update(spec, p),
                   first=f"{{{p}_init}}") for p in spec.trained]


def _buffer(decay: str, previous: str, g: str) -> tuple[str, str]:
    """(formula, first) of a running average: decay·previous + (1 − decay)·g, from 0 before iteration 1."""
    share = f"(1-{{{decay}}})*{g}"
    return f"{{{decay}}}*{{prev.{previous}}}+{share}", share


def state_columns(spec: Network) -> list[Column]:
    """The optimizer's buffers, one column per trained parameter each."""
    cols = []
    for p in spec.trained:
        g = _g(spec, p, bracket=True)
        if spec.with_velocity:
            cols.append(Column(f"v_{p}", f"v_{p}", "velocities", formula=f"{{momentum}}*{{prev.v_{p}}}+{g}",
                               first=_g(spec, p), number_format=SMALL_FORMAT))
        if spec.optimizer == "adam":
            formula, first = _buffer("beta1", f"m_{p}", g)
            cols.append(Column(f"m_{p}", f"m_{p}", "first moments", formula, first, number_format=SMALL_FORMAT))
    for p in spec.trained:
        g2 = _g(spec, p, bracket=True) + "^2"
        if spec.optimizer in ("adam", "rmsprop"):
            decay, group = ("beta2", "second moments") if spec.optimizer == "adam" else ("alpha", "mean squares")
            formula, first = _buffer(decay, f"s_{p}", g2)
            cols.append(Column(f"s_{p}", f"s_{p}", group, formula, first, number_format=SMALL_FORMAT))
    return cols


def update_text(spec: Network) -> str:
    """How a row's parameters follow from the row above's, for the rate sheets' note."""
    g = "∂E_total/∂w + λ·w" if spec.with_decay else "∂E_total/∂w"
    if spec.optimizer == "adam":
        return (f"w − η·m̂/(√ŝ + ε), Adam's bias-corrected moments m̂ = m/(1 − β1^k), ŝ = s/(1 − β2^k) of "
                f"g = {g},")
    if spec.optimizer == "rmsprop":
        return f"w − η·g/(√s + ε), RMSprop's s = α·s + (1 − α)·g² of g = {g},"
    if spec.nesterov:
        return f"w − η·(g + β·v), Nesterov's momentum with v = β·v + g of g = {g},"
    if spec.with_velocity:
        return f"w − η·v, v = β·v + {g}," if spec.with_decay else "w − η·v, v = β·v + ∂E_total/∂w,"
    return f"w − η·({g})" if spec.with_decay else "w − η·∂E_total/∂w"
