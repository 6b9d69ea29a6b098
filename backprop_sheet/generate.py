"""From a config to the files on disk: the workbook and, if asked, the comparison plot."""

from pathlib import Path

from backprop_sheet import layout as L
from backprop_sheet import reference
from backprop_sheet.config import InputError, SheetConfig
from backprop_sheet.output import check_target, sheet_names
from backprop_sheet.workbook import write_workbook
from bpcore.files import atomic_write


def _ours(path: Path) -> bool:
    """Whether an existing .xlsx is a workbook this generator wrote (its three sheets of our own)."""
    return {L.SUMMARY_SHEET, L.PARAMETERS_SHEET, L.DERIVATION_SHEET} <= sheet_names(path)


def generate(config: SheetConfig, out: str | Path, plot: str | Path | None = None, student_id: str | None = None
             ) -> list[Path]:
    """Write the workbook to `out` (and the PNG to `plot`); returns the paths written.

    An existing file at `out` is replaced only if this generator wrote it: a workbook of someone's own
    (a student's backprop.xlsx in the same folder) is never overwritten.
    """
    # Check every target, and that a spreadsheet can compute the whole trajectory, before writing any.
    targets = [check_target(out, ".xlsx")] + ([check_target(plot, ".png")] if plot else [])
    if targets[0].exists() and not _ours(targets[0]):
        raise InputError(f"{str(targets[0])!r} exists and is not a workbook backprop-sheet wrote: it is left as "
                         "it is; give --out another path")
    trajectory = reference.checked(config)
    with atomic_write(targets[0]) as file:
        write_workbook(config, file, trajectory, student_id or "")
    if plot:
        from backprop_sheet.plot import plot_learning_rates  # matplotlib costs ~0.5 s to import
        with atomic_write(targets[1]) as file:
            plot_learning_rates(config, file)
    return targets
