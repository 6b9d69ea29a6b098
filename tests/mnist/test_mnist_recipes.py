"""The recipes: the reference baseline as its authors ran it, the bf16 precision and its fp32 fallback,
and the epoch-at-once augmentation that replaced the per-batch one."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mnist import data as mnist_data
from mnist import models
from mnist.augment import augment
from mnist.cli import main
from mnist.config import recipe
from mnist.train import AUGMENT_CHUNK, epoch_images, lr_at, model_input, resolve_precision, train


def test_reference_recipe_is_the_authors():
    c = recipe("reference")
    assert (c.optimizer, c.lr, c.momentum, c.nesterov, c.batch_size, c.epochs) == ("sgd", 0.01, 0.9, False, 128, 20)
    assert (c.shift, c.rotate, c.scale, c.ema, c.weight_decay, c.label_smoothing) == (0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert c.precision == "fp32" and c.target_epochs == 0
    assert {lr_at(step, 20 * 469, c) for step in range(0, 20 * 469, 97)} == {0.01}  # no schedule


def test_reference_trains_the_seed_network():
    ref, seed = models.build("reference"), models.build("seed")
    assert [type(m) for m in ref.layers] == [type(m) for m in seed.layers]
    assert [p.shape for p in ref.parameters()] == [p.shape for p in seed.parameters()]
    assert models.count_parameters(ref) == 19_712


def test_mnist_train_model_reference(runner, dataset, tmp_path):
    result = runner.invoke(main, ["train", "--model", "reference", "--dry-run", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Training reference (19,712 parameters, fp32)" in result.output


def no_fast_bf16(monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)


def test_bf16_falls_back_to_fp32_without_fast_bf16_and_says_so(monkeypatch, dataset, tmp_path):
    no_fast_bf16(monkeypatch)
    c = recipe("fast", subset=1000, device="cpu", epochs=1, batch_size=100, precision="bf16")
    assert resolve_precision(c, torch.device("cpu"))[0] == "fp32"
    fell_back = train(c, tmp_path / "bf16", dataset, test_subset=500, progress=False)
    assert fell_back.precision == "fp32" and "fp32" in fell_back.note and "bf16" in fell_back.note
    fp32 = train(recipe("fast", subset=1000, device="cpu", epochs=1, batch_size=100, precision="fp32"),
                 tmp_path / "fp32", dataset, test_subset=500, progress=False)
    assert fp32.note is None
    assert fell_back.epochs[0]["train_loss"] == fp32.epochs[0]["train_loss"]  # the same fp32 arithmetic


def test_the_cli_names_the_fallback(monkeypatch, runner, dataset, tmp_path):
    no_fast_bf16(monkeypatch)
    monkeypatch.setitem(__import__("mnist.config").config.RECIPES, "fast",
                        recipe("fast", precision="bf16"))
    result = runner.invoke(main, ["train", "--model", "fast", "--dry-run", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "training in fp32 instead of the recipe's bf16" in result.output


@pytest.mark.skipif(not (torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()),
                    reason="this CPU has no fast bfloat16")
def test_bf16_runs_in_bfloat16_where_it_is_fast(dataset, tmp_path):
    c = recipe("fast", subset=3000, device="cpu", epochs=2, batch_size=64, precision="bf16")
    result = train(c, tmp_path / "bf16", dataset, test_subset=1000, progress=False)
    assert result.precision == "bf16" and result.note is None
    assert result.accuracies[-1] > 80.0  # it learns
    fp32 = train(recipe("fast", subset=3000, device="cpu", epochs=2, batch_size=64, precision="fp32"),
                 tmp_path / "fp32", dataset, test_subset=1000, progress=False)
    assert result.epochs[0]["train_loss"] != fp32.epochs[0]["train_loss"]  # other arithmetic: really bf16


def test_epoch_images_without_augmentation_are_the_permuted_images(dataset):
    pixels = dataset.train_images[:25_000].unsqueeze(1)
    perm = torch.randperm(25_000, generator=torch.Generator().manual_seed(3))
    out = epoch_images(pixels, perm, recipe("reference"), torch.Generator())
    assert out.dtype == torch.uint8 and torch.equal(out, pixels[perm])


def test_epoch_images_shift_each_image_of_every_chunk(dataset):
    pixels = dataset.train_images[:21_000].unsqueeze(1)  # three chunks, the last a short one
    perm = torch.randperm(21_000, generator=torch.Generator().manual_seed(4))
    out = epoch_images(pixels, perm, recipe("fast", shift=1), torch.Generator().manual_seed(5))
    assert out.shape == pixels.shape and out.dtype == torch.uint8
    padded = F.pad(pixels[perm], (1, 1, 1, 1))  # every possible +-1 px shift of each image, black filled
    shifts = torch.stack([padded[..., dy: dy + 28, dx: dx + 28] for dy in range(3) for dx in range(3)])
    matches = (shifts == out).flatten(2).all(2)  # (9, N): which shift each output image is
    assert matches.any(0).all()
    assert matches[4].float().mean() < 0.3  # most are moved (1 in 9 stays put, plus blank-edge ties)


@pytest.mark.parametrize("model", ["fast", "tiny"])
def test_epoch_images_as_the_model_reads_them_are_the_standardised_images_augmented(dataset, model):
    """Shifting uint8 pixels and standardising each batch gives, to the bit, what augmenting the standardised
    images does; a rotation (tiny) interpolates in the standardised values, as before."""
    c = recipe(model)
    pixels = dataset.train_images[:12_000].unsqueeze(1)
    images = mnist_data.normalise(dataset.train_images[:12_000])
    perm = torch.randperm(12_000, generator=torch.Generator().manual_seed(6))
    out = model_input(epoch_images(pixels, perm, c, torch.Generator().manual_seed(7)), torch.channels_last)
    gen = torch.Generator().manual_seed(7)
    expected = torch.cat([augment(images[perm[i: i + AUGMENT_CHUNK]], c.shift, c.rotate, float(images.min()), gen,
                                  c.scale) for i in range(0, 12_000, AUGMENT_CHUNK)])
    assert out.dtype == torch.float32 and torch.equal(out, expected)


def test_ema_every_k_steps_averages_k_times_fewer(dataset, tmp_path):
    from mnist.train import load_checkpoint

    c = recipe("tiny", subset=1000, device="cpu", epochs=2, batch_size=100, ema_every=3)  # 20 steps
    train(c, tmp_path, dataset, test_subset=500, progress=False)
    assert int(load_checkpoint(tmp_path / "last.pt")["ema"]["n_averaged"]) == 20 // 3


@pytest.mark.parametrize("overrides, field", [({"precision": "fp16"}, "precision"), ({"ema_every": 0}, "ema_every")])
def test_precision_and_ema_every_are_checked(overrides, field):
    from mnist.config import ConfigError

    with pytest.raises(ConfigError, match=field):
        recipe("fast", **overrides)
