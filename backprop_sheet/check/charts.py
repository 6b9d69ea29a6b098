"""The charts of an .xlsx and the cells each series plots: which rate sheets chart their E_total.

An .xlsx keeps a chart as its own part, linked from the sheet through a drawing; each series names the
cells it plots (`<c:val><c:numRef><c:f>'lr 0.5'!$T$20:$T$119</c:f>`). Only the names are read.
"""

import re
import zipfile
from pathlib import PurePosixPath
from xml.etree.ElementTree import fromstring

_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_RANGE = re.compile(r"(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


def _rels(package: zipfile.ZipFile, part: str) -> dict[str, str]:
    path = PurePosixPath(part)
    rels = path.parent / "_rels" / (path.name + ".rels")
    try:
        root = fromstring(package.read(str(rels)))
    except KeyError:
        return {}
    out = {}
    for rel in root.iter(_REL):
        target = rel.get("Target", "")
        out[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else \
            str(PurePosixPath(*_normal((path.parent / target).parts)))
    return out


def _normal(parts: tuple[str, ...]) -> list[str]:
    out = []
    for p in parts:
        if p == "..":
            out.pop()
        elif p != ".":
            out.append(p)
    return out


Series = tuple[str, str, int, int]  # (sheet, column letter, first row, last row) of a one-column range


def plotted(path) -> dict[str, set[Series]]:
    """{sheet title: the value ranges its charts plot}; {} for a file without charts (or not an .xlsx)."""
    try:
        with zipfile.ZipFile(path) as package:
            workbook = fromstring(package.read("xl/workbook.xml"))
            sheets = _rels(package, "xl/workbook.xml")
            out = {}
            for sheet in workbook.iter(f"{_MAIN}sheet"):
                part = sheets.get(sheet.get(_R))
                if part is None:
                    continue
                series = set()
                for drawing in _rels(package, part).values():
                    if "drawings/" not in drawing:
                        continue
                    for chart in _rels(package, drawing).values():
                        if "charts/" in chart:
                            series |= _series(package.read(chart))
                out[sheet.get("name")] = series
            return out
    except (OSError, KeyError, zipfile.BadZipFile, SyntaxError):
        return {}


def _series(xml: bytes) -> set[Series]:
    root = fromstring(xml)
    found = set()
    for tag in ("val", "yVal"):
        for values in root.iter(f"{_C}{tag}"):
            for f in values.iter(f"{_C}f"):
                m = _RANGE.fullmatch((f.text or "").strip())
                if m and (m[5] is None or m[5] == m[3]):  # one column
                    last = int(m[6] or m[4])
                    found.add(((m[1] or "").replace("''", "'") or m[2], m[3], int(m[4]), last))
    return found


def charts_column(plots: dict[str, set[Series]], sheet: str, column: str, first: int, last: int) -> bool:
    """Whether any chart in the workbook plots some of rows first..last of `column` on `sheet`."""
    return any(s == sheet and c == column and lo <= last and hi >= first
               for series in plots.values() for s, c, lo, hi in series)
