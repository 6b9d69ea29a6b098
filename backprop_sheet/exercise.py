"""A starter workbook: the assignment's workbook with the cells a student must compute left empty and shaded.

It is `generate`'s own workbook, so every network the generator makes has its exercise: the Parameters
sheet as it is (its defined names are what the student's formulas may use), each rate sheet with its
headers, the rate, the iteration numbers and the iteration-1 weights typed in, and the cells to fill
empty and shaded (with `hints`, each carries its equation in a comment). The Summary and Derivation
sheets, which would give the answers away, are left out; an Instructions sheet says what to compute,
how it will be checked, and holds the cell `student_id`.
"""

import io
import json
from pathlib import Path
from typing import BinaryIO

import numpy as np
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName

from backprop_sheet import layout as L
from backprop_sheet import reference
from backprop_sheet import styles as S
from backprop_sheet.config import SheetConfig
from backprop_sheet.formula import compile_expression, parse
from backprop_sheet.output import check_target, sheet_names
from backprop_sheet.package import Sheet, finish
from backprop_sheet.workbook import write_workbook
from bpcore.errors import InputError
from bpcore.files import atomic_write, folder_kept_only_if_used, write_json

# a handout is the generated workbook, re-saved by openpyxl: its cells to fill are cleared there

BLANKS = ("all", "forward", "backward", "updates")  # --blank: which cells the student computes
INSTRUCTIONS_SHEET = "Instructions"
STUDENT_ID = "student_id"  # the defined name of the cell that holds the student's id
ID_CELL = (3, 2)  # (row, col) of that cell on the Instructions sheet
TO_FILL = S.PatternFill("solid", fgColor="E2EFDA")  # the cells the student computes


def blank_keys(config: SheetConfig, blank: str) -> list[str]:
    """The columns left for the student, left to right.

    forward: the forward pass and the loss; backward: the gradients; updates: every trained parameter
    after iteration 1 and every column after the gradients (velocities, optimizer states); all: all of them.
    """
    spec = config.spec
    columns = [c for c in L.columns(spec) if c.key != "iteration"]
    gradients = [k for k, c in enumerate(columns) if c.factors or c.group == "gradients"]
    first, last = (gradients[0], gradients[-1]) if gradients else (len(columns), len(columns))
    trained = set(spec.trained)
    parts = {
        "forward": [c.key for c in columns[:first] if c.key not in trained],
        "backward": [c.key for c in columns[first:last + 1]],
        "updates": [c.key for c in columns if c.key in trained] + [c.key for c in columns[last + 1:]],
    }
    if blank == "all":
        chosen = set().union(*parts.values())
    else:
        chosen = set(parts[blank])
    return [c.key for c in columns if c.key in chosen]


def write_exercise(config: SheetConfig, file: BinaryIO, blank: str = "all", hints: bool = False,
                   student_id: str = "") -> None:
    """Write the starter workbook for `config` to a binary file."""
    trajectory = reference.checked(config)
    full = io.BytesIO()
    write_workbook(config, full, trajectory)
    full.seek(0)
    wb = load_workbook(full)  # formulas kept; charts and cached values are not, and are not wanted here
    for title in (L.SUMMARY_SHEET, L.DERIVATION_SHEET):
        del wb[title]
    spec = config.spec
    keys = blank_keys(config, blank)
    columns = L.column_index(spec)
    titles = [L.rate_sheet_title(rate) for rate in config.learning_rates]
    for k, title in enumerate(titles):
        ws = wb[title]
        ws._charts = []
        ws.cell(L.CHART_ROW + 1, 1, "When the table is filled: a chart of E_total against the iteration here.").font = S.NOTE
        for it in range(1, config.iterations + 1):
            row = L.data_row(it)
            ws.cell(row, L.col("iteration", spec), it)
            for p in spec.trained:
                if it == 1:  # the starting point is given, typed in
                    ws.cell(row, L.col(p, spec), float(trajectory[p][0, k]))
            for key in keys:
                if key in spec.trained and it == 1:
                    continue
                cell = ws.cell(row, L.col(key, spec))
                cell.value = None
                cell.fill = TO_FILL
                if hints and it <= 2:
                    equation = L.symbolic(columns[key].template(it == 1), spec)
                    cell.comment = Comment(f"{columns[key].header} = {equation}", "backprop-sheet")
    _instructions(wb.create_sheet(INSTRUCTIONS_SHEET, 0), config, keys, blank, student_id, hints)
    target = f"{L.quote_sheet(INSTRUCTIONS_SHEET)}!${L.column_letter(ID_CELL[1])}${ID_CELL[0]}"
    wb.defined_names[STUDENT_ID] = DefinedName(STUDENT_ID, attr_text=target)
    wb.active = 0
    wb.calculation.fullCalcOnLoad = True  # the few formulas kept (each sheet's =eta_k) compute on opening
    buffer = io.BytesIO()
    wb.save(buffer)
    rate_cell = f"{L.column_letter(L.RATE_CELL[1])}{L.RATE_CELL[0]}"
    values = {wb[t].path.lstrip("/"): Sheet({rate_cell: rate} | _shown(config, keys, k, trajectory))
              for k, (t, rate) in enumerate(zip(titles, config.learning_rates))}
    finish(buffer, file, values, {})


class _Row(dict):
    """The values a formula of row `it` reads: this row's and the row above's columns, and the parameters."""

    def __init__(self, params: dict, grid: dict[str, list], it: int):
        super().__init__(params)
        self.grid, self.it = grid, it

    def __missing__(self, key: str):
        if key.startswith("prev."):
            return self.grid[key[5:]][self.it - 1]
        return self.grid[key][self.it]


def _shown(config: SheetConfig, keys: list[str], k: int, trajectory) -> dict[str, float | str]:
    """What each formula kept on rate sheet k shows while the cells to fill are empty (a blank counts as 0)."""
    spec = config.spec
    columns = [c for c in L.columns(spec) if c.key != "iteration"]
    params = reference.parameter_values(config) | {"eta": config.learning_rates[k]}
    grid = {c.key: [0.0] * config.iterations for c in columns}
    shown = {}
    for it in range(config.iterations):
        for c in columns:
            if c.key in spec.trained and it == 0:
                grid[c.key][0] = float(trajectory[c.key][0, k])
            elif c.key not in keys:
                with np.errstate(all="ignore"):
                    value = float(compile_expression(parse(c.template(it == 0)))(_Row(params, grid, it)))
                grid[c.key][it] = value
                cell = f"{L.letter(c.key, spec)}{L.data_row(it + 1)}"
                shown[cell] = value if np.isfinite(value) else "#NUM!"
    return shown


def _instructions(ws, config: SheetConfig, keys: list[str], blank: str, student_id: str, hints: bool) -> None:
    spec = config.spec
    columns = L.column_index(spec)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 80
    S.print_setup(ws)
    ws.page_setup.orientation = "portrait"
    ws.cell(1, 1, f"Backpropagation by hand: a {spec.describe()}").font = S.TITLE
    ws.cell(ID_CELL[0], 1, "Your student id:").font = S.BOLD
    id_cell = ws.cell(*ID_CELL, student_id or None)
    id_cell.fill = S.INPUT_FILL
    rows = [
        ("What to do", (f"On each learning-rate sheet ({', '.join(L.rate_sheet_title(r) for r in config.learning_rates)}), "
                       "fill the shaded cells with formulas, one row per iteration, "
                       f"for all {config.iterations} iterations. Iteration 1 starts from the weights typed in; "
                       "each later row updates them by gradient descent with the sheet's learning rate (cell B1).")),
        ("Inputs", ("The Parameters sheet holds the inputs, targets, initial weights and learning rates. Refer to "
                   "them by their names (i_1, t_1, w1_init, …, eta_1) or with $ (absolute references), so that "
                   "a formula filled down keeps pointing at them.")),
        ("How it is checked", ("backprop-sheet check recomputes every cell from your own values in the same row "
                              "(the weights from the row above) and compares it with the reference trajectory. "
                              "A wrong cell is reported with the mistake it shows; a cell that is wrong only "
                              "because an earlier one is wrong is not counted against you twice.")),
        ("Cells to fill", f"{len(keys)} columns ({blank}):"),
    ]
    r = ID_CELL[0] + 2
    for label, text in rows:
        ws.cell(r, 1, label).font = S.BOLD
        ws.cell(r, 1).alignment = S.TOP
        ws.cell(r, 2, text).alignment = S.WRAP
        ws.row_dimensions[r].height = 13 * -(-len(text) // 90) + 2  # wrapped lines: spreadsheets do not fit them
        r += 1
    for key in keys:
        column = columns[key]
        ws.cell(r, 1, column.header)
        # the equation only with hints: without them, finding it is the exercise
        ws.cell(r, 2, L.symbolic(column.template(False), spec) if hints else column.group).alignment = S.WRAP
        r += 1


def _ours(path: Path) -> bool:
    """Whether an existing file is a handout this command wrote (its Instructions and Parameters sheets)."""
    return {INSTRUCTIONS_SHEET, L.PARAMETERS_SHEET} <= sheet_names(path)


def _target(path: str | Path) -> Path:
    target = check_target(path, ".xlsx")
    if target.exists() and not _ours(target):
        raise InputError(f"{str(target)!r} exists and is not a handout backprop-sheet wrote: it is left as it is; "
                         "give another path")
    return target


def write_one(config: SheetConfig, out: str | Path, blank: str = "all", hints: bool = False,
              student_id: str = "") -> Path:
    """The starter workbook at `out` (a file of someone's own is never replaced)."""
    target = _target(out)
    with atomic_write(target) as file:
        write_exercise(config, file, blank, hints, student_id)
    return target


def write_handouts(config: SheetConfig, roster: str | Path, out_dir: str | Path, seed: int, vary: str,
                   blank: str = "all", hints: bool = False) -> list[Path]:
    """One handout per student of the roster, each its own variant, and key.json; returns the paths written.

    Every variant is drawn and trained before the first file is written; a folder this call made is
    removed again if nothing could be written into it."""
    from backprop_sheet import handouts
    students = handouts.students(handouts.read_roster(roster), config, seed, handouts.parse_vary(vary))
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out-dir {str(folder)!r} is a file, not a folder")
    if not folder.absolute().parent.is_dir():
        raise InputError(f"--out-dir: the folder above {str(folder)!r} does not exist")
    key = folder / "key.json"
    targets = [folder / f"{s.id}.xlsx" for s in students]
    for target in targets:
        if target.exists() and not _ours(target):
            raise InputError(f"{str(target)!r} exists and is not a handout backprop-sheet wrote: it is left as it is")
    if key.exists() and not _is_key(key):
        raise InputError(f"{str(key)!r} exists and is not a key backprop-sheet wrote: it is left as it is")
    with folder_kept_only_if_used(folder):
        for student, target in zip(students, targets):
            with atomic_write(target) as file:
                write_exercise(student.config, file, blank, hints, student.id)
        write_json(key, handouts.key_json(students, config, seed, handouts.parse_vary(vary)))
    return [*targets, key]


def _is_key(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("format") is not None
    except (OSError, ValueError, AttributeError):
        return False
