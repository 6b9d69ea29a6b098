"""From a config to the files on disk: the workbook and, if asked, the comparison plot."""

from pathlib import Path

from backprop_sheet import reference
from backprop_sheet.config import SheetConfig
from backprop_sheet.output import check_target
from backprop_sheet.workbook import write_workbook
from bpcore.files import atomic_write


def generate(config: SheetConfig, out: str | Path, plot: str | Path | None = None) -> list[Path]:
    """Write the workbook to `out` (and the PNG to `plot`); returns the paths written."""
    # Check every target, and that a spreadsheet can compute the whole trajectory, before writing any.
    targets = [check_target(out, ".xlsx")] + ([check_target(plot, ".png")] if plot else [])
    trajectory = reference.checked(config)
    with atomic_write(targets[0]) as file:
        write_workbook(config, file, trajectory)
    if plot:
        from backprop_sheet.plot import plot_learning_rates  # matplotlib costs ~0.5 s to import
        with atomic_write(targets[1]) as file:
            plot_learning_rates(config, file)
    return targets
