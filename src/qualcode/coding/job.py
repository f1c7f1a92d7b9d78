"""Coding one transcript: read, segment, match the codebook, apply the coders' decisions.

`finish_job` is the unit of work every engine runs (in this process, in local worker
processes or on a Dask cluster); it depends only on its job and the run's settings, so the
rows it returns are the same wherever it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.codebook.schema import Codebook
from qualcode.decisions.ledger import Decision, Outcome
from qualcode.errors import QualcodeError, TranscriptError
from qualcode.matching.locate import merge_spans
from qualcode.transcripts import SegmentRecord, read_transcript, segment_transcript

if TYPE_CHECKING:
    from qualcode.decisions.reattach import Decided, Placement


@dataclass(frozen=True)
class Job:
    """One transcript to code: where it is and the metadata the scan settled for it."""

    path: Path
    root: Path | None
    transcript_id: str
    language: str
    metadata: dict[str, str]
    decisions: tuple[Decision, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs besides the job (sent once per worker)."""

    book: Codebook
    unit: str
    code_interviewer: bool
    spacy_model: str | None
    default_language: str
    interviewer_labels: tuple[str, ...]
    encoding: str
    columns: dict[str, list[str]] = field(default_factory=dict)
    reattach: str = "covering"  # one of models.REATTACH_MODES

    @property
    def parents(self) -> dict[str, str | None]:
        return {c.name: c.parent for c in self.book.codes}

    @property
    def code_rank(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.book.code_names)}


@dataclass
class Coded:
    """A coded transcript: its table rows, before the coders' decisions are applied."""

    transcript: dict[str, Any]
    segments: list[dict[str, Any]]
    codings: list[dict[str, Any]]
    uncoded_language: str | None = None
    # The transcript's segments in another unit (to re-attach decisions made on that unit).
    resegment: Callable[[str], list[SegmentRecord]] | None = None


@dataclass
class Finished:
    """A coded transcript with the coders' decisions applied: its rows as the tables want them."""

    transcript: dict[str, Any]
    segments: list[dict[str, Any]]
    codings: list[dict[str, Any]]
    outcome: Outcome
    uncoded_language: str | None = None
    # Decisions whose segment was gone: where they went (or why not), and where re-attached
    # removes withdrew an automatic coding (see decisions.reattach).
    placements: dict[int, Placement] = field(default_factory=dict)
    removed_from: dict[int, tuple[str, ...]] = field(default_factory=dict)


_MATCHERS: dict[tuple[str, str, str | None], Any] = {}


def matcher_for(settings: Settings, pipeline) -> Any:
    from qualcode.matching.matcher import CodebookMatcher

    # Keyed by the codebook's content hash (or identity when built in memory) so a worker
    # builds each language's matchers once, however many tasks bring it the same codebook.
    book = settings.book
    key = (book.sha256 or f"id:{id(book)}", pipeline.language, settings.spacy_model)
    if key not in _MATCHERS:
        if len(_MATCHERS) > 32:
            _MATCHERS.clear()
        _MATCHERS[key] = (book, CodebookMatcher(book, pipeline))
    return _MATCHERS[key][1]


def code_job(job: Job, settings: Settings) -> Coded:
    """Read, segment and auto-code one transcript (pure apart from per-process caches)."""
    from qualcode.matching.pipelines import get_pipeline

    transcript = read_transcript(
        job.path,
        default_language=settings.default_language,
        interviewer_labels=settings.interviewer_labels,
        encoding=settings.encoding,
        root=job.root,
    )
    transcript = replace(transcript, language=job.language, metadata=dict(job.metadata))
    try:
        pipeline = get_pipeline(transcript.language, settings.spacy_model)
    except QualcodeError as exc:
        raise TranscriptError(
            f"language '{transcript.language}': {exc.problems[0].message}", file=transcript.path
        ) from None

    def resegment(unit: str) -> list[SegmentRecord]:
        """The transcript's segments in `unit` (sentences split by the language's pipeline)."""
        splitter = (
            (lambda text, _lang: pipeline.sentence_spans(text)) if unit == "sentence" else None
        )
        return segment_transcript(transcript, unit, splitter)

    records = resegment(settings.unit)
    base = {
        m.TRANSCRIPT_ID: transcript.id,
        m.LANGUAGE: transcript.language,
        m.COUNTRY: transcript.metadata.get(m.COUNTRY),
        m.ROLE: transcript.metadata.get(m.ROLE),
        **{k: v for k, v in transcript.metadata.items() if k not in (m.COUNTRY, m.ROLE)},
    }
    segments = [_segment_row(r, base) for r in records]
    transcript_row = {
        **base,
        m.SOURCE_FILE: transcript.source_file,
        m.TEXT: transcript.text,
    }
    matcher = matcher_for(settings, pipeline)
    if matcher.empty:
        return Coded(transcript_row, segments, [], transcript.language, resegment)
    to_code = [r for r in records if settings.code_interviewer or not r.is_interviewer]
    codings: list[dict[str, Any]] = []
    if to_code:
        parents = settings.parents
        matches = matcher.match_segments([r.text for r in to_code], [r.segment_id for r in to_code])
        for record, found in zip(to_code, matches, strict=True):
            codings.extend(_auto_rows(record, found, base, parents))
    return Coded(transcript_row, segments, codings, resegment=resegment)


def _segment_row(record: SegmentRecord, base: dict[str, Any]) -> dict[str, Any]:
    """A segment's row: the transcript's columns (`base`), then the segment's own."""
    return {
        **base,
        m.SEGMENT_ID: record.segment_id,
        m.UNIT: record.unit,
        m.SEGMENT_INDEX: record.index,
        m.SPEAKER: record.speaker,
        m.IS_INTERVIEWER: record.is_interviewer,
        m.START: record.start,
        m.END: record.end,
        m.N_WORDS: record.n_words,
        m.START_TIME: record.start_time,
        m.END_TIME: record.end_time,
        m.TEXT: record.text,
    }


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


def finish_job(job: Job, settings: Settings) -> Finished:
    """Code one transcript and apply its coders' decisions: the rows to write, in table order."""
    coded = code_job(job, settings)
    columns = settings.columns
    segments = coded.segments
    codings = coded.codings
    decided = None
    if job.decisions:
        decided = _decide(job.decisions, coded, settings)
        codings = [c for c in codings if (c[m.SEGMENT_ID], c[m.CODE]) in decided.kept]
        codings.extend(_manual_rows(decided.manual, segments, settings))
    index = {s[m.SEGMENT_ID]: s[m.SEGMENT_INDEX] for s in segments}
    rank = settings.code_rank
    codings.sort(
        key=lambda c: (
            index[c[m.SEGMENT_ID]],
            rank.get(c[m.CODE], len(rank)),
            c[m.SOURCE] != m.SOURCE_AUTO,
            c[m.CODER],
        )
    )
    return Finished(
        transcript={c: coded.transcript.get(c) for c in columns[m.TRANSCRIPTS_FILE]},
        segments=[{c: s.get(c) for c in columns[m.SEGMENTS_FILE]} for s in segments],
        codings=[{c: row.get(c) for c in columns[m.CODINGS_FILE]} for row in codings],
        outcome=decided.outcome if decided else {},
        uncoded_language=coded.uncoded_language,
        placements=decided.placements if decided else {},
        removed_from=decided.removed_from if decided else {},
    )


def _decide(decisions: tuple[Decision, ...], coded: Coded, settings: Settings) -> Decided:
    """Apply a transcript's decisions, re-attaching those whose segment is gone."""
    from qualcode.decisions.reattach import Passage, decide_reattached, text_hash

    in_unit: dict[str, list[Passage]] = {}  # segmented in another unit only when needed

    def passages_in(unit: str) -> list[Passage]:
        if unit not in in_unit:
            records = coded.resegment(unit) if coded.resegment else []
            in_unit[unit] = [Passage(r.segment_id, r.start, r.end, r.text) for r in records]
        return in_unit[unit]

    here = [Passage(s[m.SEGMENT_ID], s[m.START], s[m.END], s[m.TEXT]) for s in coded.segments]
    return decide_reattached(
        decisions,
        here,
        {(c[m.SEGMENT_ID], c[m.CODE]) for c in coded.codings},
        set(settings.parents),
        unit=settings.unit,
        current_hash=text_hash(coded.transcript[m.TEXT]),
        passages_in=passages_in,
        mode=settings.reattach,
    )


def _manual_rows(
    manual: dict[tuple[str, str, str], str | None],
    segments: list[dict[str, Any]],
    settings: Settings,
) -> list[dict[str, Any]]:
    """The coding rows of the codes coders added by hand, with their segment's columns."""
    parents = settings.parents
    by_id = {s[m.SEGMENT_ID]: s for s in segments}
    rows = []
    for (coder, seg, code), note in manual.items():
        segment = by_id[seg]
        row = {
            c: segment[c] for c in settings.columns[m.CODINGS_FILE] if c in segment and c != m.TEXT
        }
        row.update(
            {
                m.CODE: code,
                m.PARENT: parents.get(code),
                m.SOURCE: m.SOURCE_MANUAL,
                m.CODER: coder,
                m.MATCHED_TEXT: None,
                m.PATTERN_ID: None,
                m.MATCH_SPANS: None,
                m.NOTE: note,
            }
        )
        rows.append(row)
    return rows
