"""`backprop-sheet generate` and `backprop-sheet verify`."""

import click

from backprop_sheet.activations import ACTIVATIONS
from backprop_sheet.config import from_mapping, read_config
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
    """Backpropagation for a small one-hidden-layer network as a live-formula Excel/LibreOffice workbook."""


@main.command()
@click.option("--out", default=DEFAULT_OUT, show_default=True,
              help="Where to write the workbook (.xlsx): by default in the current folder; a folder it names "
                   "must exist.")
@click.option("--lr", "learning_rates", type=_Number(float), multiple=True,
              help="A learning rate; repeat for several (one sheet each). Default: 0.1 0.2 0.5 0.8 1 2.")
@click.option("--iterations", type=_Number(int), help="Rows per learning-rate sheet. Default: 100.")
@click.option("--hidden", type=_Number(int), help="Hidden neurons, 1-8. Default: 2.")
@click.option("--activation", help=f"Activation of both layers: {', '.join(ACTIVATIONS)}. Default: sigmoid.")
@click.option("--train-biases/--fixed-biases", default=None,
              help="Give every neuron its own bias and train it (default: fixed, one per layer).")
@click.option("--momentum", type=_Number(float), help="Momentum β in [0, 1), as PyTorch's SGD. Default: 0.")
@click.option("--config", "config_path", help="TOML file with inputs, targets, weights, biases, learning_rates, "
              "iterations, hidden, activation (or hidden_activation, output_activation), train_biases and/or "
              "momentum; the options above override it.")
@click.option("--plot", help="Also write a PNG of the learning-rate comparison here.")
def generate(out, learning_rates, iterations, hidden, activation, train_biases, momentum, config_path, plot):
    """Write the workbook (and optionally the comparison plot)."""
    from backprop_sheet.generate import generate as run  # imports openpyxl/matplotlib only when needed
    flags = dict(learning_rates=list(learning_rates) or None, iterations=iterations, hidden=hidden,
                 activation=activation, train_biases=train_biases, momentum=momentum)
    values = read_config(config_path) if config_path else {}
    if activation is not None:  # the flag sets both layers, over any layer the file names
        values = {k: v for k, v in values.items() if k not in ("hidden_activation", "output_activation")}
    config = from_mapping(values | {k: v for k, v in flags.items() if v is not None})
    try:
        written = run(config, out, plot)
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
def check(files, config_path, json_path, csv_path, annotate_dir, recalculate_mode, soffice, html_dir,
          gradescope_path, lms_csv_path, lms, similar, similar_threshold):
    """Grade students' workbooks FILE... (.xlsx, .xlsm, .ods, .xls, .csv) in whatever layout they chose.

    Exit status: 0 when every table of every file is right, 1 when any is not (or a file is
    unreadable), 2 on bad usage.
    """
    from backprop_sheet.check.run import RecalcError, run
    try:
        results, text = run(list(files), config_path, json_path, csv_path, annotate_dir, recalculate_mode, soffice,
                            html_dir=html_dir, gradescope_path=gradescope_path, lms_csv_path=lms_csv_path, lms=lms,
                            similar=similar, similar_threshold=similar_threshold)
    except RecalcError as error:
        raise InputError(str(error)) from None
    click.echo(text, nl=False)
    raise SystemExit(0 if all(r.status == "ok" for r in results) else 1)
