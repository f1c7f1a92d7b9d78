"""Gold files: passages labelled by people, the yardstick `codebook test` measures a codebook on.

A gold file is JSON Lines (one object per line) or CSV with the columns ``id, language, text,
codes`` and optionally ``country, role, split``. ``codes`` is a list in JSON Lines and a
``;``-separated cell in CSV; an empty list (or cell) is a passage that carries no code.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualcode.errors import GoldError, Problem

GOLD_ID = "id"
GOLD_LANGUAGE = "language"
GOLD_TEXT = "text"
GOLD_CODES = "codes"
GOLD_SPLIT = "split"
GOLD_OPTIONAL = ("country", "role", GOLD_SPLIT)
GOLD_REQUIRED = (GOLD_ID, GOLD_LANGUAGE, GOLD_TEXT, GOLD_CODES)
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Passage:
    """One labelled passage of a gold file."""

    id: str
    language: str
    text: str
    codes: tuple[str, ...]
    split: str | None = None
    country: str | None = None
    role: str | None = None
    line: int | None = None


def read_gold(
    path: str | Path,
    *,
    known_codes: list[str] | None = None,
    split: str | None = None,
) -> list[Passage]:
    """Read and validate a gold file; every problem is collected and raised as one GoldError.

    `known_codes` (the codebook's codes) makes a label that is not a code a problem; `split`
    keeps only the passages of that split (a file without a split column then fails).
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise GoldError(f"cannot read gold file ({exc.strerror})", file=path) from None
    except UnicodeDecodeError:
        raise GoldError("gold file is not valid UTF-8", file=path) from None
    problems: list[Problem] = []
    rows = (
        _csv_rows(text, path, problems)
        if path.suffix.lower() == ".csv"
        else _jsonl_rows(text, path, problems)
    )
    passages = _passages(rows, path, known_codes, problems)
    if split is not None:
        if split not in SPLITS:
            problems.append(Problem(f"split must be one of {', '.join(SPLITS)}, not '{split}'"))
        elif passages and all(p.split is None for p in passages):
            problems.append(Problem(f"no '{GOLD_SPLIT}' column, so no {split} split", str(path)))
        passages = [p for p in passages if p.split == split]
    if not problems and not passages:
        problems.append(
            Problem("no passages" + (f" in split '{split}'" if split else ""), str(path))
        )
    if problems:
        raise GoldError(problems=problems)
    return passages


def _jsonl_rows(text: str, path: Path, problems: list[Problem]) -> list[tuple[int, dict]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"not valid JSON ({exc.msg})", str(path), number))
            continue
        if not isinstance(row, dict):
            problems.append(Problem("each line must be a JSON object", str(path), number))
            continue
        rows.append((number, row))
    return rows


def _csv_rows(text: str, path: Path, problems: list[Problem]) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        for row in reader:
            codes = row.get(GOLD_CODES) or ""
            row[GOLD_CODES] = [c.strip() for c in codes.split(";") if c.strip()]
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        problems.append(Problem(f"malformed CSV: {exc}", str(path), reader.line_num))
    return rows


def _passages(
    rows: list[tuple[int, dict[str, Any]]],
    path: Path,
    known_codes: list[str] | None,
    problems: list[Problem],
) -> list[Passage]:
    from qualcode.codebook.patterns import language_supported

    known = set(known_codes) if known_codes is not None else None
    seen: dict[str, int] = {}
    passages = []
    for line, row in rows:
        where = (str(path), line)
        missing = [k for k in GOLD_REQUIRED if row.get(k) in (None, "")]
        missing = [k for k in missing if k != GOLD_CODES or row.get(k) is None]
        if missing:
            problems.append(Problem(f"missing {', '.join(missing)}", *where))
            continue
        pid, language, codes = str(row[GOLD_ID]), str(row[GOLD_LANGUAGE]), row[GOLD_CODES]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            problems.append(Problem(f"passage {pid}: codes must be a list of code names", *where))
            continue
        if pid in seen:
            problems.append(Problem(f"passage id {pid} already used at line {seen[pid]}", *where))
            continue
        seen[pid] = line
        if not language_supported(language):
            problems.append(Problem(f"passage {pid}: unknown language '{language}'", *where))
            continue
        unknown = sorted(set(codes) - known) if known is not None else []
        if unknown:
            problems.append(
                Problem(f"passage {pid}: not a code of the codebook: {', '.join(unknown)}", *where)
            )
            continue
        split = row.get(GOLD_SPLIT) or None
        if split is not None and split not in SPLITS:
            problems.append(Problem(f"passage {pid}: split must be dev or test", *where))
            continue
        passages.append(
            Passage(
                pid,
                language,
                str(row[GOLD_TEXT]),
                tuple(dict.fromkeys(codes)),
                split,
                _optional(row.get("country")),
                _optional(row.get("role")),
                line,
            )
        )
    return passages


def _optional(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
