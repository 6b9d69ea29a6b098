"""Recalculating workbooks headless in LibreOffice or Gnumeric: the independent spreadsheet engines."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# LibreOffice keeps the values cached in an .xlsx unless told to recalculate on load (0 = always);
# without this a workbook whose cached values were edited would pass unchecked.
_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


class RecalcError(RuntimeError):
    """The engine is missing or did not produce a recalculated file."""


def require(program: str, missing: str) -> str:
    """The path of `program`, or RecalcError(`missing`) when it is not on PATH."""
    path = shutil.which(program)
    if path is None:
        raise RecalcError(missing)
    return path


def _failure(engine: str, run: subprocess.CompletedProcess, what: str) -> RecalcError:
    """An engine's failure, with the last line it printed."""
    detail = (run.stderr or run.stdout).strip().splitlines()
    return RecalcError(f"{engine} failed (exit {run.returncode}) on {what}" + (f": {detail[-1]}" if detail else ""))


SOFFICE_ENV = "BACKPROP_SOFFICE"  # the path of LibreOffice's soffice, where it is not on PATH
# Where LibreOffice's installers put soffice, tried after PATH: Windows and macOS do not put it on PATH.
SOFFICE_PLACES = (r"C:\Program Files\LibreOffice\program\soffice.exe",
                  r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
                  "/Applications/LibreOffice.app/Contents/MacOS/soffice")


def soffice_path(given: str | None = None) -> str | None:
    """LibreOffice's soffice: `given`, else $BACKPROP_SOFFICE, else on PATH, else where installers put it."""
    explicit = given or os.environ.get(SOFFICE_ENV)
    if explicit:
        if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
            origin = "--soffice" if given else f"${SOFFICE_ENV}"
            raise RecalcError(f"{origin} {explicit!r} is not an executable file")
        return explicit
    return shutil.which("soffice") or next((p for p in SOFFICE_PLACES if Path(p).is_file()), None)


def find_soffice(given: str | None = None) -> str:
    path = soffice_path(given)
    if path is None:
        raise RecalcError(f"LibreOffice's 'soffice' is not on PATH; verify needs it to recalculate "
                          f"(Debian/Ubuntu: apt-get install libreoffice-calc-nogui; or set ${SOFFICE_ENV})")
    return path


def recalculate(paths: list[Path], outdir: Path, timeout: float = 600, soffice: str | None = None) -> list[Path]:
    """Recalculate every workbook in one LibreOffice run; returns the recalculated copies in `outdir`.

    One run for many files because starting LibreOffice costs a few seconds each time.
    """
    names = [Path(p).stem + ".xlsx" for p in paths]  # an .ods or .xlsm comes back as .xlsx
    if len(set(names)) != len(names):
        raise ValueError("workbooks recalculated together need distinct file names")
    if any(Path(p).resolve().parent == Path(outdir).resolve() for p in paths):
        raise ValueError("the recalculated copies need a folder other than the originals'")
    results = [Path(outdir) / name for name in names]
    for stale in results:
        stale.unlink(missing_ok=True)
    soffice = find_soffice(soffice)
    # A private profile per run: parallel runs would otherwise fight over the user's profile lock.
    with tempfile.TemporaryDirectory(prefix="backprop-soffice-") as profile:
        (Path(profile) / "user").mkdir()
        (Path(profile) / "user" / "registrymodifications.xcu").write_text(_RECALC_ALWAYS)
        command = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                   "--convert-to", "xlsx", "--outdir", str(outdir), *map(str, paths)]
        try:
            run = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RecalcError(f"LibreOffice did not finish within {timeout:.0f} s") from None
    missing = [p.name for p in results if not p.exists()]
    if run.returncode != 0 or missing:
        raise _failure("LibreOffice", run, ", ".join(missing) or "its input")
    return results


def find_ssconvert() -> str:
    return require("ssconvert", "Gnumeric's 'ssconvert' is not on PATH; verify --engine gnumeric needs it "
                                "(Debian/Ubuntu: apt-get install gnumeric)")


def recalculate_gnumeric(paths: list[Path], outdir: Path, timeout: float = 600) -> list[Path]:
    """Recalculate every workbook in Gnumeric (`ssconvert --recalc`, one run per file; it starts fast)."""
    ssconvert = find_ssconvert()
    results = []
    for path in map(Path, paths):
        result = Path(outdir) / path.name
        if result.resolve() == path.resolve():
            raise ValueError("the recalculated copies need a folder other than the originals'")
        result.unlink(missing_ok=True)
        command = [ssconvert, "--recalc", "--export-type=Gnumeric_Excel:xlsx2", str(path), str(result)]
        try:
            run = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RecalcError(f"Gnumeric did not finish within {timeout:.0f} s") from None
        if run.returncode != 0 or not result.exists():
            raise _failure("Gnumeric", run, path.name)
        results.append(result)
    return results


def recalculate_with(engine: str, paths: list[Path], outdir: Path, timeout: float = 600) -> list[Path]:
    """Recalculate in the named engine: "libreoffice" or "gnumeric"."""
    engines = {"libreoffice": recalculate, "gnumeric": recalculate_gnumeric}
    if engine not in engines:
        raise ValueError(f"unknown engine {engine!r} (known: {', '.join(engines)})")
    return engines[engine](paths, outdir, timeout)
