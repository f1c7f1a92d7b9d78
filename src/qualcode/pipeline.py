"""`code_corpus`: transcripts + codebook (+ overrides) -> tidy segment and coding tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.codebook import Codebook, load_codebook
from qualcode.errors import Problem, QualcodeError, TranscriptError
from qualcode.matching import merge_spans
from qualcode.transcripts import (
    Transcript,
    find_transcript_files,
    read_transcript,
    segment_transcript,
)
from qualcode.transcripts.meta import merge_meta, read_meta_sheet

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[int, int], None]


@dataclass
class CodingResult:
    """Everything one coding run produces (the tables `qualcode code` writes)."""

    transcripts: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    overrides: pd.DataFrame
    codebook: Codebook
    warnings: list[str] = field(default_factory=list)
    missing_metadata: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


def load_transcripts(
    inputs: Sequence[str | Path] | str | Path,
    *,
    language: str = "en",
    meta: str | Path | None = None,
    interviewer_labels: Sequence[str] = m.DEFAULT_INTERVIEWER_LABELS,
    encoding: str = "utf-8",
) -> tuple[list[Transcript], list[str]]:
    """Read transcript files/folders and merge a metadata sheet; returns (transcripts, warnings).

    Every unreadable file and every duplicate id is reported together in one TranscriptError.
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    files = find_transcript_files(inputs)
    roots = [Path(p) for p in inputs if Path(p).is_dir()]
    transcripts: list[Transcript] = []
    problems: list[Problem] = []
    for path in files:
        root = next((r for r in roots if r in path.parents), None)
        try:
            transcripts.append(
                read_transcript(
                    path,
                    default_language=language,
                    interviewer_labels=interviewer_labels,
                    encoding=encoding,
                    root=root,
                )
            )
        except TranscriptError as exc:
            problems.extend(exc.problems)
    first: dict[str, Transcript] = {}
    for t in transcripts:
        if t.id in first:
            problems.append(
                Problem(f"duplicate transcript id '{t.id}' (also {first[t.id].path})", str(t.path))
            )
        else:
            first[t.id] = t
    if problems:
        raise TranscriptError(problems=problems)
    warnings: list[str] = []
    if meta is not None:
        warnings.extend(merge_meta(transcripts, read_meta_sheet(meta), Path(meta)))
    for t in transcripts:
        if not t.turns:
            warnings.append(f"{t.path}: no text to segment")
    return transcripts, warnings


def _string_columns(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    for column in columns:
        df[column] = df[column].astype("string")
    return df


def code_corpus(
    inputs: Sequence[str | Path] | str | Path,
    codebook: Codebook | str | Path,
    *,
    language: str = "en",
    unit: str = "turn",
    meta: str | Path | None = None,
    overrides: Sequence[str | Path] = (),
    interviewer_labels: Sequence[str] = m.DEFAULT_INTERVIEWER_LABELS,
    code_interviewer: bool = False,
    strict: bool = False,
    spacy_model: str | None = None,
    encoding: str = "utf-8",
    workers: int = 1,
    progress: Progress | None = None,
) -> CodingResult:
    """Load transcripts, segment them, auto-code them with the codebook, apply overrides.

    `workers` > 1 codes transcripts in that many processes (each builds its spaCy pipelines
    once); the tables are identical to a single-process run. Returns a CodingResult whose
    tables are sorted deterministically. Raises TranscriptError,
    CodebookError or OverrideError (every problem of a kind at once) on bad input.
    """
    import pandas as pd

    from qualcode.overrides import apply_overrides, read_overrides

    if unit not in m.UNITS:
        raise QualcodeError(f"unit must be one of {', '.join(m.UNITS)}, not '{unit}'")
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    decisions = read_overrides(overrides) if overrides else None
    transcripts, warnings = load_transcripts(
        inputs,
        language=language,
        meta=meta,
        interviewer_labels=interviewer_labels,
        encoding=encoding,
    )
    parents = {c.name: c.parent for c in book.codes}
    settings = _Settings(book, unit, code_interviewer, spacy_model, parents)
    uncoded_languages: dict[str, int] = {}
    segment_rows: list[dict[str, Any]] = []
    coding_rows: list[dict[str, Any]] = []
    for done, (seg_rows, cod_rows, uncoded) in enumerate(
        _run_jobs(transcripts, settings, workers), start=1
    ):
        segment_rows.extend(seg_rows)
        coding_rows.extend(cod_rows)
        if uncoded is not None:
            uncoded_languages[uncoded] = uncoded_languages.get(uncoded, 0) + 1
        if progress is not None:
            progress(done, len(transcripts))
    for lang, count in sorted(uncoded_languages.items()):
        warnings.append(
            f"the codebook has no patterns for language '{lang}': {count} transcript(s) not auto-coded"
        )

    meta_keys = sorted({k for t in transcripts for k in t.metadata} - {m.COUNTRY, m.ROLE})
    timed = any(m.START_TIME in row for row in segment_rows)
    times = [m.START_TIME, m.END_TIME] if timed else []
    segment_columns = [*m.SEGMENT_COLUMNS, *times, *meta_keys, m.TEXT]
    segments = pd.DataFrame(segment_rows, columns=segment_columns)
    segments = _string_columns(
        segments,
        [
            m.SEGMENT_ID,
            m.TRANSCRIPT_ID,
            m.UNIT,
            m.SPEAKER,
            m.LANGUAGE,
            m.COUNTRY,
            m.ROLE,
            *meta_keys,
            m.TEXT,
        ],
    )
    coding_columns = [*m.CODING_COLUMNS, *meta_keys]
    auto = pd.DataFrame(coding_rows, columns=coding_columns)

    if decisions is None:
        decisions = pd.DataFrame(columns=[*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.OVERRIDE_LINE])
    kept, manual, decisions, override_warnings = apply_overrides(
        segments, auto, decisions, book.code_names, strict=strict
    )
    warnings.extend(override_warnings)
    manual_full = _manual_rows(manual, segments, parents, coding_columns)
    codings = pd.concat([kept, manual_full], ignore_index=True) if len(manual_full) else kept
    codings = _sort_codings(codings, segments, book)
    codings = _string_columns(
        codings,
        [
            m.SEGMENT_ID,
            m.TRANSCRIPT_ID,
            m.SPEAKER,
            m.UNIT,
            m.COUNTRY,
            m.ROLE,
            m.LANGUAGE,
            m.CODE,
            m.PARENT,
            m.SOURCE,
            m.CODER,
            m.MATCHED_TEXT,
            m.PATTERN_ID,
            m.MATCH_SPANS,
            m.NOTE,
            *meta_keys,
        ],
    )
    for column in (m.START, m.END):
        codings[column] = codings[column].astype("int64")

    transcripts_df = pd.DataFrame(
        [
            {
                m.TRANSCRIPT_ID: t.id,
                m.SOURCE_FILE: t.source_file,
                m.LANGUAGE: t.language,
                m.COUNTRY: t.metadata.get(m.COUNTRY),
                m.ROLE: t.metadata.get(m.ROLE),
                **{k: t.metadata.get(k) for k in meta_keys},
                m.TEXT: t.text,
            }
            for t in transcripts
        ],
        columns=[m.TRANSCRIPT_ID, m.SOURCE_FILE, m.LANGUAGE, m.COUNTRY, m.ROLE, *meta_keys, m.TEXT],
    )
    transcripts_df = _string_columns(transcripts_df, list(transcripts_df.columns))
    missing = sorted(
        t.id for t in transcripts if not t.metadata.get(m.COUNTRY) or not t.metadata.get(m.ROLE)
    )
    decisions = decisions.reset_index(drop=True)
    decisions[m.OVERRIDE_LINE] = decisions[m.OVERRIDE_LINE].astype("int64")
    decisions = _string_columns(decisions, [*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.STATUS])
    return CodingResult(
        transcripts=transcripts_df,
        segments=segments.sort_values(
            [m.TRANSCRIPT_ID, m.SEGMENT_INDEX], kind="stable"
        ).reset_index(drop=True),
        codings=codings,
        overrides=decisions,
        codebook=book,
        warnings=warnings,
        missing_metadata=missing,
        options={"unit": unit, "language": language, "code_interviewer": code_interviewer},
    )


@dataclass(frozen=True)
class _Settings:
    book: Codebook
    unit: str
    code_interviewer: bool
    spacy_model: str | None
    parents: dict[str, str | None]


_WORKER_SETTINGS: _Settings | None = None
_MATCHERS: dict[tuple[int, str, str | None], tuple[Codebook, Any]] = {}


def _init_worker(settings: _Settings) -> None:
    global _WORKER_SETTINGS
    _WORKER_SETTINGS = settings


def _code_in_worker(transcript: Transcript):
    assert _WORKER_SETTINGS is not None
    return _code_transcript(transcript, _WORKER_SETTINGS)


def _run_jobs(transcripts: list[Transcript], settings: _Settings, workers: int):
    """Yield each transcript's (segment rows, coding rows, uncoded language) in input order."""
    if workers <= 1 or len(transcripts) <= 1:
        for transcript in transcripts:
            yield _code_transcript(transcript, settings)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    chunksize = max(1, min(16, len(transcripts) // (workers * 8)))
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(settings,)
    ) as pool:
        yield from pool.map(_code_in_worker, transcripts, chunksize=chunksize)


def _code_transcript(transcript: Transcript, settings: _Settings):
    """Segment and auto-code one transcript; pure apart from the per-process pipeline cache."""
    from qualcode.matching import CodebookMatcher
    from qualcode.nlp import get_pipeline

    try:
        pipeline = get_pipeline(transcript.language, settings.spacy_model)
    except QualcodeError as exc:
        raise TranscriptError(
            f"language '{transcript.language}': {exc.problems[0].message}", file=transcript.path
        ) from None
    splitter = (
        (lambda text, _lang: pipeline.sentence_spans(text)) if settings.unit == "sentence" else None
    )
    records = segment_transcript(transcript, settings.unit, splitter)
    base = {
        m.TRANSCRIPT_ID: transcript.id,
        m.LANGUAGE: transcript.language,
        m.COUNTRY: transcript.metadata.get(m.COUNTRY),
        m.ROLE: transcript.metadata.get(m.ROLE),
        **{k: v for k, v in transcript.metadata.items() if k not in (m.COUNTRY, m.ROLE)},
    }
    segment_rows = [
        {
            **base,
            m.SEGMENT_ID: r.segment_id,
            m.UNIT: r.unit,
            m.SEGMENT_INDEX: r.index,
            m.SPEAKER: r.speaker,
            m.IS_INTERVIEWER: r.is_interviewer,
            m.START: r.start,
            m.END: r.end,
            m.N_WORDS: r.n_words,
            m.TEXT: r.text,
            **(
                {m.START_TIME: r.start_time, m.END_TIME: r.end_time}
                if r.start_time is not None
                else {}
            ),
        }
        for r in records
    ]
    # Matchers are cached per process; the cached value keeps the codebook alive so its id()
    # cannot be reused by another codebook while the entry exists.
    key = (id(settings.book), transcript.language, settings.spacy_model)
    if key not in _MATCHERS:
        if len(_MATCHERS) > 32:
            _MATCHERS.clear()
        _MATCHERS[key] = (settings.book, CodebookMatcher(settings.book, pipeline))
    matcher = _MATCHERS[key][1]
    if matcher.empty:
        return segment_rows, [], transcript.language
    to_code = [r for r in records if settings.code_interviewer or not r.is_interviewer]
    coding_rows: list[dict[str, Any]] = []
    if to_code:
        for record, matches in zip(
            to_code, matcher.match_segments([r.text for r in to_code]), strict=True
        ):
            coding_rows.extend(_auto_rows(record, matches, base, settings.parents))
    return segment_rows, coding_rows, None


def _auto_rows(record, matches, base: dict[str, Any], parents: dict[str, str | None]) -> list[dict]:
    by_code: dict[str, list] = {}
    for match in matches:
        by_code.setdefault(match.code, []).append(match)
    rows = []
    for code, code_matches in by_code.items():
        spans = merge_spans([(x.start, x.end) for x in code_matches])
        texts = list(dict.fromkeys(record.text[s:e] for s, e in spans))
        pattern_ids = list(dict.fromkeys(x.pattern_id for x in code_matches))
        rows.append(
            {
                **base,
                m.SEGMENT_ID: record.segment_id,
                m.SPEAKER: record.speaker,
                m.UNIT: record.unit,
                m.CODE: code,
                m.PARENT: parents.get(code),
                m.SOURCE: m.SOURCE_AUTO,
                m.CODER: m.AUTO_CODER,
                m.START: record.start,
                m.END: record.end,
                m.MATCHED_TEXT: " | ".join(" ".join(t.split()) for t in texts),
                m.PATTERN_ID: ";".join(pattern_ids),
                m.MATCH_SPANS: ";".join(f"{record.start + s}-{record.start + e}" for s, e in spans),
                m.NOTE: None,
            }
        )
    return rows


def _manual_rows(manual, segments, parents, columns) -> pd.DataFrame:
    import pandas as pd

    if manual.empty:
        return pd.DataFrame(columns=columns)
    seg_cols = [c for c in columns if c in segments.columns and c != m.TEXT]
    joined = manual.merge(segments[seg_cols], on=m.SEGMENT_ID, how="left")
    joined[m.PARENT] = joined[m.CODE].map(parents)
    joined[m.SOURCE] = m.SOURCE_MANUAL
    joined[m.MATCHED_TEXT] = None
    joined[m.PATTERN_ID] = None
    joined[m.MATCH_SPANS] = None
    return joined.reindex(columns=columns)


def _sort_codings(codings: pd.DataFrame, segments: pd.DataFrame, book: Codebook) -> pd.DataFrame:
    order = {name: i for i, name in enumerate(book.code_names)}
    seg_index = dict(zip(segments[m.SEGMENT_ID], segments[m.SEGMENT_INDEX], strict=False))
    keyed = codings.assign(
        _seg=codings[m.SEGMENT_ID].map(seg_index),
        _code=codings[m.CODE].map(order),
        _src=(codings[m.SOURCE] != m.SOURCE_AUTO).astype(int),
    )
    keyed = keyed.sort_values([m.TRANSCRIPT_ID, "_seg", "_code", "_src", m.CODER], kind="stable")
    return keyed.drop(columns=["_seg", "_code", "_src"]).reset_index(drop=True)
