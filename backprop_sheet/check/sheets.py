"""Reading an .xlsx fast: every sheet's cell values and which cells hold formulas, in one streaming pass.

A spreadsheet application saves each formula cell with its computed value (`<c><f>…</f><v>…</v></c>`),
and so does LibreOffice when it recalculates, so one pass gives both. openpyxl would need two slower
passes (values, then formulas) for the same information. Formula cells saved without a value (as
openpyxl saves them) are listed, so that the caller knows the file must be recalculated.
"""

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.etree.ElementTree import iterparse

from backprop_sheet.layout import column_letter

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(r"([A-Z]+)(\d+)")


@dataclass
class Sheet:
    title: str
    values: dict[tuple[int, int], object] = field(default_factory=dict)  # (row, col), 1-based → value
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # cells holding a formula → its text
    unvalued: list[tuple[int, int]] = field(default_factory=list)  # formula cells saved without their value
    shared: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)  # follower → its master's cell

    def get(self, row: int, col: int):
        return self.values.get((row, col))

    def formula(self, row: int, col: int) -> str | None:
        """The cell's formula text, a shared formula's follower included (Excel writes the master's alone)."""
        text = self.formulas.get((row, col))
        if text or (row, col) not in self.shared:
            return text or None
        master = self.shared[(row, col)]
        from openpyxl.formula.translate import Translator  # only for the few cells a diagnosis reads
        origin, target = f"{column_letter(master[1])}{master[0]}", f"{column_letter(col)}{row}"
        return Translator("=" + self.formulas[master].removeprefix("="), origin).translate_formula(target)


def typed(value: float) -> float:
    """A typed number as the spreadsheet keeps it: 15 significant digits.

    Excel saves 0.199753 as 0.19975300000000001, which names another double than the 15 digits it keeps
    and shows (as LibreOffice saves it); read back at 15 digits, it is the number the student typed.
    """
    return float(f"{value:.15g}")


def column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def cell_name(sheet: str, row: int, col: int) -> str:
    """'lr 0.5'!B4: the way a spreadsheet names a cell on another sheet."""
    return "'" + sheet.replace("'", "''") + f"'!{column_letter(col)}{row}"


def _text(element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{_MAIN}t"))


def _shared_strings(package: zipfile.ZipFile) -> list[str]:
    try:
        data = package.open("xl/sharedStrings.xml")
    except KeyError:
        return []
    strings = []
    with data:
        for _, element in iterparse(data):
            if element.tag == f"{_MAIN}si":
                strings.append(_text(element))
                element.clear()
    return strings


def _sheet_parts(package: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(title, part name) of every worksheet, in workbook order."""
    targets = {}
    with package.open("xl/_rels/workbook.xml.rels") as rels:
        for _, element in iterparse(rels):
            if element.tag == f"{_PKG_REL}Relationship":
                target = element.get("Target")
                path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
                targets[element.get("Id")] = path
    sheets = []
    with package.open("xl/workbook.xml") as workbook:
        for _, element in iterparse(workbook):
            if element.tag == f"{_MAIN}sheet":
                sheets.append((element.get("name"), targets[element.get(f"{_REL}id")]))
    return sheets


def _read_sheet(package: zipfile.ZipFile, title: str, part: str, strings: list[str]) -> Sheet:
    sheet = Sheet(title)
    values, formulas = sheet.values, sheet.formulas
    masters, followers = {}, {}  # shared formulas: si → the master's cell; a follower's cell → its si
    c_tag, v_tag, f_tag, is_tag = f"{_MAIN}c", f"{_MAIN}v", f"{_MAIN}f", f"{_MAIN}is"
    with package.open(part) as data:
        for _, element in iterparse(data):
            if element.tag != c_tag:
                continue
            match = _REF.fullmatch(element.get("r", ""))
            if match is None:  # cells without a reference are not written by LibreOffice
                element.clear()
                continue
            key = (int(match[2]), column_index(match[1]))
            kind = element.get("t", "n")
            v = element.find(v_tag)
            f = element.find(f_tag)
            if f is not None:
                formulas[key] = f.text or ""  # "" also for the followers of a shared formula (t="shared")
                if f.get("t") == "shared":
                    if f.text:
                        masters[f.get("si")] = key
                    else:
                        followers[key] = f.get("si")
                if v is None or (v.text is None and kind not in ("str", "inlineStr")):
                    sheet.unvalued.append(key)  # as openpyxl saves a formula: no value to read
            if kind == "inlineStr":
                inline = element.find(is_tag)
                if inline is not None:
                    values[key] = _text(inline)
            elif v is not None and v.text is not None:
                text = v.text
                if kind == "s":
                    values[key] = strings[int(text)]
                elif kind in ("str", "e"):
                    values[key] = text
                elif kind == "b":
                    values[key] = text == "1"
                elif f is None:
                    values[key] = typed(float(text))
                else:
                    values[key] = float(text)
            element.clear()
    sheet.shared = {key: masters[si] for key, si in followers.items() if si in masters}
    return sheet


def read_sheets(path) -> list[Sheet]:
    """Every worksheet of an .xlsx file; raises ValueError (or OSError) if it cannot be read."""
    try:
        with zipfile.ZipFile(path) as package:
            strings = _shared_strings(package)
            return [_read_sheet(package, title, part, strings) for title, part in _sheet_parts(package)]
    except (zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"not a readable workbook ({error})") from None
    except SyntaxError as error:  # ElementTree's ParseError
        raise ValueError(f"damaged workbook XML ({error})") from None
