"""Atomic file writes: a temp file in the target folder, then a rename, so a reader never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call write(temp_path), then rename the temp file onto `path`; remove it if `write` fails."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
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
