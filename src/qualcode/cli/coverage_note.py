"""The coverage of a `--coder`: which transcripts count, and the notes printed under a table."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def coverage_notes(folder: Path, options: dict[str, Any]) -> list[str]:
    """With human coders in ``options["coder"]``, keep only the transcripts they covered.

    Sets ``options["transcripts"]`` (the union of the coders' covered transcripts) and returns
    the notes to print under the table: the denominator, where coverage comes from, and a
    warning for coverage inferred from a handful of decisions. Nothing changes for no coder
    or for ``auto`` (it covers every transcript).
    """
    from qualcode import models as m

    coders = list(options.get("coder") or [])
    if not coders or m.AUTO_CODER in coders:
        return []
    from qualcode.decisions.coverage import coverage
    from qualcode.output.folder import load_output

    columns = [m.TRANSCRIPT_ID, m.CODER, m.SOURCE]
    out = load_output(folder, segment_columns=[m.SEGMENT_ID], coding_columns=columns)
    found = coverage(out.overrides, out.codings)
    covered = sorted(frozenset().union(*(found.of(c) for c in coders)))
    options["transcripts"] = covered
    return [
        f"Denominator: the {len(covered)} transcript(s) {', '.join(coders)} covered "
        f"({found.rule()})",
        *(f"warning: {w}" for w in found.few_warnings(coders)),
    ]


def print_notes(notes: list[str], *, to_stderr: bool) -> None:
    """Print the notes under a terminal table (on stderr when the table went to a file or as
    text, so that the data stay clean)."""
    from qualcode.cli.render import console, err_console, plain

    target = err_console if to_stderr else console
    for note in notes:
        target.print(plain(note), style="yellow" if note.startswith("warning") else "dim")
