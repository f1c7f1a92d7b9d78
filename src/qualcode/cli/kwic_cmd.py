"""`qualcode kwic`: keyword in context across the transcripts of an output folder, and accepting
hits as coders' decisions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from qualcode.cli.options import FormatOption, FromOption, InterviewerOption, OutputOption
from qualcode.cli.render import plain

if TYPE_CHECKING:
    from qualcode.assist.concordance import Concordance

REVIEW = "Accept hits as decisions"


def kwic_command(
    term: Optional[str] = typer.Argument(  # noqa: UP045 - typer reads it at runtime on 3.10
        None, help="Word or phrase to find (lower-cased forms; with --lemma every inflection)."
    ),
    from_: FromOption = Path("out"),
    pattern: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--pattern",
        help='Instead of TERM, a codebook-style pattern: a phrase ("presentare * ricorso", '
        'lemmas, * = up to two words) or a mapping ("{regex: TAR}", "{tokens: [...]}").',
    ),
    lemma: bool = typer.Option(False, "--lemma", help="Match TERM's lemma (all its forms)."),
    language: Optional[str] = typer.Option(  # noqa: UP045
        None, "--language", help="Only segments in this language (en, it, es, ...)."
    ),
    window: int = typer.Option(8, "--window", min=0, help="Words of context on each side."),
    include_interviewer: InterviewerOption = False,
    fmt: FormatOption = None,
    output: OutputOption = None,
    code: Optional[str] = typer.Option(  # noqa: UP045
        None, "--code", help="The code to give accepted hits.", rich_help_panel=REVIEW
    ),
    coder: Optional[str] = typer.Option(  # noqa: UP045
        None, "--coder", help="Your coder name (overrides/<coder>.csv).", rich_help_panel=REVIEW
    ),
    accept: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--accept",
        help="'all', or hit numbers (#) and segment ids separated by commas: each segment is "
        "given --code by --coder, one decision per segment, applied by the next `qualcode code`.",
        rich_help_panel=REVIEW,
    ),
    directory: Path = typer.Option(
        Path("overrides"), "--dir", help="Folder of decision files.", rich_help_panel=REVIEW
    ),
) -> None:
    """Keyword in context: every occurrence of TERM (or --pattern) in the coded segments, with
    WINDOW words on each side, the transcript, speaker, segment id and the codes already on the
    segment. Matching is `qualcode code`'s own (lemmas from the lookup tables, no model).

    Review the hits, then accept some as decisions: --code C --coder NAME --accept 1,4,7 (or
    --accept all) appends one `add` decision per segment to overrides/NAME.csv, exactly as
    `qualcode override add` would.

    Example: qualcode kwic ricorso --from out/ --lemma --language it --window 6

    Example: qualcode kwic --pattern "presentare * ricorso" --from out/ --code litigation --coder anna --accept all
    """
    from qualcode.assist.concordance import kwic, pattern_item
    from qualcode.errors import AnalysisError
    from qualcode.output.folder import load_output

    if accept is not None and (code is None or coder is None):
        raise AnalysisError("--accept needs --code CODE and --coder NAME")
    out = load_output(from_)
    found = kwic(
        out,
        pattern_item(term, pattern, lemma),
        language=language,
        window=window,
        include_interviewer=include_interviewer,
    )
    _show(found, fmt, output)
    if accept is not None and code is not None and coder is not None:
        _accept(out, found, accept, code, coder, directory)


def _show(found: Concordance, fmt, output: Path | None) -> None:
    from rich.table import Table
    from rich.text import Text

    from qualcode.assist import concordance as k
    from qualcode.cli.render import console, err_console, write_tables_or_text
    from qualcode.models import SPEAKER, TRANSCRIPT_ID

    if write_tables_or_text({"kwic": found.hits}, fmt, output):
        return
    hits = found.hits
    if hits.empty:
        err_console.print(plain(f"No match for {found.query}."))
        return
    table = Table(title=Text(f"{len(hits)} hits of {found.query}"), header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("where", ratio=2)
    table.add_column("left", justify="right", ratio=4)
    table.add_column("match", style="bold")
    table.add_column("right", ratio=4)
    table.add_column("codes", ratio=2)
    for row in hits.to_dict("records"):
        where = f"{row[TRANSCRIPT_ID]} {row[SPEAKER]}"
        table.add_row(
            str(row[k.HIT]),
            Text(where),
            *(plain(row[c]) for c in (k.LEFT, k.MATCH, k.RIGHT, k.CODES_ON_SEGMENT)),
        )
    console.print(table)


def _accept(out, found: Concordance, accept: str, code: str, coder: str, directory: Path) -> None:
    from rich.text import Text

    from qualcode.assist.accept import coded_by, parse_selection, record_additions
    from qualcode.assist.accept import resolve_selection as resolve
    from qualcode.assist.decided import pick_codes
    from qualcode.cli.render import err_console

    pick_codes(out, [code])
    chosen = resolve(parse_selection(accept), found.numbered(), f"hits of {found.query}")
    done = record_additions(
        directory,
        chosen,
        code=code,
        coder=coder,
        note=f"kwic: {found.query}",
        already=coded_by(out.codings, coder, code),
        output=out.folder,
    )
    message = f"Recorded {len(done.recorded)} decision(s): add {code} by {coder}"
    if done.path is not None:
        message += f" -> {done.path}; the next `qualcode code` applies them"
    if done.already_coded:
        message += f" ({len(done.already_coded)} segment(s) already had {code} from {coder})"
    err_console.print(Text(message), soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("kwic")(kwic_command)
