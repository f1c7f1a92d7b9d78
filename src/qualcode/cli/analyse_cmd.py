"""`qualcode freq | matrix | cooccur | quotes`: count, cross-tabulate and quote a coded output.

Each command reads the output folder of `qualcode code` (--from), takes the chosen layer of it
(--layer, --reviewer: see layer_options.py), calls one function of `qualcode.analysis` (or,
with --engine dask, of `qualcode.analysis.on_dask`), and prints a terminal table titled with
the layer -- or writes csv/xlsx/parquet/md/json with -o. pandas is imported inside the
commands so `qualcode --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer

from qualcode.cli.coverage_note import coverage_notes
from qualcode.cli.layer_options import (
    LayerChoice,
    LayerOption,
    ReviewerOption,
    apply_layer,
    chosen_layer,
    dask_layer,
)
from qualcode.cli.options import (
    CoderOption,
    CodesOption,
    EngineOption,
    FormatOption,
    FromOption,
    InterviewerOption,
    OutputOption,
    RawCellsOption,
    SchedulerOption,
    SourceOption,
    WhereOption,
    WorkersOption,
)
from qualcode.cli.redaction import KEY_FILE_OPTION, PSEUDONYMISE_OPTION, redacted_folder
from qualcode.cli.table_output import emit, filter_options, load_folder

if TYPE_CHECKING:
    import pandas as pd


def _analyse(
    function: str,
    from_: Path,
    options: dict,
    choice: LayerChoice,
    *,
    where: str | None,
    engine: str,
    scheduler: str | None,
    workers: int,
) -> tuple[Any, str, list[str]]:
    """Run `function` of `qualcode.analysis` on the chosen layer of the loaded folder, or of
    `qualcode.analysis.on_dask` (given the folder and the layer) with --engine dask.

    Returns the result, the layer's caption and the notes the layer adds (a coder's coverage).
    """
    from qualcode.coding.cluster import check_scheduler

    check_scheduler(engine, scheduler)
    if engine == "dask":
        import qualcode.analysis.on_dask as dask_analysis

        caption, notes = dask_layer(from_, choice, options)
        compute = getattr(dask_analysis, function)
        return compute(from_, **options, scheduler=scheduler, workers=workers), caption, notes
    import qualcode.analysis as analysis

    run, caption, notes = apply_layer(load_folder(from_, where=where), choice, options)
    result = getattr(analysis, function)(run.segments, run.codings, run.code_order, **options)
    return result, caption, notes


# --- commands ------------------------------------------------------------------------------------


def freq(
    from_: FromOption = Path("out"),
    by: list[str] | None = typer.Option(
        None, "--by", help="Group by these segment columns (repeatable), e.g. --by country."
    ),
    count: Literal["segments", "cases", "words"] = typer.Option(
        "segments",
        "--count",
        help="segments: coded segments; cases: transcripts with the code; words: words of the "
        "coded segments.",
    ),
    percent: bool = typer.Option(
        False, "--percent", help="Percent of the group's segments/cases/words (1 decimal)."
    ),
    codes: CodesOption = None,
    source: SourceOption = "all",
    coder: CoderOption = None,
    where: WhereOption = None,
    include_interviewer: InterviewerOption = False,
    layer: LayerOption = "final",
    reviewer: ReviewerOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    raw_cells: RawCellsOption = False,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
) -> None:
    """Code frequencies by group, with parent roll-ups, a Total column and the denominators.

    Rows are codes in codebook order (a parent counts a segment once, however many of its
    children coded it); columns are the groups of --by, then Total. The denominators (segments,
    cases, words per group) are printed below the table, and written as a second table:
    a second sheet in xlsx, FILE-denominators.csv beside FILE-frequencies.csv for csv/parquet.

    The coding counted is one layer (--layer, default final: the automatic coding with every
    decision applied, reviewers' last), named in the title and under the table.

    Example: qualcode freq --from out --by country --by role --percent -o freq.xlsx
    """
    options = {
        "by": by or (),
        "count": count,
        "percent": percent,
        **filter_options(codes, source, coder, where, include_interviewer),
    }
    notes = coverage_notes(from_, options)
    result, caption, more = _analyse(
        "code_frequencies",
        from_,
        options,
        chosen_layer(layer, reviewer),
        where=where,
        engine=engine,
        scheduler=scheduler,
        workers=workers,
    )
    tables = result.tables()
    if percent:
        tables["frequencies"] = tables["frequencies"].round(1)
    what = f"% of {count}" if percent else count
    decimals = 1 if percent else None
    title = f"Code frequencies ({what})"
    emit(tables, fmt, output, title, decimals, raw_cells, [*notes, *more], caption)


def matrix(
    from_: FromOption = Path("out"),
    rows: str = typer.Option(
        "transcript_id", "--rows", help="Segment column for the rows (transcript_id, speaker...)."
    ),
    binary: bool = typer.Option(False, "--binary", help="1 when the code occurs, else 0."),
    words: bool = typer.Option(False, "--words", help="Words of the coded segments."),
    long: bool = typer.Option(False, "--long", help="Tidy form: one line per (row, code)."),
    codes: CodesOption = None,
    source: SourceOption = "all",
    coder: CoderOption = None,
    where: WhereOption = None,
    include_interviewer: InterviewerOption = False,
    layer: LayerOption = "final",
    reviewer: ReviewerOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    raw_cells: RawCellsOption = False,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
) -> None:
    """A case x code matrix: coded segments per transcript (or --rows) and leaf code.

    Every row value and every leaf code appears, zeros included. Default cell: number of
    coded segments; --binary: presence (1/0); --words: words of the coded segments.

    Example: qualcode matrix --from out --binary -o matrix.csv
    """
    if binary and words:
        from qualcode.errors import AnalysisError

        raise AnalysisError("use --binary or --words, not both")
    value = "binary" if binary else "words" if words else "count"
    options = {
        "rows": rows,
        "value": value,
        "long": long,
        **filter_options(codes, source, coder, where, include_interviewer),
    }
    notes = coverage_notes(from_, options)
    table, caption, more = _analyse(
        "code_matrix",
        from_,
        options,
        chosen_layer(layer, reviewer),
        where=where,
        engine=engine,
        scheduler=scheduler,
        workers=workers,
    )
    title = f"Code matrix ({value} by {rows})"
    emit({"matrix": table}, fmt, output, title, None, raw_cells, [*notes, *more], caption)


def cooccur(
    from_: FromOption = Path("out"),
    within: Literal["segment", "overlap", "transcript"] = typer.Option(
        "segment",
        "--within",
        help="segment: coded in the same segment; transcript: in the same interview; overlap: "
        "coded passages whose character ranges overlap.",
    ),
    measure: Literal["count", "jaccard"] = typer.Option(
        "count",
        "--measure",
        help="count, or jaccard = both / either (for overlap: shared coded characters).",
    ),
    codes: CodesOption = None,
    source: SourceOption = "all",
    coder: CoderOption = None,
    where: WhereOption = None,
    include_interviewer: InterviewerOption = False,
    layer: LayerOption = "final",
    reviewer: ReviewerOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    raw_cells: RawCellsOption = False,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
) -> None:
    """Code co-occurrence: a symmetric code x code table of leaf codes.

    The diagonal is how often each code occurs in that unit (segments, transcripts, passages);
    with --measure jaccard it is 1.0, or – when the code never occurs.

    Example: qualcode cooccur --from out --within transcript --measure jaccard
    """
    options = {
        "within": within,
        "measure": measure,
        **filter_options(codes, source, coder, where, include_interviewer),
    }
    notes = coverage_notes(from_, options)
    table, caption, more = _analyse(
        "cooccurrence",
        from_,
        options,
        chosen_layer(layer, reviewer),
        where=where,
        engine=engine,
        scheduler=scheduler,
        workers=workers,
    )
    title = f"Co-occurrence ({measure} within {within})"
    emit({"cooccurrence": table}, fmt, output, title, None, raw_cells, [*notes, *more], caption)


def quotes(
    from_: FromOption = Path("out"),
    codes: list[str] = typer.Option(
        ..., "--code", help="Quote segments coded with this code (repeatable; parents included)."
    ),
    by: list[str] | None = typer.Option(
        None, "--by", help="Group (and sort) quotes by these columns, e.g. --by country."
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=0, help="At most N quotes per --by group (overall without --by)."
    ),
    source: SourceOption = "all",
    coder: CoderOption = None,
    where: WhereOption = None,
    include_interviewer: InterviewerOption = False,
    layer: LayerOption = "final",
    reviewer: ReviewerOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    raw_cells: RawCellsOption = False,
    pseudonymise: Path | None = PSEUDONYMISE_OPTION,
    key_file: Path = KEY_FILE_OPTION,
) -> None:
    """Quotes: the coded segments of a code, matched words highlighted.

    --format md gives Markdown blockquotes (matched words in **bold**) with an attribution line
    (— it_lawyer_01, P, Italy, lawyer), ready to paste into a paper; other formats give one
    row per segment with its codes, sources, coders and highlight offsets ("start-end;...").

    Example: qualcode quotes --from out --code litigation --by country --limit 3 --format md
    """
    from qualcode.analysis.quotes import HIGHLIGHTS
    from qualcode.analysis.quotes import quotes as find_quotes
    from qualcode.cli.coverage_note import print_notes
    from qualcode.cli.render import console, err_console, plain
    from qualcode.exchange.tabular import format_for, quotes_markdown, write_text

    filters = filter_options(None, source, coder, where, include_interviewer)
    with redacted_folder(from_, pseudonymise, key_file) as folder:
        run = load_folder(folder, text=True, where=where)
    run, caption, notes = apply_layer(run, chosen_layer(layer, reviewer), filters)
    found = find_quotes(
        run.segments, run.codings, run.code_order, code=codes, by=by or (), limit=limit, **filters
    )
    chosen = format_for(output, fmt) if output is not None else fmt
    if chosen == "md":
        text = quotes_markdown(found, by or ())
        if output is None:
            typer.echo(text, nl=False)
        else:
            err_console.print(plain(f"wrote {write_text(output, text)}"), soft_wrap=True)
        print_notes([caption, *notes], to_stderr=True)
        return
    if chosen is not None:
        spans = found[HIGHLIGHTS].map(lambda marks: ";".join(f"{s}-{e}" for s, e in marks))
        table = {"quotes": found.assign(**{HIGHLIGHTS: spans})}
        emit(table, fmt, output, "Quotes", None, raw_cells, notes, caption)
        return
    _print_quotes(console, found, caption)
    print_notes(notes, to_stderr=False)


def _print_quotes(console, found: pd.DataFrame, caption: str) -> None:
    from qualcode import models as m
    from qualcode.analysis.quotes import HIGHLIGHTS
    from qualcode.cli.render import plain, terminal_safe
    from qualcode.exchange.tabular import attribution

    if found.empty:
        console.print(plain(f"No quotes match ({caption})."))
        return
    for row in found.to_dict("records"):
        # transcript text and metadata never drive the terminal (one-for-one replacement keeps
        # the highlight offsets right)
        header = plain(attribution(row), "bold")
        header.append(terminal_safe(f"  {row[m.CODE]} ({row[m.SOURCE]})"), style="cyan")
        body = plain(row[m.TEXT])
        for start, end in row[HIGHLIGHTS]:
            body.stylize("bold reverse", start, end)
        console.print(header)
        console.print(body, soft_wrap=False)
        console.print()
    console.print(plain(f"{len(found)} quote(s) · {caption}"), style="dim")


def register(app: typer.Typer) -> None:
    """Add freq, matrix, cooccur and quotes to the `qualcode` app."""
    for name, command in (
        ("freq", freq),
        ("matrix", matrix),
        ("cooccur", cooccur),
        ("quotes", quotes),
    ):
        app.command(name)(command)
