"""Spreadsheet formulas as trees: the layout's templates and a student's own formulas, parsed alike.

The grammar is the part of Excel's that backprop formulas use: numbers, references, + - * / ^, unary
minus, comparisons, & and function calls. Precedence is Excel's, which is not Python's: unary minus
binds tighter than ^ (`-2^2` is 4), and comparisons come last. A reference is a template field
(`{w1}`, `{prev.w1}`), a cell (`$B$3`, `'lr 0.5'!C7`, a range `A1:B2`) or a defined name (`eta_1`).

`compile_expression` turns a tree into a numpy function of a mapping of arrays, one entry per row, so
that a whole column is computed at once.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    key: str  # a template field's key, a cell ("B3", "'lr 0.5'!C7"), a range or a defined name
    prev: bool = False  # template fields only: the row above's


@dataclass(frozen=True)
class Neg:
    operand: object


@dataclass(frozen=True)
class Bin:
    op: str  # + - * / ^ & = <> < > <= >=
    left: object
    right: object


@dataclass(frozen=True)
class Call:
    name: str  # upper case
    args: tuple


class FormulaError(ValueError):
    pass


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<field>\{(?:prev\.)?\w+\})
    | (?P<cell>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?(?![\w(]))
    | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?%?)
    | (?P<name>[A-Za-z_][\w.]*)
    | (?P<string>"(?:[^"]|"")*")
    | (?P<op><>|<=|>=|[-+*/^&=<>(),;])
    )""", re.VERBOSE)

_BINARY = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}
_NEG = 6  # unary minus: tighter than ^


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError(f"cannot read {text[pos:pos + 12]!r}")
        tokens.append((m.lastgroup, m[m.lastgroup]))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text.removeprefix("="))
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or value is not None and token[1] != value:
            raise FormulaError(f"expected {value or 'more'}, got {token[1] if token else 'the end'}")
        self.pos += 1
        return token

    def expression(self, floor: int = 0):
        left = self.unary()
        while (token := self.peek()) and token[0] == "op" and token[1] in _BINARY and _BINARY[token[1]] > floor:
            op = self.take()[1]
            # ^ is left-associative in Excel (2^3^2 = 64), like the others
            left = Bin(op, left, self.expression(_BINARY[op]))
        return left

    def unary(self):
        token = self.peek()
        if token and token[0] == "op" and token[1] in "-+":
            self.take()
            # -x^2 is (-x)^2 in Excel: the minus takes only what follows it; ^ then applies to the result
            operand = self.unary()
            return Neg(operand) if token[1] == "-" else operand
        return self.primary()

    def primary(self):
        kind, text = self.take()
        if kind == "num":
            return Num(float(text[:-1]) / 100 if text.endswith("%") else float(text))
        if kind == "field":
            inner = text[1:-1]
            return Ref(inner.removeprefix("prev."), inner.startswith("prev."))
        if kind == "cell":
            return Ref(text.replace("$", "") if "!" not in text else _sheet_ref(text))
        if kind == "string":
            return Num(np.nan)  # text takes no part in the arithmetic we check
        if kind == "name":
            if (token := self.peek()) and token[1] == "(":
                self.take("(")
                args = []
                if self.peek() and self.peek()[1] != ")":
                    args.append(self.expression())
                    while self.peek() and self.peek()[1] in ",;":
                        self.take()
                        args.append(self.expression())
                self.take(")")
                return Call(text.upper().removeprefix("_XLFN."), tuple(args))
            return Ref(text)
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        raise FormulaError(f"unexpected {text!r}")


def _sheet_ref(text: str) -> str:
    sheet, _, cell = text.rpartition("!")
    return f"{sheet}!{cell.replace('$', '')}"


@cache
def parse(text: str):
    """The tree of a formula (with or without its leading '='); raises FormulaError."""
    parser = _Parser(text)
    tree = parser.expression()
    if parser.peek() is not None:
        raise FormulaError(f"unexpected {parser.peek()[1]!r}")
    return tree


def references(tree) -> list[Ref]:
    """Every reference in the tree, left to right."""
    if isinstance(tree, Ref):
        return [tree]
    if isinstance(tree, Neg):
        return references(tree.operand)
    if isinstance(tree, Bin):
        return references(tree.left) + references(tree.right)
    if isinstance(tree, Call):
        return [r for a in tree.args for r in references(a)]
    return []


_FUNCTIONS = {"EXP": "np.exp", "LN": "np.log", "TANH": "np.tanh", "SQRT": "np.sqrt", "ABS": "np.abs",
              "MAX": "_max", "MIN": "_min", "IF": "np.where", "SUM": "_sum", "POWER": "np.power",
              "LOG": "np.log10"}
_PY_OPS = {"=": "==", "<>": "!=", "^": "**"}


def _python(tree) -> str:
    if isinstance(tree, Num):
        return repr(tree.value) if np.isfinite(tree.value) else "_nan"
    if isinstance(tree, Ref):
        return f"v[{('prev.' if tree.prev else '') + tree.key!r}]"
    if isinstance(tree, Neg):
        return f"(-{_python(tree.operand)})"
    if isinstance(tree, Bin):
        if tree.op == "&":
            raise FormulaError("text joined with & is not a number")
        return f"({_python(tree.left)} {_PY_OPS.get(tree.op, tree.op)} {_python(tree.right)})"
    if isinstance(tree, Call):
        if tree.name not in _FUNCTIONS:
            raise FormulaError(f"function {tree.name} is not one backprop uses")
        args = [_python(a) for a in tree.args]
        if tree.name == "IF" and len(args) == 2:
            args.append("0.0")
        return f"{_FUNCTIONS[tree.name]}({', '.join(args)})"
    raise FormulaError(f"cannot compute {tree!r}")


def _max(*args):
    return np.maximum.reduce(np.broadcast_arrays(*args)) if len(args) > 1 else args[0]


def _min(*args):
    return np.minimum.reduce(np.broadcast_arrays(*args)) if len(args) > 1 else args[0]


def _sum(*args):
    total = args[0]
    for a in args[1:]:
        total = total + a
    return total


_SCOPE = {"np": np, "_max": _max, "_min": _min, "_sum": _sum, "_nan": np.nan}


@cache
def compile_expression(tree) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
    """f(v): the tree computed on v, a mapping of reference keys (`prev.w1` for {prev.w1}) to arrays."""
    code = compile(_python(tree), "<formula>", "eval")

    def f(v):
        with np.errstate(all="ignore"):
            return np.asarray(eval(code, _SCOPE, {"v": v}), dtype=np.float64)  # our own code, compiled from parsed templates
    return f


def unparse(tree) -> str:
    """The tree as template text, parenthesised only where Excel's precedence needs it."""
    return _text(tree, 0)


def _text(tree, floor: int) -> str:
    if isinstance(tree, Num):
        return f"{tree.value:g}"
    if isinstance(tree, Ref):
        return "{" + ("prev." if tree.prev else "") + tree.key + "}"
    if isinstance(tree, Neg):
        return "-" + _text(tree.operand, _NEG)
    if isinstance(tree, Call):
        return f"{tree.name}({','.join(_text(a, 0) for a in tree.args)})"
    level = _BINARY[tree.op]
    text = _text(tree.left, level - 1) + tree.op + _text(tree.right, level)
    return f"({text})" if level <= floor else text
