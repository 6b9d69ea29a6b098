"""Turn a user's digit picture (PNG or JPEG) into an MNIST-like (1, 28, 28) normalised tensor.

MNIST digits are white strokes on black, their bounding box scaled to 20x20 and their centre of mass at the
centre of a 28x28 frame. A user's picture may be dark on light or light on dark, on a transparent, gray,
gradient or noisy background, with the digit small and off-centre. So, in turn:
  1. composite any transparency onto a background that contrasts with the opaque pixels;
  2. shrink the picture to at most WORK_SIDE pixels a side and blur it lightly (noise, JPEG blocks);
  3. fit a smooth background (a quadratic surface, refitted without the outliers, which are the ink) and
     subtract it, so that gradients and gray paper become 0;
  4. take as ink the side (darker or lighter than the background) with the larger tail beyond the noise,
     threshold it with Otsu's method, and refuse images whose ink is no stronger than their noise;
  5. keep the largest connected blob of ink and the sizeable blobs next to it (a stroke may be broken),
     dropping specks elsewhere; a digit under a third of the picture's size is looked for again in a
     crop around it, so that the blur and the background scale to the digit;
  6. scale and centre the ink as MNIST was prepared.
"""

from __future__ import annotations

import warnings
from collections import deque
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from .data import normalise

MAX_PIXELS = 80_000_000  # larger images are refused (below PIL's decompression-bomb limit of 89.5 million)
WORK_SIDE = 512  # the digit is looked for at most this many pixels a side (a digit needs far fewer)
MIN_SIDE = 8  # smaller images cannot hold a recognisable digit
MIN_CONTRAST = 32.0  # gray levels (of 255) between ink and background: less is not a digit
NOISE_FACTOR = 6.0  # ... and the ink must stand this many noise standard deviations above the background
NEIGHBOUR_SHARE = 0.1  # a blob of at least this share of the largest one's area, beside it, is kept too


class ImageError(Exception):
    """The file is not a readable PNG or JPEG image, or is too large: `reason` says which, `path` names it."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


class NoDigit(Exception):
    """The image holds nothing that stands out from its background (blank, uniform, or tiny)."""


# ----------------------------------------------------------------------------- reading


def read_gray(path: str | Path) -> np.ndarray:
    """The image as (H, W) float64 gray levels in [0, 255], transparency composited, at most WORK_SIDE a side."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we apply our own, lower limit
            with Image.open(path) as im:
                if im.format not in ("PNG", "JPEG"):
                    raise ImageError(path, f"is {im.format}, not a PNG or JPEG image")
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise ImageError(path, f"{w:,}x{h:,} pixels is too large (over {MAX_PIXELS // 10**6} "
                                     "megapixels); scale it down")
                if im.format == "JPEG":
                    im.draft("L", (WORK_SIDE, WORK_SIDE))  # decode at a reduced size: fast for large photos
                im = ImageOps.exif_transpose(im)  # phone photos store their rotation in EXIF
                gray = composite(im)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(path, f"too large (over {MAX_PIXELS // 10**6} megapixels); scale it down") from None
    except FileNotFoundError:
        raise ImageError(path, "no such file") from None
    except IsADirectoryError:
        raise ImageError(path, "is a folder, not an image") from None
    except PermissionError:
        raise ImageError(path, "cannot be read (permission denied)") from None
    except Exception as e:  # noqa: BLE001 -- whatever a damaged file makes PIL raise: one clear message
        raise ImageError(path, f"not a readable PNG or JPEG image ({type(e).__name__})") from None
    if max(gray.shape) > WORK_SIDE:
        scale = WORK_SIDE / max(gray.shape)
        size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        gray = np.asarray(Image.fromarray(gray.astype(np.float32), "F").resize(size, Image.Resampling.BOX),
                          dtype=np.float64)
    return gray


def composite(im: Image.Image) -> np.ndarray:
    """(H, W) gray levels; transparent pixels take white under dark ink, black under light ink."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float grayscale: scale to 0..255
        a = np.asarray(im, dtype=np.float64)
        return 255.0 * (a - a.min()) / max(a.max() - a.min(), 1e-12)
    if im.mode not in ("RGBA", "LA", "PA") and "transparency" not in im.info:
        return np.asarray(im.convert("L"), dtype=np.float64)
    rgba = im.convert("RGBA")
    lum = np.asarray(rgba.convert("L"), dtype=np.float64)
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64) / 255.0
    if alpha.sum() == 0:
        return np.zeros_like(lum)  # fully transparent: blank
    ink = (lum * alpha).sum() / alpha.sum()  # mean gray of what is drawn
    paper = 255.0 if ink < 128 else 0.0
    return lum * alpha + paper * (1 - alpha)


# ----------------------------------------------------------------------------- finding the digit


def blur(gray: np.ndarray) -> np.ndarray:
    """A Gaussian blur scaled to the image: sigma about 1 % of its longer side (separable, reflected edges)."""
    sigma = max(gray.shape) / 100
    if sigma < 0.5:
        return gray
    r = min(int(3 * sigma), min(gray.shape) - 1)
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=torch.float64) / sigma) ** 2)
    k = k / k.sum()
    x = torch.from_numpy(gray)[None, None]  # (1, 1, H, W)
    x = torch.nn.functional.pad(x, (r, r, r, r), mode="reflect")
    x = torch.nn.functional.conv2d(x, k.view(1, 1, 1, -1))
    x = torch.nn.functional.conv2d(x, k.view(1, 1, -1, 1))
    return x[0, 0].numpy()


def background(gray: np.ndarray, rounds: int = 4) -> tuple[np.ndarray, float]:
    """A quadratic surface fitted to the paper, and the noise around it.

    Robust: it starts from the median gray level (the paper's, as paper covers most of a picture), then
    refits the surface to the pixels within 2.5 noise deviations of the last fit, so ink never pulls it.
    """
    h, w = gray.shape
    ys, xs = np.mgrid[0:h, 0:w]
    y, x = (ys / max(h - 1, 1) - 0.5).ravel(), (xs / max(w - 1, 1) - 0.5).ravel()
    basis = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)  # (H*W, 6)
    values = gray.ravel()
    step = max(1, len(values) // 20_000)  # a subsample is plenty for six coefficients
    surface = np.full(len(values), float(np.median(values[::step])))
    for _ in range(rounds):
        sample = (values - surface)[::step]
        centre = np.median(sample)
        sigma = max(1.0, 1.4826 * float(np.median(np.abs(sample - centre))))
        keep = np.abs(sample - centre) < 2.5 * sigma
        if keep.sum() < 6:
            break
        coef, *_ = np.linalg.lstsq(basis[::step][keep], values[::step][keep], rcond=None)
        surface = basis @ coef
    sample = (values - surface)[::step]
    sigma = max(1.0, 1.4826 * float(np.median(np.abs(sample - np.median(sample)))))
    return surface.reshape(h, w), sigma


def otsu(values: np.ndarray, bins: int = 256) -> float:
    """The threshold that best splits `values` into two classes (largest between-class variance)."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres) / np.maximum(w0, 1)
    m1 = ((hist * centres).sum() - np.cumsum(hist * centres)) / np.maximum(w1, 1)
    between = w0 * w1 * (m0 - m1) ** 2
    return float(edges[1:][np.argmax(between[:-1])]) if len(between) > 1 else float(values.mean())


def components(mask: np.ndarray) -> list[np.ndarray]:
    """The 8-connected blobs of `mask`, each as an (N, 2) array of (y, x), largest first."""
    seen = np.zeros_like(mask, bool)
    h, w = mask.shape
    blobs = []
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        seen[start] = True
        queue, pixels = deque([start]), []
        while queue:
            cy, cx = queue.popleft()
            pixels.append((cy, cx))
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = cy + dy, cx + dx
                    if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        queue.append((ny, nx))
        blobs.append(np.array(pixels))
    return sorted(blobs, key=len, reverse=True)


def digit_blobs(blobs: list[np.ndarray]) -> list[np.ndarray]:
    """The largest blob, plus the sizeable ones within half its size of its bounding box."""
    main = blobs[0]
    (y0, x0), (y1, x1) = main.min(0), main.max(0)
    my, mx = (y1 - y0 + 1) / 2, (x1 - x0 + 1) / 2
    kept = [main]
    for blob in blobs[1:]:
        (by0, bx0), (by1, bx1) = blob.min(0), blob.max(0)
        near = by1 >= y0 - my and by0 <= y1 + my and bx1 >= x0 - mx and bx0 <= x1 + mx
        if near and len(blob) >= NEIGHBOUR_SHARE * len(main):
            kept.append(blob)
    return kept


def find_digit(gray: np.ndarray, zoom: bool = True) -> np.ndarray:
    """(H, W) gray levels -> (h, w) uint8 ink, white on black, around the digit, everything else 0.
    Raises NoDigit when nothing stands out from the background.

    A digit much smaller than its picture is looked for again in a crop around it (`zoom`), where the
    blur and the background fit scale to the digit rather than to the whole picture."""
    if min(gray.shape) < MIN_SIDE:
        raise NoDigit(f"the image is {gray.shape[1]}x{gray.shape[0]} pixels, too small to hold a digit")
    smooth = blur(gray)
    surface, sigma = background(smooth)
    residual = smooth - surface
    # The ink is the side with the larger tail beyond the noise: dark ink on light paper, or light on dark.
    tails = {s: float(np.clip(s * residual - 3 * sigma, 0, None).sum()) for s in (1, -1)}
    sign = max(tails, key=tails.get)
    v = sign * residual
    t = otsu(v)
    ink, paper = v[v > t], v[v <= t]
    contrast = (ink.mean() - paper.mean()) if len(ink) and len(paper) else 0.0
    if contrast < max(MIN_CONTRAST, NOISE_FACTOR * sigma):
        raise NoDigit(f"nothing stands out from the background (contrast {contrast:.0f} of 255 gray levels)")
    kept = np.concatenate(digit_blobs(components(v > t)))
    (y0, x0), (y1, x1) = kept.min(0), kept.max(0)
    side = max(y1 - y0, x1 - x0) + 1
    if zoom and side < max(gray.shape) / 3:  # small: look again in a crop of 2x its size around it
        cy, cx = (y0 + y1) // 2, (x0 + x1) // 2
        crop = gray[max(0, cy - side): cy + side + 1, max(0, cx - side): cx + side + 1]
        if min(crop.shape) >= MIN_SIDE:
            try:
                return find_digit(crop, zoom=False)
            except NoDigit:
                pass
    mask = np.zeros(v.shape, bool)
    mask[kept[:, 0], kept[:, 1]] = True
    # Keep the anti-aliased edge of each stroke: grow the mask by a pixel or two.
    for _ in range(max(1, round(max(gray.shape) / 200))):
        grown = mask.copy()
        grown[1:] |= mask[:-1]
        grown[:-1] |= mask[1:]
        grown[:, 1:] |= mask[:, :-1]
        grown[:, :-1] |= mask[:, 1:]
        mask = grown
    level = np.clip((v - paper.mean()) / (ink.mean() - paper.mean()), 0, 1) * mask
    return (255 * level).round().astype(np.uint8)


# ----------------------------------------------------------------------------- MNIST framing


def to_mnist_frame(gray: np.ndarray) -> np.ndarray:
    """(H, W) uint8, white digit on black -> (28, 28) uint8, MNIST-style.

    As in MNIST's own preparation: the digit's bounding box is scaled to fit 20x20 keeping its aspect
    ratio, then placed in a 28x28 frame with its centre of mass at the centre.
    """
    ys, xs = np.nonzero(gray > 30)
    if len(ys) == 0:
        return np.zeros((28, 28), np.uint8)
    crop = gray[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    digit = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS), dtype=np.float64)
    frame = np.zeros((28, 28))
    top, left = (28 - size[1]) // 2, (28 - size[0]) // 2
    frame[top: top + size[1], left: left + size[0]] = digit
    if frame.sum() > 0:  # move the centre of mass to the centre, staying inside the frame
        cy, cx = (np.indices(frame.shape) * frame).reshape(2, -1).sum(1) / frame.sum()
        dy, dx = round(13.5 - cy), round(13.5 - cx)
        dy = max(-top, min(dy, 28 - top - size[1]))
        dx = max(-left, min(dx, 28 - left - size[0]))
        frame = np.roll(frame, (dy, dx), axis=(0, 1))
    return np.clip(frame, 0, 255).astype(np.uint8)


def load_digit(path: str | Path) -> torch.Tensor:
    """Read an image file and return a (1, 28, 28) float tensor normalised like the training data.
    Raises ImageError for an unreadable or oversized file, NoDigit when no digit stands out."""
    frame = to_mnist_frame(find_digit(read_gray(path)))
    return normalise(torch.from_numpy(frame)[None])[0]
