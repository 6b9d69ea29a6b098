"""`check` from end to end: validate, recalculate every file in LibreOffice, grade, write the reports."""

import os
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from backprop_sheet.check import report
from backprop_sheet.check.grade import FileResult, grade_sheets
from backprop_sheet.check.sheets import read_sheets
from backprop_sheet.config import InputError, SheetConfig, load_config
from backprop_sheet.output import check_target
from backprop_sheet.recalc import RecalcError, find_soffice, recalculate

SUFFIXES = (".xlsx", ".xlsm", ".ods")
BATCHES = 2  # LibreOffice runs at once: it uses one core, and the files need not wait for each other


@dataclass(frozen=True)
class Outputs:
    json: Path | None  # --json
    csv: Path | None  # --csv
    annotate: Path | None  # --annotate folder


def validate_outputs(files: list[str], json_path, csv_path, annotate_dir) -> Outputs:
    """Check every output before the slow part, so bad usage costs nothing and writes nothing."""
    json_target = check_target(json_path, ".json") if json_path else None
    csv_target = check_target(csv_path, ".csv") if csv_path else None
    folder = None
    if annotate_dir:
        folder = Path(annotate_dir)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"--annotate {str(folder)!r} is a file, not a folder")
        if not folder.resolve().parent.is_dir():
            raise InputError(f"--annotate: the folder above {str(folder)!r} does not exist")
        inputs = {Path(f).resolve().parent for f in files if Path(f).exists()}
        if folder.resolve() in inputs:
            raise InputError(f"--annotate {str(folder)!r} holds submissions: the copies would overwrite "
                             "them; name another folder")
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            raise InputError(f"--annotate folder {str(folder)!r} is not writable")
    return Outputs(json_target, csv_target, folder)


def _unreadable(path: Path) -> str | None:
    if not path.is_file():
        return "no such file"
    if path.suffix.lower() not in SUFFIXES:
        return f"not a spreadsheet ({', '.join(SUFFIXES)})"
    if not zipfile.is_zipfile(path):  # before LibreOffice, which would read a CSV or text as a sheet
        return f"not an {path.suffix.lower()} workbook (its content is not a zip package)"
    return None


def _recalculate_all(paths: list[Path], tmp: Path) -> list[Path | None]:
    """Each file's recalculated .xlsx (None where LibreOffice produced none), in up to BATCHES runs."""
    inputs = tmp / "in"
    inputs.mkdir()
    links = []
    for k, path in enumerate(paths):  # numbered links: submissions often share a file name
        link = inputs / f"{k:05d}{path.suffix.lower()}"
        link.symlink_to(path.resolve())
        links.append(link)
    batches = [links[b::BATCHES] for b in range(BATCHES) if links[b::BATCHES]]

    def run(b: int) -> None:
        outdir = tmp / f"out{b}"
        outdir.mkdir()
        try:
            recalculate(batches[b], outdir)
        except RecalcError:
            pass  # the files it did convert are used; the others are reported unreadable

    with ThreadPoolExecutor(len(batches)) as pool:
        list(pool.map(run, range(len(batches))))
    results = []
    for k in range(len(paths)):
        out = tmp / f"out{k % BATCHES}" / f"{k:05d}.xlsx"
        results.append(out if out.exists() else None)
    return results


def _annotated_name(path: Path, taken: set[str]) -> str:
    suffix = ".xlsm" if path.suffix.lower() == ".xlsm" else ".xlsx"
    name, n = path.stem + suffix, 1
    while name in taken:
        n += 1
        name = f"{path.stem}-{n}{suffix}"
    taken.add(name)
    return name


def check(files: list[str], config: SheetConfig | None = None, config_source: str = "the assignment's default",
          annotate: Path | None = None) -> list[FileResult]:
    """Grade every file; an unreadable one is reported as such and does not stop the others."""
    config = config or SheetConfig()
    paths = [Path(f) for f in files]
    results = [FileResult(str(p)) for p in paths]
    readable = []
    for result, path in zip(results, paths):
        result.error = _unreadable(path)
        if result.error is None:
            readable.append((result, path))
    if not readable:
        return results
    find_soffice()  # no LibreOffice: bad usage of the whole run, not one unreadable file
    with tempfile.TemporaryDirectory(prefix="backprop-check-") as tmp:
        converted = _recalculate_all([p for _, p in readable], Path(tmp))
        taken: set[str] = set()
        for (result, path), recalculated in zip(readable, converted):
            if recalculated is None:
                result.error = "LibreOffice could not open it"
                continue
            try:
                graded = grade_sheets(str(path), read_sheets(recalculated), config, config_source)
            except (ValueError, OSError) as error:
                result.error = f"could not read LibreOffice's copy: {error}"
                continue
            result.tables = graded.tables
            if annotate is not None:
                from backprop_sheet.check.annotate import annotate as write_copy  # openpyxl: only when asked
                annotate.mkdir(exist_ok=True)
                source = path if path.suffix.lower() in (".xlsx", ".xlsm") else recalculated
                write_copy(result, source, annotate / _annotated_name(path, taken))
    return results


def run(files: list[str], config_path: str | None = None, json_path: str | None = None,
        csv_path: str | None = None, annotate_dir: str | None = None) -> tuple[list[FileResult], str]:
    """What the CLI does: (the results, the text report); the JSON and CSV are written on the way."""
    outputs = validate_outputs(files, json_path, csv_path, annotate_dir)
    if config_path:
        config, source = load_config(config_path), f"--config {config_path}"
    else:
        config, source = SheetConfig(), "the assignment's default"
    results = check(files, config, source, outputs.annotate)
    if outputs.json:
        report.write_json(outputs.json, results)
    if outputs.csv:
        report.write_csv(outputs.csv, results)
    return results, report.text(results)


__all__ = ["RecalcError", "check", "run"]
