"""`qualcode explain SEGMENT_ID`: every code on a segment and where it came from."""

from __future__ import annotations

from pathlib import Path

import typer


def explain(
    segment_id: str = typer.Argument(..., help="A segment id (segments.csv, quotes, agree)."),
    from_: Path = typer.Option(Path("out"), "--from", help="Output folder of `qualcode code`."),
) -> None:
    """Explain a segment's codes: for an automatic code, the pattern id, its line in the run's
    codebook and the matched words; for a coder's decision, the coder, note, decision file:line
    and whether it was applied.

    Example: qualcode explain it_lawyer_04.t.01e21f33d3 --from out/
    """
    import pandas as pd
    from rich.markup import escape

    from qualcode.cli.render import console
    from qualcode.validity.explain import explain_segment

    found = explain_segment(from_, segment_id)
    console.print(
        f"[bold]{escape(found.segment_id)}[/] ({escape(found.transcript_id)}, {escape(found.speaker)})",
        highlight=False,
    )
    if found.auto.empty:
        console.print("auto: no pattern matched", highlight=False)
    for row in found.auto.to_dict("records"):
        line = "" if row["line"] is None else f":{row['line']}"
        console.print(
            f"  auto {escape(str(row['code']))}: {escape(str(row['pattern_id']))} "
            f"({escape(found.codebook_file)}{line}) matched “{escape(str(row['words']))}”",
            highlight=False,
        )
    for row in found.decisions.to_dict("records"):
        note = (
            f' note "{escape(str(row["note"]))}"'
            if pd.notna(row.get("note")) and row.get("note")
            else ""
        )
        console.print(
            f"  {escape(str(row['action']))} {escape(str(row['code']))} by {escape(str(row['coder']))}"
            f"{note} ({escape(str(row.get('file')))}:{row.get('line')}, {escape(str(row.get('status')))})",
            highlight=False,
        )
    layers = found.codes.groupby(["source", "coder"], sort=True)["code"].apply(
        lambda c: ", ".join(c)
    )
    for (source, coder), codes in layers.items():
        console.print(
            f"  now, {escape(str(coder))} ({escape(str(source))}): {escape(codes)}", highlight=False
        )


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)
