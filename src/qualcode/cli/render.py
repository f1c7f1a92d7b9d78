"""Terminal rendering shared by all commands (rich). Only the CLI prints.

User data (codes, metadata values, file names, messages) never reaches rich as markup: it is
passed as `Text` (see `plain`) or escaped with `rich.markup.escape`, so "[/]" prints as it is
and "[link=...]" makes no link.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from qualcode.numbers import format_number

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.errors import QualcodeError

console = Console()
MAX_WARNINGS_SHOWN = 10
err_console = Console(stderr=True)
# --format values that can go to the terminal (the others write binary files).
TEXT_FORMATS = ("csv", "md", "json")


def print_error(exc: QualcodeError) -> None:
    """Print each problem of a QualcodeError as one red line on stderr."""
    from rich.markup import escape

    for problem in exc.problems:  # escaped: a message may hold brackets (qualcode[dask])
        err_console.print(
            f"[bold red]error:[/] {escape(terminal_safe(str(problem)))}",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )


def os_reason(exc: OSError) -> str:
    """An OSError's reason in a few words ("File too large"), never a traceback."""
    import os

    if isinstance(exc.errno, int) and exc.errno:
        return os.strerror(exc.errno)
    text = str(exc.strerror or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def write_errors_name(target: Path) -> Iterator[None]:
    """Turn an OSError raised while a command writes `target` (a full disk, a file too large)
    into an OutputError naming `target`; qualcode writes atomically, so it is left as it was."""
    from qualcode.errors import OutputError

    try:
        yield
    except OSError as exc:
        inside = f" ({Path(exc.filename).name})" if isinstance(exc.filename, str) else ""
        raise OutputError(
            f"cannot write it: {os_reason(exc)}{inside}; the previous version is kept",
            file=target,
        ) from None


# Bidirectional overrides and isolates reorder what a terminal shows (Trojan-source style).
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def terminal_safe(text: str) -> str:
    """`text` with every control character but newline and tab (escape sequences, bell,
    carriage return, bidi overrides) replaced by U+FFFD, one for one, so offsets still hold."""
    return "".join(
        "\ufffd" if (unicodedata.category(ch) == "Cc" and ch not in "\n\t") or ch in _BIDI else ch
        for ch in text
    )


def plain(value: object, style: str = "") -> Text:
    """A value as rich Text (in `style`): shown as it is, never read as markup, with control
    characters made visible (`terminal_safe`): user text never drives the terminal."""
    return Text(terminal_safe(str(value)), style=style)


def print_warning(message: str) -> None:
    """Print one yellow warning line on stderr."""
    from rich.markup import escape

    err_console.print(
        f"[yellow]warning:[/] {escape(terminal_safe(message))}", highlight=False, soft_wrap=True
    )


def dataframe_table(df: pd.DataFrame, title: str | None = None, index: bool = True):
    """Build a rich Table from a DataFrame (index columns first when `index`)."""
    from rich.table import Table

    table = Table(title=None if title is None else plain(title), header_style="bold")
    frame = (
        df.reset_index()
        if index and df.index.name is not None or index and any(df.index.names)
        else df
    )
    for i, col in enumerate(frame.columns):
        name = " / ".join(str(c) for c in col) if isinstance(col, tuple) else str(col)
        numeric = frame[col].dtype.kind in "iuf"
        table.add_column(plain(name), justify="right" if numeric else "left", no_wrap=i == 0)
    for row in frame.itertuples(index=False):
        table.add_row(*(plain(format_number(v)) for v in row))
    return table


def write_tables_or_text(
    tables: dict[str, pd.DataFrame],
    fmt: str | None,
    output: Path | None,
    *,
    raw_cells: bool = False,
) -> bool:
    """The -o / --format of the table commands: write the tables to `output` (format from `fmt`
    or the suffix), or print them as text for --format csv|md|json without -o. CSV cells are
    spreadsheet-safe unless `raw_cells` (--raw-cells).

    Returns False when neither was asked for (the caller then shows its own terminal table).
    Raises ExportError for a binary format without -o, or a file that cannot be written.
    """
    import typer

    from qualcode.exchange.tabular import format_for, tables_text, write_tables

    if output is not None:
        for path in write_tables(tables, output, format_for(output, fmt), raw_cells=raw_cells):
            err_console.print(Text(f"wrote {path}"), highlight=False, soft_wrap=True)
        return True
    if fmt is None:
        return False
    if fmt not in TEXT_FORMATS:
        from qualcode.errors import ExportError

        raise ExportError(f"--format {fmt} writes a binary file; give it one with -o FILE")
    typer.echo(tables_text(tables, fmt, raw_cells=raw_cells), nl=False)
    return True


def print_summary(
    out_console: Console, summary: dict, out, options: dict, layout: dict | None = None
) -> None:
    """The end-of-run summary of `qualcode code` (`layout`: run.json's, see output.layout_record)."""
    from rich.table import Table

    from qualcode.models import LAYOUT_DATASET

    langs = ", ".join(f"{k} {v}" for k, v in summary["by_language"].items())
    head = Text(f"Coded {summary['transcripts']} transcripts", style="bold")
    head.append(
        f" ({langs}): "
        f"{summary['segments']} segments ({summary['interviewer_segments']} interviewer), "
        f"{summary['words']:,} words; {summary['coded_segments']} segments coded."
    )
    out_console.print(head)
    if options.get("meta"):
        out_console.print(plain(f"Metadata sheet: {options['meta']}"))
    if options.get("overrides"):
        counts = ", ".join(f"{v} {k}" for k, v in summary["overrides"].items()) or "none"
        out_console.print(plain(f"Overrides from {', '.join(options['overrides'])}: {counts}"))
    table = Table(title="Codes", header_style="bold")
    table.add_column("code")
    for name in ("segments", "transcripts", "auto codings", "manual codings"):
        table.add_column(name, justify="right")
    for row in summary["codes"]:
        label = plain(f"  {row['code']}") if row["parent"] else Text(row["code"], style="bold")
        table.add_row(
            label,
            str(row["segments"]),
            str(row["transcripts"]),
            str(row["auto"]),
            str(row["manual"]),
        )
    out_console.print(table)
    if summary["missing_metadata"]:
        ids = ", ".join(summary["missing_metadata"])
        print_warning(
            f"{len(summary['missing_metadata'])} transcript(s) without country or role: {ids}"
        )
    warnings = summary["warnings"]
    for warning in warnings[:MAX_WARNINGS_SHOWN]:
        print_warning(warning)
    if len(warnings) > MAX_WARNINGS_SHOWN:
        print_warning(
            f"... and {len(warnings) - MAX_WARNINGS_SHOWN} more: all are listed in {out}/run.json "
            f"(orphan overrides also in {out}/overrides.csv, column status)"
        )
    wrote = (
        f"Wrote {out}/segments, codings, overrides (.parquet + .csv), transcripts.parquet, run.json"
    )
    if layout and layout.get("parquet") == LAYOUT_DATASET:
        rows = layout.get("partition_rows")
        wrote += f"; segments, codings and transcripts as datasets of {rows:,}-row parts"
    out_console.print(plain(wrote))


def print_frequency_preview(out_console: Console, out, by: list[str]) -> None:
    """Transcripts mentioning each code by group (`qualcode freq --count cases`), after a run.

    Groups are rows and leaf codes columns, with the number of transcripts in each group, so
    the country x role table fits a terminal.
    """
    from qualcode.analysis.frequencies import code_frequencies
    from qualcode.output.folder import load_output

    output = load_output(out)
    result = code_frequencies(
        output.segments, output.codings, output.code_order, by=by, count="cases"
    )
    parents = {parent for _, parent in output.code_order if parent}
    leaves = [code for code, _ in output.code_order if code not in parents]
    table = result.table.loc[[c for c in leaves if c in result.table.index]].T
    table.insert(0, "transcripts", result.denominators.loc["n_cases"])
    table.index = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in table.index]
    table.index.name = " x ".join(by)
    out_console.print(
        dataframe_table(table, title=f"Transcripts mentioning each code, by {' x '.join(by)}")
    )


def emit_text(text: str, output: Path | None) -> None:
    """Print `text` to stdout, or write it to `output` atomically and say so on stderr."""
    from rich.markup import escape

    if output is None:
        import typer

        typer.echo(text, nl=False)
        return
    from qualcode.output import atomic_write_file

    atomic_write_file(output, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    err_console.print(f"wrote {escape(str(output))}", highlight=False)
