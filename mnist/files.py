"""Atomic file writes: a temp file in the target folder, then a rename, so a reader never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def umask() -> int:
    """The process's file-creation mask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call write(temp_path), then rename the temp file onto `path`; remove it if `write` fails."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600; a file the user made gets the usual mode (0644)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | Path, value) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(json.dumps(value, indent=2) + "\n"))


def check_writable_folder(folder: str | Path) -> Path:
    """Create `folder` if needed and prove a file can be written there; raise OSError if not."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / ".write-test", lambda tmp: tmp.write_bytes(b""))
    (folder / ".write-test").unlink()
    return folder


@contextmanager
def folder_kept_only_if_used(folder: str | Path) -> Iterator[Path]:
    """Create `folder` (and missing parents) for the block; remove those it created if the block leaves them
    empty, as when a run fails or is interrupted before its first file: no empty run folders are left."""
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
