"""The residual scan of folders (`qualcode pseudonymise --check`): every text file in them.

An output folder of `qualcode code` is read table by table: the transcripts' texts and free
metadata, coders' notes and the codebook copy. Then every other text file in the folder is
read too: run.json (the recorded command, options, warnings: each text value, named by its JSON
path), the CSV copies of the tables and participant sheets (cell by cell, skipping ids, codes
and numbers), and any other text file (notes, a report). A candidate already listed from the
tables is not listed again for their CSV copies (it would be listed three times). Binary
files (Parquet) are read only as tables. A transcript folder is read as transcripts, then its
other text files the same way.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.output.guard import MARKER_FILE
from qualcode.privacy.identifiers import Identifiers
from qualcode.privacy.residual import (
    COLUMNS,
    AnyLexicon,
    Candidate,
    scan_text,
    scan_transcript_files,
    words_for,
)

if TYPE_CHECKING:
    import pandas as pd

# Columns and keys holding ids, codes, categories and bookkeeping: not scanned.
STRUCTURAL_COLUMNS = frozenset(
    {
        m.SEGMENT_ID, m.TRANSCRIPT_ID, m.UNIT, m.SEGMENT_INDEX, m.IS_INTERVIEWER, m.START,
        m.END, m.N_WORDS, m.START_TIME, m.END_TIME, m.LANGUAGE, m.COUNTRY, m.ROLE,
        m.SOURCE_FILE, m.CODE, m.PARENT, m.SOURCE, m.CODER, m.PATTERN_ID, m.MATCH_SPANS,
        m.ACTION, m.STATUS, m.TIMESTAMP, m.OVERRIDE_FILE, m.OVERRIDE_LINE, "removed_auto",
        "id",
    }
)  # fmt: skip
# run.json keys whose values are versions, hashes, code and coder names: not scanned.
MANIFEST_SKIPPED = frozenset(
    {"qualcode_version", "layout", "sha256", "codes", "coders", "by_language", "parent"}
)
# Files of a folder scanned as something else, or not text.
_BINARY_SUFFIXES = frozenset({".parquet", ".xlsx", ".docx", ".odt", ".pdf", ".png", ".zip"})
_MAX_TEXT_BYTES = 64 * 1024 * 1024


def _every_language() -> AnyLexicon:
    return AnyLexicon([words_for(lang) for lang in m.LANGUAGES])


def scan_output(folder: Path, identifiers: Identifiers | None) -> list[Candidate]:
    """Candidates in an output folder of `qualcode code`: its tables, then every text file."""
    from qualcode.output.folder import load_output

    output = load_output(folder)
    transcripts = output.transcripts()
    found: list[Candidate] = []
    skipped = {m.TRANSCRIPT_ID, m.SOURCE_FILE, m.LANGUAGE, m.COUNTRY, m.ROLE}
    for record in transcripts.to_dict("records"):
        where = f"{folder / m.TRANSCRIPTS_FILE}.parquet#{record[m.TRANSCRIPT_ID]}"
        words = words_for(str(record.get(m.LANGUAGE) or "en"))
        found += scan_text(str(record[m.TEXT]), where, words, identifiers)
        for column, value in record.items():
            if column not in skipped and column != m.TEXT and isinstance(value, str):
                found += scan_text(value, f"{where}/{column}", words, identifiers)
    every = _every_language()
    for number, note in enumerate(output.overrides.get(m.NOTE, []), start=2):
        if isinstance(note, str) and note:
            where = f"{folder / m.OVERRIDES_FILE}.csv"
            found += scan_text(note, where, every, identifiers, first_line=number)
    codebook = folder / m.CODEBOOK_COPY
    if codebook.is_file():
        text = codebook.read_text(encoding="utf-8", errors="replace")
        found += scan_text(text, str(codebook), every, identifiers)
    return found + scan_other_files(folder, identifiers, found, done={codebook})


def scan_other_files(
    folder: Path, identifiers: Identifiers | None, seen: Sequence[Candidate], done: set[Path]
) -> list[Candidate]:
    """Candidates in the text files of `folder` (and below) not in `done`: run.json by JSON
    path, others as text, CSV files cell by cell (a candidate `seen` or another CSV file lists
    already is left out: they copy the tables)."""
    already = {(c.kind, c.candidate) for c in seen}
    found: list[Candidate] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p not in done):
        if path.name == MARKER_FILE:  # qualcode's own list of file names: nothing of the user's
            continue
        text = _text_of(path)
        if text is None:
            continue
        if path.suffix.lower() in (".csv", ".tsv"):  # copies of the tables: each new one once
            for candidate in _scan_sheet(text, path, identifiers):
                if (candidate.kind, candidate.candidate) not in already:
                    already.add((candidate.kind, candidate.candidate))
                    found.append(candidate)
        elif path.name == m.MANIFEST_FILE:
            found += _scan_json(text, path, identifiers)
        else:
            found += scan_text(text, str(path), _every_language(), identifiers)
    return found


def _text_of(path: Path) -> str | None:
    """A file's text when it is UTF-8 text (not binary, not too large to scan), else None."""
    if path.suffix.lower() in _BINARY_SUFFIXES:
        return None
    try:
        if path.stat().st_size > _MAX_TEXT_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _scan_json(text: str, path: Path, identifiers: Identifiers | None) -> list[Candidate]:
    """Each text value of a JSON file, named `path#/key/0/...`, but MANIFEST_SKIPPED keys."""
    try:
        data = json.loads(text)
    except ValueError:
        return scan_text(text, str(path), _every_language(), identifiers)
    every = _every_language()
    found: list[Candidate] = []

    def walk(value: Any, pointer: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in MANIFEST_SKIPPED:
                    walk(item, f"{pointer}/{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{pointer}/{index}")
        elif isinstance(value, str):
            found.extend(scan_text(value, f"{path}#{pointer}", every, identifiers))

    walk(data, "")
    return found


def _scan_sheet(text: str, path: Path, identifiers: Identifiers | None) -> list[Candidate]:
    """Each cell of a CSV/TSV file but the header and STRUCTURAL_COLUMNS, by line."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    every = _every_language()
    found: list[Candidate] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        for row in reader:
            line = reader.line_num
            for name, cell in zip(header, row, strict=False):
                if name not in STRUCTURAL_COLUMNS and cell.strip():
                    where = f"{path}#{name}"
                    found += scan_text(cell, where, every, identifiers, first_line=line)
    except csv.Error:
        return scan_text(text, str(path), every, identifiers)
    return found


def find_residuals(
    inputs: Sequence[str | Path] | str | Path,
    identifiers: Identifiers | None = None,
    *,
    language: str = "en",
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Candidate identifiers left in transcripts or in `qualcode code` output folders.

    Returns a DataFrame (file, line, column, kind, candidate), one row per candidate, in file
    order. An input folder with run.json and transcripts.parquet is read as an output folder;
    every other text file of a folder is read too (see the module's docstring). Raises
    TranscriptError or OutputError for unreadable input.
    """
    import pandas as pd

    from qualcode.transcripts.reader import find_transcript_files

    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    found: list[Candidate] = []
    for raw in inputs:
        path = Path(raw)
        if (path / m.MANIFEST_FILE).is_file() and (
            path / f"{m.TRANSCRIPTS_FILE}.parquet"
        ).exists():  # a file, or a partitioned dataset's folder
            found += scan_output(path, identifiers)
            continue
        scanned = scan_transcript_files([path], identifiers, language, encoding)
        found += scanned
        if path.is_dir():
            done = set(find_transcript_files([path]))
            found += scan_other_files(path, identifiers, scanned, done)
    return pd.DataFrame([c.__dict__ for c in found], columns=COLUMNS)
