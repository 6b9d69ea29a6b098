"""Writing result files so that an interrupted run never leaves a half-written one at the target path."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from backprop_sheet.config import InputError


def check_target(path: str | Path, suffix: str) -> Path:
    """The path, if a file with this suffix can be written there; InputError otherwise."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise InputError(f"output file {str(path)!r} must end in {suffix}")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"output folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise InputError(f"output path {str(path)!r} is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"output folder {str(folder)!r} is not writable")
    return path


@contextmanager
def atomic_write(path: Path) -> Iterator[BinaryIO]:
    """A binary file that replaces `path` only once the block has finished without error."""
    # The temporary file sits in the target folder so that os.replace is a rename, not a copy.
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InputError(f"cannot write to folder {str(path.parent)!r}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it the usual mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
