"""Pictures of a workbook as a person sees it printed: LibreOffice to PDF, then poppler's pdftoppm to PNG.

Each sheet is printed from a copy in which the others are hidden; one page per sheet unless asked.
"""

import re
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import unescape

from backprop_sheet.recalc import find_soffice, require


def _only_sheet(source: Path, target: Path, title: str) -> None:
    """A copy of the workbook in which every sheet but `title` is hidden (hidden sheets are not printed)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                def state(m: re.Match) -> bytes:
                    visible = m[0].find(f'name="{title}"'.encode()) >= 0
                    return re.sub(rb'state="\w+"', b'state="visible"' if visible else b'state="hidden"', m[0])
                names = [unescape(n.decode()) for n in re.findall(rb'<sheet [^>]*name="([^"]*)"', data)]
                data = re.sub(rb"<sheet [^>]*/>", state, data)
                # A hidden sheet cannot be the active one: LibreOffice would show it anyway.
                index = str(names.index(title)).encode()
                data = re.sub(rb'activeTab="\d+"', b'activeTab="' + index + b'"', data)
                data = re.sub(rb'firstSheet="\d+"', b'firstSheet="' + index + b'"', data)
            dst.writestr(info, data)


def render(workbook: Path, titles: list[str], outdir: Path, dpi: int = 80, pages: int = 1) -> list[Path]:
    """PNGs of the first `pages` printed pages of each sheet: `outdir/<stem>_<sheet>.png` (or -1, -2, …)."""
    soffice = find_soffice()
    pdftoppm = require("pdftoppm", "poppler's 'pdftoppm' is not on PATH (Debian/Ubuntu: apt-get install poppler-utils)")
    written = []
    with tempfile.TemporaryDirectory(prefix="backprop-render-") as tmp:
        tmp = Path(tmp)
        copies = []
        for title in titles:
            copy = tmp / f"{Path(workbook).stem}_{re.sub(r'[^A-Za-z0-9]+', '_', title).strip('_').lower()}.xlsx"
            _only_sheet(Path(workbook), copy, title)
            copies.append(copy)
        (tmp / "user").mkdir()
        subprocess.run([soffice, f"-env:UserInstallation={tmp.as_uri()}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(tmp), *map(str, copies)],
                       check=True, capture_output=True, timeout=600)
        for copy in copies:
            prefix = Path(outdir) / copy.stem
            subprocess.run([pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", str(pages),
                            str(copy.with_suffix(".pdf")), str(prefix)], check=True, capture_output=True)
            written += sorted(Path(outdir).glob(f"{copy.stem}-*.png"))
    return written


# The README's pictures: `python -m backprop_sheet.render` redraws them from output/backprop.xlsx.
# sheet: (file, dpi, the part of the first page shown as fractions of its width and height). A rate
# sheet prints its 28 columns one page wide, so its picture is the top left of that page, enlarged.
README_RENDERS = {"Summary": ("backprop_summary.png", 90, (0, 0, 1, 1)),
                  "lr 0.5": ("backprop_rate_sheet.png", 220, (0.03, 0.04, 0.5, 0.36)),
                  "Derivation": ("backprop_derivation.png", 90, (0, 0, 1, 1))}


def main(workbook: Path = Path("output/backprop.xlsx"), outdir: Path = Path("output")) -> list[Path]:
    from PIL import Image
    written = []
    with tempfile.TemporaryDirectory(prefix="backprop-pngs-") as tmp:
        for title, (name, dpi, box) in README_RENDERS.items():
            (png,) = render(workbook, [title], Path(tmp), dpi=dpi)
            with Image.open(png) as page:
                w, h = page.size
                part = page.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
                part.save(Path(outdir) / name, optimize=True)
            written.append(Path(outdir) / name)
    return written


if __name__ == "__main__":
    for path in main():
        print(f"wrote {path}")
