"""`qualcode code`: transcripts + codebook (+ overrides) -> output folder with coded segments."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer

from qualcode.cli.out_folder import FORCE_OPTION, warn_kept_files
from qualcode.models import DEFAULT_INTERVIEWER_LABELS, PARTITION_ROWS, UNITS


def code(
    inputs: list[Path] | None = typer.Argument(
        None,
        metavar="TRANSCRIPTS",
        help="Transcript files or folders (.txt, .md, .docx, .odt, .rtf, .pdf, .vtt, .srt). "
        "Default: the project's transcripts (qualcode.toml in this folder or a parent).",
        show_default=False,
    ),
    codebook: Path | None = typer.Option(
        None,
        "--codebook",
        "-c",
        help="Codebook YAML file. Default: the project's codebook.",
        show_default=False,
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Output folder (replaced atomically; only a folder qualcode wrote, never an input). "
        "Default: the project's out folder, else out/.",
        show_default=False,
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
    unit: str | None = typer.Option(
        None,
        "--unit",
        "-u",
        help=f"Segment unit: {' | '.join(UNITS)}. Default: the project's unit, else turn.",
        show_default=False,
    ),
    meta: Path | None = typer.Option(
        None,
        "--meta",
        help=(
            "Participant sheet (.csv/.xlsx): one row per transcript_id with country, role, ... "
            "Default: the project's meta sheet, else participants.csv inside a transcripts "
            "folder, if present."
        ),
    ),
    no_meta: bool = typer.Option(
        False,
        "--no-meta",
        help="Do not pick up participants.csv automatically (nor the project's meta sheet).",
    ),
    overrides: list[Path] | None = typer.Option(
        None,
        "--overrides",
        help="Decision (override) CSV files or folders (repeatable). Default: the project's "
        "decisions folder; outside a project, an overrides/ folder inside each transcripts "
        "folder or beside it (never the current directory's own).",
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
    reattach: str = typer.Option(
        "covering",
        "--reattach",
        help="What becomes of a decision whose segment id is gone (its passage was edited, or "
        "the run uses another --unit): covering (the default) re-attaches it to the segment "
        "that holds its quote (exactly, else a clear fuzzy match) or, for another unit, to the "
        "segments its own segment covers, and lists it as reattached in OUT/overrides.csv; "
        "ambiguous matches stay orphans. none leaves every such decision an orphan. Example: "
        "qualcode code transcripts_sample --codebook codebooks/cso_dilemmas.yaml --unit "
        "paragraph --reattach none",
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

    Inside a project (a qualcode.toml written by `qualcode init`, in this folder or a
    parent), every argument defaults to the project's: `qualcode code` alone codes its
    transcripts with its codebook, meta sheet, decisions folder and unit into its out folder;
    flags override the file (docs/project.md).

    Example: qualcode code transcripts_sample --codebook codebooks/cso_dilemmas.yaml --out out/
    """
    from qualcode.cli.project_defaults import code_run, near
    from qualcode.cli.render import console, err_console, print_summary, write_errors_name
    from qualcode.coding.api import code_to_folder
    from qualcode.coding.cluster import check_scheduler

    check_scheduler(engine, scheduler)
    run = code_run(
        inputs,
        codebook=codebook,
        out=out,
        unit=unit,
        meta=meta,
        no_meta=no_meta,
        overrides=overrides,
        no_overrides=no_overrides,
    )
    inputs, codebook, out, unit = run.inputs, run.codebook, run.out, run.unit
    meta_path, override_paths = run.meta, run.overrides
    project_file = None if run.project is None else near(run.project.path).as_posix()
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
            "project": project_file,
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
            reattach=reattach,
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
        found = {"project": project_file} if project_file else {}
        typer.echo(
            json.dumps(
                {"out": out.as_posix(), **found, **manifest["summary"]},
                indent=2,
                ensure_ascii=False,
            )
        )
    elif not quiet:
        if project_file is not None:
            console.print(f"Project file: {project_file}", markup=False, highlight=False)
        print_summary(
            console, manifest["summary"], out, manifest["options"], manifest.get("layout")
        )
        if by:
            from qualcode.cli.render import print_frequency_preview

            print_frequency_preview(console, out, by)


def register(app: typer.Typer) -> None:
    app.command("code")(code)
