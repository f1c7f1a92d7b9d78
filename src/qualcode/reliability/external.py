"""Codings made outside qualcode (``--codings-csv``): one coded passage per row.

Columns ``transcript_id, coder, code, start, end`` (others are ignored); ``start``/``end`` are
character offsets into the canonical text of ``out/transcripts.parquet`` (``end`` exclusive),
the offsets every qualcode table uses. A row with an empty ``code``, ``start`` and ``end``
declares that the coder coded that transcript and found nothing to code in it. A coder covers the
transcripts in which they have at least one row.

Every malformed row of every file is reported at once, each with its file and line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode import models as m
from qualcode.csvrows import CODER_OK, data_rows
from qualcode.errors import AgreementError, Problem

if TYPE_CHECKING:
    import pandas as pd

EXTERNAL_COLUMNS = (m.TRANSCRIPT_ID, m.CODER, m.CODE, m.START, m.END)
_INT = re.compile(r"^[+-]?\d+$")
_MAX_LISTED = 12


def _listing(names: Collection[str]) -> str:
    shown = sorted(names)
    more = len(shown) - _MAX_LISTED
    return ", ".join(shown[:_MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def _read_rows(
    path: Path, texts: Mapping[str, str], codes: Collection[str]
) -> tuple[list[dict], list[Problem]]:
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return [], [Problem("codings file not found", name)]
    except OSError as exc:
        return [], [Problem(f"cannot read codings file ({exc.strerror})", name)]
    except UnicodeDecodeError:
        return [], [Problem("codings file is not valid UTF-8", name)]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [Problem("codings file is empty", name)]
    except csv.Error as exc:
        return [], [Problem(f"malformed CSV header: {exc}", name, 1)]
    missing = [c for c in EXTERNAL_COLUMNS if c not in header]
    if missing:
        return [], [
            Problem(
                f"missing column(s) {', '.join(missing)} (expected: {', '.join(EXTERNAL_COLUMNS)})",
                name,
                1,
            )
        ]
    rows: list[dict] = []
    problems: list[Problem] = []
    for line, row in data_rows(reader, header, name, problems):
        found = _check_row(row, texts, codes)
        problems.extend(Problem(p, name, line) for p in found)
        if not found:
            rows.append({**{c: row[c] for c in EXTERNAL_COLUMNS}, "file": name, "line": line})
    return rows, problems


def _check_row(row: dict, texts: Mapping[str, str], codes: Collection[str]) -> list[str]:
    problems: list[str] = []
    transcript, coder, code = row[m.TRANSCRIPT_ID], row[m.CODER], row[m.CODE]
    if not transcript:
        problems.append("empty transcript_id")
    elif transcript not in texts:
        problems.append(f"unknown transcript '{transcript}' (not in the output folder)")
    if not coder:
        problems.append("empty coder")
    elif not CODER_OK.match(coder):
        problems.append(f"coder '{coder}' may only use letters, digits, _ . -")
    start, end = row[m.START], row[m.END]
    if not code:
        if start or end:
            problems.append(
                "empty code (leave code, start and end all empty to mark a "
                "transcript as coded with nothing in it)"
            )
        return problems
    if code not in codes:
        problems.append(f"unknown code '{code}' (codebook codes: {_listing(codes)})")
    bad = [
        f"{c} '{v}' is not a whole number"
        for c, v in ((m.START, start), (m.END, end))
        if not _INT.match(v)
    ]
    if bad:
        return problems + bad
    s, e = int(start), int(end)
    if s < 0:
        problems.append(f"start {s} is negative")
    if e <= s:
        problems.append(f"end {e} must be greater than start {s}")
    elif transcript in texts and e > len(texts[transcript]):
        problems.append(
            f"end {e} is beyond the text of '{transcript}' ({len(texts[transcript])} characters)"
        )
    return problems


def read_codings_csv(
    paths: Sequence[str | Path] | str | Path,
    texts: Mapping[str, str],
    codes: Collection[str],
) -> pd.DataFrame:
    """Read and validate external codings; every bad row of every file is reported at once.

    `texts` maps transcript ids to canonical text (offsets are checked against it) and `codes`
    are the codebook's codes. Returns a DataFrame with transcript_id, coder, code (<NA> on rows
    that only mark coverage), start, end (nullable Int64), file and line. Raises AgreementError.
    """
    import pandas as pd

    if isinstance(paths, (str, Path)):
        paths = [paths]
    rows: list[dict] = []
    problems: list[Problem] = []
    for path in paths:
        found, bad = _read_rows(Path(path), texts, set(codes))
        rows.extend(found)
        problems.extend(bad)
    if problems:
        raise AgreementError(problems=problems)
    frame = pd.DataFrame(rows, columns=[*EXTERNAL_COLUMNS, "file", "line"])
    for column in (m.TRANSCRIPT_ID, m.CODER, m.CODE, "file"):
        frame[column] = frame[column].astype("string").replace("", pd.NA)
    for column in (m.START, m.END):
        frame[column] = pd.to_numeric(frame[column].replace("", None)).astype("Int64")
    return frame
