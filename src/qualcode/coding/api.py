"""The coding API: `load_transcripts`, `code_corpus` (DataFrames) and `code_to_folder` (files).

Both coding functions run the same streamed engine (see engine.py); `code_corpus` collects the
tables in memory for notebooks, `code_to_folder` writes them as they are produced and swaps the
finished folder into place, so memory stays flat on large corpora.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.codebook.schema import Codebook
from qualcode.coding.options import CodingOptions, Progress
from qualcode.transcripts import Transcript
from qualcode.transcripts.corpus import read_corpus

if TYPE_CHECKING:
    import pandas as pd


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
    summary: dict[str, Any] = field(default_factory=dict)


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
    found, warnings = read_corpus(
        inputs,
        language=language,
        meta=meta,
        interviewer_labels=interviewer_labels,
        encoding=encoding,
    )
    return [t for t, _ in found], warnings


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
    engine: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    reattach: str = "covering",
) -> CodingResult:
    """Load transcripts, segment them, auto-code them with the codebook, apply overrides.

    `workers` > 1 codes transcripts in that many processes, `engine="dask"` on a Dask cluster
    (`scheduler` address, or a local one); the tables are identical to a single-process run.
    `reattach="none"` leaves decisions whose segment is gone orphans instead of re-attaching
    them (see `qualcode.decisions.reattach`).
    Returns a CodingResult with deterministically sorted DataFrames. Raises TranscriptError,
    CodebookError or OverrideError (every problem of a kind at once) on bad input.
    """
    from qualcode.coding.engine import run_coding
    from qualcode.coding.sinks import MemorySink

    options = CodingOptions(
        language=language,
        unit=unit,
        meta=meta,
        overrides=overrides,
        interviewer_labels=interviewer_labels,
        code_interviewer=code_interviewer,
        strict=strict,
        spacy_model=spacy_model,
        encoding=encoding,
        workers=workers,
        engine=engine,
        scheduler=scheduler,
        progress=progress,
        reattach=reattach,
    )
    sink, run = run_coding(inputs, codebook, MemorySink, options)
    frames = sink.frames()
    return CodingResult(
        transcripts=frames[m.TRANSCRIPTS_FILE],
        segments=frames[m.SEGMENTS_FILE],
        codings=frames[m.CODINGS_FILE],
        overrides=run.overrides,
        codebook=run.codebook,
        warnings=run.warnings,
        missing_metadata=run.missing_metadata,
        options=run.options,
        summary=run.summary,
    )


def code_to_folder(
    inputs: Sequence[str | Path] | str | Path,
    codebook: Codebook | str | Path,
    out: str | Path,
    *,
    command: str | None = None,
    extra_options: dict[str, Any] | None = None,
    partitioned: bool | None = None,
    partition_rows: int = m.PARTITION_ROWS,
    force: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """Code a corpus straight into an output folder (streamed, atomic); returns run.json's data.

    Takes the same options as `code_corpus` (see `CodingOptions`); an unknown one raises
    TypeError. Tables are written as transcripts are coded; the
    folder replaces `out` only once complete, so an interrupted run leaves `out` as it was.
    `partitioned` writes segments, codings and transcripts as partitioned Parquet datasets
    (`out/<table>.parquet/part-00000.parquet`, ..., `partition_rows` rows per part) instead of
    single files; None (the default) means partitioned with `engine="dask"`, single files
    otherwise. Either layout gives the same bytes for any engine and number of workers.
    `out` is never an input (transcripts, codebook, metadata sheet, overrides) nor a folder
    qualcode did not write; files qualcode did not write inside it make the run refuse (an
    OutputError naming them), or with `force` are kept in the new folder.
    """
    from qualcode.coding.engine import run_coding
    from qualcode.coding.sinks import FolderSink
    from qualcode.errors import QualcodeError
    from qualcode.output.atomic import write_output_folder
    from qualcode.output.folder import build_manifest, layout_record, write_run_files

    coding = CodingOptions(**options)
    if partitioned is None:
        partitioned = coding.engine == "dask"
    if partition_rows < 1:
        raise QualcodeError(f"partition_rows must be 1 or more, not {partition_rows}")
    rows = partition_rows if partitioned else None
    manifest: dict[str, Any] = {}

    def fill(folder: Path) -> None:
        sink, run = run_coding(
            inputs, codebook, lambda cols: FolderSink(folder, cols, rows), coding
        )
        sink.close()
        run.options.update(extra_options or {})
        manifest.update(
            build_manifest(run.codebook, run.options, run.summary, command, layout_record(rows))
        )
        write_run_files(folder, run.codebook, run.overrides, manifest)

    sources = [*([inputs] if isinstance(inputs, (str, Path)) else inputs), *coding.overrides]
    book = codebook.path if isinstance(codebook, Codebook) else codebook
    write_output_folder(Path(out), fill, inputs=[*sources, book, coding.meta], force=force)
    return manifest
