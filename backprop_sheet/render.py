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


def print_to_pdf(workbook: Path, titles: list[str], outdir: Path) -> list[Path]:
    """Each sheet printed by LibreOffice on its own: `outdir/<stem>_<sheet>.pdf`, in the order of `titles`."""
    soffice = find_soffice()
    copies = []
    for title in titles:
        copy = Path(outdir) / f"{Path(workbook).stem}_{re.sub(r'[^A-Za-z0-9]+', '_', title).strip('_').lower()}.xlsx"
        _only_sheet(Path(workbook), copy, title)
        copies.append(copy)
    with tempfile.TemporaryDirectory(prefix="backprop-profile-") as profile:
        subprocess.run([soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(outdir), *map(str, copies)],
                       check=True, capture_output=True, timeout=600)
    for copy in copies:
        copy.unlink()
    return [copy.with_suffix(".pdf") for copy in copies]


def pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    """(width, height) in points of each page of a PDF that LibreOffice wrote (its page objects are plain)."""
    data = Path(pdf).read_bytes()
    boxes = re.findall(rb"/Type\s*/Page\b(?!s).*?/MediaBox\s*\[\s*([\d.\s-]+)\]", data, re.DOTALL)
    if not boxes:  # the box may come before the type
        boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.\s-]+)\][^>]*?/Type\s*/Page\b(?!s)", data, re.DOTALL)
    pages = []
    for box in boxes:
        x0, y0, x1, y1 = map(float, box.split())
        pages.append((x1 - x0, y1 - y0))
    return pages


def render(workbook: Path, titles: list[str], outdir: Path, dpi: int = 80, pages: int = 1) -> list[Path]:
    """PNGs of the first `pages` printed pages of each sheet: `outdir/<stem>_<sheet>.png` (or -1, -2, …)."""
    pdftoppm = require("pdftoppm", "poppler's 'pdftoppm' is not on PATH (Debian/Ubuntu: apt-get install poppler-utils)")
    written = []
    with tempfile.TemporaryDirectory(prefix="backprop-render-") as tmp:
        for pdf in print_to_pdf(Path(workbook), titles, Path(tmp)):
            prefix = Path(outdir) / pdf.stem
            subprocess.run([pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", str(pages), str(pdf), str(prefix)],
                           check=True, capture_output=True)
            written += sorted(Path(outdir).glob(f"{pdf.stem}-*.png"))
    return written


# The docs' pictures: `python -m backprop_sheet.render` redraws them from output/backprop.xlsx.
# sheet: (file, dpi, the part of the first page shown as fractions of its width and height). A rate
# sheet prints its 28 columns one page wide, so its picture is the top left of that page, enlarged.
DOC_RENDERS = {"Summary": ("backprop_summary.png", 90, (0, 0, 1, 1)),
                  "lr 0.5": ("backprop_rate_sheet.png", 220, (0.03, 0.04, 0.5, 0.36)),
                  "Derivation": ("backprop_derivation.png", 90, (0, 0, 1, 1))}


def main(workbook: Path = Path("output/backprop.xlsx"), outdir: Path = Path("output")) -> list[Path]:
    from PIL import Image
    written = []
    with tempfile.TemporaryDirectory(prefix="backprop-pngs-") as tmp:
        for title, (name, dpi, box) in DOC_RENDERS.items():
            (png,) = render(workbook, [title], Path(tmp), dpi=dpi)
            with Image.open(png) as page:
                w, h = page.size
                part = page.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
                part.save(Path(outdir) / name, optimize=True)
            written.append(Path(outdir) / name)
    return written


def feedback_picture(outdir: Path = Path("output"), name: str = "check_feedback.png") -> Path:
    """The docs' picture of a `check` report: the printed Feedback sheet of a workbook with two planted
    mistakes, each the known wrong variant of the layout's own formula (the source document's h1 typo at
    iteration 2; ∂E/∂w3 from a_h1's slope instead of a_h2's, in every row)."""
    from openpyxl import load_workbook
    from PIL import Image

    from backprop_sheet import layout as L
    from backprop_sheet.check.run import run
    from backprop_sheet.config import SheetConfig
    from backprop_sheet.generate import generate

    config = SheetConfig(learning_rates=(0.5, 2.0), iterations=20)
    spec = config.spec
    with tempfile.TemporaryDirectory(prefix="backprop-feedback-") as tmp:
        submission = Path(tmp) / "student.xlsx"
        generate(config, submission)
        wb = load_workbook(submission)
        ws = wb["lr 0.5"]
        h1 = ws[f"{L.letter('h1', spec)}{L.data_row(2)}"]
        h1.value = h1.value.replace("*i_2", "+i_2")  # w2*i2 written w2+i2
        a_h1, a_h2 = L.letter("a_h1", spec), L.letter("a_h2", spec)
        for k in range(1, config.iterations + 1):
            cell, row = ws[f"{L.letter('dE_dw3', spec)}{L.data_row(k)}"], L.data_row(k)
            cell.value = cell.value.replace(f"{a_h2}{row}*(1-{a_h2}{row})", f"{a_h1}{row}*(1-{a_h1}{row})")
        wb.save(submission)
        run([str(submission)], annotate_dir=str(Path(tmp) / "feedback"))
        (png,) = render(Path(tmp) / "feedback" / "student.xlsx", ["Feedback"], Path(tmp), dpi=110)
        with Image.open(png) as page:
            w, h = page.size
            page.crop((round(0.05 * w), round(0.1 * h), round(0.95 * w), round(0.42 * h))).save(
                Path(outdir) / name, optimize=True)
    return Path(outdir) / name


# The presets' pictures in docs/img: sheet: (dpi, the part of the first page shown), as DOC_RENDERS.
PRESET_RENDERS = {"xor": {"Parameters": (110, None), "lr 10": (200, (0.03, 0.04, 0.55, 0.5))},
                  "mazur": {"lr 0.5": (200, (0.03, 0.04, 0.55, 0.5))},
                  "ai-by-hand": {"Parameters": (110, None), "lr 0.2": (200, (0.03, 0.04, 0.55, 0.5)),
                                 "Derivation": (130, (0, 0, 1, 0.6))}}


def _content(page):
    """The page cropped to what is printed on it, with a small white margin."""
    from PIL import ImageOps
    left, top, right, bottom = ImageOps.invert(page.convert("L")).getbbox()
    return page.crop((max(left - 12, 0), max(top - 12, 0), right + 12, bottom + 12))


def preset_pictures(outdir: Path = Path("docs/img")) -> list[Path]:
    """docs/img/preset_<name>_<sheet>.png for each preset, and XOR's learning-rate and optimizer plots."""
    from PIL import Image

    from backprop_sheet import docs
    from backprop_sheet.config import from_mapping
    from backprop_sheet.generate import generate
    from backprop_sheet.plot import plot_curves, plot_learning_rates
    from backprop_sheet.presets import preset

    written = []
    with tempfile.TemporaryDirectory(prefix="backprop-presets-") as tmp:
        for name, sheets in PRESET_RENDERS.items():
            book = Path(tmp) / f"preset_{name.replace('-', '_')}.xlsx"
            generate(from_mapping(preset(name)), book)
            for title, (dpi, box) in sheets.items():
                (png,) = render(book, [title], Path(tmp), dpi=dpi)
                with Image.open(png) as page:
                    w, h = page.size
                    part = _content(page) if box is None else _content(
                        page.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h))))
                    target = Path(outdir) / f"{book.stem}_{re.sub(r'[^a-z0-9]+', '_', title.lower())}.png"
                    part.save(target, optimize=True)
                written.append(target)
    xor = from_mapping(preset("xor"))
    with open(Path(outdir) / "preset_xor_lr.png", "wb") as file:
        plot_learning_rates(xor, file)
    with open(Path(outdir) / "preset_xor_optimizers.png", "wb") as file:
        plot_curves(docs.optimizer_curves(xor.iterations), f"XOR by optimizer: {xor.spec.describe()}", file)
    return [*written, Path(outdir) / "preset_xor_lr.png", Path(outdir) / "preset_xor_optimizers.png"]


if __name__ == "__main__":
    for path in [*main(), feedback_picture(), *preset_pictures()]:
        print(f"wrote {path}")
