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

The work on one transcript is in `job.py`; where the jobs run (this process, local worker
processes, a Dask cluster) in `workers.py`.

The order of transcripts (by id) and of rows within one does not depend on the engine or the
number of workers, so every engine writes byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.codebook import Codebook, load_codebook
from qualcode.coding.job import Job, Settings
from qualcode.coding.options import CodingOptions
from qualcode.coding.sinks import RunStats, table_columns
from qualcode.coding.workers import LocalPool, planned_workers, run_jobs
from qualcode.errors import QualcodeError
from qualcode.transcripts import Transcript
from qualcode.transcripts.corpus import read_corpus

if TYPE_CHECKING:
    import pandas as pd

ENGINES = ("local", "dask")
# Column types of out/overrides (every decision read, with what became of it).
DECISION_TYPES = {
    **{
        c: "string"
        for c in [
            *m.OVERRIDE_COLUMNS,
            m.QUOTE,
            m.TEXT_HASH,
            m.OVERRIDE_FILE,
            m.STATUS,
            m.REATTACHED_TO,
            m.REATTACHED_BY,
            m.REMOVED_AUTO_FROM,
        ]
    },
    m.START: "Int64",
    m.END: "Int64",
    m.OVERRIDE_LINE: "int64",
}


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
    options: CodingOptions,
) -> tuple[Any, RunResult]:
    """Code a corpus into the sink made by `sink_factory(columns)`; returns (sink, result).

    Raises QualcodeError for an unknown unit or engine, and whatever reading the inputs raises.
    """
    import pandas as pd

    from qualcode.decisions.ledger import read_overrides

    if options.unit not in m.UNITS:
        raise QualcodeError(f"unit must be one of {', '.join(m.UNITS)}, not '{options.unit}'")
    if options.engine not in ENGINES:
        raise QualcodeError(f"engine must be one of {', '.join(ENGINES)}, not '{options.engine}'")
    if options.reattach not in m.REATTACH_MODES:
        modes = ", ".join(m.REATTACH_MODES)
        raise QualcodeError(f"reattach must be one of {modes}, not '{options.reattach}'")
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    decisions = (
        read_overrides(options.overrides)
        if options.overrides
        else pd.DataFrame(columns=[*m.DECISION_COLUMNS, m.OVERRIDE_FILE, m.OVERRIDE_LINE])
    )
    settings = Settings(
        book,
        options.unit,
        options.code_interviewer,
        options.spacy_model,
        options.language,
        tuple(options.interviewer_labels),
        options.encoding,
        reattach=options.reattach,
    )
    pool = None
    if options.engine == "local":
        files = _count_files(inputs)
        planned = planned_workers(files, options.workers)
        if planned > 1 and files > 1:
            pool = LocalPool(planned, settings)  # workers get ready during the scan
    try:
        return _code_scanned(inputs, settings, decisions, sink_factory, options, pool)
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
    options: CodingOptions,
    pool: LocalPool | None,
) -> tuple[Any, RunResult]:
    from qualcode.decisions.ledger import OverrideLedger

    book = settings.book
    scan = scan_transcripts(
        inputs,
        language=settings.default_language,
        meta=options.meta,
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
        return sink, _stream(scan, settings, sink, ledger, stats, options, pool)
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
    options: CodingOptions,
    pool: LocalPool | None,
) -> RunResult:
    uncoded: dict[str, int] = {}
    total = len(scan.jobs)
    jobs = run_jobs(
        scan.jobs,
        settings,
        workers=options.workers,
        engine=options.engine,
        scheduler=options.scheduler,
        pool=pool,
    )
    for done, finished in enumerate(jobs, start=1):
        if finished.uncoded_language is not None:
            lang = finished.uncoded_language
            uncoded[lang] = uncoded.get(lang, 0) + 1
        ledger.record(finished.outcome, finished.placements, finished.removed_from)
        stats.add(finished.transcript, finished.segments, finished.codings)
        sink.add(m.SEGMENTS_FILE, finished.segments)
        sink.add(m.CODINGS_FILE, finished.codings)
        sink.add(m.TRANSCRIPTS_FILE, [finished.transcript])
        if options.progress is not None:
            options.progress(done, total)
    decisions_out, override_warnings = ledger.finish(
        strict=options.strict, transcripts={job.transcript_id for job in scan.jobs}
    )
    warnings = list(scan.warnings)
    for lang, count in sorted(uncoded.items()):
        warnings.append(
            f"the codebook has no patterns for language '{lang}': {count} transcript(s) not auto-coded"
        )
    warnings.extend(override_warnings)
    decisions_out = decisions_out.astype(DECISION_TYPES)
    recorded = {  # the options run.json records
        "unit": settings.unit,
        "language": settings.default_language,
        "code_interviewer": settings.code_interviewer,
        "reattach": settings.reattach,
    }
    return RunResult(
        codebook=settings.book,
        overrides=decisions_out,
        summary=stats.summary(decisions_out, scan.missing_metadata, warnings),
        warnings=warnings,
        missing_metadata=scan.missing_metadata,
        options=recorded,
    )
