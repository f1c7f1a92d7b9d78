"""`qualcode adjudicate`: a reviewer settles the disagreements between two coders, one by one.

A thin layer over `qualcode.decisions.adjudicate`: it finds the open disagreements, shows each
(segment, transcript, speaker, the text with the matched words highlighted, who coded what),
asks keep / drop / skip / quit, and appends each answer at once to the reviewer's decision file
-- so quitting, or a Ctrl-C, keeps every answer given. ``--accept`` settles them all without a
question. Every piece of user text reaches the terminal as rich `Text` with control characters
replaced, never as markup.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from qualcode.cli.options import FromOption
from qualcode.cli.render import plain, terminal_safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from qualcode.decisions.adjudicate import Adjudication, Disagreement
    from qualcode.output.folder import CodedOutput

ANSWERS = {"k": "keep", "d": "drop", "s": "skip", "q": "quit"}


def decisions_dir(directory: Path | None, from_: Path, manifest: dict) -> Path:
    """Where the reviewer's decisions go: --dir; else the one decision folder the run read
    (run.json); else the project's decisions folder. Raises OverrideError when none is known."""
    from qualcode.cli.project_defaults import run_decisions_folder
    from qualcode.errors import OverrideError
    from qualcode.project import find_project

    if directory is not None:
        return directory
    read = run_decisions_folder(manifest)
    if read is not None:
        return read
    project = find_project()
    if project is not None and project.decisions is not None:
        return project.decisions
    listed = manifest.get("options", {}).get("overrides") or []
    found = ", ".join(map(str, listed)) or "none"
    raise OverrideError(
        f"cannot tell which decision folder to write to (the run in {from_} read: {found}); "
        "name it with --dir"
    )


def _reviewer_rows(directory: Path, reviewer: str):
    """The rows of the reviewer's decision file as it is now (None when there is none yet)."""
    import pandas as pd

    from qualcode import models as m
    from qualcode.decisions.ledger import read_override_file
    from qualcode.errors import OverrideError

    path = directory / f"{reviewer}.csv"
    if not path.is_file():
        return None
    rows, problems = read_override_file(path)
    if problems:
        raise OverrideError(problems=problems)
    return pd.DataFrame(rows, columns=[*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.OVERRIDE_LINE])


def _highlighted(out: CodedOutput, item: Disagreement) -> Text:
    """The segment's text, the matched words of the disputed code in bold reverse."""
    from qualcode import models as m

    segments, codings = out.segments, out.codings
    row = segments[segments[m.SEGMENT_ID] == item.segment_id].iloc[0]
    text = plain(row.get(m.TEXT, "") or "")
    start = int(row[m.START]) if m.START in row else 0
    rows = codings[(codings[m.SEGMENT_ID] == item.segment_id) & (codings[m.CODE] == item.code)]
    for spans in rows.get(m.MATCH_SPANS, []):
        for span in str(spans).split(";") if isinstance(spans, str) else []:
            first, _, last = span.strip().partition("-")
            if first.isdigit() and last.isdigit():
                text.stylize("bold reverse", int(first) - start, int(last) - start)
    return text


def _show(console: Console, out: CodedOutput, item: Disagreement, n: int, total: int) -> None:
    from rich.text import Text

    from qualcode import models as m

    segments = out.segments
    row = segments[segments[m.SEGMENT_ID] == item.segment_id].iloc[0]
    head = Text(f"[{n}/{total}] ", style="bold")
    head.append_text(plain(f"{item.segment_id} · {item.transcript_id} · speaker "))
    head.append_text(plain(row.get(m.SPEAKER, "") or "?"))
    console.print(head)
    console.print(_highlighted(out, item), soft_wrap=False)
    who = Text()
    who.append_text(plain(item.code))
    who.stylize("bold cyan")
    who.append_text(plain(": " + "; ".join(f"{c} {what}" for c, what in item.how)))
    who.append(f" (automatic coding: {'yes' if item.automatic else 'no'})", style="dim")
    console.print(who)


def _ask(code: str) -> str:
    """keep, drop, skip or quit (an end of input or a Ctrl-C is quit)."""
    from qualcode.cli.render import console

    while True:
        try:
            answer = typer.prompt(f"{terminal_safe(code)}: [k]eep / [d]rop / [s]kip / [q]uit")
        except typer.Abort:
            return "quit"
        choice = ANSWERS.get(answer.strip().lower()[:1])
        if choice is not None:
            return choice
        console.print("Answer k, d, s or q.", style="yellow")


def _walk(out: CodedOutput, found: Adjudication, directory: Path, note: str) -> tuple[int, int]:
    """Ask about each open disagreement; returns (decisions recorded, disagreements left)."""
    from qualcode.cli.render import console
    from qualcode.decisions.adjudicate import choice_action, record_decision

    recorded, total = 0, len(found.open)
    for n, item in enumerate(found.open, start=1):
        _show(console, out, item, n, total)
        choice = _ask(item.code)
        console.print()
        if choice == "quit":
            break
        if choice != "skip":
            action = choice_action(choice)
            record_decision(directory, found.reviewer, item, action, note, output=out.folder)
            recorded += 1
    return recorded, total - recorded


def adjudicate(
    from_: FromOption = Path("out"),
    coders: str = typer.Option(
        ..., "--coders", help="The two coders whose disagreements to settle, e.g. anna,ben."
    ),
    reviewer: Optional[str] = typer.Option(  # noqa: UP045 - typer reads annotations at runtime
        None,
        "--reviewer",
        help="Your name: the decisions go to DIR/NAME.csv. Default: the project file's "
        "reviewer, when it names exactly one.",
    ),
    codes: Optional[list[str]] = typer.Option(  # noqa: UP045
        None, "--code", help="Only these codes (repeatable; a parent brings its children)."
    ),
    directory: Optional[Path] = typer.Option(  # noqa: UP045
        None,
        "--dir",
        help="Folder of decision files to append to. Default: the one decision folder the run "
        "in --from read (its run.json), else the project's decisions folder.",
    ),
    accept: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--accept",
        help="Settle every open disagreement without asking, for scripts: a coder's name (that "
        "coder's view wins), union (keep every code either coder has) or intersection (keep "
        "only codes both have).",
    ),
) -> None:
    """Settle the disagreements between two coders, one by one, as a reviewer.

    Two coders disagree where one coder's view of the coding (the automatic coding plus their
    own decisions: their --layer) has a code on a segment and the other's has not, on the
    transcripts both of them covered. For each, adjudicate shows the segment (id, transcript,
    speaker, the text with the matched words highlighted) and who coded what, and asks: keep the
    code, drop it, skip, or quit. Each answer is appended at once to your decision file as an
    ordinary decision (keep = add, drop = remove), which the final layer applies after every
    coder's decision.

    Quitting keeps every answer given; the next run resumes with the disagreements you have not
    decided (a coder's later decision opens one again). The decisions count once `qualcode code`
    has read them: re-run it, then count the final layer with freq, matrix or report and
    --reviewer NAME (or the project's reviewers).

    Example: qualcode adjudicate --from out --coders coder_b,coder_c --reviewer maria
    """
    from qualcode.cli.layer_options import project_reviewers
    from qualcode.cli.render import console
    from qualcode.decisions.adjudicate import check_accept, find_disagreements, record_accepted
    from qualcode.errors import AnalysisError
    from qualcode.output.folder import load_output

    if reviewer is None:
        named = project_reviewers()
        if len(named) != 1:
            raise AnalysisError("name the reviewer with --reviewer NAME")
        reviewer = named[0]
    pair = [c.strip() for c in coders.split(",") if c.strip()]
    out = load_output(from_)
    folder = decisions_dir(directory, from_, out.manifest)
    found = find_disagreements(
        out.segments, out.codings, out.overrides, out.code_order, pair, reviewer,
        reviewer_rows=_reviewer_rows(folder, reviewer), codes=codes or None,
    )  # fmt: skip
    a, b = found.coders
    note = f"adjudicated {a} vs {b}" + (f": --accept {accept}" if accept else "")
    if accept is not None:
        check_accept(accept, found.coders)
        recorded = record_accepted(folder, reviewer, found.open, accept, note, output=from_)
        left = 0
    else:
        _intro(console, found)
        recorded, left = _walk(out, found, folder, note) if found.open else (0, 0)
    _summary(console, out, found, folder, recorded, left, accept)


def _intro(console: Console, found: Adjudication) -> None:
    a, b = found.coders
    line = (
        f"{len(found.open)} disagreement(s) between {a} and {b} to settle on "
        f"{len(found.transcripts)} transcript(s) both covered"
    )
    if found.decided:
        line += f" ({found.decided} decided earlier)"
    console.print(plain(line + "."))
    if found.excluded:
        console.print(
            plain(f"Not compared (covered by one of them only): {', '.join(found.excluded)}"),
            style="dim",
        )  # noqa: E501
    console.print()


def _summary(
    console: Console,
    out: CodedOutput,
    found: Adjudication,
    folder: Path,
    recorded: int,
    left: int,
    accept: str | None,
) -> None:
    how = f" (--accept {accept})" if accept else ""
    path = folder / f"{found.reviewer}.csv"
    console.print(
        plain(f"Recorded {recorded} decision(s){how} in {path}; {left} disagreement(s) left.")
    )
    if not recorded:
        return
    read = [str(p) for p in out.manifest.get("options", {}).get("overrides") or []]
    command = out.manifest.get("command") or "qualcode code ..."
    if os.path.normpath(str(folder)) not in {os.path.normpath(p) for p in read}:
        # --overrides replaces the folders found by default: name those too.
        named = read if "--overrides" not in command else []
        command += "".join(f" --overrides {p}" for p in [*named, str(folder)])
    console.print(
        plain(
            f"They count once qualcode code has read them: re-run `{command}`, then e.g. "
            f"`qualcode freq --from {out.folder} --reviewer {found.reviewer}`."
        ),
        style="dim",
    )


def register(app: typer.Typer) -> None:
    """Add adjudicate to the `qualcode` app."""
    app.command("adjudicate")(adjudicate)
