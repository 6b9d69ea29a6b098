"""`mnist predict` on pictures as users make them: transparent, gray or gradient backgrounds, blank images,
huge images. The oracle is the label of the real MNIST test digit each picture is drawn from."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mnist.cli import main
from mnist.images import NoDigit, find_digit, to_mnist_frame

N = 8  # test digits per kind of picture; at least N - 1 must be read right


def ink(dataset, i: int, scale: int = 4) -> np.ndarray:
    """MNIST test digit i as ink coverage in [0, 1], `scale` times larger: (28*scale, 28*scale)."""
    image = Image.fromarray(dataset.test_images[i].numpy()).resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.float64) / 255


def predictions(result) -> list[str]:
    return [line.split(": ", 1)[1] for line in result.output.strip().splitlines()]


def digits(result) -> list[int]:
    return [int(p.split()[0]) for p in predictions(result)]


def assert_reads(runner, checkpoint, dataset, paths):
    result = runner.invoke(main, ["predict", str(checkpoint), *map(str, paths)])
    assert result.exit_code == 0, result.output
    labels = [int(dataset.test_labels[i]) for i in range(len(paths))]
    assert sum(p == t for p, t in zip(digits(result), labels)) >= len(paths) - 1, (digits(result), labels)
    return result


def test_dark_ink_on_a_transparent_png(runner, checkpoint, dataset, tmp_path):
    paths = []
    for i in range(N):  # black strokes whose alpha is the ink; the paper is fully transparent (and black)
        rgba = np.zeros((112, 112, 4), np.uint8)
        rgba[..., 3] = (255 * ink(dataset, i)).round()
        paths.append(tmp_path / f"t{i}.png")
        Image.fromarray(rgba, "RGBA").save(paths[-1])
    result = assert_reads(runner, checkpoint, dataset, paths)
    assert all("next" in p and "p=" in p for p in predictions(result))  # the top two, with probabilities


def test_light_ink_on_a_transparent_png(runner, checkpoint, dataset, tmp_path):
    paths = []
    for i in range(N):
        rgba = np.full((112, 112, 4), 255, np.uint8)
        rgba[..., 3] = (255 * ink(dataset, i)).round()
        paths.append(tmp_path / f"w{i}.png")
        Image.fromarray(rgba, "RGBA").save(paths[-1])
    assert_reads(runner, checkpoint, dataset, paths)


def test_dark_ink_on_mid_gray_and_on_a_gradient_jpeg(runner, checkpoint, dataset, tmp_path):
    paths = []
    for i in range(N):
        paper = np.full((112, 112), 128.0) if i % 2 else np.tile(np.linspace(60, 230, 112), (112, 1))
        gray = paper * (1 - ink(dataset, i))
        paths.append(tmp_path / f"g{i}.{'png' if i % 2 else 'jpg'}")
        Image.fromarray(gray.round().astype(np.uint8)).save(paths[-1])
    assert_reads(runner, checkpoint, dataset, paths)


def test_a_small_digit_off_centre_on_noisy_paper(runner, checkpoint, dataset, tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(N):
        gray = rng.normal(200, 12, (300, 400))
        y, x = 20 + 30 * (i % 3), 250 - 25 * (i % 4)
        gray[y: y + 56, x: x + 56] *= 1 - 0.8 * ink(dataset, i, scale=2)
        paths.append(tmp_path / f"n{i}.png")
        Image.fromarray(np.clip(gray, 0, 255).round().astype(np.uint8)).save(paths[-1])
    assert_reads(runner, checkpoint, dataset, paths)


BLANK = {
    "white.png": Image.new("L", (200, 150), 255),
    "black.jpg": Image.new("RGB", (200, 150), (0, 0, 0)),
    "gray.png": Image.new("L", (64, 64), 128),
    "one-pixel.png": Image.new("L", (1, 1), 0),
    "transparent.png": Image.new("RGBA", (100, 100), (0, 0, 0, 0)),
    "noise.png": Image.fromarray(np.random.default_rng(1).normal(128, 20, (120, 120)).clip(0, 255).astype(np.uint8)),
    "gradient.jpg": Image.fromarray(np.tile(np.linspace(30, 220, 160), (120, 1)).astype(np.uint8)),
}


def test_blank_images_are_said_to_hold_no_digit(runner, checkpoint, dataset, tmp_path):
    digit = tmp_path / "digit.png"
    Image.fromarray((255 * (1 - ink(dataset, 0))).round().astype(np.uint8)).save(digit)
    paths = []
    for name, image in BLANK.items():
        paths.append(tmp_path / name)
        image.save(paths[-1])
    result = runner.invoke(main, ["predict", str(checkpoint), *map(str, paths), str(digit)])
    assert result.exit_code == 1, result.output  # some file held no digit
    assert "Traceback" not in result.output
    lines = predictions(result)
    assert all(line.startswith("no digit found") for line in lines[:-1]), lines
    assert lines[-1].split()[0] == str(int(dataset.test_labels[0]))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels (its data is a 1x1 image's): cheap to make."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = bytearray(data[12:29])  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


@pytest.mark.parametrize("side", [10_000, 15_000])
def test_oversized_images_are_refused_cleanly(runner, checkpoint, tmp_path, side):
    path = tmp_path / "huge.png"
    path.write_bytes(png_claiming(side, side))
    result = runner.invoke(main, ["predict", str(checkpoint), str(path)])  # any warning would fail the test
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert result.output.startswith(f"{path}: Error: ") and "too large" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_far_speck_is_not_part_of_the_digit(dataset):
    paper = 255 * (1 - ink(dataset, 3))
    page = np.full((200, 300), 255.0)
    page[40:152, 20:132] = paper
    alone = to_mnist_frame(find_digit(page.copy()))
    page[180:186, 270:276] = 0  # a dark speck far from the digit
    with_speck = to_mnist_frame(find_digit(page)).astype(int)
    assert np.abs(with_speck - alone).max() <= 8  # the same digit, nothing added


def test_a_uniform_image_raises_no_digit():
    with pytest.raises(NoDigit):
        find_digit(np.full((50, 50), 200.0))
