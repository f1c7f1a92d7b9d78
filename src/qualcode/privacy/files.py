"""Pseudonymised copies of transcript folders and of `qualcode code` output folders.

Both write a new folder atomically (`write_output_folder`) and refuse to write over, into or
around their input. Transcripts keep their file names, front matter keys and line structure;
an output folder keeps its tables and codings, with texts replaced, offsets moved onto the new
text, and segment ids recomputed from the new text (an id is a hash of its segment's text, so
the original ids would let anyone confirm a guessed name in a short segment).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.errors import OutputError, Problem, TranscriptError
from qualcode.privacy.pseudonymise import (
    PATTERN_LABELS,
    Identifiers,
    OffsetMap,
    ProjectKey,
    PseudonymiseError,
    pseudonymise_text,
    redact_frame,
    redact_value,
    secret_key,
)

if TYPE_CHECKING:
    import pandas as pd

# Participant sheets copied (every cell but the id pseudonymised) next to the transcripts.
META_SHEETS = ("participants.csv", "meta.csv")
# Front-matter keys left as they are, and keys whose values are speaker labels.
KEEP_KEYS = frozenset({"id", "language"})
LABEL_KEYS = frozenset({"speakers", "interviewer"})
# Columns of the output tables that hold ids, codes and bookkeeping, never free text.
STRUCTURAL = frozenset(
    {
        m.SEGMENT_ID,
        m.TRANSCRIPT_ID,
        m.UNIT,
        m.LANGUAGE,
        m.CODE,
        m.PARENT,
        m.SOURCE,
        m.CODER,
        m.PATTERN_ID,
        m.MATCH_SPANS,
        m.MATCHED_TEXT,
        m.ACTION,
        m.STATUS,
        m.TIMESTAMP,
        m.OVERRIDE_FILE,
        m.SOURCE_FILE,
        m.TEXT,
        m.SPEAKER,
    }
)
_SEGMENT_ID = re.compile(r"\b[\w.\-]+?\.[tps]\.[0-9a-f]{10}(?:-\d+)?\b")


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


def _count(counter: Counter, omap: OffsetMap) -> None:
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


def _manifest(payload: dict[str, Any]) -> Callable[[Path], None]:
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
) -> PseudonymiseResult:
    """Write a pseudonymised copy of transcript files/folders into the folder `out`.

    Bodies are pseudonymised, front matter values too (except id and language; speaker labels
    get bare placeholders), and a participants.csv beside the transcripts is copied with every
    cell but the id pseudonymised. Names under the identifiers' `metadata_keys` (front matter or
    sheet) join the listed people. Raises TranscriptError (every unreadable file at once) or
    PseudonymiseError; the previous `out` is left as it was on any error.
    """
    from qualcode.output.folder import write_output_folder
    from qualcode.transcripts.reader import find_transcript_files

    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    out = Path(out)
    files = find_transcript_files(inputs)
    roots = [Path(p) for p in inputs if Path(p).is_dir()]
    refuse_overlap(out, [*roots, *files])
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

    records = [d.front for d in docs if d.front] + [
        r for rows in sheets.values() for r in _sheet_records(rows)
    ]
    ids = identifiers.with_metadata(records)
    counts: Counter = Counter()
    writers: dict[str, Callable[[Path], None]] = {}
    for doc in docs:
        body, omap = pseudonymise_text(doc.body, ids, key)
        _count(counts, omap)
        text = body if doc.front is None else _front_text(doc.front, ids, key) + body
        writers[doc.rel.as_posix()] = _text_writer(text)
    for path, rows in sheets.items():
        writers[path.name] = _text_writer(_redact_sheet(rows, ids, key))
    files_out = {**writers, m.MANIFEST_FILE: _manifest(_run_info(len(docs), counts, ids))}
    write_output_folder(out, _fill(files_out))
    return PseudonymiseResult(out, len(docs), dict(sorted(counts.items())), _listed(ids), warnings)


def _text_writer(text: str) -> Callable[[Path], None]:
    return lambda p: p.write_text(text, encoding="utf-8", newline="\n")


def _fill(files: dict[str, Callable[[Path], None]]) -> Callable[[Path], None]:
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


def _listed(identifiers: Identifiers) -> dict[str, int]:
    return dict(sorted(Counter(e.label for e in identifiers.entities).items()))


def _run_info(n: int, counts: Counter, identifiers: Identifiers) -> dict[str, Any]:
    import qualcode

    return {
        "qualcode_version": qualcode.__version__,
        "command": "pseudonymise",
        "transcripts": n,
        "replacements": dict(sorted(counts.items())),
        "listed_identifiers": _listed(identifiers),
    }


# --- output folders ----------------------------------------------------------------------------


def _orphan_id(old: str, secret: bytes) -> str:
    digest = hmac.new(secret, old.encode("utf-8"), hashlib.sha256).hexdigest()[:10]
    prefix = old.rsplit(".", 1)[0] if old.count(".") >= 2 else "segment"
    return f"{prefix}.{digest}"


def _spans(value: Any) -> list[tuple[int, int]] | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return [(int(a), int(b)) for a, b in (p.split("-") for p in value.split(";") if p.strip())]


def pseudonymise_output(
    folder: str | Path, out: str | Path, identifiers: Identifiers, key: ProjectKey | bytes
) -> PseudonymiseResult:
    """Write a pseudonymised copy of a `qualcode code` output folder into `out`.

    Texts (transcripts, segments, matched_text), notes and metadata are pseudonymised; start,
    end and match_spans are moved onto the new text; segment ids are recomputed from the new
    text (consistently in every table); codes, sources, coders and word counts are kept. Raises
    OutputError or PseudonymiseError; the previous `out` is left as it was on any error.
    """
    import pandas as pd

    from qualcode.output.folder import load_output, write_output_folder, write_table
    from qualcode.transcripts.segment import normalise_for_id, stable_segment_id

    folder, out = Path(folder), Path(out)
    refuse_overlap(out, [folder])
    source = load_output(folder)
    transcripts = source.transcripts()
    meta_columns = [c for c in transcripts.columns if c not in STRUCTURAL]
    ids = identifiers.with_metadata(transcripts[meta_columns].to_dict("records"))
    secret = secret_key(key)
    counts: Counter = Counter()
    old_texts = dict(zip(transcripts[m.TRANSCRIPT_ID], transcripts[m.TEXT], strict=True))
    new_texts: dict[str, str] = {}
    maps: dict[str, OffsetMap] = {}
    for tid, text in old_texts.items():
        new_texts[tid], maps[tid] = pseudonymise_text(str(text), ids, key)
        _count(counts, maps[tid])

    segments = source.segments.sort_values(
        [m.TRANSCRIPT_ID, m.UNIT, m.SEGMENT_INDEX], kind="stable"
    )
    id_map: dict[str, str] = {}
    seen: Counter = Counter()
    starts, ends, texts = [], [], []
    for row in segments[[m.SEGMENT_ID, m.TRANSCRIPT_ID, m.UNIT, m.START, m.END, m.TEXT]].itertuples(
        index=False
    ):
        seg_id, tid, unit, start, end, text = row
        if tid not in maps or old_texts[tid][int(start) : int(end)] != text:
            raise OutputError(
                f"segment '{seg_id}' does not match transcripts.parquet; re-run `qualcode code`",
                file=folder,
            )
        new_start, new_end = maps[tid].map_span(int(start), int(end))
        new_text = new_texts[tid][new_start:new_end]
        seen[(tid, unit, normalise_for_id(new_text))] += 1
        occurrence = seen[(tid, unit, normalise_for_id(new_text))]
        id_map[seg_id] = stable_segment_id(tid, unit, new_text, occurrence)
        starts.append(new_start)
        ends.append(new_end)
        texts.append(new_text)
    segments = segments.assign(
        **{
            m.START: pd.array(starts, dtype="int64"),
            m.END: pd.array(ends, dtype="int64"),
            m.TEXT: pd.array(texts, dtype=segments[m.TEXT].dtype),
        }
    ).sort_index()

    def new_id(old: Any) -> Any:
        if not isinstance(old, str):
            return old
        return id_map.get(old) or _orphan_id(old, secret)

    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame[m.SEGMENT_ID] = frame[m.SEGMENT_ID].map(new_id).astype(frame[m.SEGMENT_ID].dtype)
        columns = [c for c in frame.columns if c not in STRUCTURAL and _texty(frame[c])]
        return redact_frame(frame, ids, key, columns, bare_columns=[m.SPEAKER])

    codings = _move_codings(
        source.codings, maps, new_texts, lambda t: pseudonymise_text(t, ids, key)[0]
    )
    tables = {
        m.SEGMENTS_FILE: tidy(segments),
        m.CODINGS_FILE: tidy(codings),
        m.OVERRIDES_FILE: tidy(source.overrides),
    }
    new_transcripts = redact_frame(
        transcripts.assign(
            **{
                m.TEXT: pd.array(
                    [new_texts[t] for t in transcripts[m.TRANSCRIPT_ID]],
                    dtype=transcripts[m.TEXT].dtype,
                )
            }
        ),
        ids,
        key,
        meta_columns,
    )
    manifest = _manifest_text(source.manifest, id_map, secret, counts, ids)
    files: dict[str, Callable[[Path], None]] = {}
    for name, frame in tables.items():
        for suffix in (".parquet", ".csv"):
            files[name + suffix] = lambda p, f=frame: write_table(f, p)
    files[f"{m.TRANSCRIPTS_FILE}.parquet"] = lambda p: write_table(new_transcripts, p)
    files[m.MANIFEST_FILE] = lambda p: p.write_text(manifest, encoding="utf-8")
    warnings = []
    if (folder / m.CODEBOOK_COPY).is_file():
        codebook = (folder / m.CODEBOOK_COPY).read_bytes()
        files[m.CODEBOOK_COPY] = lambda p: p.write_bytes(codebook)
        warnings.append(
            f"{out / m.CODEBOOK_COPY}: copied unchanged; check its examples for identifiers"
        )
    write_output_folder(out, _fill(files))
    return PseudonymiseResult(
        out, len(new_texts), dict(sorted(counts.items())), _listed(ids), warnings
    )


def _texty(column: pd.Series) -> bool:
    import pandas as pd

    return column.dtype == object or isinstance(column.dtype, pd.StringDtype)


def _move_codings(
    codings: pd.DataFrame,
    maps: dict[str, OffsetMap],
    texts: dict[str, str],
    redact: Callable[[str], str],
) -> pd.DataFrame:
    """Codings with start, end and match_spans on the new text, matched_text re-read from it."""
    import pandas as pd

    empty = OffsetMap()
    starts, ends, spans, matched = [], [], [], []
    columns = [m.TRANSCRIPT_ID, m.START, m.END, m.MATCH_SPANS, m.MATCHED_TEXT]
    for tid, start, end, match_spans, matched_text in codings[columns].itertuples(index=False):
        omap = maps.get(tid, empty)
        new_start, new_end = omap.map_span(int(start), int(end))
        starts.append(new_start)
        ends.append(new_end)
        pairs = _spans(match_spans)
        if pairs is None:
            spans.append(match_spans if isinstance(match_spans, str) else None)
            matched.append(redact(matched_text) if isinstance(matched_text, str) else None)
            continue
        moved = list(dict.fromkeys(omap.map_span(a, b) for a, b in pairs))
        spans.append(";".join(f"{a}-{b}" for a, b in moved))
        pieces = dict.fromkeys(texts.get(tid, "")[a:b] for a, b in moved)
        matched.append(" | ".join(" ".join(p.split()) for p in pieces))
    return codings.assign(
        **{
            m.START: pd.array(starts, dtype="int64"),
            m.END: pd.array(ends, dtype="int64"),
            m.MATCH_SPANS: pd.array(spans, dtype=codings[m.MATCH_SPANS].dtype),
            m.MATCHED_TEXT: pd.array(matched, dtype=codings[m.MATCHED_TEXT].dtype),
        }
    )


def _manifest_text(
    manifest: dict[str, Any], id_map: dict[str, str], secret: bytes, counts: Counter, ids
) -> str:
    """run.json of the copy: the original's, noted as pseudonymised, with segment ids renamed."""
    from qualcode.output.folder import layout_record

    payload = {
        **manifest,
        "layout": layout_record(None),  # the copy is written as single files, whatever the source
        "pseudonymised": {
            "replacements": dict(sorted(counts.items())),
            "listed_identifiers": _listed(ids),
            "segment_ids": "recomputed from the pseudonymised text",
        },
    }
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    return _SEGMENT_ID.sub(lambda x: id_map.get(x.group()) or _orphan_id(x.group(), secret), text)
