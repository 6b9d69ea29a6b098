"""`check` from end to end: validate, take each file's saved values or recalculate it, grade, write the reports."""

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from backprop_sheet.check import keyed, report
from backprop_sheet.check.assignment import DEFAULT_SOURCE
from backprop_sheet.check.charts import plotted
from backprop_sheet.check.grade import FileResult, grade_sheets
from backprop_sheet.check.rubric import Rubric, load_rubric, score
from backprop_sheet.check.sheets import Sheet, cell_name, read_sheets
from backprop_sheet.check.values import CSV_VALUES, XLS_VALUES, Saved, csv_values, saved_values, xls_values
from backprop_sheet.config import InputError, SheetConfig, load_config
from backprop_sheet.output import check_target
from backprop_sheet.recalc import RecalcError, recalculate, recalculate_gnumeric, soffice_path

SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".csv")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # how every Excel 97-2003 .xls file begins
BATCHES = 2  # LibreOffice runs at once: it uses one core, and the files need not wait for each other
RECALCULATE = ("auto", "always", "never")  # --recalculate: where the values come from
PER_WORKER = 8  # files a worker process must have to pay for its start (about 0.1 s on Linux)
STALE_TOLERANCE = 1e-9  # relative: a saved value this close to the recalculated one is not stale


@dataclass(frozen=True)
class Outputs:
    json: Path | None  # --json
    csv: Path | None  # --csv
    annotate: Path | None  # --annotate folder
    html: Path | None = None  # --html folder
    gradescope: Path | None = None  # --gradescope results.json
    lms_csv: Path | None = None  # --lms-csv
    lms: str = "canvas"  # --lms: the platform whose import form --lms-csv takes
    similar: float | None = None  # --similar: the threshold of the pairs reported (None: no similarity)


def _output_folder(option: str, folder: Path, files: list[str] | None = None) -> Path:
    """The folder, if it can take the files (`files`: the submissions, which it must not hold)."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{option} {str(folder)!r} is a file, not a folder")
    if not folder.resolve().parent.is_dir():
        raise InputError(f"{option}: the folder above {str(folder)!r} does not exist")
    inputs = {Path(f).resolve().parent for f in files or () if Path(f).exists()}
    if folder.resolve() in inputs:
        raise InputError(f"{option} {str(folder)!r} holds submissions: the copies would overwrite "
                         "them; name another folder")
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{option} folder {str(folder)!r} is not writable")
    return folder


def validate_outputs(files: list[str], json_path, csv_path, annotate_dir, html_dir=None, gradescope_path=None,
                     lms_csv_path=None, lms: str = "canvas", similar: bool = False,
                     similar_threshold: float | None = None) -> Outputs:
    """Check every output before the slow part, so bad usage costs nothing and writes nothing."""
    from backprop_sheet.check import html
    from backprop_sheet.check import lms as lms_form
    from backprop_sheet.check import similar as similarity
    json_target = check_target(json_path, ".json") if json_path else None
    csv_target = check_target(csv_path, ".csv") if csv_path else None
    folder = _output_folder("--annotate", Path(annotate_dir), files) if annotate_dir else None
    pages = None
    if html_dir:
        pages = _output_folder("--html", Path(html_dir))
        html.check_folder(pages, files)  # it holds no page of its own that a page would replace
    gradescope_target = None
    if gradescope_path:
        gradescope_target = check_target(gradescope_path, ".json")
        if len(files) != 1:
            raise InputError(f"--gradescope writes one submission's results: give it one file, not {len(files)}")
    if lms not in lms_form.FORMATS:
        raise InputError(f"--lms must be one of {', '.join(lms_form.FORMATS)}, got {lms!r}")
    lms_target = check_target(lms_csv_path, ".csv") if lms_csv_path else None
    targets = [t.resolve() for t in (json_target, csv_target, gradescope_target, lms_target) if t]
    if len(set(targets)) < len(targets):
        raise InputError("two outputs name the same file: give each its own")
    if similar_threshold is not None and not similar:
        raise InputError("--similar-threshold needs --similar")
    threshold = similarity.THRESHOLD if similar_threshold is None else similar_threshold
    if not 0 <= threshold <= 1:
        raise InputError(f"--similar-threshold must be between 0 and 1, got {threshold:g}")
    return Outputs(json_target, csv_target, folder, pages, gradescope_target, lms_target, lms,
                   threshold if similar else None)


def _unreadable(path: Path) -> str | None:
    if not path.is_file():
        return "no such file"
    if path.suffix.lower() not in SUFFIXES:
        return f"not a spreadsheet ({', '.join(SUFFIXES)})"
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return None
    if suffix == ".xls":
        with open(path, "rb") as file:
            if file.read(8) != _OLE2:
                return "not an .xls workbook (an Excel 97-2003 file begins otherwise)"
        return None
    if not zipfile.is_zipfile(path):  # before LibreOffice, which would read a CSV or text as a sheet
        return f"not an {suffix} workbook (its content is not a zip package)"
    return None


def _numbered_links(paths: list[Path], folder: Path) -> list[Path]:
    """A numbered link to each file in `folder`: submissions often share a file name."""
    folder.mkdir()
    links = [folder / f"{k:05d}{path.suffix.lower()}" for k, path in enumerate(paths)]
    for link, path in zip(links, paths):
        link.symlink_to(path.resolve())
    return links


def _recalculate_all(paths: list[Path], tmp: Path, soffice: str) -> list[Path | None]:
    """Each file's recalculated .xlsx (None where LibreOffice produced none), in up to BATCHES runs."""
    links = _numbered_links(paths, tmp / "in")
    batches = [links[b::BATCHES] for b in range(BATCHES) if links[b::BATCHES]]

    def run(b: int) -> None:
        outdir = tmp / f"out{b}"
        outdir.mkdir()
        try:
            recalculate(batches[b], outdir, soffice=soffice)
        except RecalcError:
            pass  # the files it did convert are used; the others are reported unreadable

    with ThreadPoolExecutor(len(batches)) as pool:
        list(pool.map(run, range(len(batches))))
    results = []
    for k in range(len(paths)):
        out = tmp / f"out{k % BATCHES}" / f"{k:05d}.xlsx"
        results.append(out if out.exists() else None)
    return results


def _recalculate_gnumeric(paths: list[Path], tmp: Path) -> list[Path | None]:
    """Each file recalculated by Gnumeric (one run per file; it starts fast), None where it failed."""
    (tmp / "gnumeric-out").mkdir()
    results = []
    for link in _numbered_links(paths, tmp / "gnumeric-in"):
        try:
            (out,) = recalculate_gnumeric([link], tmp / "gnumeric-out")
            results.append(out.rename(out.with_suffix(".xlsx")))  # an .xlsx whatever it was, for openpyxl
        except RecalcError:
            results.append(None)
    return results


def _engine(soffice: str | None) -> tuple[str, str] | None:
    """The engine that recalculates: ("LibreOffice", its soffice), else ("Gnumeric", ssconvert), else None."""
    path = soffice_path(soffice)
    if path:
        return "LibreOffice", path
    path = shutil.which("ssconvert")
    return ("Gnumeric", path) if path else None


def _stale(saved: list[Sheet], fresh: list[Sheet]) -> list[str]:
    """Every formula cell whose saved value is not what the engine computes now."""
    now = {s.title: s for s in fresh}
    cells = []
    for sheet in saved:
        other = now.get(sheet.title)
        if other is None:
            continue
        for key in sheet.formulas:
            was, value = sheet.values.get(key), other.values.get(key)
            if isinstance(was, float) and isinstance(value, float):
                same = abs(was - value) <= STALE_TOLERANCE * max(1.0, abs(value))
            else:
                same = was == value or (was in (None, "") and value in (None, ""))
            if not same:
                cells.append(cell_name(sheet.title, *key))
    return cells


def _annotated_name(path: Path, taken: set[str]) -> str:
    suffix = ".xlsm" if path.suffix.lower() == ".xlsm" else ".xlsx"
    name, n = path.stem + suffix, 1
    while name in taken:
        n += 1
        name = f"{path.stem}-{n}{suffix}"
    taken.add(name)
    return name


@dataclass
class _Read:
    """A file's saved values, read (and, where they are usable, graded) in a worker process."""
    source: str | None = None  # "values as saved by …", or why they cannot be used
    sheets: list[Sheet] | None = None  # the saved sheets, kept only to compare with a recalculation
    tables: list | None = None  # the tables graded from the saved values
    error: str | None = None
    student: tuple[str | None, str | None] = (None, None)  # with --key: (whose, how it was found)


@dataclass(frozen=True)
class Assignment:
    """What each file is graded against: the assignment's config, or with --key its own student's variant."""
    config: SheetConfig
    source: str  # "--config FILE", or the assignment's default
    key: dict[str, SheetConfig] | None = None  # --key: student id → that student's variant

    def of(self, path: Path, sheets: list[Sheet]) -> tuple[SheetConfig, str, str | None, str | None]:
        """(config, its source, the student, how the student was found) for one file."""
        if self.key is None:
            return self.config, self.source, None, None
        student, how = keyed.student_of(path, path.stem, sheets, list(self.key))
        if student is None:
            return self.config, f"the assignment (no student matched: {how})", None, how
        return self.key[student], f"student {student}'s variant (--key)", student, how


def _grade(path: Path, sheets: list[Sheet], assignment: Assignment) -> tuple[list | None, str | None, tuple]:
    """(the graded tables, None, the student), or (None, why not, …): one file's failure never stops the others."""
    student = (None, None)
    try:
        config, source, *student = assignment.of(path, sheets)
        tables = grade_sheets(str(path), sheets, config, source).tables
        if assignment.key is not None:
            keyed.mark_other_variants(tables, assignment.key, student[0])
        return tables, None, tuple(student)
    except (ValueError, OSError) as error:
        return None, f"could not read it: {error}", tuple(student)
    except Exception as error:  # noqa: BLE001 - a workbook no rule foresaw: report it with this file, grade the rest
        return None, f"could not grade it ({type(error).__name__}: {error})", tuple(student)


def _read_saved(path: Path, assignment: Assignment, grade: bool) -> _Read:
    try:
        saved = Saved(csv_values(path), CSV_VALUES) if path.suffix.lower() == ".csv" else saved_values(path)
    except (ValueError, OSError) as error:
        return _Read(error=str(error))
    if saved.sheets is None or not grade:
        return _Read(saved.source, saved.sheets)
    tables, error, student = _grade(path, saved.sheets, assignment)
    return _Read(saved.source, tables=tables, error=error, student=student)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _read_all(paths: list[Path], assignment: Assignment, grade: list[bool]) -> list[_Read]:
    """Read (and grade) every file's saved values, on every core when there are enough files to share."""
    jobs = list(zip(paths, [assignment] * len(paths), grade))
    workers = min(_cores(), len(jobs) // PER_WORKER)
    if workers < 2:
        return [_read_saved(*job) for job in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_read_saved, *zip(*jobs), chunksize=4))


def check(files: list[str], config: SheetConfig | None = None, config_source: str = DEFAULT_SOURCE,
          annotate: Path | None = None, recalculate_mode: str = "auto", soffice: str | None = None,
          visit: Callable[[FileResult, Path | None], None] | None = None, key: dict[str, SheetConfig] | None = None,
          scoring: Rubric | None = None) -> list[FileResult]:
    """Grade every file; one that cannot be read or computed is reported as such and does not stop the others.

    recalculate_mode: "auto" uses the values a spreadsheet saved where every formula has one, and
    recalculates the rest; "always" recalculates every file (and lists the saved values that were stale);
    "never" only reads saved values.
    visit(result, workbook): called for each file that was read, with the .xlsx that holds the formulas
    and values it was graded from (the file itself, or its recalculated copy while that still exists;
    None for a .csv, or an .xls read without an engine), for the reports that show cells.
    key: each student's variant (handouts.read_key): each file is graded against its own student's.
    scoring: the rubric every file is scored by (default: the default rubric).
    """
    if recalculate_mode not in RECALCULATE:
        raise InputError(f"--recalculate must be one of {', '.join(RECALCULATE)}, got {recalculate_mode!r}")
    config = config or SheetConfig()
    assignment = Assignment(config, config_source, key)
    paths = [Path(f) for f in files]
    results = [FileResult(str(p)) for p in paths]
    readable = []
    for result, path in zip(results, paths):
        result.error = _unreadable(path)
        if result.error is None:
            readable.append((result, path))
    # A .csv holds values only, whatever the mode: no engine can add its formulas.
    grade_saved = [recalculate_mode != "always" or p.suffix.lower() == ".csv" for _, p in readable]
    reads = dict(zip((r.path for r, _ in readable),
                     _read_all([p for _, p in readable], assignment, grade_saved)))
    for result, _ in readable:
        read = reads[result.path]
        result.error = read.error
        result.student, result.student_from = read.student
        if read.tables is not None:
            result.tables, result.values_from = read.tables, read.source
    pending = [(r, p) for r, p in readable if r.error is None and reads[r.path].tables is None]
    to_compute = [] if recalculate_mode == "never" else pending
    engine = _engine(soffice) if to_compute else None
    if recalculate_mode == "always" and to_compute and engine is None:
        raise InputError("--recalculate always needs LibreOffice (soffice, or $BACKPROP_SOFFICE) or Gnumeric "
                         "(ssconvert) to recalculate")
    with tempfile.TemporaryDirectory(prefix="backprop-check-") as tmp:
        computed: dict[str, Path | None] = {}
        if engine is not None:
            name, program = engine
            paths_in = [p for _, p in to_compute]
            out = (_recalculate_all(paths_in, Path(tmp), program) if name == "LibreOffice"
                   else _recalculate_gnumeric(paths_in, Path(tmp)))
            computed = {r.path: o for (r, _), o in zip(to_compute, out)}
        for result, path in pending:
            found = reads[result.path]
            if result.path in computed:
                recalculated = computed[result.path]
                if recalculated is None:
                    result.error = f"{engine[0]} could not open it"
                    continue
                try:
                    sheets = read_sheets(recalculated)
                except (ValueError, OSError) as error:
                    result.error = f"could not read {engine[0]}'s copy: {error}"
                    continue
                result.values_from = f"recalculated by {engine[0]}"
                if found.sheets is not None:
                    result.stale = _stale(found.sheets, sheets)
            elif path.suffix.lower() == ".xls":  # no engine: its values, without its formulas
                try:
                    recalculated, sheets, result.values_from = None, xls_values(path), XLS_VALUES
                except ValueError as error:
                    result.error = str(error)
                    continue
            else:
                result.error_kind = "needs recalculation"
                result.error = (f"{found.source}; --recalculate never reads only saved values" if
                                recalculate_mode == "never" else
                                f"install LibreOffice, or open and save it in a spreadsheet ({found.source})")
                continue
            result.tables, result.error, (result.student, result.student_from) = _grade(path, sheets, assignment)
            if result.error is not None:
                result.tables = []
                continue
            computed[result.path] = recalculated
        scoring = scoring or Rubric()
        for result in results:  # the rubric's score, with the charts of the workbook it was graded from
            workbook = _workbook(result, computed) if result.error is None else None
            own = key.get(result.student) if key and result.student else None
            given = own or (config if config_source != DEFAULT_SOURCE else None)
            rates = given.learning_rates if given else None
            result.parts = score(result, scoring, rates, plotted(workbook) if workbook else None)
        if annotate is not None:
            _annotate_all(results, computed, annotate)
        if visit is not None:
            for result in results:
                if result.error is None:
                    visit(result, _workbook(result, computed))
    return results


def _workbook(result: FileResult, computed: dict[str, Path | None]) -> Path | None:
    """The .xlsx a file was graded from: its recalculated copy, else the file itself if it is one."""
    path = Path(result.path)
    if result.path in computed:
        return computed[result.path]
    return path if path.suffix.lower() in (".xlsx", ".xlsm") else None


def _annotate_all(results: list[FileResult], computed: dict[str, Path | None], folder: Path) -> None:
    """The feedback copies, in the order of the files (a .csv, or an .xls read without an engine, gets none)."""
    from backprop_sheet.check.annotate import annotate as write_copy  # openpyxl: only when asked
    taken: set[str] = set()
    for result in results:
        path = Path(result.path)
        if result.error is not None or not result.tables:
            continue
        source = path if path.suffix.lower() in (".xlsx", ".xlsm") else computed.get(result.path)
        if source is not None:
            folder.mkdir(exist_ok=True)
            write_copy(result, source, folder / _annotated_name(path, taken))


def run(files: list[str], config_path: str | None = None, json_path: str | None = None,
        csv_path: str | None = None, annotate_dir: str | None = None, recalculate_mode: str = "auto",
        soffice: str | None = None, *, html_dir: str | None = None, gradescope_path: str | None = None,
        lms_csv_path: str | None = None, lms: str = "canvas", similar: bool = False,
        similar_threshold: float | None = None, key_path: str | None = None,
        rubric_path: str | None = None) -> tuple[list[FileResult], str]:
    """What the CLI does: (the results, the text report); every file asked for is written on the way."""
    from backprop_sheet.check import gradescope, html
    from backprop_sheet.check import lms as lms_form
    from backprop_sheet.check import similar as similarity
    from backprop_sheet.handouts import read_key
    outputs = validate_outputs(files, json_path, csv_path, annotate_dir, html_dir, gradescope_path, lms_csv_path,
                               lms, similar, similar_threshold)
    key = read_key(key_path) if key_path else None
    scoring = load_rubric(rubric_path) if rubric_path else Rubric()
    if config_path:
        config, source = load_config(config_path), f"--config {config_path}"
    else:
        config, source = SheetConfig(), DEFAULT_SOURCE
    sheets, features = {}, {}

    def visit(result: FileResult, workbook: Path | None) -> None:
        if outputs.html:
            sheets[result.path] = html.sheets_of(result, workbook)
        if outputs.similar is not None:
            features[result.path] = similarity.features(result, workbook)

    wanted = outputs.html or outputs.similar is not None
    results = check(files, config, source, outputs.annotate, recalculate_mode, soffice, visit if wanted else None,
                    key, scoring)
    roll = keyed.unmatched(results, list(key)) if key is not None else None
    found = similarity.compare(results, features, outputs.similar) if outputs.similar is not None else None
    if outputs.json:
        report.write_json(outputs.json, results, found, roll)
    if outputs.csv:
        report.write_csv(outputs.csv, results)
    if outputs.gradescope:
        gradescope.write(outputs.gradescope, results[0])
    if outputs.lms_csv:
        lms_form.write(outputs.lms_csv, results, outputs.lms)
    if outputs.html:
        html.write(outputs.html, results, sheets, found)
    text = report.text(results, roll)
    if found is not None:
        text += similarity.text(found)
    return results, text


__all__ = ["RecalcError", "check", "run"]
