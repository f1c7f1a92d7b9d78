"""Pseudonymised copies of transcript folders, and what both kinds of copy share.

A copy is written as a new folder atomically (`write_output_folder`), never over, into or
around its input. Transcripts keep their file names, front matter keys and line structure;
participant sheets (.csv) beside them are copied with every cell but the id pseudonymised.
Output folders of `qualcode code` are copied by `qualcode.privacy.output_copy`.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode import models as m
from qualcode.errors import Problem, TranscriptError
from qualcode.privacy.identifiers import Identifiers, PseudonymiseError
from qualcode.privacy.key import ProjectKey
from qualcode.privacy.patterns import PATTERN_LABELS
from qualcode.privacy.pseudonymise import OffsetMap, pseudonymise_text, redact_value

# Participant sheets copied (every cell but the id pseudonymised) next to the transcripts.
META_SHEETS = ("participants.csv", "meta.csv")
# Front-matter keys left as they are, and keys whose values are speaker labels.
KEEP_KEYS = frozenset({"id", "language"})
LABEL_KEYS = frozenset({"speakers", "interviewer"})


@dataclass
class PseudonymiseResult:
    """What a pseudonymisation run wrote: counts only, never the identifiers themselves."""

    out: Path
    transcripts: int
    replacements: dict[str, int] = field(default_factory=dict)  # PERSON, EMAIL... -> count
    listed: dict[str, int] = field(default_factory=dict)  # label -> listed identifiers known
    warnings: list[str] = field(default_factory=list)


def _kind(placeholder: str) -> str:
    return placeholder if placeholder in PATTERN_LABELS else placeholder.rsplit("-", 1)[0]


def count_placeholders(counter: Counter, omap: OffsetMap) -> None:
    """Count the replacements of one text by kind (PERSON, EMAIL...) into `counter`."""
    counter.update(_kind(p) for p in omap.placeholders)


def refuse_overlap(out: Path, inputs: Iterable[Path]) -> None:
    """Raise PseudonymiseError when `out` is an input, lies inside one, or contains one."""
    target = Path(out).resolve()
    for path in inputs:
        source = Path(path).resolve()
        if target == source or source in target.parents or target in source.parents:
            raise PseudonymiseError(
                "the output folder must not be an input, lie inside one or contain one "
                "(pseudonymise never overwrites its input); choose another -o",
                file=out,
            )


def side_inputs(identifiers: Identifiers, key: ProjectKey | bytes) -> list[Path | None]:
    """The identifiers file and the key file: inputs an output folder must never replace."""
    return [identifiers.path, key.path if isinstance(key, ProjectKey) else None]


def _manifest(payload: dict[str, Any]) -> Callable[[Path], object]:
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    return lambda p: p.write_text(text, encoding="utf-8")


# --- transcript folders ------------------------------------------------------------------------


@dataclass
class _Doc:
    path: Path
    rel: Path
    front: dict[str, Any] | None
    body: str


def _read_doc(
    path: Path, root: Path | None, language: str, encoding: str
) -> tuple[_Doc, str | None]:
    from qualcode.transcripts.reader import (
        TEXT_SUFFIXES,
        decode_bytes,
        read_transcript,
        split_front_matter,
    )

    rel = path.relative_to(root) if root is not None else Path(path.name)
    if path.suffix.lower() in TEXT_SUFFIXES:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TranscriptError(f"cannot read file ({exc.strerror})", file=path) from None
        text = decode_bytes(data, path, encoding)
        front, body, _ = split_front_matter(text, path)
        return _Doc(path, rel, front if text.startswith("---\n") else None, body), None
    transcript = read_transcript(path, default_language=language, encoding=encoding, root=root)
    front = {"id": transcript.id, "language": transcript.language, **transcript.metadata}
    warning = f"{path}: written as Markdown; only its text and metadata are kept"
    return _Doc(path, rel.with_suffix(".md"), front, transcript.text), warning


def _read_sheet(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TranscriptError(
            f"cannot read participant sheet ({type(exc).__name__})", file=path
        ) from None


def _sheet_records(rows: list[list[str]]) -> list[dict[str, str]]:
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def _front_text(front: dict[str, Any], identifiers: Identifiers, key) -> str:
    import yaml

    redacted = {
        k: v
        if str(k) in KEEP_KEYS
        else redact_value(v, identifiers, key, bare=str(k) in LABEL_KEYS)
        for k, v in front.items()
    }
    dumped = yaml.safe_dump(redacted, sort_keys=False, allow_unicode=True, width=1_000_000)
    return f"---\n{dumped}---\n"


def pseudonymise_transcripts(
    inputs: Sequence[str | Path] | str | Path,
    out: str | Path,
    identifiers: Identifiers,
    key: ProjectKey | bytes,
    *,
    language: str = "en",
    encoding: str = "utf-8",
    force: bool = False,
) -> PseudonymiseResult:
    """Write a pseudonymised copy of transcript files/folders into the folder `out`.

    Bodies are pseudonymised, front matter values too (except id and language; speaker labels
    get bare placeholders), and a participants.csv beside the transcripts is copied with every
    cell but the id pseudonymised. Names under the identifiers' `metadata_keys` (front matter or
    sheet) join the listed people. `out` is replaced only when qualcode wrote it (files it did
    not write are kept with `force`, else refused), never an input, the identifiers or the key
    file. Raises TranscriptError (every unreadable file at once), PseudonymiseError or
    OutputError; the previous `out` is left as it was on any error.
    """
    from qualcode.output.atomic import write_output_folder
    from qualcode.transcripts.reader import find_transcript_files

    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    out = Path(out)
    files = find_transcript_files(inputs)
    roots = [Path(p) for p in inputs if Path(p).is_dir()]
    refuse_overlap(out, [*roots, *files])
    docs, sheets, warnings = _read_inputs(files, roots, language, encoding)
    records = [d.front for d in docs if d.front] + [
        r for rows in sheets.values() for r in _sheet_records(rows)
    ]
    ids = identifiers.with_metadata(records)
    counts: Counter = Counter()
    writers: dict[str, Callable[[Path], object]] = {}
    for doc in docs:
        body, omap = pseudonymise_text(doc.body, ids, key)
        count_placeholders(counts, omap)
        text = body if doc.front is None else _front_text(doc.front, ids, key) + body
        writers[doc.rel.as_posix()] = _text_writer(text)
    for path, rows in sheets.items():
        writers[path.name] = _text_writer(_redact_sheet(rows, ids, key))
    files_out = {**writers, m.MANIFEST_FILE: _manifest(_run_info(len(docs), counts, ids))}
    guarded = [*roots, *files, *side_inputs(identifiers, key)]
    write_output_folder(out, folder_filler(files_out), inputs=guarded, force=force)
    return PseudonymiseResult(
        out, len(docs), dict(sorted(counts.items())), listed_counts(ids), warnings
    )


def _read_inputs(
    files: list[Path], roots: list[Path], language: str, encoding: str
) -> tuple[list[_Doc], dict[Path, list[list[str]]], list[str]]:
    """(transcripts, participant sheets by path, warnings). Raises TranscriptError with every
    unreadable file, and every two inputs that would be written to the same place."""
    docs: list[_Doc] = []
    warnings: list[str] = []
    problems: list[Problem] = []
    for path in files:
        root = next((r for r in roots if r in path.parents), None)
        try:
            doc, warning = _read_doc(path, root, language, encoding)
        except TranscriptError as exc:
            problems.extend(exc.problems)
            continue
        docs.append(doc)
        if warning:
            warnings.append(warning)
    sheets = {
        root / name: _read_sheet(root / name)
        for root in roots
        for name in META_SHEETS
        if (root / name).is_file()
    }
    targets: dict[Path, Path] = {}
    sheet_rel = {path: Path(path.name) for path in sheets}
    for source, rel in [*((d.path, d.rel) for d in docs), *sheet_rel.items()]:
        if rel in targets:
            problems.append(
                Problem(f"would be written to {rel} like {targets[rel]}; rename one", str(source))
            )
        targets[rel] = source
    if problems:
        raise TranscriptError(problems=problems)
    for root in roots:
        for extra in ("participants.xlsx", "participants.tsv", "meta.xlsx"):
            if (root / extra).is_file():
                warnings.append(f"{root / extra}: not copied (only .csv sheets are pseudonymised)")
    return docs, sheets, warnings


def _text_writer(text: str) -> Callable[[Path], object]:
    return lambda p: p.write_text(text, encoding="utf-8", newline="\n")


def folder_filler(files: dict[str, Callable[[Path], object]]) -> Callable[[Path], None]:
    """A `write_output_folder` filler: each writer gets its path (folders made first)."""

    def fill(folder: Path) -> None:
        for name, writer in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            writer(path)

    return fill


def _redact_sheet(rows: list[list[str]], identifiers: Identifiers, key) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = [h.strip() for h in rows[0]] if rows else []
    keep = {i for i, h in enumerate(header) if h in ("transcript_id", "id")}
    for number, row in enumerate(rows):
        writer.writerow(
            cell if number == 0 or i in keep else pseudonymise_text(cell, identifiers, key)[0]
            for i, cell in enumerate(row)
        )
    return buffer.getvalue()


def listed_counts(identifiers: Identifiers) -> dict[str, int]:
    """How many listed identifiers there are of each label (never the identifiers)."""
    return dict(sorted(Counter(e.label for e in identifiers.entities).items()))


def _run_info(n: int, counts: Counter, identifiers: Identifiers) -> dict[str, Any]:
    import qualcode

    return {
        "qualcode_version": qualcode.__version__,
        "command": "pseudonymise",
        "transcripts": n,
        "replacements": dict(sorted(counts.items())),
        "listed_identifiers": listed_counts(identifiers),
    }
