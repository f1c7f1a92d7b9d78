"""A pseudonymised copy of a `qualcode code` output folder.

Written atomically into a new folder (never over, into or around its input): the tables and
codings are kept, with texts replaced, offsets moved onto the new text, and segment ids
recomputed from the new text (an id is a hash of its segment's text, so the original ids would
let anyone confirm a guessed name in a short segment).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.errors import OutputError
from qualcode.privacy.files import (
    PseudonymiseResult,
    count_placeholders,
    folder_filler,
    listed_counts,
    refuse_overlap,
    side_inputs,
)
from qualcode.privacy.identifiers import Identifiers
from qualcode.privacy.key import ProjectKey, secret_key
from qualcode.privacy.pseudonymise import OffsetMap, pseudonymise_text, redact_frame

if TYPE_CHECKING:
    import pandas as pd

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
# Keys of run.json whose values are kept in the copy as they are: versions, the layout, the
# codebook's identity, and code, coder and transcript names (the tables keep them too).
MANIFEST_KEPT = frozenset(
    {
        "qualcode_version",
        "layout",
        "codebook",
        "codes",
        "coders",
        "by_language",
        "missing_metadata",
    }
)
_SEGMENT_ID = re.compile(r"\b[\w.\-]+?\.[tps]\.[0-9a-f]{10}(?:-\d+)?\b")


def _orphan_id(old: str, secret: bytes) -> str:
    digest = hmac.new(secret, old.encode("utf-8"), hashlib.sha256).hexdigest()[:10]
    prefix = old.rsplit(".", 1)[0] if old.count(".") >= 2 else "segment"
    return f"{prefix}.{digest}"


def _spans(value: Any) -> list[tuple[int, int]] | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return [(int(a), int(b)) for a, b in (p.split("-") for p in value.split(";") if p.strip())]


def pseudonymise_output(
    folder: str | Path,
    out: str | Path,
    identifiers: Identifiers,
    key: ProjectKey | bytes,
    *,
    force: bool = False,
) -> PseudonymiseResult:
    """Write a pseudonymised copy of a `qualcode code` output folder into `out`.

    Texts (transcripts, segments, matched_text), notes and metadata are pseudonymised; start,
    end and match_spans are moved onto the new text; segment ids are recomputed from the new
    text (consistently in every table); codes, sources, coders and word counts are kept. `out`
    is replaced only as `pseudonymise_transcripts` says (`force` keeps the user's files). Raises
    OutputError or PseudonymiseError; the previous `out` is left as it was on any error.
    """
    import pandas as pd

    from qualcode.output.atomic import write_output_folder
    from qualcode.output.folder import load_output

    folder, out = Path(folder), Path(out)
    refuse_overlap(out, [folder])
    source = load_output(folder)
    transcripts = source.transcripts()
    meta_columns = [c for c in transcripts.columns if c not in STRUCTURAL]
    ids = identifiers.with_metadata(transcripts[meta_columns].to_dict("records"))
    secret = secret_key(key)
    old_texts = dict(zip(transcripts[m.TRANSCRIPT_ID], transcripts[m.TEXT], strict=True))
    new_texts, maps, counts = _pseudonymise_texts(old_texts, ids, key)
    segments, id_map = _move_segments(source.segments, old_texts, new_texts, maps, folder)

    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        new_id = frame[m.SEGMENT_ID].map(lambda old: _new_segment_id(old, id_map, secret))
        frame[m.SEGMENT_ID] = new_id.astype(frame[m.SEGMENT_ID].dtype)
        _move_decision_ids(frame, id_map, secret)
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
    new_text = pd.array(
        [new_texts[t] for t in transcripts[m.TRANSCRIPT_ID]], dtype=transcripts[m.TEXT].dtype
    )
    new_transcripts = redact_frame(transcripts.assign(**{m.TEXT: new_text}), ids, key, meta_columns)
    redacted = redact_manifest(source.manifest, lambda t: pseudonymise_text(t, ids, key)[0])
    manifest = _manifest_text(redacted, id_map, secret, counts, ids)  # texts, then ids
    files, warnings = _writers(tables, new_transcripts, manifest, folder, out)
    guarded = [folder, *side_inputs(identifiers, key)]
    write_output_folder(out, folder_filler(files), inputs=guarded, force=force)
    return PseudonymiseResult(
        out, len(new_texts), dict(sorted(counts.items())), listed_counts(ids), warnings
    )


def _pseudonymise_texts(
    texts: dict[str, str], ids: Identifiers, key: ProjectKey | bytes
) -> tuple[dict[str, str], dict[str, OffsetMap], Counter]:
    """Each transcript's new text and offset map, and the replacements counted by kind."""
    counts: Counter = Counter()
    new_texts: dict[str, str] = {}
    maps: dict[str, OffsetMap] = {}
    for tid, text in texts.items():
        new_texts[tid], maps[tid] = pseudonymise_text(str(text), ids, key)
        count_placeholders(counts, maps[tid])
    return new_texts, maps, counts


def _move_decision_ids(frame: Any, id_map: dict[str, str], secret: bytes) -> None:
    """In the overrides table: the segment lists of re-attached decisions get the new ids, and
    a decision's hash of the original transcript text is left out of the copy."""
    for column in (m.REATTACHED_TO, m.REMOVED_AUTO_FROM):
        if column in frame:
            frame[column] = frame[column].map(lambda v: _new_id_list(v, id_map, secret))
    if m.TEXT_HASH in frame:
        frame[m.TEXT_HASH] = ""


def _new_id_list(value: Any, id_map: dict[str, str], secret: bytes) -> Any:
    """A ";"-separated list of segment ids with every id replaced as `_new_segment_id` does."""
    if not isinstance(value, str) or not value:
        return value
    return ";".join(str(_new_segment_id(old, id_map, secret)) for old in value.split(";"))


def _new_segment_id(old: Any, id_map: dict[str, str], secret: bytes) -> Any:
    """The recomputed id of a segment; a keyed hash for an id of no segment (orphans)."""
    if not isinstance(old, str):
        return old
    return id_map.get(old) or _orphan_id(old, secret)


def _move_segments(
    segments: pd.DataFrame,
    old_texts: dict[str, str],
    new_texts: dict[str, str],
    maps: dict[str, OffsetMap],
    folder: Path,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Segments on the new texts, and their ids recomputed from the new text (old -> new)."""
    import pandas as pd

    from qualcode.transcripts.segment import normalise_for_id, stable_segment_id

    ordered = segments.sort_values([m.TRANSCRIPT_ID, m.UNIT, m.SEGMENT_INDEX], kind="stable")
    id_map: dict[str, str] = {}
    seen: Counter = Counter()
    starts, ends, texts = [], [], []
    columns = [m.SEGMENT_ID, m.TRANSCRIPT_ID, m.UNIT, m.START, m.END, m.TEXT]
    for seg_id, tid, unit, start, end, text in ordered[columns].itertuples(index=False):
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
    moved = ordered.assign(
        **{
            m.START: pd.array(starts, dtype="int64"),
            m.END: pd.array(ends, dtype="int64"),
            m.TEXT: pd.array(texts, dtype=ordered[m.TEXT].dtype),
        }
    ).sort_index()
    return moved, id_map


def _writers(
    tables: dict[str, pd.DataFrame],
    transcripts: pd.DataFrame,
    manifest: str,
    folder: Path,
    out: Path,
) -> tuple[dict[str, Callable[[Path], object]], list[str]]:
    """The files of the copy by name (each a writer of its path), and warnings."""
    from qualcode.output.folder import write_table

    files: dict[str, Callable[[Path], object]] = {}
    for name, frame in tables.items():
        for suffix in (".parquet", ".csv"):
            files[name + suffix] = functools.partial(write_table, frame)
    files[f"{m.TRANSCRIPTS_FILE}.parquet"] = lambda p: write_table(transcripts, p)
    files[m.MANIFEST_FILE] = lambda p: p.write_text(manifest, encoding="utf-8")
    warnings = []
    if (folder / m.CODEBOOK_COPY).is_file():
        codebook = (folder / m.CODEBOOK_COPY).read_bytes()
        files[m.CODEBOOK_COPY] = lambda p: p.write_bytes(codebook)
        warnings.append(
            f"{out / m.CODEBOOK_COPY}: copied unchanged; check its examples for identifiers"
        )
    return files, warnings


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


def redact_manifest(value: Any, redact: Callable[[str], str], kept: bool = False) -> Any:
    """run.json with `redact` applied to every text value -- the recorded command, options
    (paths, interviewer labels), warnings (which may quote metadata values) -- except under
    the keys of MANIFEST_KEPT."""
    if isinstance(value, dict):
        return {k: redact_manifest(v, redact, kept or k in MANIFEST_KEPT) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_manifest(v, redact, kept) for v in value]
    if isinstance(value, str) and not kept:
        return redact(value)
    return value


def _manifest_text(
    manifest: dict[str, Any], id_map: dict[str, str], secret: bytes, counts: Counter, ids
) -> str:
    """run.json of the copy: the original's (texts already pseudonymised), noted as
    pseudonymised, with segment ids renamed."""
    from qualcode.output.folder import layout_record

    payload = {
        **manifest,
        "layout": layout_record(None),  # the copy is written as single files, whatever the source
        "pseudonymised": {
            "replacements": dict(sorted(counts.items())),
            "listed_identifiers": listed_counts(ids),
            "segment_ids": "recomputed from the pseudonymised text",
        },
    }
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    return _SEGMENT_ID.sub(lambda x: id_map.get(x.group()) or _orphan_id(x.group(), secret), text)
