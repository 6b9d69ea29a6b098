"""`backprop-sheet generate` and `backprop-sheet verify`."""

import click

from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.config import from_mapping, read_config
from backprop_sheet.presets import PRESETS
from bpcore.cli import group
from bpcore.errors import InputError

DEFAULT_OUT = "backprop.xlsx"  # in the current folder, wherever the command runs

class _Number(click.ParamType):
    """A float or int option whose bad values give one line, not click's usage block."""

    def __init__(self, kind: type):
        self.kind, self.name = kind, kind.__name__

    def convert(self, value, param, ctx):
        try:
            return value if isinstance(value, self.kind) else self.kind(value)
        except ValueError:
            what = "a number" if self.kind is float else "a whole number"
            raise InputError(f"{param.opts[0]}: {value!r} is not {what}") from None


@group("backprop-sheet")
def main():
    """Backpropagation for a small network as a live-formula Excel/LibreOffice workbook."""


class _Widths(click.ParamType):
    """--hidden 3 (one layer) or --hidden 4,3 (one width per layer), with one line for a bad value."""
    name = "widths"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, tuple)):
            return value
        try:
            widths = tuple(int(w) for w in value.split(","))
        except ValueError:
            raise InputError(f"{param.opts[0]}: {value!r} is not a whole number or a list such as 4,3") from None
        return widths[0] if len(widths) == 1 else widths


def _assignment_options(command):
    """The options that describe the assignment: generate and exercise take the same ones."""
    for option in reversed(_ASSIGNMENT_OPTIONS):
        command = option(command)
    return command


_ASSIGNMENT_OPTIONS = [
    click.option("--preset", type=click.Choice(list(PRESETS)),
                 help="Start from a classic, also in examples/: xor (2-2-1 on the four XOR samples), mazur (the "
                      "classic worked example), ai-by-hand (two ReLU layers, softmax, cross-entropy, a batch of 2). "
                      "--config and the options below override it."),
    click.option("--lr", "learning_rates", type=_Number(float), multiple=True,
                 help="A learning rate; repeat for several (one sheet each). Default: 0.1 0.2 0.5 0.8 1 2."),
    click.option("--iterations", type=_Number(int), help="Rows per learning-rate sheet. Default: 100."),
    click.option("--hidden", type=_Widths(), help="Hidden neurons, 1-8, or one width per layer for 2 or 3 layers "
                 "(4,3). Default: 2."),
    click.option("--activation", help=f"Activation of the hidden layers and, under mse, of the output: "
                 f"{', '.join(ACTIVATIONS)}. Default: sigmoid."),
    click.option("--loss", help="mse (½(t − a)² per output) or cross_entropy (softmax, or sigmoid for one output). "
                 "Default: mse."),
    click.option("--train-biases/--fixed-biases", default=None,
                 help="Give every neuron its own bias and train it (default: fixed, one per layer)."),
    click.option("--optimizer", help="sgd, adam or rmsprop, each as torch.optim's. Default: sgd."),
    click.option("--momentum", type=_Number(float), help="Momentum β in [0, 1), as PyTorch's SGD. Default: 0."),
    click.option("--nesterov/--no-nesterov", default=None, help="SGD with momentum: Nesterov's step (default: no)."),
    click.option("--weight-decay", type=_Number(float), help="λ ≥ 0: every step follows ∂E/∂w + λ·w. Default: 0."),
    click.option("--config", "config_path", help="TOML file with any of the keys in docs/workbook.md (inputs, "
                 "targets, weights, biases, learning_rates, iterations, hidden, activation, loss, reduction, "
                 "optimizer, momentum, betas, …); the options above override it, and it overrides --preset."),
]


def _config(preset, config_path, activation, **flags):
    """The config the assignment options give: --preset, then --config over it, then the flags over both."""
    from backprop_sheet.presets import preset as preset_values
    values = preset_values(preset) if preset else {}
    values |= read_config(config_path) if config_path else {}
    if activation is not None:  # the flag sets the layers, over any layer the file names
        values = {k: v for k, v in values.items() if k not in ("activation", "hidden_activation", "output_activation")}
    flags["activation"] = activation
    flags["learning_rates"] = list(flags["learning_rates"]) or None
    return from_mapping(values | {k: v for k, v in flags.items() if v is not None})


@main.command()
@click.option("--out", default=DEFAULT_OUT, show_default=True,
              help="Where to write the workbook (.xlsx): by default in the current folder; a folder it names "
                   "must exist.")
@_assignment_options
@click.option("--key", "key_path", help="A key.json that `exercise --roster` wrote: with --student, write that "
              "student's solution (their variant, their id in the cell student_id).")
@click.option("--student", help="With --key: the student whose solution to write.")
@click.option("--plot", help="Also write a PNG of the learning-rate comparison here.")
def generate(out, key_path, student, plot, **assignment):
    """Write the workbook (and optionally the comparison plot)."""
    from backprop_sheet.generate import generate as run  # imports openpyxl/matplotlib only when needed
    if bool(key_path) != bool(student):
        raise InputError("--key and --student go together: the key names each student's variant")
    if key_path:
        from backprop_sheet.handouts import read_key
        key = read_key(key_path)
        if student not in key:
            raise InputError(f"--student {student!r} is not in {key_path} ({len(key)} students)")
        config = key[student]
    else:
        config = _config(**assignment)
    try:
        written = run(config, out, plot, student_id=student)
    except OSError as error:
        raise InputError(f"could not write: {error}") from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(config.learning_rates)} learning-rate sheets × {config.iterations:,} iterations")


@main.command()
@click.argument("path")
@click.option("--engine", type=click.Choice(["libreoffice", "gnumeric"]), default="libreoffice", show_default=True,
              help="The spreadsheet engine that recalculates the workbook (soffice or ssconvert on PATH).")
def verify(path, engine):
    """Recalculate PATH in a spreadsheet engine and compare every computed cell with the numpy reference."""
    from backprop_sheet.recalc import RecalcError
    from backprop_sheet.verify import tolerance_text
    from backprop_sheet.verify import verify as run
    try:
        report = run(path, engine=engine)
    except RecalcError as error:
        raise click.ClickException(str(error)) from None
    if report.problems:  # the structure is wrong: the cell-by-cell comparison would only bury it
        for line in report.problems:
            click.echo(f"structure: {line}")
        click.echo("FAILED", err=True)
        raise SystemExit(1)
    click.echo(f"compared {report.cells:,} computed cells ({engine}) with the numpy reference")
    where = f" at {report.worst_cell}" if report.worst_cell else ""
    click.echo(f"largest difference: {report.max_scaled_diff:.3g} of max(1, |expected|){where}; "
               f"largest absolute difference {report.max_abs_diff:.3g}")
    click.echo(f"tolerance: {tolerance_text(report.tolerance)}")
    for title, lines in (("error cells", report.error_cells), ("mismatches", report.mismatches),
                         ("constants where a formula belongs", report.constant_cells)):
        if lines:
            click.echo(f"{title}: {len(lines):,}")
            for line in lines[:20]:
                click.echo(f"  {line}")
            if len(lines) > 20:
                click.echo(f"  … and {len(lines) - 20:,} more")
    if not report.ok:
        click.echo("FAILED", err=True)
        raise SystemExit(1)
    click.echo("OK")


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--config", "config_path", help="TOML file with the assignment's inputs, targets, weights and "
              "biases: used where a workbook has no labelled value (default: the assignment's defaults).")
@click.option("--json", "json_path", help="Also write every finding, per file and table, to this .json file.")
@click.option("--csv", "csv_path", help="Also write one line per file, for a grade book, to this .csv file.")
@click.option("--annotate", "annotate_dir", help="Write a copy of each submission into this folder, with the "
              "root-cause cells highlighted and a Feedback sheet; the originals are never changed.")
@click.option("--recalculate", "recalculate_mode", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="auto: use the values a spreadsheet saved with every formula, recalculate "
              "the files that have none; always: recalculate every file and list stale saved values; never: "
              "saved values only.")
@click.option("--soffice", help="LibreOffice's soffice program, where it is not on PATH "
              "[default: $BACKPROP_SOFFICE, else PATH, else LibreOffice's usual install folder].")
@click.option("--html", "html_dir", help="Write a class overview (index.html) and a feedback page per submission "
              "into this folder: self-contained pages to open, print or hand out.")
@click.option("--gradescope", "gradescope_path", help="Write Gradescope's autograder results (one test per part) "
              "for the one FILE to this .json file (in an autograder: /autograder/results/results.json).")
@click.option("--lms-csv", "lms_csv_path", help="Also write the grades as a learning platform imports them (one "
              "row per file: student id, score, feedback) to this .csv file; --lms says which platform.")
@click.option("--lms", type=click.Choice(["canvas", "moodle"]), default="canvas", show_default=True,
              help="The import form of --lms-csv: Canvas's grade book (Grades → Import), or Moodle's grading "
                   "worksheet (the assignment's Upload grading worksheet).")
@click.option("--similar", is_flag=True, help="Also report pairs of submissions that share more than the "
              "assignment forces (formulas, layout, formats, metadata, wording, mistakes): evidence to weigh, "
              "not a verdict.")
@click.option("--similar-threshold", type=_Number(float), help="With --similar: the score (0 to 1) from which a "
              "pair is reported [default: 0.5].")
@click.option("--key", "key_path", help="The key.json that `exercise --roster` wrote: each submission is matched to "
              "its student (its student_id cell, else an id in its file name) and graded against that student's "
              "variant; unmatched files and students without a submission are listed.")
@click.option("--rubric", "rubric_path", help="A TOML rubric: points per part and whether an error is carried "
              "forward (docs/reports.md) [default: the default rubric].")
def check(files, config_path, json_path, csv_path, annotate_dir, recalculate_mode, soffice, html_dir,
          gradescope_path, lms_csv_path, lms, similar, similar_threshold, key_path, rubric_path):
    """Grade students' workbooks FILE... (.xlsx, .xlsm, .ods, .xls, .csv) in whatever layout they chose.

    Exit status: 0 when every table of every file is right, 1 when any is not (or a file is
    unreadable), 2 on bad usage.
    """
    from backprop_sheet.check.run import RecalcError, run
    try:
        results, text = run(list(files), config_path, json_path, csv_path, annotate_dir, recalculate_mode, soffice,
                            html_dir=html_dir, gradescope_path=gradescope_path, lms_csv_path=lms_csv_path, lms=lms,
                            similar=similar, similar_threshold=similar_threshold, key_path=key_path,
                            rubric_path=rubric_path)
    except RecalcError as error:
        raise InputError(str(error)) from None
    click.echo(text, nl=False)
    raise SystemExit(0 if all(r.status == "ok" for r in results) else 1)


@main.command()
@click.option("--out", default="exercise.xlsx", show_default=True,
              help="Where to write the starter workbook (.xlsx), without --roster.")
@_assignment_options
@click.option("--blank", type=click.Choice(["all", "forward", "backward", "updates"]), default="all",
              show_default=True, help="What the student computes: every formula after the inputs (all), the forward "
              "pass and loss, the gradients, or the updates (and optimizer states).")
@click.option("--hints", is_flag=True, help="Put each cell's equation in a comment (and in the Instructions).")
@click.option("--roster", help="A CSV with a student_id column: write one handout per student, each with its own "
              "numbers, into --out-dir, and the key.json that check --key grades them with.")
@click.option("--out-dir", help="With --roster: the folder for <student_id>.xlsx and key.json (made if absent).")
@click.option("--seed", type=_Number(int), default=0, show_default=True,
              help="With --roster: the seed of every variant (with the student id).")
@click.option("--vary", default="weights", show_default=True,
              help="With --roster: what each variant redraws, comma-separated: weights, inputs, targets, rates.")
def exercise(out, blank, hints, roster, out_dir, seed, vary, **assignment):
    """Write a starter workbook for students to complete (or, with --roster, one per student and a key)."""
    from backprop_sheet.exercise import write_handouts, write_one
    config = _config(**assignment)
    if roster is None:
        if out_dir:
            raise InputError("--out-dir goes with --roster (one handout per student); for one workbook give --out")
        click.echo(f"wrote {write_one(config, out, blank, hints)}")
        return
    if not out_dir:
        raise InputError("--roster needs --out-dir: the folder for the handouts and key.json")
    written = write_handouts(config, roster, out_dir, seed, vary, blank, hints)
    click.echo(f"wrote {len(written) - 1} handouts and {written[-1]}")
