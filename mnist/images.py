"""Turn a user's digit picture (PNG or JPEG) into an MNIST-like (1, 28, 28) normalised tensor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .data import normalise


class ImageError(Exception):
    """The file is not a readable PNG or JPEG image."""


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
    """Read an image file and return a (1, 28, 28) float tensor normalised like the training data."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            if im.format not in ("PNG", "JPEG"):
                raise ImageError(f"{path}: is {im.format}, not a PNG or JPEG image")
            gray = np.asarray(im.convert("L"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError) as e:
        raise ImageError(f"{path}: not a readable PNG or JPEG image ({type(e).__name__})") from None
    if np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])) > 127:
        gray = 255 - gray  # dark ink on light paper: invert to MNIST's white on black
    return normalise(torch.from_numpy(to_mnist_frame(gray))[None])[0]
