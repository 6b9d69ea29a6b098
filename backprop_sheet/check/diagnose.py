"""Named mistakes: known wrong variants of each formula, each with a stable id.

The variants are made from the layout's own templates (`layout.columns(spec)`), by the edits students
make: a term written as a sum, a bias left out, the wrong neuron, weight or row, a sign, a missing ½ or
slope, parentheses left out. So every network the generator makes has its wrong variants, from the
same table as its right formulas. A column that fails the local check is compared with every variant
of its formula; the variant that reproduces the student's numbers names the mistake. None does:
`unknown`, with expected against got.
"""

import re
from dataclasses import dataclass
from functools import cache

from backprop_sheet import layout
from backprop_sheet.check.model import Formula, compiled, model
from backprop_sheet.formula import FormulaError, parse
from backprop_sheet.spec import Network

# id → what it means, for reports and docs/check.md
MISTAKES = {
    "<z>_<w>_plus_<x>": "a term w·x of z's weighted sum written w + x (h1_w2_plus_i2: h1 = w1*i1 + w2 + i2, the "
                        "source document's typo)",
    "bias_missing": "the bias is left out of a weighted sum",
    "wrong_weight": "a weighted sum takes another weight than the one between its two neurons",
    "wrong_input": "built from another input than the one that belongs",
    "wrong_hidden_activation": "built from a hidden neuron (a_h2, h2) where another (a_h1, h1) belongs",
    "wrong_output_neuron": "built from an output neuron (a_o2, o2) where another belongs",
    "wrong_target": "built from another output's target",
    "sigmoid_sign": "σ(x) written 1/(1+exp(x)): the exponent is −x",
    "loss_without_half": "E = (t − a)² without the ½, or gradients twice the right size",
    "sigmoid_slope_missing": "σ′ written as a instead of a·(1 − a)",
    "slope_missing": "the activation's slope ∂a/∂z left out of a gradient",
    "sequential_update": "the hidden-layer gradients use the already-updated output weights",
    "update_sign": "the update adds the gradient: w + η·∂E/∂w instead of w − η·∂E/∂w",
    "update_wrong_gradient": "a weight updated with another weight's gradient",
    "wrong_learning_rate": "the updates use another learning rate than the sheet's",
    "pasted_values": "later rows are numbers pasted over the formulas of the first rows",
    "unanchored_reference": "η referred to without $: filled down, later rows take other cells as the rate",
    "wrong_output_weight": "a hidden-layer gradient takes another output weight than the one from its neuron",
    "product_for_difference": "(a_o − t) written a_o*t: a product where the difference belongs",
    "operator_precedence": "parentheses left out, so a product or quotient takes fewer terms than it should",
    "wrong_row": "a reference to the wrong row: this row's value where the row above's belongs, or the reverse",
    "momentum_as_average": "the velocity written β·v + (1 − β)·∂E/∂w, an average, where PyTorch's β·v + ∂E/∂w "
                           "belongs",
    "other_students_variant": "the table starts from another student's numbers (--key): built on another's handout",
    "unknown": "a mistake of no known kind: compare the expected and the got values",
}


# The cells below η's, row by row: the rate an update takes when its reference to η slides down with it
# (the update of iteration k + 1, row k of the table counting from 0, then reads η's row + k − 1).
DRIFT = "eta_drift"

_FIELD = re.compile(r"\{(prev\.)?(\w+)\}")
_MAX_SWAPS = 16  # weights per layer up to which every single wrong weight is tried (8-8-8 has 64)


@dataclass(frozen=True)
class Variant:
    id: str
    message: str  # what the student wrote
    formula: Formula

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.formula.inputs

    @property
    def f(self):
        return self.formula.f


def show(text: str) -> str:
    """A template as the report writes it: `{prev.w1}-{eta}*{prev.dE_dw1}` → `w1[k-1]-η·dE_dw1[k-1]`."""
    def name(m: re.Match) -> str:
        key = {"eta": "η", DRIFT: "the cell below η", "momentum": "β"}.get(m[2], m[2])
        return key + ("[k-1]" if m[1] else "")
    return _FIELD.sub(name, text).replace("*", "·")


def _swap(text: str, old: str, new: str) -> str:
    """Every reference to `old` (this row's, or the row above's) made a reference to `new`."""
    return re.sub(r"\{(prev\.)?" + re.escape(old) + r"\}", lambda m: "{" + (m[1] or "") + new + "}", text)


def _siblings(spec: Network, q: str) -> list[str]:
    """The other names of q's layer, as q is spelled: a_h1 → a_h2, …; i1 → i2, …; t1 → t2, …; h1_s2 → h2_s2."""
    m = re.fullmatch(r"(.+?)(_s\d+)", q)
    if m:
        return [other + m[2] for other in _siblings(spec, m[1])]
    bare, prefix = q.removeprefix("a_"), "a_" if q.startswith("a_") else ""
    for layer in (spec.inputs, spec.hidden_neurons, spec.output_neurons, spec.targets):
        if bare in layer:
            return [prefix + other for other in layer if other != bare]
    return []


_SIBLING_IDS = {"input": "wrong_input", "hidden": "wrong_hidden_activation", "output": "wrong_output_neuron",
                "target": "wrong_target"}


def _slopes(spec: Network) -> dict[str, str]:
    """neuron → its slope's template text, as the gradients write it (`{a_h1}*(1-{a_h1})`)."""
    slopes = {}
    for column in layout.gradient_columns(spec):
        for factor in column.factors:
            m = re.fullmatch(r"da_(\w+)_d(\w+)", factor.key)
            if m and m[1] == m[2] and _FIELD.search(factor.formula):
                slopes[m[1]] = factor.formula
    return slopes


def _paren_drops(text: str) -> list[tuple[str, str]]:
    """(text without one pair of grouping parentheses, the group) for each pair that changes the meaning."""
    drops, stack = [], []
    for k, ch in enumerate(text):
        if ch == "(":
            stack.append(k)
        elif ch == ")" and stack:
            start = stack.pop()
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue  # a function's own parentheses
            candidate = text[:start] + text[start + 1:k] + text[k + 1:]
            try:
                if parse(candidate) != parse(text):
                    drops.append((candidate, text[start:k + 1]))
            except FormulaError:
                continue
    return drops


def _edits(spec: Network, key: str, text: str) -> list[tuple[str, str, str]]:
    """(id, message, wrong template) for every known mistake in the template of `key`."""
    m, column = model(spec), layout.column_index(spec)[key]
    out = []
    refs = {ref[2] for ref in _FIELD.finditer(text)}
    base = re.sub(r"_s\d+$", "", key)  # sample s's quantity is computed as sample 1's
    if re.search(r"\{w\d+\}\*\{", text) and not column.factors and base not in spec.trained:  # a weighted sum
        for term in re.findall(r"\{(w\d+)\}\*\{(\w+)\}", text):
            w, x = term
            out.append((f"{key}_{w}_plus_{x}", (f"{key} = {show(text.replace(f'{{{w}}}*{{{x}}}', f'{{{w}}}+{{{x}}}'))}: "
                        f"the term {w}*{x} is written {w} + {x}"), text.replace(f"{{{w}}}*{{{x}}}", f"{{{w}}}+{{{x}}}")))
        for bias in re.findall(r"\+\{(b\w*)\}", text):
            out.append(("bias_missing", f"{key} leaves out the bias {bias}", text.replace(f"+{{{bias}}}", "")))
        layer = [w for w in spec.weights.values() if _layer_of_weight(spec, w) == _layer_of_weight(spec, base)]
        if len(layer) <= _MAX_SWAPS:
            for w in sorted(refs & set(layer)):
                for other in layer:
                    if other != w:
                        out.append(("wrong_weight", f"{key} takes {other} where {w} belongs", _swap(text, w, other)))
    if column.group == "loss" and text.startswith("0.5*"):
        out.append(("loss_without_half", f"{key} = {show(text[4:])}: the loss has a factor ½", text[4:]))
    if key in spec.trained:
        step = m.step(key)
        if "-{eta}*" in text:
            out.append(("update_sign", f"{key} = {key} + η·…: the update must subtract", text.replace("-{eta}*", "+{eta}*", 1)))
        if f"-{{eta}}*{{prev.{step}}}" in text:
            out.append(("unanchored_reference", (f"{key}'s update refers to η's cell without $ (like B1 where $B$1 "
                        "belongs), so filled down it takes the cells below η as the rate"), _swap(text, "eta", DRIFT)))
            for other in spec.trained:
                if other != key:
                    out.append(("update_wrong_gradient", f"{key} is updated with {m.step(other)} instead of {step}",
                                _swap(text, step, m.step(other))))
    if key.startswith("v_") and "{momentum}*" in text:
        grad = key.replace("v_", "dE_d", 1)
        out.append(("momentum_as_average", f"{key} = β·{key}[k-1] + (1 − β)·{grad}: PyTorch adds the whole gradient",
                    text.replace(f"{{{grad}}}", f"(1-{{momentum}})*{{{grad}}}")))
    if column.factors:  # a gradient: a product of chain-rule factors
        out.append(("loss_without_half", f"{key} is twice the right value (E written without the ½)", f"2*({text})"))
        out += _gradient_edits(spec, key, text)
    for sigmoid in re.findall(r"EXP\(-\{(\w+)\}\)", text):
        out.append(("sigmoid_sign", f"{key} = 1/(1+EXP({sigmoid})): the exponent must be −{sigmoid}",
                    text.replace(f"EXP(-{{{sigmoid}}})", f"EXP({{{sigmoid}}})")))
    for q in sorted(refs):
        for other in _siblings(spec, q):
            out.append((_SIBLING_IDS[m.layer_of(q)], f"{key} uses {other} where {q} belongs", _swap(text, q, other)))
    for wrong, group in _paren_drops(text):
        out.append(("operator_precedence", f"{key} = {show(wrong)}: the parentheses around {show(group)} are missing",
                    wrong))
    out += _row_edits(spec, key, text)
    return out


def _layer_of_weight(spec: Network, name: str) -> int:
    """The layer a weight (or a neuron's weights) leads into: weights of one layer may be confused."""
    into = {w: z for (_, z), w in spec.weights.items()}
    if name not in into:  # a neuron: its own weights' layer
        name = next(w for (_, z), w in spec.weights.items() if z == name)
    return spec.layer_of(into[name])


def _gradient_edits(spec: Network, key: str, text: str) -> list[tuple[str, str, str]]:
    out = []
    slopes = _slopes(spec)
    present = {z: s for z, s in slopes.items() if s in text}
    for layer, neurons in (("hidden", spec.hidden_neurons), ("output", spec.output_neurons)):
        mine = [z for z in neurons if z in present]
        if not mine:
            continue
        fn = spec.hidden_fn if layer == "hidden" else spec.output_fn
        bare, dropped = text, text
        for z in mine:
            bare = bare.replace(present[z], f"{{a_{z}}}")
            dropped = dropped.replace(present[z], "1")
        if fn.name == "sigmoid":
            out.append(("sigmoid_slope_missing", f"{key} uses a where a·(1 − a) belongs ({', '.join('a_' + z for z in mine)})",
                        bare))
        out.append(("slope_missing", f"{key} leaves out ∂a/∂z of {', '.join(mine)} ({fn.derivative_symbol})", dropped))
        for z in mine:
            for other in neurons:
                if other != z and other in slopes:
                    out.append(("wrong_hidden_activation" if layer == "hidden" else "wrong_output_neuron",
                                f"{key} uses the slope of {other} where that of {z} belongs",
                                text.replace(present[z], slopes[other])))
    differences = re.findall(r"\(\{(a_\w+)\}-\{(t\d+)\}\)", text)
    if differences:
        product = text
        for a, t in differences:
            product = product.replace(f"({{{a}}}-{{{t}}})", f"{{{a}}}*{{{t}}}")
        out.append(("product_for_difference", (f"{key} uses {differences[0][0]}·{differences[0][1]} where "
                    f"({differences[0][0]} − {differences[0][1]}) belongs"), product))
    # the output weights a hidden gradient reaches E_total through
    outer = [w for w in dict.fromkeys(r[2] for r in _FIELD.finditer(text)) if w in spec.weights.values()]
    if outer and key not in [f"dE_d{w}" for w in outer]:
        m = model(spec)
        sequential = text
        for w in outer:
            sequential = _swap(sequential, w, f"__{w}")
        for w in outer:
            sequential = sequential.replace(f"{{__{w}}}", f"({{{w}}}-{{eta}}*{{{m.step(w)}}})")
        out.append(("sequential_update", (f"{key} uses {', '.join(outer)} after this iteration's update "
                    f"({outer[0]} − η·{m.step(outer[0])}) instead of before it"), sequential))
        out += _output_weight_edits(spec, key, text, outer)
    return out


def _output_weight_edits(spec: Network, key: str, text: str, used: list[str]) -> list[tuple[str, str, str]]:
    """Other output weights in a hidden gradient: another neuron's set, the transposed set, or one swapped."""
    into = {w: pair for pair, w in spec.weights.items() if w in used}  # w → (a_h, o)
    h = into[used[0]][0]
    candidates = []
    for other in spec.hidden_neurons:  # the weights from another hidden neuron
        if f"a_{other}" != h:
            candidates.append({w: spec.weights[(f"a_{other}", o)] for w, (_, o) in into.items()})
    j = spec.hidden_neurons.index(h.removeprefix("a_"))
    if len(used) <= spec.hidden and j < spec.n_out:  # transposed: the weights into o_j, from each hidden neuron
        candidates.append({w: spec.weights[(f"a_{spec.hidden_neurons[k]}", spec.output_neurons[j])]
                           for k, w in enumerate(used)})
    layer = [w for w in spec.weights.values() if _layer_of_weight(spec, w) == _layer_of_weight(spec, used[0])]
    if len(layer) <= _MAX_SWAPS:
        candidates += [{w: other} for w in used for other in layer if other != w]
    out = []
    for mapping in candidates:
        mapping = {w: x for w, x in mapping.items() if w != x}
        if not mapping:
            continue
        wrong = text
        for w in mapping:
            wrong = _swap(wrong, w, f"__{w}")
        for w, x in mapping.items():
            wrong = _swap(wrong, f"__{w}", x)
        said = " and ".join(mapping.values()) + " where " + " and ".join(mapping)
        out.append(("wrong_output_weight", f"{key} uses {said} belong" + ("s" if len(mapping) == 1 else ""), wrong))
    return out


def _row_edits(spec: Network, key: str, text: str) -> list[tuple[str, str, str]]:
    """A reference moved one row: this row's value where the row above's belongs, or the reverse."""
    columns = layout.column_index(spec)
    out = []
    for prev, q in dict.fromkeys((bool(r[1]), r[2]) for r in _FIELD.finditer(text)):
        if q not in columns or q == key or q == "iteration":
            continue
        old, new = ("{prev." + q + "}", "{" + q + "}") if prev else ("{" + q + "}", "{prev." + q + "}")
        where = "this row's" if prev else "the row above's"
        belongs = "the row above's" if prev else "this row's"
        out.append(("wrong_row", f"{key} uses {where} {q} where {belongs} belongs", text.replace(old, new)))
    return out


@cache
def variants(spec: Network, key: str) -> tuple[Variant, ...]:
    """Every known wrong variant of the quantity's formula, the likelier kinds first."""
    text = layout.column_index(spec)[key].template(False)
    seen, out = {parse(text)}, []
    for id_, message, wrong in _edits(spec, key, text):
        try:
            tree = parse(wrong)
        except FormulaError:
            continue
        if tree not in seen:
            seen.add(tree)
            out.append(Variant(id_, message, compiled(key, wrong)))
    return tuple(out)


def describe(id_: str) -> str:
    """What a diagnosis id means (the `<z>_<w>_plus_<x>` family included)."""
    if id_ in MISTAKES:
        return MISTAKES[id_]
    if re.fullmatch(r"\w+_w\d+_plus_\w+", id_):
        return MISTAKES["<z>_<w>_plus_<x>"]
    return MISTAKES["unknown"]
