"""One variant of the assignment per student: drawn from the student's id and a seed, checked, recorded in a key.

A variant is the teacher's config with some of its numbers redrawn (`VARY`): the same id and seed give
the same numbers on any machine (the draw is seeded by SHA-256 of the id, not Python's hash). Each draw
is trained by the reference before it is kept: it must not overflow, and E_total must fall on every
learning-rate sheet; a draw that fails is replaced by the next one of the same student's stream.
`key.json` records every student's whole config, so that `generate --key` writes that student's
solution and `check --key` grades each submission against its own student's numbers.
"""

import csv
import hashlib
import json
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from backprop_sheet import reference
from backprop_sheet.config import SheetConfig, from_mapping
from bpcore.errors import InputError

VARY = ("weights", "inputs", "targets", "rates")  # what --vary may name
KEY_FORMAT = 1  # key.json's "format": bumped when its fields change meaning
ATTEMPTS = 200  # draws tried per student before giving up (a sensible range passes in a few)
ID_COLUMN = "student_id"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")  # ids become file names: <student_id>.xlsx


@dataclass(frozen=True)
class Student:
    id: str
    roster: dict[str, str]  # the roster's other columns (name, email, …), kept as they were
    config: SheetConfig


def read_roster(path: str | Path) -> list[tuple[str, dict[str, str]]]:
    """(student id, the row's other columns) for every row of a roster CSV with a student_id column."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.DictReader(file))
            header = rows and list(rows[0]) or []
    except OSError as error:
        raise InputError(f"cannot read roster {str(path)!r}: {error.strerror or error}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise InputError(f"roster {str(path)!r} is not a UTF-8 CSV file ({error})") from None
    if not rows:
        raise InputError(f"roster {str(path)!r} has no students (a header row with {ID_COLUMN}, then one row each)")
    column = next((h for h in header if h and h.strip().lower() == ID_COLUMN), None)
    if column is None:
        raise InputError(f"roster {str(path)!r} has no {ID_COLUMN} column (its columns: {', '.join(header)})")
    students, seen = [], set()
    for n, row in enumerate(rows, start=2):
        sid = (row.get(column) or "").strip()
        if not _SAFE_ID.fullmatch(sid):
            raise InputError(f"roster {str(path)!r} line {n}: student_id {sid!r} must be 1-64 letters, digits or "
                             "._@+- (it names the student's file)")
        if sid.lower() in seen:
            raise InputError(f"roster {str(path)!r} line {n}: student_id {sid!r} is listed twice")
        seen.add(sid.lower())
        students.append((sid, {k: v for k, v in row.items() if k != column and k is not None}))
    return students


def _rng(student_id: str, seed: int, attempt: int) -> np.random.Generator:
    digest = int.from_bytes(hashlib.sha256(student_id.encode()).digest()[:8], "big")
    return np.random.default_rng([seed, digest, attempt])


def _distinct(values: np.ndarray, floor: float) -> bool:
    return len(set(values.tolist())) == len(values) and bool(np.all(np.abs(values) >= floor))


def draw(base: SheetConfig, student_id: str, seed: int, vary: tuple[str, ...], attempt: int) -> SheetConfig:
    """One draw of the student's variant: weights in ±[0.05, 0.8], inputs and targets in [0.05, 0.95], rates
    0.5–1.5× the teacher's, all rounded to 2 digits so that a student can retype them."""
    rng = _rng(student_id, seed, attempt)
    changes = {}
    if "weights" in vary:
        while True:
            w = np.round(rng.uniform(0.05, 0.8, len(base.weights)) * rng.choice([-1.0, 1.0], len(base.weights)), 2)
            if _distinct(w, 0.05):
                break
        changes["weights"] = tuple(float(x) for x in w)
    if "inputs" in vary:
        changes["inputs"] = tuple(float(x) for x in np.round(rng.uniform(0.05, 0.95, len(base.inputs)), 2))
    if "targets" in vary:
        changes["targets"] = _targets(base, rng)
    if "rates" in vary:
        rates = [float(f"{r * rng.uniform(0.5, 1.5):.2g}") for r in base.learning_rates]
        if len(set(rates)) == len(rates):
            changes["learning_rates"] = tuple(rates)
    return replace(base, **changes)


def _targets(base: SheetConfig, rng: np.random.Generator) -> tuple[float, ...]:
    n = len(base.targets)
    if getattr(base, "loss", "mse") == "cross_entropy" and n > 1:  # softmax: one-hot targets
        hot = int(rng.integers(n))
        return tuple(1.0 if k == hot else 0.0 for k in range(n))
    return tuple(float(x) for x in np.round(rng.uniform(0.05, 0.95, n), 2))


def trains(config: SheetConfig) -> bool:
    """Whether the reference computes every row (no overflow) and E_total falls on every rate's sheet."""
    try:
        trajectory = reference.checked(config)
    except InputError:
        return False
    e = trajectory["E_total"]
    e = e.reshape(e.shape[0], -1) if e.ndim > 1 else e[:, None]
    return bool(np.all(np.isfinite(e)) and np.all(e[-1] < e[0]))


def variant(base: SheetConfig, student_id: str, seed: int, vary: tuple[str, ...]) -> SheetConfig:
    for attempt in range(ATTEMPTS):
        config = draw(base, student_id, seed, vary, attempt)
        if trains(config):
            return config
    raise InputError(f"no variant for {student_id!r} trains in {ATTEMPTS} draws: E_total does not fall on every "
                     "sheet; try fewer learning rates, smaller ones, or more iterations")


def parse_vary(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
    unknown = [v for v in names if v not in VARY]
    if unknown or not names:
        raise InputError(f"--vary: {', '.join(unknown) or 'nothing'} is not one of {', '.join(VARY)}")
    return names


def to_mapping(config: SheetConfig) -> dict:
    """The config as key.json stores it: the fields that differ from their defaults (and the weights, always),
    tuples as lists; from_mapping reads it back to the same config."""
    out = {}
    for f in fields(config):
        value = getattr(config, f.name)
        if value != f.default or f.name == "weights":
            out[f.name] = _listed(value)
    return out


def _listed(value):
    return [_listed(v) for v in value] if isinstance(value, (tuple, list)) else value


def students(roster: list[tuple[str, dict[str, str]]], base: SheetConfig, seed: int,
             vary: tuple[str, ...]) -> list[Student]:
    return [Student(sid, row, variant(base, sid, seed, vary)) for sid, row in roster]


def key_json(students_: list[Student], base: SheetConfig, seed: int, vary: tuple[str, ...]) -> dict:
    return {"format": KEY_FORMAT, "seed": seed, "vary": list(vary), "assignment": to_mapping(base),
            "students": {s.id: {"roster": s.roster, "config": to_mapping(s.config)} for s in students_}}


def read_key(path: str | Path) -> dict[str, SheetConfig]:
    """{student id: that student's config} from a key.json that `exercise --roster` wrote."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read key {str(path)!r}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"key {str(path)!r} is not a key.json file ({error})") from None
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT or not isinstance(data.get("students"), dict):
        raise InputError(f"key {str(path)!r} is not a key.json that backprop-sheet exercise wrote")
    try:
        return {sid: from_mapping(entry["config"]) for sid, entry in data["students"].items()}
    except (KeyError, TypeError) as error:
        raise InputError(f"key {str(path)!r}: a student's entry lacks its config ({error})") from None
