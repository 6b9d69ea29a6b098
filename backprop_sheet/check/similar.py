"""Which submissions share more than the assignment forces: evidence of copying, for a person to weigh.

Each submission is read as sets of features of six kinds (`KINDS`): the formula or typed number in each
cell, where its sheets and headers stand, its column widths and cell formats, its document metadata,
the wording of its text cells, and the mistakes `check` found in it. What the assignment forces is what
much of the class shares, so a feature weighs by how few others have it: 1 where one or two
submissions have it, falling to 0 where half the class does; one that more than half the class has (the
template, the assignment's numbers) is dropped as forced.

For a pair, each kind gives the weight both have over the weight either has: 1 when everything unusual
in one is also in the other. The pair's score is the mean of its kinds, each counted by WEIGHT (how much
that kind tells) times its support, 1 − exp(−weight either has / PRIOR): a kind with little unusual in
it (a layout the template gave everyone) says little. It is evidence, not a verdict: a class template, a
shared tutorial or two students allowed to work together show up the same way, and a small batch cannot
tell what the assignment forces (run it on the whole class).
"""

import math
import re
import warnings
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from xml.etree import ElementTree

from backprop_sheet.check.grade import FileResult
from backprop_sheet.check.headers import canonical
from backprop_sheet.check.sheets import column_letter

THRESHOLD = 0.5  # --similar-threshold's default: pairs scoring this or more are reported
KINDS = {
    "cells": "the same formula or typed number in the same cell",
    "layout": "the same sheets, headers in the same cells, merged cells and frozen panes",
    "styles": "the same column widths, row heights and cell formats",
    "metadata": "the same author, last editor or creation time in the document's properties",
    "text": "the same wording, spelling and typos in text cells",
    "mistakes": "the same mistakes in the same cells, and the same wrong numbers",
}
# How much each kind tells: the same unusual formulas, mistakes and author say most; a layout and headers
# are what a template most often hands everyone.
WEIGHT = {"cells": 3.0, "layout": 1.0, "styles": 1.0, "metadata": 2.0, "text": 1.0, "mistakes": 2.0}
# The weight of unusual features a kind needs before it speaks fully (its support is 1 − exp(−weight / PRIOR)).
PRIOR = {"cells": 20.0, "layout": 5.0, "styles": 10.0, "metadata": 1.0, "text": 3.0, "mistakes": 1.0}
EXAMPLES = 3  # shared features shown per kind, the rarest first
EXAMPLE_LENGTH = 80  # characters of each, a formula cut short
# Authors that name a program, not a person: every file a library writes carries them.
GENERIC_AUTHORS = {"", "openpyxl", "apache poi", "microsoft office user", "user", "admin", "administrator",
                   "windows user", "unknown", "author"}
_CORE = {"{http://purl.org/dc/elements/1.1/}creator": "creator",
         "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastModifiedBy": "last modified by",
         "{http://purl.org/dc/terms/}created": "created"}
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

Features = dict[str, dict[tuple, str]]  # kind → {feature: how a person would find it}


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _metadata(path: Path, out: Features) -> None:
    """creator, lastModifiedBy and created, from docProps/core.xml itself (openpyxl fills in defaults)."""
    try:
        with zipfile.ZipFile(path) as package:
            root = ElementTree.fromstring(package.read("docProps/core.xml"))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return
    for element in root:
        name = _CORE.get(element.tag)
        value = (element.text or "").strip()
        if name and value and (name == "created" or value.lower() not in GENERIC_AUTHORS):
            out["metadata"][(name, value)] = f"{name} {value!r}"


_PLAIN = (None, False, False, None, "General", (None, None, None, None), "general", False)


def _style(cell) -> tuple | None:
    """A cell's format as a person chose it, or None for the plain one.

    Colours, font names and sizes are left out: LibreOffice writes a theme colour back as RGB, and a font
    or size left unset as its own default.
    """
    if not cell.has_style:
        return None
    font, border, align = cell.font, cell.border, cell.alignment
    edges = tuple(getattr(getattr(border, side), "style", None) for side in ("left", "right", "top", "bottom"))
    style = (cell.fill.fill_type, bool(font.b), bool(font.i), font.u, cell.number_format, edges,
             align.horizontal or "general", bool(align.wrap_text))
    return None if style == _PLAIN else style


def _from_workbook(path: Path, out: Features) -> None:
    # openpyxl only for --similar, and its full reader: widths, merged cells and formats are not streamed
    from openpyxl import load_workbook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "DrawingML support is incomplete": charts are not features
        wb = load_workbook(path)
    for n, ws in enumerate(wb.worksheets):
        where = _quote(ws.title)
        out["layout"][("sheet", n, ws.title)] = f"sheet {n + 1} named {ws.title!r}"
        for merged in ws.merged_cells.ranges:
            out["layout"][("merged", n, str(merged))] = f"{where}!{merged} merged"
        if ws.freeze_panes:
            out["layout"][("freeze", n, ws.freeze_panes)] = f"{where} frozen at {ws.freeze_panes}"
        for dim in ws.column_dimensions.values():
            if dim.customWidth and dim.width and dim.min and dim.max:
                width = round(dim.width, 1)  # LibreOffice keeps two decimals of Excel's widths
                for col in range(dim.min, min(dim.max, dim.min + 50) + 1):
                    out["styles"][("width", n, col, width)] = f"{where} column {column_letter(col)} {width:g} wide"
        for r, dim in ws.row_dimensions.items():
            if dim.customHeight and dim.ht:
                out["styles"][("height", n, r, round(dim.ht, 1))] = f"{where} row {r} {dim.ht:g} high"
        for row in ws.iter_rows():
            for cell in row:
                style = _style(cell)
                if style is not None:
                    out["styles"][("format", n, cell.coordinate, style)] = f"{where}!{cell.coordinate}'s format"
                _value(out, n, where, cell.coordinate, cell.value, cell.data_type == "f")


def _value(out: Features, n: int, where: str, coordinate: str, value, formula: bool) -> None:
    if value is None:
        return
    if formula:
        text = value if isinstance(value, str) else getattr(value, "text", None) or str(value)
        key = text.lstrip("=").replace(" ", "").upper()
        out["cells"][("formula", n, coordinate, key)] = f"{where}!{coordinate} {text}"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out["cells"][("number", n, coordinate, float(value))] = f"{where}!{coordinate} {value!r}"
    elif isinstance(value, str):
        text = " ".join(value.split())
        if len(text) >= 3 and not _NUMBER.fullmatch(text):
            out["text"][("text", text)] = repr(text)
        name = canonical(value)
        if name:
            out["layout"][("header", n, coordinate, name)] = f"{where}!{coordinate} names {name}"


def _from_sheets(path: Path, out: Features) -> None:
    """A .csv, or an .xls read without an engine: values only (no formulas, formats or metadata)."""
    from backprop_sheet.check.values import csv_values, xls_values
    sheets = csv_values(path) if path.suffix.lower() == ".csv" else xls_values(path)
    for n, sheet in enumerate(sheets):
        where = _quote(sheet.title)
        for (r, c), value in sheet.values.items():
            _value(out, n, where, f"{column_letter(c)}{r}", value, False)


def _mistakes(result: FileResult, out: Features) -> None:
    for k, table in enumerate(result.tables):
        for cause in table.root_causes:
            at = cause.cell.rsplit("!", 1)[-1]  # the cell, whatever the sheet is called
            out["mistakes"][("cause", k, cause.quantity, cause.diagnosis, at)] = (
                f"{cause.cell} {cause.quantity}: {cause.diagnosis}")
            if isinstance(cause.got, float):
                out["mistakes"][("got", cause.quantity, f"{cause.got:.12g}")] = (
                    f"{cause.quantity} = {cause.got:.12g} at {cause.cell}")


def features(result: FileResult, workbook: Path | None) -> Features | None:
    """A submission's features; None if its file cannot be read for them (it is then left out)."""
    out: Features = {kind: {} for kind in KINDS}
    path = Path(result.path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):  # as submitted: a recalculated copy has LibreOffice's formats
        workbook = path
    try:
        if workbook is not None:
            _from_workbook(workbook, out)
            _metadata(workbook, out)
        else:
            _from_sheets(Path(result.path), out)
    except Exception:  # noqa: BLE001 - a file no reader foresaw: compare the others, leave this one out
        return None
    _mistakes(result, out)
    return out


@dataclass(frozen=True)
class Evidence:
    kind: str
    score: float
    shared: int  # features both have
    fewest: int  # the fewest submissions that have one of them (2: something only this pair has)
    examples: list[str]  # the rarest shared features, as a person finds them
    support: float = 1.0  # its weight in the pair's score: WEIGHT, times how much it has to go on (0..1)

    def to_json(self) -> dict:
        return {"kind": self.kind, "what": KINDS[self.kind], "score": round(self.score, 3), "shared": self.shared,
                "fewest_holders": self.fewest, "examples": self.examples}

    @property
    def rarity(self) -> str:
        """'only these two', 'the rarest by 4 submissions': how unusual the rarest shared feature is."""
        if not self.shared:
            return "nothing shared"
        return "the rarest by these two alone" if self.fewest == 2 else f"the rarest by {self.fewest} submissions"


@dataclass(frozen=True)
class Pair:
    files: tuple[str, str]
    score: float
    evidence: list[Evidence]  # the kinds either file has, strongest first

    def to_json(self) -> dict:
        return {"files": list(self.files), "score": round(self.score, 3),
                "evidence": [e.to_json() for e in self.evidence]}


@dataclass(frozen=True)
class Similarity:
    threshold: float
    compared: list[str]  # the files compared (those whose features could be read)
    pairs: list[Pair]  # those scoring at least the threshold, highest first
    left_out: list[str] = field(default_factory=list)  # files that could not be read for features

    @property
    def groups(self) -> list[list[str]]:
        """The files linked by reported pairs, each group in file order."""
        parent = {f: f for f in self.compared}

        def root(f):
            while parent[f] != f:
                f = parent[f]
            return f
        for pair in self.pairs:
            parent[root(pair.files[1])] = root(pair.files[0])
        groups = defaultdict(list)
        for f in self.compared:
            groups[root(f)].append(f)
        return [g for g in groups.values() if len(g) > 1]

    def to_json(self) -> dict:
        return {"note": NOTE, "threshold": self.threshold, "compared": len(self.compared),
                "pairs": [p.to_json() for p in self.pairs], "groups": self.groups, "left_out": self.left_out}


NOTE = ("evidence for a person to weigh, not a verdict: each pair shares what the rest of the class does not; "
        "a common template, a shared source or permitted teamwork look the same")


def _examples(features: list[tuple], described: dict[tuple, str]) -> list[str]:
    """The first EXAMPLES features, at most one per column of a sheet (a filled-down column says it once)."""
    seen, out = set(), []
    for f in features:
        column = (f[1], re.sub(r"\d+", "", f[2])) if f[0] in ("formula", "number", "format") else f
        if column in seen:
            continue
        seen.add(column)
        text = described[f]
        out.append(text if len(text) <= EXAMPLE_LENGTH else text[:EXAMPLE_LENGTH - 1] + "…")
        if len(out) == EXAMPLES:
            break
    return out


def _forced(df: int, files: int) -> bool:
    return df > max(2, files / 2)


def _weight(df: int, files: int) -> float:
    """1 for a feature one or two submissions have, falling as more share it (0 where half the class does)."""
    return 1.0 if df <= 2 else max(0.0, math.log(files / df) / math.log(files / 2))


def compare(results: list[FileResult], found: dict[str, Features | None],
            threshold: float = THRESHOLD) -> Similarity:
    """Every pair of submissions scored; those at or above `threshold` are kept."""
    paths = [r.path for r in results if found.get(r.path) is not None]
    left_out = [r.path for r in results if r.error is None and found.get(r.path) is None]
    files = len(paths)
    shared = defaultdict(lambda: defaultdict(list))  # pair → kind → shared features
    mass = {p: dict.fromkeys(KINDS, 0.0) for p in paths}  # each file's weight per kind
    weight = {}
    holders_of = {}
    for kind in KINDS:
        holders = holders_of[kind] = defaultdict(list)
        for p in paths:
            for f in found[p][kind]:
                holders[f].append(p)
        for f, who in holders.items():
            df = len(who)
            if _forced(df, files):
                continue
            w = weight[kind, f] = _weight(df, files)
            for p in who:
                mass[p][kind] += w
            for a, b in combinations(who, 2):
                shared[a, b][kind].append(f)
    pairs = []
    for a, b in combinations(paths, 2):
        evidence = []
        for kind in KINDS:
            if not (mass[a][kind] or mass[b][kind]):
                continue
            both = shared.get((a, b), {}).get(kind, [])
            s = sum(weight[kind, f] for f in both)
            union = mass[a][kind] + mass[b][kind] - s
            rarest = sorted(both, key=lambda f: (-weight[kind, f], found[a][kind][f]))
            evidence.append(Evidence(kind, s / union, len(both),
                                     min((len(holders_of[kind][f]) for f in both), default=0),
                                     _examples(rarest, found[a][kind]),
                                     WEIGHT[kind] * (1 - math.exp(-union / PRIOR[kind]))))
        support = sum(e.support for e in evidence)
        if not support:
            continue
        score = sum(e.score * e.support for e in evidence) / support
        if score >= threshold:
            evidence.sort(key=lambda e: -e.score)
            pairs.append(Pair((a, b), score, evidence))
    pairs.sort(key=lambda p: -p.score)
    return Similarity(threshold, paths, pairs, left_out)


def _name(path: str, all_paths: list[str]) -> str:
    names = Counter(Path(p).name for p in all_paths)
    return Path(path).name if names[Path(path).name] == 1 else path


def text(similarity: Similarity) -> str:
    """The terminal's section: each pair over the threshold with its evidence, then the groups."""
    head = (f"similar submissions ({NOTE}); {len(similarity.compared)} compared, threshold "
            f"{similarity.threshold:g}:")
    lines = [head]
    if not similarity.pairs:
        lines.append(f"  no pair scores {similarity.threshold:g} or more")
    for pair in similarity.pairs:
        a, b = (_name(p, similarity.compared) for p in pair.files)
        lines.append(f"  {pair.score:.2f}  {a} ~ {b}")
        for e in pair.evidence:
            if e.shared:
                lines.append(f"        {e.kind} {e.score:.2f}: {e.shared} shared, {e.rarity}; e.g. "
                             + "; ".join(e.examples))
    for group in similarity.groups:
        lines.append("  group: " + ", ".join(_name(p, similarity.compared) for p in group))
    for path in similarity.left_out:
        lines.append(f"  not compared: {path} (its file could not be read for this)")
    return "\n".join(lines) + "\n"
