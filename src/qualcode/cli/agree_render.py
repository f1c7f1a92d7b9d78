"""`qualcode agree`, terminal rendering of the gold-standard table and the disagreements.

Split from `agree_cmd` (which renders the agreement table itself). User data -- codes, coders,
segment ids, text -- reaches rich as `Text` or escaped, never as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from qualcode.cli.render import plain
from qualcode.numbers import format_number

if TYPE_CHECKING:
    from rich.console import Console

    from qualcode.reliability.agreement import AgreementResult

_TEXT_WIDTH = 160


def new_table():
    """A rich table in agree's style: bold header, one rule under it, no outer edge."""
    from rich import box
    from rich.table import Table

    return Table(
        header_style="bold",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
        show_edge=False,
    )


def print_wide(console: Console, table) -> None:
    """Print a table without ever truncating a number: wider than the terminal if need be."""
    from rich.measure import Measurement

    needed = Measurement.get(console, console.options.update(width=10_000), table).maximum
    width = console.width
    console.width = max(width, needed)
    try:
        console.print(table)
    finally:
        console.width = width


def print_gold(console: Console, result: AgreementResult) -> None:
    scores = result.gold_scores
    if scores is None:  # no gold coder
        return
    console.print()
    console.print(
        Text(f"Precision, recall and F1 against gold {result.gold} — unit: {result.unit}", "bold"),
        highlight=False,
    )
    table = new_table()
    for name in (
        "coder",
        "code",
        "true\npos.",
        "false\npos.",
        "false\nneg.",
        "precision",
        "recall",
        "F1",
    ):
        left = name in ("coder", "code")
        table.add_column(name, justify="left" if left else "right", no_wrap=True)
    for row in scores.to_dict("records"):
        if row["code"] == "(macro average)":
            table.add_section()
        pooled = row["code"] in ("(macro average)", "(pooled)")
        table.add_row(
            plain(row["coder"]),
            plain(row["code"]),
            *(
                format_number(row[c], thousands=True)
                for c in ("tp", "fp", "fn", "precision", "recall", "f1")
            ),
            style="bold" if pooled else None,
        )
    print_wide(console, table)


def print_disagreements(console: Console, result: AgreementResult) -> None:
    """One block per passage: its segment, transcript and text, then one line per code."""
    from rich.markup import escape

    frame = result.disagreements
    console.print(f"\n[bold]Disagreements ({len(frame)})[/]", highlight=False)
    if frame.empty:
        console.print("none")
        return
    keys = [frame["transcript_id"], frame["start"], frame["end"]]
    for (transcript, start, end), group in frame.groupby(keys, sort=False):
        first = group.iloc[0]
        segment = first["segment_id"] if isinstance(first["segment_id"], str) else "–"
        text = " ".join(str(first["text"]).split())
        if len(text) > _TEXT_WIDTH:
            text = text[: _TEXT_WIDTH - 1] + "…"
        console.print(
            f"\n[bold]{escape(segment)}[/]  ({escape(str(transcript))}, characters {start}–{end})",
            highlight=False,
        )
        console.print(f"  [dim]{escape(text)}[/]", highlight=False)
        for row in group.to_dict("records"):
            kind = f"  [yellow]{escape(str(row['kind']))}[/]" if "kind" in row else ""
            overlap = f"  (best overlap {row['best_overlap']:.2f})" if "best_overlap" in row else ""
            console.print(
                f"  {escape(str(row['code']))}: coded by {escape(str(row['coded_by']))}, "
                f"not by {escape(str(row['not_coded_by']))}{kind}{overlap}",
                highlight=False,
            )
