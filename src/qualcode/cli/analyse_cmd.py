"""`qualcode freq | matrix | cooccur | quotes`: count, cross-tabulate and quote a coded output.

Each command reads the output folder of `qualcode code` (--from), calls one function of
`qualcode.analysis` (or, with --engine dask, of `qualcode.analysis.on_dask`), and prints a terminal
table -- or writes csv/xlsx/parquet/md/json with -o. pandas is imported inside the commands so
`qualcode --help` stays fast.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from qualcode.cli.coverage_note import coverage_notes, print_notes
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

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table


def _analyse(
    function: str,
    from_: Path,
    options: dict,
    *,
    where: str | None,
    engine: str,
    scheduler: str | None,
    workers: int,
):
    """Run `function` of `qualcode.analysis` on the loaded folder, or of
    `qualcode.analysis.on_dask` (given the folder) with --engine dask."""
    from qualcode.coding.cluster import check_scheduler

    check_scheduler(engine, scheduler)
    if engine == "dask":
        import qualcode.analysis.on_dask as dask_analysis

        compute = getattr(dask_analysis, function)
        return compute(from_, **options, scheduler=scheduler, workers=workers)
    import qualcode.analysis as analysis

    run = _load(from_, where=where)
    return getattr(analysis, function)(run.segments, run.codings, run.code_order, **options)


def filter_options(codes, source, coder, where, include_interviewer) -> dict:
    return {
        "codes": codes or None,
        "source": source,
        "coder": coder or None,
        "where": where,
        "include_interviewer": include_interviewer,
    }


def _load(folder: Path, *, text: bool = False, where: str | None = None):
    """Read the output folder; counting commands skip the text columns (the bulk of the data)."""
    from qualcode import models as m
    from qualcode.analysis.where import parse_where
    from qualcode.output.folder import load_output

    needs_text = text or (where is not None and m.TEXT in parse_where(where).columns)
    skip = () if needs_text else (m.TEXT, m.MATCHED_TEXT)
    return load_output(folder, skip_columns=skip)


# --- output --------------------------------------------------------------------------------------


def _emit(
    tables: dict[str, pd.DataFrame],
    fmt: str | None,
    output: Path | None,
    title: str,
    decimals: int | None = None,
    raw_cells: bool = False,
    notes: list[str] | None = None,
) -> None:
    """Write tables to -o, print them as text (--format csv|md|json), or show a rich table;
    then the `notes` (a coder's denominator, see coverage_note.py)."""
    from qualcode.cli.render import console, write_tables_or_text

    written = write_tables_or_text(tables, fmt, output, raw_cells=raw_cells)
    if not written:
        console.print(_rich_table(list(tables.values()), title, decimals))
    print_notes(notes or [], to_stderr=written)


def _rich_table(frames: list[pd.DataFrame], title: str, decimals: int | None) -> Table:
    """One rich table; each frame after the first (e.g. the denominators) in its own section."""
    from rich.table import Table

    from qualcode.cli.render import plain
    from qualcode.exchange.tabular import flatten
    from qualcode.numbers import format_number

    flat = [flatten(f) for f in frames]
    table = Table(title=plain(title), header_style="bold", title_justify="left")
    for i, column in enumerate(flat[0].columns):
        numeric = flat[0][column].dtype.kind in "iuf"
        table.add_column(plain(column), justify="right" if numeric else "left", no_wrap=i == 0)
    places = 3 if decimals is None else decimals
    for n, frame in enumerate(flat):
        if n:
            table.add_section()
        for row in frame.itertuples(index=False, name=None):
            cells = (plain(format_number(v, places)) for v in row)
            table.add_row(*cells, style="dim" if n else None)
    return table


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

    Example: qualcode freq --from out --by country --by role --percent -o freq.xlsx
    """
    options = {
        "by": by or (),
        "count": count,
        "percent": percent,
        **filter_options(codes, source, coder, where, include_interviewer),
    }
    notes = coverage_notes(from_, options)
    result = _analyse(
        "code_frequencies",
        from_,
        options,
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
    _emit(tables, fmt, output, f"Code frequencies ({what})", decimals, raw_cells, notes)


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
    table = _analyse(
        "code_matrix",
        from_,
        options,
        where=where,
        engine=engine,
        scheduler=scheduler,
        workers=workers,
    )
    _emit(
        {"matrix": table}, fmt, output, f"Code matrix ({value} by {rows})", None, raw_cells, notes
    )


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
    table = _analyse(
        "cooccurrence",
        from_,
        options,
        where=where,
        engine=engine,
        scheduler=scheduler,
        workers=workers,
    )
    title = f"Co-occurrence ({measure} within {within})"
    _emit({"cooccurrence": table}, fmt, output, title, None, raw_cells, notes)


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
    fmt: FormatOption = None,
    output: OutputOption = None,
    raw_cells: RawCellsOption = False,
    pseudonymise: Path | None = PSEUDONYMISE_OPTION,
    key_file: Path = KEY_FILE_OPTION,
) -> None:
    """Quotes: the coded segments of a code, matched words highlighted.

    --format md gives Markdown blockquotes with an attribution line
    (— it_lawyer_01, P, Italy, lawyer), ready to paste into a paper; other formats give one
    row per segment with its codes, sources, coders and highlight offsets ("start-end;...").

    Example: qualcode quotes --from out --code litigation --by country --limit 3 --format md
    """
    from qualcode.analysis.quotes import HIGHLIGHTS
    from qualcode.analysis.quotes import quotes as find_quotes
    from qualcode.cli.render import console, err_console, plain
    from qualcode.exchange.tabular import format_for, quotes_markdown, write_text

    with redacted_folder(from_, pseudonymise, key_file) as folder:
        run = _load(folder, text=True, where=where)
    found = find_quotes(
        run.segments,
        run.codings,
        run.code_order,
        code=codes,
        by=by or (),
        limit=limit,
        **filter_options(None, source, coder, where, include_interviewer),
    )
    chosen = format_for(output, fmt) if output is not None else fmt
    if chosen == "md":
        text = quotes_markdown(found, by or ())
        if output is None:
            typer.echo(text, nl=False)
        else:
            err_console.print(plain(f"wrote {write_text(output, text)}"), soft_wrap=True)
        return
    if chosen is not None:
        spans = found[HIGHLIGHTS].map(lambda marks: ";".join(f"{s}-{e}" for s, e in marks))
        _emit(
            {"quotes": found.assign(**{HIGHLIGHTS: spans})}, fmt, output, "Quotes", None, raw_cells
        )
        return
    _print_quotes(console, found)


def _print_quotes(console, found: pd.DataFrame) -> None:
    from rich.text import Text

    from qualcode import models as m
    from qualcode.analysis.quotes import HIGHLIGHTS
    from qualcode.exchange.tabular import attribution

    if found.empty:
        console.print("No quotes match.")
        return
    for row in found.to_dict("records"):
        header = Text(attribution(row), style="bold")
        header.append(f"  {row[m.CODE]} ({row[m.SOURCE]})", style="cyan")
        body = Text(str(row[m.TEXT]))
        for start, end in row[HIGHLIGHTS]:
            body.stylize("bold reverse", start, end)
        console.print(header)
        console.print(body, soft_wrap=False)
        console.print()
    console.print(f"{len(found)} quote(s)", style="dim")


def help_text(command) -> str:
    """The docstring with its paragraphs unwrapped (typer keeps single newlines as breaks)."""
    paragraphs = inspect.cleandoc(command.__doc__ or "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def register(app: typer.Typer) -> None:
    """Add freq, matrix, cooccur and quotes to the `qualcode` app."""
    for name, command in (
        ("freq", freq),
        ("matrix", matrix),
        ("cooccur", cooccur),
        ("quotes", quotes),
    ):
        app.command(name, help=help_text(command))(command)
