"""What a student's header or label means: its text → one of our canonical quantity names.

Canonical names are the keys of `layout.py` for any network the generator makes (`w1`…`w12`, `b_h1`,
`h1`, `a_h1`, …, `E_total`, `dE_dw1`, `dE_db_h1`, `v_w1`…) plus the parameters `i1`, `t1`, …, the fixed
biases `b1`, `b2`, the momentum β (`momentum`), the learning rate `eta` and the `iteration` counter.
"""

import re

from backprop_sheet.check.model import model

# The quantities of the classic 2-2-2 network, in the order a row is computed.
CHECKED = model().checked
PARAMETERS = model().parameters

_N = r"(\d{1,2})"  # a neuron's or weight's number
_TRAINED = r"(w\d{1,3}|b[ho]\d{1,2})"  # a trained parameter as compact() spells it: w12, bh1 (b_h1)

# Patterns on the compact form of a text: lower case, without spaces, underscores, brackets, "*" and
# "·". First match wins, so the more specific patterns come first.
_PATTERNS = [
    # ∂E_total/∂w1, δE_tot/δw1, dE/dw1, E∂w1, Etotaldw1, ∂E∂W1, dw1, grad w1: a differential of w1,
    # with or without the error it is of
    (r"(?:[∂δd]?(?:e|err|error|loss)(?:total|tot|sum)?/?[∂δd]|[∂δd]|grad|gradient|∇|g)" + _TRAINED, "dE_d{}"),
    (r"(?:de|∂e|δe)(?:total|tot)?(?:by|wrt)[∂δd]?" + _TRAINED, "dE_d{}"),
    # ∂E/∂h1, δo2: the error of a neuron's input z (the sheet's δ columns)
    (r"(?:[∂δd]?(?:e|err|error|loss)(?:total|tot|sum)?/?[∂δd]|δ)([ho]\d{1,2})", "dE_d{}"),
    (r"(?:v|vel|velocity|mom)" + _TRAINED, "v_{}"),
    (r"m" + _TRAINED, "m_{}"),  # Adam's first moment
    (r"s" + _TRAINED, "s_{}"),  # Adam's second moment, RMSprop's mean square
    (r"w(\d{1,3})", "w{}"),
    (r"(?:b|bias)h" + _N, "b_h{}"),
    (r"(?:b|bias)o" + _N, "b_o{}"),
    (r"(?:a|out|σ|sigma|sigmoid|sig|act|activated|relu|tanh)h" + _N, "a_h{}"),
    (r"(?:net|z|in)?h" + _N, "h{}"),
    (r"(?:a|out|σ|sigma|sigmoid|sig|act|activated|relu|tanh|y|pred)o" + _N, "a_o{}"),
    (r"(?:net|z|in)?o" + _N, "o{}"),
    (r"(?:e|error|loss|eo)" + _N, "E{}"),
    (r"(?:e|error|loss)?(?:total|tot|sum)|total(?:error|loss)|e|loss|error", "E_total"),
    (r"(?:i|x|input|in)" + _N, "i{}"),
    (r"(?:t|target|tgt|y)" + _N, "t{}"),
    (r"(?:b|bias)([12])", "b{}"),
    (r"η|eta|lr|l\.r\.?|learningrate(?:η|eta)?|alpha|α|rate", "eta"),
    (r"β|beta|momentum|mu|μ|momentumβ", "momentum"),
    (r"β1|beta1", "beta1"),
    (r"β2|beta2", "beta2"),
    (r"ε|eps|epsilon", "eps"),
    (r"λ|weightdecay|wd", "weight_decay"),
    (r"iteration|iterations|iter|epoch|epochs|step|steps|sno\.?|s\.no\.?|no\.?|#|n|k|row|index|i", "iteration"),
]
_COMPILED = [(re.compile(pattern), name) for pattern, name in _PATTERNS]
_DROP = str.maketrans("", "", " _()[]{}*·\t\n\r")
_NOTE = re.compile(r"\s*[\(\[].*?[\)\]]|\s*[:=]\s*$")


def compact(text: str) -> str:
    return text.strip().lower().translate(_DROP).rstrip("=:")


def canonical(text) -> str | None:
    """The quantity a header or label names, or None."""
    if not isinstance(text, str) or not text.strip() or len(text) > 80:
        return None
    sample = _SAMPLE.fullmatch(text.strip())
    if sample and int(sample[2]) > 1:  # sample s's quantity (sample 1's has no suffix)
        base = canonical(sample[1])
        return f"{base}_s{int(sample[2])}" if is_quantity(base) or is_parameter(base) and base[0] in "it" else None
    # Try the whole text first (σ(h1) needs its brackets' content), then without notes such as
    # "t1 ( output of out_o1)", then its first word ("w1 new", "E_total loss").
    stripped = _NOTE.sub("", text).strip()
    first = stripped.split()[0] if stripped.split() else ""
    named = text.split("=", 1)[0] if "=" in text[1:] else ""  # "h1=w1*i1+w2*i2": the name before its equation
    for candidate in dict.fromkeys(c for c in (text, stripped, first, named) if c):
        key = compact(candidate)
        for pattern, name in _COMPILED:
            match = pattern.fullmatch(key)
            if match:
                return _spelled(name.format(*match.groups()))
    return None


def _spelled(name: str) -> str:
    """compact() drops underscores: dE_dbh1 → dE_db_h1, v_bo2 → v_b_o2."""
    return re.sub(r"(dE_d|v_|m_|s_)b([ho])", r"\1b_\2", name)


_QUANTITY = re.compile(r"(?:(?:dE_d|v_|m_|s_)(?:w\d+|b_[ho]\d+)|w\d+|b_[ho]\d+|a_[ho]\d+|[ho]\d+|dE_d[ho]\d+|E\d+"
                       r"|E_total)(?:_s\d+)?")
_SAMPLE = re.compile(r"(.*\S)_s(\d{1,2})")  # h1_s2: sample 2's h1


def is_quantity(name: str | None) -> bool:
    """Whether a canonical name is a column some network's table holds (not a parameter)."""
    return bool(name) and bool(_QUANTITY.fullmatch(name))


def is_parameter(name: str | None) -> bool:
    return bool(name) and bool(re.fullmatch(r"[it]\d+(?:_s\d+)?|b\d|momentum|beta[12]|eps|alpha|weight_decay", name))


_INLINE = re.compile(r"^(.*?)\s*[=:]\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
LABELLED = ("eta",)  # and every is_parameter() name


def label(text) -> tuple[str, float | None] | None:
    """A parameter label: (key, None) for "η" or "t1 (target)", (key, value) for "η = 0.5"; else None.

    Unlike a header, a label must be the whole text: "L.R. 0.1" above a column of errors is a title,
    not the learning rate of the number below it.
    """
    if not isinstance(text, str) or not text.strip() or len(text) > 60:
        return None
    inline = _INLINE.match(text.strip())
    if inline:
        key = _whole(inline[1])
        return (key, float(inline[2])) if key else None
    key = _whole(text)
    return (key, None) if key else None


def _whole(text: str) -> str | None:
    for candidate in dict.fromkeys((text, _NOTE.sub("", text).strip())):
        key = compact(candidate)
        for pattern, name in _COMPILED:
            match = pattern.fullmatch(key)
            if match:
                name = name.format(*match.groups())
                return name if name in LABELLED or is_parameter(name) else None
    return None
