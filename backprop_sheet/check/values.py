"""Where `check` gets a workbook's values: as the spreadsheet application saved them, or recalculated.

Every application that saves an .xlsx (Excel, Excel Online, LibreOffice, WPS, Google Sheets' export)
stores each formula's computed value beside it. Such values are used as they are when every formula cell
has one and the workbook is in automatic calculation mode. The test is the presence of the values, not
the application's name: openpyxl calls itself "Microsoft Excel Compatible" but saves formulas without
values, and a Google Sheets export has no docProps/app.xml at all.
"""

import csv
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from backprop_sheet.check.sheets import Sheet, read_sheets, typed

SAVED_SUFFIXES = (".xlsx", ".xlsm")  # read directly; an .ods is read through LibreOffice's conversion
_APPLICATION = re.compile(rb"<(?:\w+:)?Application>([^<]*)</(?:\w+:)?Application>")
_CALC_MODE = re.compile(rb"<(?:\w+:)?calcPr\b[^>]*\bcalcMode=\"(\w+)\"")


@dataclass(frozen=True)
class Saved:
    sheets: list[Sheet] | None  # every sheet as saved, or None when the saved values cannot be used
    source: str  # "values as saved by Microsoft Excel", or why they cannot be used


def application(package: zipfile.ZipFile) -> str | None:
    """The application that saved the package, as it names itself in docProps/app.xml (None if absent)."""
    try:
        match = _APPLICATION.search(package.read("docProps/app.xml"))
    except KeyError:
        return None
    return match[1].decode("utf-8", "replace").strip() or None if match else None


def saved_values(path: Path) -> Saved:
    """The workbook's sheets with the values saved in it, if they can be trusted as they are."""
    if path.suffix.lower() not in SAVED_SUFFIXES:
        return Saved(None, f"an {path.suffix.lower()} file is read through a spreadsheet engine")
    with zipfile.ZipFile(path) as package:
        app = application(package)
        try:
            mode = _CALC_MODE.search(package.read("xl/workbook.xml"))
        except KeyError:
            mode = None
    if mode and mode[1].decode() == "manual":
        return Saved(None, "the workbook is in manual calculation mode, so its saved values may be stale")
    sheets = read_sheets(path)
    unvalued = sum(len(s.unvalued) for s in sheets)
    if unvalued:
        first = next(s for s in sheets if s.unvalued)
        return Saved(None, f"{unvalued:,} formula cells were saved without their values "
                           f"(first on sheet {first.title!r})" + (f" by {app}" if app else ""))
    return Saved(sheets, f"values as saved by {app}" if app else "values as saved in the file")


TYPED_ONLY = "every cell graded as typed"
XLS_VALUES = ("values read from the .xls without a spreadsheet engine: its formulas cannot be seen, so "
              + TYPED_ONLY)
CSV_VALUES = f"values from a .csv, which holds no formulas, so {TYPED_ONLY}"


def xls_values(path: Path) -> list[Sheet]:
    """Every sheet of an Excel 97-2003 .xls, values only (xlrd sees no formulas); ValueError if unreadable."""
    import xlrd  # only for .xls files

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except xlrd.XLRDError as error:
        raise ValueError(f"not a readable .xls workbook ({error})") from None
    sheets = []
    for ws in book.sheets():
        sheet = Sheet(ws.name)
        for r in range(ws.nrows):
            for c, cell in enumerate(ws.row(r)):
                if cell.ctype in (xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_TEXT):
                    sheet.values[(r + 1, c + 1)] = cell.value if cell.ctype == xlrd.XL_CELL_TEXT \
                        else typed(float(cell.value))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    sheet.values[(r + 1, c + 1)] = bool(cell.value)
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    sheet.values[(r + 1, c + 1)] = xlrd.error_text_from_code.get(cell.value, "#ERROR")
        sheets.append(sheet)
    return sheets


def csv_values(path: Path) -> list[Sheet]:
    """A .csv as one sheet of values: numbers where a field reads as one, text elsewhere."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")  # what Excel on Windows writes
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    sheet = Sheet(path.stem)
    for r, row in enumerate(csv.reader(text.splitlines(), dialect), start=1):
        for c, field in enumerate(row, start=1):
            field = field.strip()
            if not field:
                continue
            try:
                sheet.values[(r, c)] = typed(float(field))
            except ValueError:
                sheet.values[(r, c)] = field
    return [sheet]
