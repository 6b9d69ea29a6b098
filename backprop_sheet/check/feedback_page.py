"""One submission's feedback page: its score by part, and each root cause with its formula and its rows.

Marks carry a symbol as well as a colour (✗ a root cause, ◆ the first cell off the reference), so that
a page printed in black and white reads the same.
"""

import re
from html import escape
from pathlib import Path

from backprop_sheet import layout
from backprop_sheet.check.diagnose import MISTAKES
from backprop_sheet.check.grade import FileResult, RootCause, TableResult
from backprop_sheet.check.page import STATUS, page
from backprop_sheet.check.parts import file_parts, total
from backprop_sheet.check.sheets import Sheet, column_index, column_letter
from backprop_sheet.spec import DEFAULT

AROUND = 2  # rows shown above and below a root cause
MAX_COLUMNS = 14  # columns of an excerpt: what one screen (or a landscape page) shows
_REFERENCE = re.compile(r"(?<![A-Za-z0-9_$!.'])\$?([A-Z]{1,3})\$?(\d+)(?![\d(!])")  # B7, $H$5; not Sheet2!B7
_CELL = re.compile(r"^'((?:[^']|'')*)'!([A-Z]+)(\d+)$")


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return "" if value is None else str(value)


def _where(cell: str) -> tuple[str, int, int] | None:
    """'lr 0.5'!J6 → ('lr 0.5', 6, 10)."""
    m = _CELL.match(cell)
    return (m[1].replace("''", "'"), int(m[3]), column_index(m[2])) if m else None


def _expected(q: str, k: int, t: TableResult) -> str | None:
    """The layout's formula for quantity q at iteration k + 1, as an equation; None if the layout has none."""
    spec = getattr(t, "network", DEFAULT)
    column = layout.column_index(spec).get(q)
    if column is None:
        return None
    template = column.template(first_row=k == 0)
    try:
        return f"{column.header} = {layout.symbolic(template, spec)}"
    except KeyError:  # a placeholder this network does not define
        return None


def _inputs(q: str, k: int, t: TableResult) -> list[str]:
    spec = getattr(t, "network", DEFAULT)
    column = layout.column_index(spec).get(q)
    keys = re.findall(r"\{(?:prev\.)?(\w+)\}", column.template(first_row=k == 0)) if column else []
    return [key for key in dict.fromkeys(keys) if key in t.table.columns]


def _formula(sheet: Sheet, row: int, col: int) -> str | None:
    """A cell's formula text without its "=" (a shared formula's follower's too, where the reader expands it)."""
    expand = getattr(sheet, "formula", None)
    text = expand(row, col) if expand else sheet.formulas.get((row, col))
    return text.removeprefix("=") if text else None


def _read(formula: str | None, rows: range) -> set[int]:
    """The columns of the cells on its own sheet that a formula reads in these rows."""
    if not formula:
        return set()
    return {column_index(m[1]) for m in _REFERENCE.finditer(formula) if int(m[2]) in rows}


def _excerpt(cause: RootCause, t: TableResult, sheet: Sheet | None) -> str:
    """The rows around a root cause, its formula's inputs among the columns, with the wrong cells marked."""
    at = _where(cause.cell)
    if sheet is None or at is None:
        return ""
    _, row, col = at
    table = t.table
    if table.cells is None:  # an iteration table: its own columns, its own rows
        k = row - table.first_row
        quantities = [*_inputs(cause.quantity, k, t), cause.quantity]
        rows = range(max(table.first_row, row - AROUND), min(table.last_row, row + AROUND) + 1)
        read = _read(_formula(sheet, row, col), rows)  # and what the student's formula reads instead
        wanted = {table.columns[q] for q in quantities if q in table.columns} | {col} | read
        cols = sorted(sorted(wanted, key=lambda c: abs(c - col))[:MAX_COLUMNS])  # the nearest, if too many
        header_row = table.header_row
    else:  # one pass typed as labelled values: the cells around it on the sheet
        cols = list(range(max(1, col - 3), col + 4))
        rows = range(max(1, row - AROUND), row + AROUND + 1)
        header_row = None
    causes = {(r, c) for cc in t.root_causes if (w := _where(cc.cell)) and w[0] == sheet.title for _, r, c in [w]}
    off = {(r, c) for column in t.columns.values() if column.first_wrong
           and (w := _where(column.first_wrong.cell)) and w[0] == sheet.title for _, r, c in [w]}
    head = "".join(f'<th class="letter">{column_letter(c)}</th>' for c in cols)
    lines = [f'<div class="scroll"><table class="excerpt"><thead><tr><th></th>{head}</tr>']
    if header_row is not None:
        names = "".join(f"<th>{escape(_number(sheet.get(header_row, c)))}</th>" for c in cols)
        lines.append(f'<tr><th class="row">{header_row}</th>{names}</tr>')
    lines.append("</thead><tbody>")
    for r in rows:
        cells = []
        for c in cols:
            value, formula = sheet.get(r, c), _formula(sheet, r, c)
            mark, symbol = (("mark-cause", "✗ ") if (r, c) in causes else ("mark-off", "◆ ") if (r, c) in off
                            else ("", ""))
            title = f' title="={escape(formula)}"' if formula else ""
            cells.append(f'<td class="{mark}"{title}>{symbol}{escape(_number(value))}</td>')
        lines.append(f'<tr><th class="row">{r}</th>{"".join(cells)}</tr>')
    lines.append("</tbody></table></div>")
    return "".join(lines)


LEGEND = ('<p class="legend"><span class="key-cause">✗</span>a root cause: where the mistake is made · '
          '<span class="key-off">◆</span>the first cell of its column that is off the reference trajectory (often '
          'carried from a root cause) · hover a cell for its formula</p>')


def _reads(formula: str | None, sheet: Sheet | None) -> str:
    """'B6 = 0.15, $D$3 = 0.05, …': the cells on its sheet that the student's formula reads, and their values."""
    if not formula or sheet is None:
        return ""
    refs = dict.fromkeys(m[0] for m in _REFERENCE.finditer(formula))
    shown = [f"{ref} = {_number(sheet.get(int(m[2]), column_index(m[1])))}"
             for ref in list(refs)[:MAX_COLUMNS] if (m := _REFERENCE.fullmatch(ref))]
    return escape(", ".join(shown))


def _cause(cause: RootCause, t: TableResult, sheet: Sheet | None) -> str:
    at = _where(cause.cell)
    k = at[1] - t.table.first_row if at and t.table.cells is None else 0
    formula = _formula(sheet, at[1], at[2]) if sheet is not None and at else None
    yours = (f"<code>={escape(formula)}</code>" if formula else
             "<em>a typed number, no formula</em>" if sheet is not None and at and
             isinstance(sheet.get(at[1], at[2]), float) else "<em>not available</em>")
    expected = _expected(cause.quantity, k, t)
    meaning = MISTAKES.get(cause.diagnosis, "")
    reads = _reads(formula, sheet)
    numbers = []
    if cause.expected is not None:
        numbers.append(f"expected <b>{escape(_number(cause.expected))}</b>")
    if cause.got is not None:
        numbers.append(f"got <b>{escape(_number(cause.got))}</b>")
    return (f'<article class="cause"><h3>✗ {escape(cause.cell)} · {escape(cause.quantity)} · '
            f"<code>{escape(cause.diagnosis)}</code></h3>"
            f"<p>{escape(cause.message)}</p>"
            + (f'<p class="meta">{escape(meaning)}</p>' if meaning and meaning != cause.message else "")
            + f'<dl class="formulas"><dt>Your formula</dt><dd>{yours}</dd>'
            + (f"<dt>It reads</dt><dd>{reads}</dd>" if reads else "") + "<dt>Expected</dt><dd>"
            + (f"<code>{escape(expected)}</code>" if expected else "<em>none in the layout</em>") + "</dd>"
            + (f"<dt>Numbers</dt><dd>{', '.join(numbers)}</dd>" if numbers else "") + "</dl>"
            + _excerpt(cause, t, sheet) + "</article>")


def _table(t: TableResult, sheet: Sheet | None) -> str:
    table = t.table
    lines = [f"<h2>Table {escape(table.where)}</h2>",
             f"<p>{table.rows} iteration{'s' * (table.rows != 1)}: "
             + ('<span class="status-ok">✓ every quantity right</span>' if t.ok else
                f'<span class="status-bad">✗ {len(t.root_causes)} root cause{"s" * (len(t.root_causes) != 1)}'
                "</span>") + "</p>"]
    if t.learning_rate:
        lines.append(f"<p>η = {t.learning_rate.value:g} from {escape(t.learning_rate.source)}</p>")
    if t.parameters:
        lines.append("<p>" + escape(", ".join(f"{k} = {f.value:g}" for k, f in t.parameters.items())) + "</p>")
    missing = [q for q, c in t.columns.items() if c.status == "missing"]
    if missing:
        lines.append(f"<p>Missing columns: {escape(', '.join(missing))}</p>")
    for note in t.notes:
        lines.append(f'<p class="meta">Note: {escape(note)}</p>')
    for cause in t.root_causes:
        lines.append(_cause(cause, t, sheet))
    off = [c.quantity for c in t.columns.values() if c.first_wrong]
    if off:
        lines.append(f"<p>Off the reference trajectory: {escape(', '.join(off))}</p>")
    return "\n".join(lines)


def _parts_table(result: FileResult) -> str:
    parts = file_parts(result)
    score, points = total(parts)
    rows = "".join(f'<tr><td>{escape(p.name)}</td><td class="num">{p.score:g} / {p.max_score:g}</td>'
                   f"<td>{escape(p.output)}</td></tr>" for p in parts)
    return (f'<table><thead><tr><th>part</th><th class="num">points</th><th>what was found</th></tr></thead>'
            f'<tbody>{rows}<tr><th>total</th><th class="num">{score:g} / {points:g}</th><th></th></tr>'
            "</tbody></table>")


def feedback(result: FileResult, sheets: dict[str, Sheet] | None) -> str:
    """One submission's page."""
    name = Path(result.path).name
    parts = file_parts(result)
    score, points = total(parts)
    status = STATUS.get(result.status, result.status)
    body = [f'<nav><a href="index.html">← class overview</a></nav><h1>Feedback on {escape(name)}</h1>',
            f'<p><span class="{"status-ok" if result.status == "ok" else "status-bad"}">{escape(status)}</span> · '
            f"{score:g} of {points:g} points" + (f" · {escape(result.values_from)}" if result.values_from else "")
            + "</p>"]
    if result.error:
        body.append(f"<p>{escape(result.error_kind)}: {escape(result.error)}</p>")
    elif not result.tables:
        body.append("<p>No iteration table was found: a header row naming w1…w8, h1, a_h1, … with one row per "
                    "iteration below it.</p>")
    body += ["<h2>Score</h2>", _parts_table(result)]
    for t in result.tables:
        body.append(_table(t, (sheets or {}).get(t.table.sheet)))
    if result.root_causes:
        body.append(LEGEND)
    return page(f"Feedback on {name}", "\n".join(body))


