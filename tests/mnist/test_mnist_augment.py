"""Augmentation keeps shapes and labels, and moves digits inside the 28x28 frame without wrapping."""

from __future__ import annotations

import torch

from mnist import data as mnist_data
from mnist.augment import augment, random_rotate, random_shift


def test_shift_is_a_translation_inside_the_frame(dataset):
    x = mnist_data.normalise(dataset.train_images[:512])  # (512, 1, 28, 28)
    background = float(x.min())
    gen = torch.Generator().manual_seed(0)
    y = random_shift(x, 3, background, gen)
    assert y.shape == x.shape and y.dtype == x.dtype
    # Redo each shift by hand: y must be x translated by some (dy, dx) in [-3, 3]^2, the border background.
    padded = torch.nn.functional.pad(x, (3, 3, 3, 3), value=background)
    for i in range(0, 512, 37):
        matches = [(dy, dx) for dy in range(7) for dx in range(7)
                   if torch.equal(y[i], padded[i, :, dy: dy + 28, dx: dx + 28])]
        assert matches, f"image {i} is not a pad-and-crop of the original"
    # Digits with no ink in the outer 3 pixels lose none when shifted by up to 3: nothing wraps round.
    ink = x - background
    border = ink.clone()
    border[:, :, 3:25, 3:25] = 0
    inner = border.amax(dim=(1, 2, 3)) == 0
    assert inner.sum() > 100
    torch.testing.assert_close((y - background)[inner].sum(dim=(1, 2, 3)), ink[inner].sum(dim=(1, 2, 3)))


def test_shift_zero_is_identity_and_is_seeded(dataset):
    x = mnist_data.normalise(dataset.train_images[:64])
    assert torch.equal(random_shift(x, 0, -0.42, torch.Generator()), x)
    a = random_shift(x, 2, -0.42, torch.Generator().manual_seed(5))
    b = random_shift(x, 2, -0.42, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_rotation_keeps_shape_background_and_most_ink(dataset):
    x = mnist_data.normalise(dataset.train_images[:256])
    background = float(x.min())
    y = random_rotate(x, 10.0, background, torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    # The corners stay background: nothing wraps round or leaks in from outside the frame.
    torch.testing.assert_close(y[:, :, :2, :2], torch.full_like(y[:, :, :2, :2], background))
    ink_x, ink_y = (x - background).sum(dim=(1, 2, 3)), (y - background).sum(dim=(1, 2, 3))
    assert ((ink_y - ink_x).abs() / ink_x).max() < 0.1


def test_augment_leaves_labels_and_batch_order_alone(dataset):
    x = mnist_data.normalise(dataset.train_images[:128])
    labels = dataset.train_labels[:128].clone()
    y = augment(x, 2, 7.0, float(x.min()), torch.Generator().manual_seed(1))
    assert y.shape == (128, 1, 28, 28)
    assert torch.equal(labels, dataset.train_labels[:128])
    # Each output stays with its own source: same ink (within rotation's resampling) and a centre of
    # mass moved by no more than the shift plus what a 7 degree turn can do.
    bg = float(x.min())
    ink_x, ink_y = x - bg, y - bg
    ratio = ink_y.sum(dim=(1, 2, 3)) / ink_x.sum(dim=(1, 2, 3))
    assert ((ratio - 1).abs() < 0.15).float().mean() > 0.95
    grid = torch.stack(torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij"))  # (2, 28, 28)

    def centre(ink):
        return (ink * grid).sum(dim=(2, 3)) / ink.sum(dim=(2, 3))  # (B, 2)

    assert (centre(ink_y) - centre(ink_x)).norm(dim=1).max() < 2 * 2**0.5 + 1.5


def test_zoom_shrinks_and_grows_digits_inside_the_frame(dataset):
    x = mnist_data.normalise(dataset.train_images[:512])
    background = float(x.min())
    assert torch.equal(random_rotate(x, 0.0, background, torch.Generator(), max_scale=0.0), x)
    y = random_rotate(x, 0.0, background, torch.Generator().manual_seed(3), max_scale=0.2)
    assert y.shape == x.shape
    torch.testing.assert_close(y[:, :, :2, :2], torch.full_like(y[:, :, :2, :2], background))
    # Ink scales with area: a zoom by z in [0.8, 1.2] multiplies it by about z^2, both ways across the batch.
    ratio = (y - background).sum(dim=(1, 2, 3)) / (x - background).sum(dim=(1, 2, 3))
    assert ratio.min() > 0.8**2 - 0.08 and ratio.max() < 1.2**2 + 0.08
    assert (ratio < 0.85).sum() > 50 and (ratio > 1.15).sum() > 50
