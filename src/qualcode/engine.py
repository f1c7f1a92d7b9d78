"""The coding run, streamed: transcripts flow through workers into table sinks one at a time.

`run_coding` is what `qualcode code` and `qualcode.code_corpus` both use:

1. a scan reads every transcript once to validate it (all problems reported together), merge
   the participant sheet and learn the metadata columns -- keeping no transcript text;
2. each transcript is then read, segmented, auto-coded and given its coders' decisions (the
   ledger hands each job the decisions on its segments) by a worker -- this process,
   ``workers`` local processes, or a Dask cluster; the main process records what happened to
   the decisions and hands the rows to a sink, in a fixed order;
3. the sink writes Parquet row groups and CSV as rows arrive (`FolderSink`) or collects
   DataFrames (`MemorySink`), so memory does not grow with the corpus.

The order of transcripts (by id) and of rows within one does not depend on the engine or the
number of workers, so every engine writes byte-identical files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.codebook import Codebook, load_codebook
from qualcode.errors import QualcodeError, TranscriptError
from qualcode.matching import merge_spans
from qualcode.overrides import Decision, Outcome, decide
from qualcode.sinks import RunStats, table_columns
from qualcode.transcripts import Transcript, read_transcript, segment_transcript
from qualcode.transcripts.corpus import read_corpus

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[int, int], None]
ENGINES = ("local", "dask")
# With fewer transcripts than this, starting worker processes (each loads spaCy and the lemma
# tables, ~2 s) costs more than it saves; `workers=0` then codes in this process.
AUTO_PARALLEL_MIN_JOBS = 32
CHUNK = 8  # most transcripts per task sent to a worker process


# --- what one transcript yields ------------------------------------------------------------------


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


@dataclass
class Finished:
    """A coded transcript with the coders' decisions applied: its rows as the tables want them."""

    transcript: dict[str, Any]
    segments: list[dict[str, Any]]
    codings: list[dict[str, Any]]
    outcome: Outcome
    uncoded_language: str | None = None


_MATCHERS: dict[tuple[str, str, str | None], Any] = {}
_WORKER_SETTINGS: Settings | None = None


def _matcher_for(settings: Settings, pipeline) -> Any:
    from qualcode.matching import CodebookMatcher

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
    from qualcode.nlp import get_pipeline

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
    segments = [
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
            m.START_TIME: r.start_time,
            m.END_TIME: r.end_time,
            m.TEXT: r.text,
        }
        for r in records
    ]
    transcript_row = {
        **base,
        m.SOURCE_FILE: transcript.source_file,
        m.TEXT: transcript.text,
    }
    matcher = _matcher_for(settings, pipeline)
    if matcher.empty:
        return Coded(transcript_row, segments, [], transcript.language)
    to_code = [r for r in records if settings.code_interviewer or not r.is_interviewer]
    codings: list[dict[str, Any]] = []
    if to_code:
        parents = settings.parents
        matches = matcher.match_segments([r.text for r in to_code])
        for record, found in zip(to_code, matches, strict=True):
            codings.extend(_auto_rows(record, found, base, parents))
    return Coded(transcript_row, segments, codings)


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


# --- engines: the same jobs, in the same order, on one process, many, or a Dask cluster ----------


def _init_worker(settings: Settings, languages: Sequence[str], parent: int) -> None:
    """Start a worker: keep the settings, build the pipelines and matchers it will need."""
    global _WORKER_SETTINGS
    _die_with_parent(parent)
    _WORKER_SETTINGS = settings
    from qualcode.nlp import get_pipeline

    for language in languages:
        # An unknown language is reported with its file name when a job meets it.
        with contextlib.suppress(QualcodeError):
            _matcher_for(settings, get_pipeline(language, settings.spacy_model))


def _die_with_parent(parent: int) -> None:
    """Have Linux end this worker when the process that started it dies (even by SIGKILL),
    instead of leaving it waiting for work forever."""
    import signal

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def _code_chunk_in_worker(jobs: list[Job], columns: dict[str, list[str]]) -> list[Finished]:
    assert _WORKER_SETTINGS is not None
    settings = replace(_WORKER_SETTINGS, columns=columns)
    return [finish_job(job, settings) for job in jobs]


class LocalPool:
    """Worker processes for the local engine, started before the scan.

    Each worker builds its pipelines and matchers (for the codebook's languages) while the
    main process scans the corpus, so neither waits for the other; the table columns, known
    only after the scan, travel with each task.
    """

    def __init__(self, workers: int, settings: Settings) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        self.workers = workers
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(settings, settings.book.languages, os.getpid()),
        )
        # Start every worker now (the executor would start them one task at a time).
        for _ in range(workers):
            self.executor.submit(int)

    def run(self, jobs: Sequence[Job], columns: dict[str, list[str]]) -> Iterator[Finished]:
        """Each job's finished transcript, in job order."""
        # Several transcripts per task, several tasks per worker in flight: a worker must
        # never wait for the main process (busy writing tables) to hand it its next one.
        size = max(1, min(CHUNK, len(jobs) // (self.workers * 8)))
        chunks = [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]
        submit = self.executor.submit
        for finished in _in_order(
            lambda chunk: submit(_code_chunk_in_worker, chunk, columns), chunks, self.workers * 4
        ):
            yield from finished

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _code_chunk(jobs: list[Job], settings: Settings) -> list[Finished]:
    return [finish_job(job, settings) for job in jobs]


def run_jobs(
    jobs: Sequence[Job],
    settings: Settings,
    *,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    pool: LocalPool | None = None,
) -> Iterator[Finished]:
    """Yield each job's finished transcript in job order, whatever the engine.

    `pool`: worker processes already started (see `planned_workers`); without one, the local
    engine codes in this process.
    """
    if workers <= 0:
        workers = planned_workers(len(jobs), workers)
    if engine == "dask":
        yield from _run_dask(jobs, settings, workers, scheduler)
    elif pool is not None and len(jobs) > 1:
        yield from pool.run(jobs, settings.columns)
    elif workers > 1 and len(jobs) > 1:
        owned = LocalPool(workers, settings)
        try:
            yield from owned.run(jobs, settings.columns)
        finally:
            owned.close()
    else:
        for job in jobs:
            yield finish_job(job, settings)


def planned_workers(transcripts: int, workers: int) -> int:
    """Processes to code with: `workers`, or for 0 (auto) every core when there are enough
    transcripts to pay for starting them."""
    if workers > 0:
        return workers
    return default_workers() if transcripts >= AUTO_PARALLEL_MIN_JOBS else 1


def _in_order(submit: Callable[[Any], Any], items: Sequence[Any], window: int) -> Iterator[Any]:
    """Results of submit(item) in item order, with at most `window` tasks in flight.

    Bounding the window keeps finished-but-unconsumed results from piling up in memory when
    workers outpace the writer.
    """
    from collections import deque

    pending: deque = deque()
    queue = iter(items)
    for item in queue:
        pending.append(submit(item))
        if len(pending) >= window:
            break
    while pending:
        future = pending.popleft()
        result = future.result()
        following = next(queue, None)
        if following is not None:
            pending.append(submit(following))
        yield result


def _run_dask(
    jobs: Sequence[Job], settings: Settings, workers: int, scheduler: str | None
) -> Iterator[Finished]:
    from qualcode.cluster import dask_client

    with dask_client(workers, scheduler) as client:
        remote_settings = client.scatter(settings, broadcast=True)
        size = max(1, min(16, len(jobs) // (max(1, workers) * 4) or 1))
        chunks = [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]
        for finished in _in_order(
            lambda chunk: client.submit(_code_chunk, chunk, remote_settings, pure=False),
            chunks,
            max(1, workers) * 3,
        ):
            yield from finished


# --- the scan: validate everything first, keep no text ----------------------------------------------


@dataclass
class Scan:
    """What the scan learnt: jobs in output order, metadata columns, warnings."""

    jobs: list[Job]
    meta_keys: list[str]
    timed: bool
    warnings: list[str] = field(default_factory=list)
    missing_metadata: list[str] = field(default_factory=list)


def scan_transcripts(
    inputs: Sequence[str | Path],
    *,
    language: str,
    meta: str | Path | None,
    interviewer_labels: Sequence[str],
    encoding: str,
) -> Scan:
    """Read every transcript once: collect every problem, merge the sheet, plan the jobs."""
    timed = False

    def slim(transcript: Transcript) -> Transcript:
        nonlocal timed
        timed = timed or any(turn.start_time is not None for turn in transcript.turns)
        return replace(transcript, text="", turns=[])

    found, warnings = read_corpus(
        inputs,
        language=language,
        meta=meta,
        interviewer_labels=interviewer_labels,
        encoding=encoding,
        keep=slim,
    )
    transcripts = [t for t, _ in found]
    found.sort(key=lambda item: (item[0].id, str(item[0].path)))
    jobs = [Job(t.path, root, t.id, t.language, dict(t.metadata)) for t, root in found]
    meta_keys = sorted({k for t in transcripts for k in t.metadata} - {m.COUNTRY, m.ROLE})
    missing = sorted(
        t.id for t in transcripts if not t.metadata.get(m.COUNTRY) or not t.metadata.get(m.ROLE)
    )
    return Scan(jobs, meta_keys, timed, warnings, missing)


def finish_job(job: Job, settings: Settings) -> Finished:
    """Code one transcript and apply its coders' decisions: the rows to write, in table order."""
    coded = code_job(job, settings)
    columns = settings.columns
    segments = coded.segments
    auto_pairs = {(c[m.SEGMENT_ID], c[m.CODE]) for c in coded.codings}
    codings = coded.codings
    outcome: Outcome = {}
    parents = settings.parents
    if job.decisions:
        kept, manual, outcome = decide(
            job.decisions, [s[m.SEGMENT_ID] for s in segments], auto_pairs, set(parents)
        )
        codings = [c for c in codings if (c[m.SEGMENT_ID], c[m.CODE]) in kept]
        by_id = {s[m.SEGMENT_ID]: s for s in segments}
        for (coder, seg, code), note in manual.items():
            segment = by_id[seg]
            row = {c: segment[c] for c in columns[m.CODINGS_FILE] if c in segment and c != m.TEXT}
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
            codings.append(row)
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
        outcome=outcome,
        uncoded_language=coded.uncoded_language,
    )


@dataclass
class RunResult:
    """What a run produced besides its tables."""

    codebook: Codebook
    overrides: pd.DataFrame
    summary: dict[str, Any]
    warnings: list[str]
    missing_metadata: list[str]
    options: dict[str, Any]


def run_coding(
    inputs: Sequence[str | Path] | str | Path,
    codebook: Codebook | str | Path,
    sink_factory: Callable[[dict[str, list[str]]], Any],
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
    engine: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> tuple[Any, RunResult]:
    """Code a corpus into the sink made by `sink_factory(columns)`; returns (sink, result)."""
    import pandas as pd

    from qualcode.overrides import read_overrides

    if unit not in m.UNITS:
        raise QualcodeError(f"unit must be one of {', '.join(m.UNITS)}, not '{unit}'")
    if engine not in ENGINES:
        raise QualcodeError(f"engine must be one of {', '.join(ENGINES)}, not '{engine}'")
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    decisions = (
        read_overrides(overrides)
        if overrides
        else pd.DataFrame(columns=[*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.OVERRIDE_LINE])
    )
    settings = Settings(
        book, unit, code_interviewer, spacy_model, language, tuple(interviewer_labels), encoding
    )
    pool = None
    if engine == "local":
        files = _count_files(inputs)
        planned = planned_workers(files, workers)
        if planned > 1 and files > 1:
            pool = LocalPool(planned, settings)  # workers get ready while the scan runs
    try:
        return _code_scanned(
            inputs,
            settings,
            decisions,
            sink_factory,
            meta=meta,
            strict=strict,
            workers=workers,
            engine=engine,
            scheduler=scheduler,
            progress=progress,
            pool=pool,
        )
    finally:
        if pool is not None:
            pool.close()


def _count_files(inputs: Sequence[str | Path]) -> int:
    from qualcode.transcripts.reader import find_transcript_files

    try:
        return len(find_transcript_files(inputs))
    except QualcodeError:
        return 0  # the scan reports it


def _code_scanned(
    inputs: Sequence[str | Path],
    settings: Settings,
    decisions: pd.DataFrame,
    sink_factory: Callable[[dict[str, list[str]]], Any],
    *,
    meta: str | Path | None,
    strict: bool,
    workers: int,
    engine: str,
    scheduler: str | None,
    progress: Progress | None,
    pool: LocalPool | None,
) -> tuple[Any, RunResult]:
    from qualcode.overrides import OverrideLedger

    book = settings.book
    scan = scan_transcripts(
        inputs,
        language=settings.default_language,
        meta=meta,
        interviewer_labels=settings.interviewer_labels,
        encoding=settings.encoding,
    )
    columns = table_columns(scan.meta_keys, scan.timed)
    sink = sink_factory(columns)
    settings = replace(settings, columns=columns)
    ledger = OverrideLedger(decisions, book.code_names)
    scan.jobs = [
        replace(job, decisions=ledger.decisions_for(job.transcript_id)) for job in scan.jobs
    ]
    stats = RunStats(codes=book.code_order())
    try:
        return sink, _stream(
            scan,
            settings,
            sink,
            ledger,
            stats,
            strict,
            workers=workers,
            engine=engine,
            scheduler=scheduler,
            progress=progress,
            pool=pool,
        )
    except BaseException:
        abort = getattr(sink, "abort", None)
        if abort is not None:
            abort()
        raise


def _stream(
    scan: Scan,
    settings: Settings,
    sink: Any,
    ledger: Any,
    stats: RunStats,
    strict: bool,
    *,
    workers: int,
    engine: str,
    scheduler: str | None,
    progress: Progress | None,
    pool: LocalPool | None,
) -> RunResult:
    uncoded: dict[str, int] = {}
    total = len(scan.jobs)
    jobs = run_jobs(
        scan.jobs, settings, workers=workers, engine=engine, scheduler=scheduler, pool=pool
    )
    for done, finished in enumerate(jobs, start=1):
        if finished.uncoded_language is not None:
            lang = finished.uncoded_language
            uncoded[lang] = uncoded.get(lang, 0) + 1
        ledger.record(finished.outcome)
        stats.add(finished.transcript, finished.segments, finished.codings)
        sink.add(m.SEGMENTS_FILE, finished.segments)
        sink.add(m.CODINGS_FILE, finished.codings)
        sink.add(m.TRANSCRIPTS_FILE, [finished.transcript])
        if progress is not None:
            progress(done, total)
    decisions_out, override_warnings = ledger.finish(strict=strict)
    warnings = list(scan.warnings)
    for lang, count in sorted(uncoded.items()):
        warnings.append(
            f"the codebook has no patterns for language '{lang}': {count} transcript(s) not auto-coded"
        )
    warnings.extend(override_warnings)
    decisions_out = decisions_out.astype(
        {c: "string" for c in [*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.STATUS]}
    ).astype({m.OVERRIDE_LINE: "int64"})
    options = {
        "unit": settings.unit,
        "language": settings.default_language,
        "code_interviewer": settings.code_interviewer,
    }
    return RunResult(
        codebook=settings.book,
        overrides=decisions_out,
        summary=stats.summary(decisions_out, scan.missing_metadata, warnings),
        warnings=warnings,
        missing_metadata=scan.missing_metadata,
        options=options,
    )


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
