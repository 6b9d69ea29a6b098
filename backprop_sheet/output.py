"""Checking an output path before anything is computed, so that bad input fails before any file is written."""

import os
import re
import zipfile
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


def sheet_names(path: str | Path) -> set[str]:
    """The sheet names an .xlsx package lists ({} for anything that is not one): which tool wrote it."""
    try:
        with zipfile.ZipFile(path) as package:
            return {n.decode() for n in re.findall(rb'<sheet [^>]*name="([^"]+)"', package.read("xl/workbook.xml"))}
    except (OSError, KeyError, zipfile.BadZipFile):
        return set()
