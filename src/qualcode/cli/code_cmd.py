"""`qualcode code`: transcripts + codebook (+ overrides) -> output folder with coded segments."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer

from qualcode.cli.out_folder import FORCE_OPTION, warn_kept_files
from qualcode.models import DEFAULT_INTERVIEWER_LABELS, PARTITION_ROWS, UNITS

AUTO_META_NAMES = ("participants.csv", "participants.xlsx", "meta.csv")


def _auto_meta(inputs: list[Path]) -> Path | None:
    for folder in (p for p in inputs if p.is_dir()):
        for name in AUTO_META_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def code(
    inputs: list[Path] = typer.Argument(
        ...,
        help="Transcript files or folders (.txt, .md, .docx, .odt, .rtf, .pdf, .vtt, .srt).",
        show_default=False,
    ),
    codebook: Path = typer.Option(..., "--codebook", "-c", help="Codebook YAML file."),
    out: Path = typer.Option(
        Path("out"),
        "--out",
        "-o",
        help="Output folder (replaced atomically; only a folder qualcode wrote, never an input).",
    ),
    force: bool = FORCE_OPTION,
    language: str = typer.Option(
        "en",
        "--language",
        "-l",
        help="Language of transcripts whose front matter names none (en, it, es, ...), or "
        "'auto' to tell each one's from its stop words. Every transcript is checked: one whose "
        "text reads as another language is warned about.",
    ),
    unit: str = typer.Option("turn", "--unit", "-u", help=f"Segment unit: {' | '.join(UNITS)}."),
    meta: Path | None = typer.Option(
        None,
        "--meta",
        help=(
            "Participant sheet (.csv/.xlsx): one row per transcript_id with country, role, ... "
            "Default: participants.csv inside a transcripts folder, if present."
        ),
    ),
    no_meta: bool = typer.Option(
        False, "--no-meta", help="Do not pick up participants.csv automatically."
    ),
    overrides: list[Path] | None = typer.Option(
        None,
        "--overrides",
        help="Decision (override) CSV files or folders (repeatable). Default: an overrides/ "
        "folder inside each transcripts folder or beside it (never the current directory's "
        "own).",
    ),
    no_overrides: bool = typer.Option(
        False, "--no-overrides", help="Ignore manual overrides (pure automatic coding)."
    ),
    interviewer: list[str] | None = typer.Option(
        None,
        "--interviewer-label",
        help="Speaker label of the interviewer (repeatable). Replaces the default labels: "
        "Interviewer, INT, Q, Question, Moderator, Researcher and their Italian and Spanish forms "
        "(Intervistatrice, Entrevistadora, Domanda, Pregunta, ...), and I, E, D, P where no other "
        "interviewer label is used.",
    ),
    code_interviewer: bool = typer.Option(
        False, "--code-interviewer", help="Auto-code interviewer turns too."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Fail when an override points to a missing segment or code."
    ),
    spacy_model: str | None = typer.Option(
        None,
        "--spacy-model",
        help="Use an installed trained spaCy pipeline instead of the blank ones (never downloaded).",
    ),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of the transcripts."),
    workers: int = typer.Option(
        0,
        "--workers",
        "-w",
        min=0,
        help="Processes to code with (0 = all cores when there are at least 32 transcripts, "
        "else one: starting a process costs about a second). The output is identical for any "
        "number.",
    ),
    engine: str = typer.Option(
        "local", "--engine", help="local (this machine) or dask (a Dask cluster; qualcode\\[dask])."
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="With --engine dask: the Dask scheduler (tcp://HOST:8786); default: a local "
        "cluster of --workers processes.",
    ),
    partitioned: bool | None = typer.Option(
        None,
        "--partitioned/--single-file",
        help="Write segments, codings and transcripts as partitioned Parquet datasets "
        "(OUT/segments.parquet/part-00000.parquet, part-00001.parquet, ...) that Dask reads in "
        "parallel, or as one Parquet file each. Default: partitioned with --engine dask, single "
        "files otherwise. CSV files are single files either way; every command reads both.",
        show_default=False,
    ),
    partition_rows: int = typer.Option(
        PARTITION_ROWS, "--partition-rows", min=1, help="Rows per part file of a partitioned table."
    ),
    by: list[str] | None = typer.Option(
        None,
        "--by",
        help="Also show code frequencies by these columns (e.g. --by country --by role).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the run summary as JSON (for scripts)."
    ),
) -> None:
    """Code transcripts with a codebook and write the coded-segment tables.

    Reads transcripts (YAML front matter + 'Speaker: text' turns), applies the codebook's
    spaCy patterns per language, applies coders' manual overrides, and writes OUT/segments,
    OUT/codings (Parquet + CSV), OUT/overrides, OUT/transcripts.parquet and OUT/run.json.
    With --partitioned (the default with --engine dask) each big Parquet table is a folder of
    part files.

    Example: qualcode code transcripts_sample --codebook codebooks/cso_dilemmas.yaml --out out/
    """
    from qualcode.cli.render import console, err_console, print_summary, write_errors_name
    from qualcode.coding.api import code_to_folder
    from qualcode.coding.cluster import check_scheduler

    check_scheduler(engine, scheduler)
    meta_path = meta if meta is not None else (None if no_meta else _auto_meta(inputs))
    if no_overrides:
        override_paths: list[Path] = []
    elif overrides:
        override_paths = list(overrides)
    else:
        from qualcode.decisions.folders import default_decision_folders

        override_paths = default_decision_folders(inputs)
    show_progress = not quiet and not as_json
    warn_kept_files(out, force)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with (
        Progress(
            TextColumn("coding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("transcripts"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=not show_progress or not err_console.is_terminal,
        ) as bar,
        write_errors_name(out),
    ):
        task = bar.add_task("code", total=None)
        extra = {
            "meta": meta_path.as_posix() if meta_path else None,
            "overrides": [p.as_posix() for p in override_paths],
        }
        manifest = code_to_folder(
            inputs,
            codebook,
            out,
            command=shlex.join(["qualcode", *sys.argv[1:]]),
            extra_options=extra,
            language=language,
            unit=unit,
            meta=meta_path,
            overrides=override_paths,
            interviewer_labels=tuple(interviewer) if interviewer else DEFAULT_INTERVIEWER_LABELS,
            code_interviewer=code_interviewer,
            strict=strict,
            spacy_model=spacy_model,
            encoding=encoding,
            workers=workers,
            engine=engine,
            scheduler=scheduler,
            partitioned=partitioned,
            partition_rows=partition_rows,
            force=force,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        typer.echo(
            json.dumps({"out": out.as_posix(), **manifest["summary"]}, indent=2, ensure_ascii=False)
        )
    elif not quiet:
        print_summary(
            console, manifest["summary"], out, manifest["options"], manifest.get("layout")
        )
        if by:
            from qualcode.cli.render import print_frequency_preview

            print_frequency_preview(console, out, by)


def register(app: typer.Typer) -> None:
    app.command("code")(code)
