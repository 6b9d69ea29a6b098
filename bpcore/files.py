"""Writing files so that a reader never sees half of one, and folders so that no empty one is left behind."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def umask() -> int:
    """The process's file-creation mask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file that replaces `path` only once the block has finished without error.

    The temporary file sits in the target folder, so that the final os.replace is a rename, not a copy;
    it is removed if the block raises (or is interrupted), and the file gets the usual mode (0644 as a rule).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes the file private (0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_write(path) as file:
        file.write(data)
    return Path(path)


def write_json(path: str | Path, value) -> Path:
    return write_bytes(path, (json.dumps(value, indent=2) + "\n").encode())


def check_writable_folder(folder: str | Path) -> Path:
    """Create `folder` if needed and prove a file can be written there; raise OSError if not."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes(folder / ".write-test", b"")
    (folder / ".write-test").unlink()
    return folder


@contextmanager
def folder_kept_only_if_used(folder: str | Path) -> Iterator[Path]:
    """Create `folder` (and missing parents) for the block; remove those it created if the block leaves them
    empty, as when a run fails or is interrupted before its first file: no empty folders are left."""
    path = Path(folder).absolute()
    created = [p for p in [path, *path.parents] if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield Path(folder)
    finally:
        for p in created:  # deepest first
            try:
                p.rmdir()  # only succeeds when empty
            except OSError:
                break
