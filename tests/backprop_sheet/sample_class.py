"""A small class for the report tests, graded from saved values with no spreadsheet engine.

Each workbook is the generator's own (every formula saved with its value, as a spreadsheet saves it);
a mistake is planted by changing the value saved in one formula cell, which the grader reads as it would
a student's slip there.
"""

import re
import shutil
import zipfile
from pathlib import Path

from backprop_sheet import layout as L
from backprop_sheet.config import SheetConfig
from backprop_sheet.generate import generate

SMALL = SheetConfig(learning_rates=(0.5,), iterations=5)
SHEET = "lr 0.5"


def _sheet_part(path: Path, title: str) -> str:
    with zipfile.ZipFile(path) as z:
        names = re.findall(rb'<sheet [^>]*name="([^"]+)"', z.read("xl/workbook.xml"))
    return f"xl/worksheets/sheet{[n.decode() for n in names].index(title) + 1}.xml"


def plant(path: Path, quantity: str, iteration: int, value: float) -> str:
    """Save `value` as the computed value of quantity's cell at `iteration`; returns that cell's name."""
    cell = f"{L.letter(quantity, SMALL.spec)}{L.data_row(iteration)}"
    part = _sheet_part(path, SHEET)
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == part:
                data = re.sub(rf'(<c r="{cell}"[^>]*>.*?<v>)[^<]*(</v>)'.encode(), rf"\g<1>{value!r}\g<2>".encode(),
                              data, count=1)
            z.writestr(info, data)
    return f"'{SHEET}'!{cell}"


def build(folder: Path, names: dict[str, str] | None = None) -> dict[str, Path]:
    """alice (right), bob (h1 of iteration 2 wrong), carol (a_o1 of iteration 3 wrong), dave (not a workbook).

    `names` renames them, as a platform's download names its files ({"bob": "smithbob_123_456_bob.xlsx"}).
    """
    names = names or {}
    folder.mkdir(parents=True, exist_ok=True)
    first = folder / names.get("alice", "alice.xlsx")
    generate(SMALL, first)
    paths = {"alice": first}
    for who, quantity, iteration, value in (("bob", "h1", 2, 0.5), ("carol", "a_o1", 3, 0.25)):
        path = folder / names.get(who, f"{who}.xlsx")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(first, path)
        plant(path, quantity, iteration, value)
        paths[who] = path
    paths["dave"] = folder / names.get("dave", "dave.xlsx")
    paths["dave"].write_text("not a workbook")
    return paths


def others(folder: Path, n: int = 3) -> list[Path]:
    """n right workbooks of other assignments (their own rate, rows and weights): independent work."""
    paths = []
    for k in range(n):
        config = SheetConfig(learning_rates=(0.1 * (k + 2),), iterations=4 + k,
                             weights=tuple(round(0.1 + 0.05 * j + 0.01 * k, 4) for j in range(8)))
        paths.append(folder / f"other{k + 1}.xlsx")
        generate(config, paths[-1])
    return paths
