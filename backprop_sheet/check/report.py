"""The grades as text (one block per file), JSON (everything) and CSV (one line per file)."""

import csv
import io
import json
from pathlib import Path

from backprop_sheet.check import stats
from backprop_sheet.check.grade import FileResult, TableResult
from backprop_sheet.check.parts import file_parts, total
from backprop_sheet.layout import column_letter
from bpcore.files import atomic_write


def _num(value) -> str:
    return f"{value:.10g}" if isinstance(value, float) else repr(value)


def _table_text(t: TableResult) -> list[str]:
    table = t.table
    verdict = "right" if t.ok else f"{len(t.root_causes)} root cause" + ("s" if len(t.root_causes) != 1 else "")
    lines = [f"  table {table.where}: {table.rows} iteration{'s' * (table.rows != 1)}, {verdict}"]
    if t.learning_rate:
        others = [f"{f.value:.6g} from {f.source}" for f in t.rates_found if f.source != t.learning_rate.source]
        lines.append(f"    η = {t.learning_rate.value:g} from {t.learning_rate.source}"
                     + (f" (also found: {'; '.join(others)})" if others else ""))
    lines.append("    " + ", ".join(f"{k} = {f.value:g} ({_short(f.source, table.sheet)})"
                                  for k, f in t.parameters.items()))
    missing = [q for q, c in t.columns.items() if c.status == "missing"]
    if missing:
        lines.append(f"    missing columns: {', '.join(missing)}")
    by_content = {q: how for q, how in table.identified.items() if not how.startswith("header")}
    for q, how in by_content.items():
        lines.append(f"    column {_column_of(table, q)} is {q}, identified {how}")
    named = {f"{_column_of(table, q)}{table.header_row}" for q in by_content}
    unidentified = [u for u in table.unmapped if u.split()[0] not in named]
    if unidentified:
        lines.append(f"    unidentified columns: {', '.join(unidentified)}")
    for note in t.notes:
        lines.append(f"    note: {note}")
    for cause in t.root_causes:
        detail = ""
        if cause.diagnosis != "unknown" and cause.expected is not None:
            detail = f" (expected {_num(cause.expected)}, got {_num(cause.got)})"
        lines.append(f"    ✗ {cause.cell} {cause.quantity}: {cause.diagnosis}: {cause.message}{detail}")
    wrong = [c for c in t.columns.values() if c.first_wrong]
    if wrong:
        order = list(t.columns)
        first = min(wrong, key=lambda c: (_row(c.first_wrong.cell), order.index(c.quantity)))
        names = "every quantity" if len(wrong) == len(order) else ", ".join(c.quantity for c in wrong)
        lines.append(f"    off the reference trajectory: {names}; first at "
                     f"{first.first_wrong.cell}")
    pasted = [c.quantity for c in t.columns.values() if c.status == "constant"]
    if pasted:
        lines.append(f"    numbers where the first rows have formulas: {', '.join(pasted)}")
    return lines


def _column_of(table, q: str) -> str:
    return column_letter(table.columns[q])


def _short(source: str, sheet: str) -> str:
    """'column ...' → 'table column'; "cell 'lr 0.5'!D3 (labelled 'i1')" → 'D3' on the table's own sheet."""
    if source.startswith("column"):
        return "table column"
    if source.startswith("cell "):
        cell = source[5:].split(" (", 1)[0]
        own = "'" + sheet.replace("'", "''") + "'!"
        return cell.removeprefix(own)
    return source


def _row(cell: str) -> int:
    return int("".join(ch for ch in cell.rsplit("!", 1)[-1] if ch.isdigit()) or 0)


def text(results: list[FileResult], roll: tuple[list[str], list[str]] | None = None) -> str:
    lines = []
    for result in results:
        if result.error:
            lines.append(f"{result.path}: {result.error_kind}: {result.error}")
            continue
        if not result.tables:
            lines.append(f"{result.path}: no iteration table found (a header row naming w1…w8, h1, a_h1, …)")
            continue
        status = "OK" if result.status == "ok" else "MISTAKES"
        got, points = total(file_parts(result))
        lines.append(f"{result.path}: {status}, score {got:g}/{points:g} ({len(result.tables)} table"
                     f"{'s' * (len(result.tables) != 1)}; {result.values_from})")
        if result.student_from:
            lines.append(f"  student: {result.student or 'none of the key'} ({result.student_from})")
        if result.stale:
            n = len(result.stale)
            lines.append(f"  stale: {n:,} cell{'s' * (n != 1)} saved with another value than "
                         f"{'they compute' if n != 1 else 'it computes'} now; first {', '.join(result.stale[:3])}")
        for table in result.tables:
            lines += _table_text(table)
    ok = sum(r.status == "ok" for r in results)
    lines.append(f"{ok} of {len(results)} file{'s' * (len(results) != 1)} right")
    if roll is not None:
        unmatched, missing = roll
        if unmatched:
            lines.append(f"files that match no student of the key: {', '.join(unmatched)}")
        if missing:
            lines.append(f"students with no submission: {', '.join(missing)}")
    if len(results) > 1:  # a class: how it went as a whole
        lines += stats.text(stats.class_stats(results))
    return "\n".join(lines) + "\n"


def _cell(c) -> dict | None:
    return None if c is None else {"cell": c.cell, "expected": c.expected, "got": c.got}


def _table_json(t: TableResult) -> dict:
    lr = t.learning_rate
    return {
        "sheet": t.table.sheet,
        "range": t.table.where,
        "rows": t.table.rows,
        "ok": t.ok,
        "learning_rate": None if lr is None else {"value": lr.value, "source": lr.source},
        "learning_rates_found": [{"value": f.value, "source": f.source} for f in t.rates_found],
        "parameters": {k: {"value": f.value, "source": f.source} for k, f in t.parameters.items()},
        "quantities": {q: {"status": c.status, "first_wrong": _cell(c.first_wrong)} for q, c in t.columns.items()},
        "network": t.network.describe(),
        "identified": t.table.identified,
        "unmapped": t.table.unmapped,
        "missing": [q for q, c in t.columns.items() if c.status == "missing"],
        "root_causes": [c.as_dict() for c in t.root_causes],
        "notes": t.notes,
    }


def to_json(results: list[FileResult], similar=None, roll=None) -> dict:
    """Everything found; with `similar` (check.similar.Similarity), its pairs under the key "similar"; with
    `roll` (--key), the files that match no student and the students with no submission."""
    out = {"files": [{
        "path": r.path,
        "status": r.status,
        "student": r.student,
        "student_from": r.student_from,
        "score": total(file_parts(r))[0],
        "max_score": total(file_parts(r))[1],
        "parts": [{"name": p.name, "score": p.score, "max_score": p.max_score, "output": p.output}
                  for p in file_parts(r)],
        "error": r.error,
        "values_from": r.values_from,
        "stale_cells": r.stale,
        "first_mistake": r.root_causes[0].as_dict() if r.root_causes else None,
        "tables": [_table_json(t) for t in r.tables],
    } for r in results]}
    if similar is not None:
        out["similar"] = similar.to_json()
    if roll is not None:
        out["unmatched_files"], out["missing_students"] = roll
    return out


CSV_FIELDS = ("file", "student", "status", "tables", "rows", "quantities_checked", "quantities_right", "score",
              "max_score",
              "root_causes", "first_cell", "first_quantity", "first_diagnosis", "diagnoses", "error")


def csv_rows(results: list[FileResult]) -> list[dict]:
    rows = []
    for r in results:
        columns = [c for t in r.tables for c in t.columns.values() if c.status != "missing"]
        right = sum(c.status == "ok" for c in columns)
        causes = r.root_causes
        first = causes[0] if causes else None
        rows.append({
            "file": r.path, "status": r.status, "tables": len(r.tables),
            "rows": sum(t.table.rows for t in r.tables),
            "quantities_checked": len(columns), "quantities_right": right,
            "score": f"{total(file_parts(r))[0]:g}", "max_score": f"{total(file_parts(r))[1]:g}",
            "student": r.student or "",
            "root_causes": len(causes),
            "first_cell": first.cell if first else "", "first_quantity": first.quantity if first else "",
            "first_diagnosis": first.diagnosis if first else "",
            "diagnoses": ";".join(dict.fromkeys(c.diagnosis for c in causes)),
            "error": r.error or "",
        })
    return rows


def write_json(path: Path, results: list[FileResult], similar=None, roll=None) -> None:
    text = json.dumps(to_json(results, similar, roll), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    with atomic_write(path) as file:
        file.write(text.encode())


def write_csv(path: Path, results: list[FileResult]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS)
    writer.writeheader()
    writer.writerows(csv_rows(results))
    with atomic_write(path) as file:
        file.write(buffer.getvalue().encode())
