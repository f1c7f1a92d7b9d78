"""Participant attribute sheets (--meta FILE.csv/.xlsx) merged into transcript metadata."""

from __future__ import annotations

from pathlib import Path

from qualcode.errors import Problem, TranscriptError
from qualcode.transcripts.reader import Transcript

ID_COLUMNS = ("transcript_id", "id")


def read_meta_sheet(path: str | Path) -> dict[str, tuple[int, dict[str, str]]]:
    """Read a sheet of one row per transcript id: {id: (line, {column: value})}.

    Empty cells are left out. Raises TranscriptError for an unreadable sheet, a missing id
    column, or a duplicate id (with both lines).
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise TranscriptError("metadata sheet not found", file=path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            try:
                frame = pd.read_excel(path, dtype=str, keep_default_na=False)
            except Exception as exc:  # a damaged .xlsx: BadZipFile, KeyError, ParseError...
                raise TranscriptError(
                    f"cannot read metadata sheet: not a readable .xlsx ({type(exc).__name__})",
                    file=path,
                ) from None
        elif path.suffix.lower() in (".csv", ".tsv"):
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, sep=sep, encoding="utf-8-sig"
            )
        else:
            raise TranscriptError("metadata sheet must be .csv, .tsv or .xlsx", file=path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(
            f"cannot read metadata sheet ({type(exc).__name__})", file=path
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    id_column = next((c for c in ID_COLUMNS if c in frame.columns), None)
    if id_column is None:
        raise TranscriptError(
            f"metadata sheet needs a '{ID_COLUMNS[0]}' (or 'id') column", file=path, line=1
        )
    rows: dict[str, tuple[int, dict[str, str]]] = {}
    problems = []
    for offset, record in enumerate(frame.to_dict("records")):
        line = offset + 2  # header is line 1
        tid = str(record.pop(id_column)).strip()
        if not tid:
            problems.append(Problem("empty transcript id", str(path), line))
            continue
        if tid in rows:
            problems.append(
                Problem(
                    f"transcript '{tid}' appears twice (also line {rows[tid][0]})", str(path), line
                )
            )
            continue
        rows[tid] = (line, {k: str(v).strip() for k, v in record.items() if str(v).strip()})
    if problems:
        raise TranscriptError(problems=problems)
    return rows


def merge_meta(
    transcripts: list[Transcript], sheet: dict[str, tuple[int, dict[str, str]]], sheet_path: Path
) -> list[str]:
    """Merge sheet values into each transcript's metadata, in place; returns warnings.

    A key present in both with different values (compared case-insensitively) is an error
    naming the sheet, its line, the transcript and the key.
    """
    problems = []
    for transcript in transcripts:
        if transcript.id not in sheet:
            continue
        line, values = sheet[transcript.id]
        for key, value in values.items():
            if key == "language":
                current = transcript.language if transcript.language_explicit else None
            else:
                current = transcript.metadata.get(key)
            if current is not None and current.casefold() != value.casefold():
                problems.append(
                    Problem(
                        # Values are not quoted: for keys such as `interviewee` they are
                        # personal data, and error messages never carry content.
                        f"transcript '{transcript.id}', key '{key}': the front matter of "
                        f"{transcript.source_file} and the sheet give different values",
                        str(sheet_path),
                        line,
                    )
                )
            elif key == "language":
                transcript.language = value.lower()
                transcript.language_explicit = True
            elif current is None:
                transcript.metadata[key] = value
    if problems:
        raise TranscriptError(problems=problems)
    known = {t.id for t in transcripts}
    unknown = sorted(set(sheet) - known)
    return (
        [f"{sheet_path}: {len(unknown)} id(s) match no transcript: {', '.join(unknown[:5])}"]
        if unknown
        else []
    )
