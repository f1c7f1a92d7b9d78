"""What the table commands (freq, matrix, cooccur, quotes, plot) share: the filters, reading the
output folder, and printing or writing the tables with their caption and notes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from qualcode.output.folder import CodedOutput


def filter_options(codes, source, coder, where, include_interviewer) -> dict:
    """The analysis filters of the shared options, as keyword arguments."""
    return {
        "codes": codes or None,
        "source": source,
        "coder": coder or None,
        "where": where,
        "include_interviewer": include_interviewer,
    }


def load_folder(folder: Path, *, text: bool = False, where: str | None = None) -> CodedOutput:
    """Read the output folder; counting commands skip the text columns (the bulk of the data)."""
    from qualcode import models as m
    from qualcode.analysis.where import parse_where
    from qualcode.output.folder import load_output

    needs_text = text or (where is not None and m.TEXT in parse_where(where).columns)
    skip = () if needs_text else (m.TEXT, m.MATCHED_TEXT)
    return load_output(folder, skip_columns=skip)


def emit(
    tables: dict[str, pd.DataFrame],
    fmt: str | None,
    output: Path | None,
    title: str,
    decimals: int | None = None,
    raw_cells: bool = False,
    notes: list[str] | None = None,
    caption: str | None = None,
) -> None:
    """Write tables to -o, print them as text (--format csv|md|json), or show a rich table
    titled `title` and the layer's name; then `caption` (the layer in full) and the `notes` (a
    coder's denominator, see coverage_note.py): under the table, or on stderr when the table
    went to a file or was printed as text, so that the data stay clean."""
    from qualcode.cli.coverage_note import print_notes
    from qualcode.cli.render import console, write_tables_or_text

    written = write_tables_or_text(tables, fmt, output, raw_cells=raw_cells)
    if not written:
        short = caption.split(" (", 1)[0] if caption else None  # "layer: final"
        # no-break spaces: a narrow table wraps the title before "· layer: NAME", never inside
        nbsp = "\u00a0"
        full = f"{title}{nbsp}·{nbsp}{short.replace(' ', nbsp)}" if short else title
        console.print(rich_table(list(tables.values()), full, decimals))
    print_notes([*([caption] if caption else []), *(notes or [])], to_stderr=written)


def rich_table(frames: list[pd.DataFrame], title: str, decimals: int | None) -> Table:
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
