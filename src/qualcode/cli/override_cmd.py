"""`qualcode override add|remove|done`: append a coder's decision (or coverage mark) safely."""

from __future__ import annotations

from pathlib import Path

import typer

override_app = typer.Typer(
    help="Record coders' manual decisions (kept across re-runs).", no_args_is_help=True
)


def _record(
    action: str,
    segment_id: str,
    code: str,
    coder: str,
    note: str,
    directory: Path | None,
    from_: Path | None,
    force: bool,
) -> None:
    from rich.text import Text

    from qualcode.cli.render import console
    from qualcode.decisions.append import append_override
    from qualcode.decisions.ledger import coder_problem
    from qualcode.errors import OverrideError

    if (problem := coder_problem(coder)) is not None:  # before anything is read
        raise OverrideError(problem)

    from qualcode.cli.project_defaults import check_folder as default_check_folder
    from qualcode.cli.project_defaults import decisions_folder

    check_folder = default_check_folder(from_)
    directory = decisions_folder(directory, check_folder)
    if check_folder is not None and not force:
        from qualcode import models as m
        from qualcode.output.folder import load_output

        output = load_output(check_folder, segment_columns=[m.SEGMENT_ID], coding_columns=[m.CODE])
        if segment_id not in set(output.segments[m.SEGMENT_ID]):
            raise OverrideError(
                f"segment '{segment_id}' is not in {check_folder}/segments (use --force to record it anyway)"
            )
        codes = {name for name, _ in output.code_order}
        if code not in codes:
            raise OverrideError(
                f"code '{code}' is not in the codebook of {check_folder} (known: {', '.join(sorted(codes))})"
            )
    path = append_override(  # records where the segment is in check_folder (see reattach.py)
        directory,
        segment_id=segment_id,
        code=code,
        action=action,
        coder=coder,
        note=note,
        output=check_folder,
    )
    line = Text(f"Recorded: {action} ")
    line.append(code, style="bold")
    line.append(f" on {segment_id} by {coder} -> {path}")
    console.print(line, highlight=False, soft_wrap=True)  # a path is never broken in two


_SEG = typer.Argument(..., help="Segment id (see out/segments.csv).")
_CODE = typer.Argument(..., help="Code name.")
_CODER = typer.Option(..., "--coder", help="Your coder name (the file is <dir>/<coder>.csv).")
_NOTE = typer.Option("", "--note", help="Why (kept with the decision).")
_DIR = typer.Option(
    None,
    "--dir",
    help="Folder of decision files. Default: the project's decisions folder (qualcode.toml in "
    "this folder or a parent); else the decisions folder the checked run read, when it read "
    "exactly one (run.json's overrides); else overrides/.",
    show_default=False,
)
_FROM = typer.Option(
    None,
    "--from",
    help="Check the segment and code against this output folder (default: the project's out "
    "folder, else out/, if it holds a run).",
)
_FORCE = typer.Option(False, "--force", help="Record even if the segment or code is unknown.")


@override_app.command("add")
def add(
    segment_id: str = _SEG,
    code: str = _CODE,
    coder: str = _CODER,
    note: str = _NOTE,
    directory: Path | None = _DIR,
    from_: Path | None = _FROM,
    force: bool = _FORCE,
) -> None:
    """Give SEGMENT_ID the code CODE in your name.

    Example: qualcode override add it_lawyer_04.t.3fa9c1e2b7 litigation --coder anna --note "appeal to TAR"
    """
    _record("add", segment_id, code, coder, note, directory, from_, force)


@override_app.command("remove")
def remove(
    segment_id: str = _SEG,
    code: str = _CODE,
    coder: str = _CODER,
    note: str = _NOTE,
    directory: Path | None = _DIR,
    from_: Path | None = _FROM,
    force: bool = _FORCE,
) -> None:
    """Withdraw the code CODE from SEGMENT_ID (the automatic coding and your own earlier add).

    Example: qualcode override remove es_doctor_03.t.0c1d2e3f4a advocacy --coder luis
    """
    _record("remove", segment_id, code, coder, note, directory, from_, force)


@override_app.command("done")
def done(
    transcript_id: str = typer.Argument(..., help="Transcript id (see out/transcripts.csv)."),
    coder: str = _CODER,
    note: str = _NOTE,
    directory: Path | None = _DIR,
    from_: Path | None = _FROM,
    force: bool = typer.Option(False, "--force", help="Record even if the transcript is unknown."),
) -> None:
    """Mark TRANSCRIPT_ID as fully coded by you (a 'done' row in your decision file).

    Once any transcript is marked, each coder covers exactly the transcripts they marked:
    agree compares only those, and freq/matrix/cooccur --coder use them as the denominator.

    Example: qualcode override done it_lawyer_04 --coder anna
    """
    from rich.text import Text

    from qualcode.cli.render import console
    from qualcode.decisions.append import mark_done
    from qualcode.decisions.ledger import coder_problem
    from qualcode.errors import OverrideError

    if (problem := coder_problem(coder)) is not None:
        raise OverrideError(problem)
    from qualcode.cli.project_defaults import check_folder as default_check_folder
    from qualcode.cli.project_defaults import decisions_folder

    check_folder = default_check_folder(from_)
    directory = decisions_folder(directory, check_folder)
    if check_folder is not None and not force:
        from qualcode import models as m
        from qualcode.output.folder import load_output

        output = load_output(check_folder, segment_columns=[m.TRANSCRIPT_ID], coding_columns=[])
        if transcript_id not in set(output.segments[m.TRANSCRIPT_ID]):
            raise OverrideError(
                f"transcript '{transcript_id}' is not in {check_folder} (use --force to mark it anyway)"
            )
    path = mark_done(directory, transcript_id, coder=coder, note=note)
    console.print(
        Text(f"Recorded: {transcript_id} fully coded by {coder} -> {path}"),
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(override_app, name="override")
