"""The Derivation sheet's texts: the loss and the activations above the table, and each row's chain rule.

Symbols only, for a reader; every computed value is a formula from the layout.
"""

from backprop_sheet.layout_net import Column
from backprop_sheet.spec import Network


def chain(column: Column, spec: Network) -> str:
    """The chain rule of a Derivation row, in symbols."""
    if not column.factors:  # a gradient over several samples
        param = column.key.removeprefix("dE_d")
        z = param.removeprefix("b_") if param.startswith("b_") else \
            next(dst for (_, dst), w in spec.weights.items() if w == param)
        over = f"mean over the {spec.n_samples} samples" if spec.reduction == "mean" else \
            f"sum over the {spec.n_samples} samples"
        return f"{over} of each sample's ∂E/∂{z} · ∂{z}/∂{param}"
    text = " · ".join(f.symbol for f in column.factors)
    o = column.key.removeprefix("dE_d").split("_s")[0]  # an output's ∂E/∂o, of any sample
    if spec.loss == "cross_entropy" and o in spec.output_neurons:  # the note's a − t
        text = (f"Σ_j ∂E/∂a_oj · ∂a_oj/∂{o}" if spec.softmax else f"∂E/∂a_{o} · ∂a_{o}/∂{o}") + \
            " = a − t (see above)"
    if column.key.startswith("dE_db_"):  # a bias: z = Σ w·x + b, so ∂z/∂b = 1
        text += f" · ∂{column.key.removeprefix('dE_db_')}/∂{column.key.removeprefix('dE_d')} (= 1)"
    return text


def loss_note(spec: Network) -> str:
    """The loss, and for cross-entropy why ∂E/∂o is a − t."""
    n, e = spec.n_out, "E_total" if spec.n_samples == 1 else "each sample's E"
    if spec.loss == "mse":
        loss = f"{e} = E1 + E2 = ½(t1 − a_o1)² + ½(t2 − a_o2)²" if n == 2 else \
            f"{e} = E1 + … + E{n} = Σ ½(t − a_o)²" if n > 2 else f"{e} = E1 = ½(t1 − a_o1)²"
    elif spec.softmax:
        loss = (f"{e} = E1 + … + E{n} = −Σ_k t_k·ln a_ok with a_ok = e^(o_k)/Σ_j e^(o_j) (softmax), so "
                "∂E/∂o_k = Σ_j ∂E/∂a_oj · ∂a_oj/∂o_k = −Σ_j t_j·([j = k] − a_ok) = a_ok·Σ_j t_j − t_k = a_ok − t_k "
                "(the targets sum to 1)")
    else:
        loss = (f"{e} = E1 = −[t1·ln a_o1 + (1 − t1)·ln(1 − a_o1)] with a_o1 = σ(o1), so ∂E/∂o1 = "
                "∂E/∂a_o1 · ∂a_o1/∂o1 = (a_o1 − t1)/(a_o1·(1 − a_o1)) · a_o1·(1 − a_o1) = a_o1 − t1")
    if spec.n_samples > 1:
        terms = "E + E_s2" + (f" + … + E_s{spec.n_samples}" if spec.n_samples > 2 else "")
        what = f"the mean, ({terms})/{spec.n_samples}" if spec.reduction == "mean" else f"the sum, {terms}"
        loss = f"E_total is {what}, of the samples' losses, and each gradient likewise of theirs;  {loss}"
    return loss


def derivation_note(spec: Network) -> str:
    """The loss and the activations' derivatives, above the chain-rule table."""
    if spec.loss == "cross_entropy":  # the output activation is the loss's: only the hidden layers' slope
        acts = f"hidden: a = {spec.hidden_fn.symbol}, ∂a/∂z = {spec.hidden_fn.derivative_symbol}"
    elif spec.hidden_fn == spec.output_fn:
        acts = f"a = {spec.hidden_fn.symbol}, so ∂a/∂z = {spec.hidden_fn.derivative_symbol}"
    else:
        acts = ";  ".join(f"{layer}: a = {act.symbol}, ∂a/∂z = {act.derivative_symbol}"
                          for act, layer in ((spec.hidden_fn, "hidden"), (spec.output_fn, "output")))
    if spec.depth == 1:
        first_out, last = spec.weights[("a_h1", "o1")], list(spec.weights.values())[-1]
        after = f"the hidden weights' gradients use the same iteration's {first_out}..{last}"
    else:
        after = "each layer's ∂E/∂a uses the same iteration's weights of the layer after it"
    return f"{loss_note(spec)};  {acts};  {after}."
