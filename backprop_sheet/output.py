"""Checking an output path before anything is computed, so that bad input fails before any file is written."""

import os
from pathlib import Path

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
