"""Draw a corpus of digit pictures as users make them, and measure `mnist predict` on it.

    python bench/digit_corpus.py CHECKPOINT [--keep DIR] [--out output/predict_corpus.json]

100 pictures: each digit 0-9 in ten styles, half typed in one of the machine's fonts, half drawn as
mouse strokes (polylines of varying width, as in a paint program): black on white, white on black,
transparent PNGs (dark and coloured ink), ink on mid-gray, on a gradient (JPEG), on noisy paper, a
photo-like shot (tinted paper, vignette, pencil-gray ink, a small rotation, blur, strong JPEG), a small
digit off-centre, and a thin stroke. Every picture goes through the code `mnist predict` runs
(mnist.images.load_digit, then the model). Writes the figures to --out and a contact sheet beside it
(.png). Nothing here is tuned to the pictures: they are drawn after the pipeline was written, from a
fixed seed.
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

import click
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[1]
FONT_FILES = [  # tried in order; those missing on a machine are skipped (the JSON lists what was used)
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/C059-Roman.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-ExtraLight.ttf",
]


# ----------------------------------------------------------------------------- mouse-drawn digits


def arc(cx, cy, rx, ry, a0, a1, n=24):
    """Points on an ellipse from angle a0 to a1 (degrees; 0 = right, 90 = down, as on screen)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(a0, a1, n)]


# Each digit as polylines in a box 0.6 wide and 1 high (x right, y down), as a person draws it.
STROKES = {
    0: [arc(0.3, 0.5, 0.27, 0.47, 0, 360, 40)],
    1: [[(0.18, 0.2), (0.34, 0.02), (0.34, 1.0)]],
    2: [arc(0.3, 0.27, 0.26, 0.25, 200, 380) + [(0.02, 1.0), (0.6, 1.0)]],
    3: [arc(0.28, 0.26, 0.26, 0.24, 210, 450) + arc(0.28, 0.74, 0.3, 0.26, 270, 510)],
    4: [[(0.42, 0.0), (0.02, 0.66), (0.6, 0.66)], [(0.44, 0.3), (0.44, 1.0)]],
    5: [[(0.56, 0.02), (0.1, 0.02), (0.06, 0.44)] + arc(0.3, 0.7, 0.28, 0.29, 235, 500)],
    6: [arc(0.62, 0.5, 0.56, 0.5, 240, 180, 12) + arc(0.3, 0.72, 0.26, 0.27, 180, 540)],
    7: [[(0.02, 0.04), (0.6, 0.04), (0.22, 1.0)]],
    8: [arc(0.3, 0.25, 0.22, 0.23, 90, 450), arc(0.3, 0.73, 0.28, 0.26, -90, 270)],
    9: [arc(0.3, 0.28, 0.26, 0.27, 0, 360) + [(0.56, 0.3), (0.5, 1.0)]],
}


def draw_strokes(draw: ImageDraw.ImageDraw, digit: int, box: tuple[float, float, float], width: int, fill) -> None:
    """Draw `digit` with its top-left at (x, y), `h` pixels high, lines `width` pixels wide."""
    x, y, h = box
    for line in STROKES[digit]:
        points = [(x + px * h, y + py * h) for px, py in line]
        draw.line(points, fill=fill, width=width, joint="curve")
        r = width / 2
        for px, py in (points[0], points[-1]):  # round pen ends
            draw.ellipse((px - r, py - r, px + r, py + r), fill=fill)


def draw_font(draw: ImageDraw.ImageDraw, digit: int, box: tuple[float, float, float], font_file: str,
              fill, stroke: int = 0) -> None:
    """Type `digit` in `font_file` so that its ink is about `h` pixels high with its top-left at (x, y)."""
    x, y, h = box
    font = ImageFont.truetype(font_file, round(h * 1.4))
    left, top, right, bottom = draw.textbbox((0, 0), str(digit), font=font, stroke_width=stroke)
    font = ImageFont.truetype(font_file, round(h * 1.4 * h / (bottom - top)))
    left, top, _, _ = draw.textbbox((0, 0), str(digit), font=font, stroke_width=stroke)
    draw.text((x - left, y - top), str(digit), font=font, fill=fill, stroke_width=stroke, stroke_fill=fill)


# ----------------------------------------------------------------------------- the ten styles


def style_pictures(digit: int, fonts: list[str], rng: np.random.Generator) -> list[tuple[str, str, Image.Image, str]]:
    """The ten pictures of `digit`: (style, how it was drawn, image, file suffix)."""
    font = fonts[digit % len(fonts)]
    other = fonts[(digit + 3) % len(fonts)]
    thin = next((f for f in fonts if "ExtraLight" in f), fonts[0])
    name = Path(font).stem
    pictures = []

    def add(style, how, image, suffix="png"):
        pictures.append((style, how, image, suffix))

    im = Image.new("L", (280, 280), 255)
    draw_font(ImageDraw.Draw(im), digit, (100, 40, 200), font, 0)
    add("black on white", name, im)

    im = Image.new("L", (300, 240), 0)
    draw_strokes(ImageDraw.Draw(im), digit, (110, 30, 180), 16, 255)
    add("white on black", "strokes", im)

    im = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw_strokes(ImageDraw.Draw(im), digit, (90, 28, 200), 14, (0, 0, 0, 255))
    add("transparent, black ink", "strokes", im)

    im = Image.new("RGBA", (256, 256), (255, 255, 255, 0))
    draw_font(ImageDraw.Draw(im), digit, (80, 38, 180), other, (200, 30, 30, 255))
    add("transparent, red ink", Path(other).stem, im)

    im = Image.new("L", (240, 240), 128)
    draw_font(ImageDraw.Draw(im), digit, (80, 30, 180), font, 20)
    add("mid-gray background", name, im)

    ramp = np.add.outer(np.linspace(0, 1, 300), np.linspace(0, 1, 400)) / 2  # diagonal
    im = Image.fromarray((50 + 180 * ramp).astype(np.uint8))
    draw_strokes(ImageDraw.Draw(im), digit, (150, 50, 200), 15, 15)
    add("gradient background, JPEG", "strokes", im, "jpg")

    im = Image.new("L", (280, 280), 0)
    draw_font(ImageDraw.Draw(im), digit, (90, 40, 200), other, 1)
    ink = np.asarray(im, dtype=np.float64)  # 0 or 1 where the glyph is
    noisy = 205 + rng.normal(0, 25, ink.shape)
    add("noisy paper", Path(other).stem, Image.fromarray(np.clip(noisy * (1 - 0.8 * ink), 0, 255).astype(np.uint8)))

    h, w = 480, 640  # photo-like: tinted paper with a vignette, pencil ink, a tilt, blur, strong JPEG
    yy, xx = np.mgrid[0:h, 0:w]
    shade = 1 - 0.35 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) * 2
    paper = np.stack([215 * shade, 205 * shade, 188 * shade], axis=-1)
    im = Image.fromarray(paper.astype(np.uint8))
    layer = Image.new("L", (w, h), 0)
    draw_strokes(ImageDraw.Draw(layer), digit, (270, 110, 240), 11, 255)
    layer = layer.rotate(float(rng.uniform(-10, 10)), resample=Image.Resampling.BILINEAR, center=(320, 230))
    pencil = Image.new("RGB", (w, h), (80, 78, 90))
    im = Image.composite(pencil, im, layer.point(lambda v: v * 0.85)).filter(ImageFilter.GaussianBlur(1.5))
    add("photo-like, JPEG", "strokes", im, "jpg")

    im = Image.new("L", (400, 300), 255)  # small and off-centre: a 40-pixel digit in a corner region
    x, y = int(rng.integers(20, 120)) + 220 * (digit % 2), int(rng.integers(15, 60)) + 150 * (digit % 3 == 0)
    draw_font(ImageDraw.Draw(im), digit, (x, y, 44), font, 0)
    add("small, off-centre", name, im)

    im = Image.new("L", (300, 300), 255)
    draw_font(ImageDraw.Draw(im), digit, (100, 40, 220), thin, 0)
    add("thin stroke", Path(thin).stem, im)
    return pictures


# ----------------------------------------------------------------------------- measuring


def contact_sheet(rows: list[dict], folder: Path, path: Path) -> None:
    """Thumbnails of every picture, one row per style, labelled with the prediction (red when wrong)."""
    from bpcore.files import atomic_write

    styles = list(dict.fromkeys(r["style"] for r in rows))
    cell, label = 72, 14
    sheet = Image.new("RGB", (10 * cell + 150, len(styles) * (cell + label)), "white")
    draw = ImageDraw.Draw(sheet)
    for r in rows:
        row, col = styles.index(r["style"]), r["digit"]
        thumb = Image.open(folder / r["file"]).convert("RGBA")
        thumb.thumbnail((cell - 4, cell - 4))
        checker = Image.new("RGBA", thumb.size, (235, 235, 235, 255))  # shows transparency as light gray
        checker.alpha_composite(thumb)
        x, y = 150 + col * cell, row * (cell + label)
        sheet.paste(checker.convert("RGB"), (x + 2, y + 2))
        text = "none" if r["predicted"] is None else f"{r['predicted']} {r['probability']:.2f}"
        draw.text((x + 4, y + cell), text, fill="black" if r["correct"] else "red")
        if col == 0:
            draw.text((4, y + cell // 2), r["style"], fill="black")
    with atomic_write(path) as file:
        sheet.save(file, format="PNG")


@click.command()
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.option("--keep", type=click.Path(file_okay=False), default=None,
              help="Folder to keep the pictures in [default: a temporary folder, removed at the end].")
@click.option("--out", type=click.Path(dir_okay=False), default=str(ROOT / "output" / "predict_corpus.json"),
              show_default=True, help="Where to write the figures (and, beside it, the .png contact sheet).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for noise, positions and tilts.")
def main(checkpoint, keep, out, seed):
    sys.path.insert(0, str(ROOT))
    import torch

    from bpcore.files import write_json
    from mnist.images import NoDigit, load_digit
    from mnist.train import load_checkpoint, model_from_checkpoint

    fonts = [f for f in FONT_FILES if Path(f).exists()]
    if not fonts:
        raise click.ClickException("none of the fonts in FONT_FILES is installed")
    state = load_checkpoint(checkpoint)
    model, config = model_from_checkpoint(state)
    model.eval()
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for digit in range(10):
            for k, (style, how, image, suffix) in enumerate(style_pictures(digit, fonts, rng)):
                file = f"{digit}-{k:02d}.{suffix}"
                image.save(folder / file, **({"quality": 45} if suffix == "jpg" else {}))
                try:
                    with torch.no_grad():
                        p = model(load_digit(folder / file)[None]).exp()[0]
                    predicted, probability = int(p.argmax()), round(float(p.max()), 4)
                except NoDigit:
                    predicted, probability = None, None
                rows.append({"file": file, "digit": digit, "style": style, "drawn_with": how,
                             "predicted": predicted, "probability": probability, "correct": predicted == digit})
        out = Path(out)
        contact_sheet(rows, folder, out.with_suffix(".png"))
    per_style = {}
    for r in rows:
        per_style.setdefault(r["style"], []).append(r["correct"])
    summary = {
        "pictures": len(rows), "correct": sum(r["correct"] for r in rows),
        "accuracy": round(100 * sum(r["correct"] for r in rows) / len(rows), 1),
        "no_digit_found": sum(r["predicted"] is None for r in rows),
        "per_style_correct": {s: f"{sum(v)}/{len(v)}" for s, v in per_style.items()},
        "fonts_correct": f"{sum(r['correct'] for r in rows if r['drawn_with'] != 'strokes')}/"
                         f"{sum(r['drawn_with'] != 'strokes' for r in rows)}",
        "strokes_correct": f"{sum(r['correct'] for r in rows if r['drawn_with'] == 'strokes')}/"
                           f"{sum(r['drawn_with'] == 'strokes' for r in rows)}",
    }
    epochs = state.get("epochs", [])
    write_json(out, {"summary": summary,
                     "checkpoint": {"path": str(checkpoint), "model": config.model, "epoch": state["epoch"],
                                    "test_accuracy": epochs[-1]["test_accuracy"] if epochs else None},
                     "fonts": [Path(f).name for f in fonts], "seed": seed, "pictures": rows})
    for r in rows:
        if not r["correct"]:
            print(f"wrong: {r['file']} {r['style']} ({r['drawn_with']}): digit {r['digit']}, "
                  f"predicted {r['predicted']} (p={r['probability']})")
    print(f"{summary['correct']}/{summary['pictures']} correct ({summary['accuracy']} %); per style "
          f"{summary['per_style_correct']}; wrote {out}")


if __name__ == "__main__":
    main()
