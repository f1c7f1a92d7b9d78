"""`qualcode init`: write a project file (qualcode.toml) holding a project's defaults."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from qualcode.models import UNITS


def _names(value: str | None, option: str) -> list[str]:
    """A comma-separated list of coder names, checked and without repeats."""
    from qualcode.decisions.ledger import coder_problem
    from qualcode.errors import ProjectError

    names: list[str] = []
    for raw in (value or "").split(","):
        name = raw.strip()
        if not name or name in names:
            continue
        if (problem := coder_problem(name)) is not None:
            raise ProjectError(f"{option}: {problem}")
        names.append(name)
    return names


def init(
    folder: Path = typer.Argument(
        Path("."),
        metavar="FOLDER",
        help="Project folder, where qualcode.toml is written (created if missing).",
    ),
    transcripts: list[Path] | None = typer.Option(
        None,
        "--transcripts",
        "-t",
        help="Transcript folders or files (repeatable). Default: FOLDER/transcripts, else the "
        "one folder of FOLDER whose name contains 'transcripts'.",
        show_default=False,
    ),
    codebook: Path = typer.Option(..., "--codebook", "-c", help="Codebook YAML file."),
    meta: Path | None = typer.Option(
        None,
        "--meta",
        help="Participant sheet (.csv/.xlsx). Default: none in the file, so `qualcode code` "
        "takes participants.csv from inside a transcripts folder.",
    ),
    decisions: Path | None = typer.Option(
        None,
        "--decisions",
        help="Decisions folder (coders' override files; created by the first `qualcode "
        "override`). Default: FOLDER/overrides if it exists, else FOLDER/decisions.",
        show_default=False,
    ),
    unit: str = typer.Option("turn", "--unit", "-u", help=f"Segment unit: {' | '.join(UNITS)}."),
    coders: str | None = typer.Option(
        None, "--coders", help="Coder names, comma-separated (e.g. anna,luis)."
    ),
    reviewers: str | None = typer.Option(
        None,
        "--reviewers",
        help="Reviewer names, comma-separated: their decisions win in the final layer.",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder. Default: FOLDER/out.", show_default=False
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace an existing qualcode.toml in FOLDER."
    ),
) -> None:
    """Write FOLDER/qualcode.toml, the project file that holds the project's defaults.

    Inside the project (FOLDER or any folder below it) `qualcode code` with no arguments codes
    the project's transcripts with its codebook, meta sheet, decisions folder and unit into its
    out folder; analysis commands read that out folder and `qualcode override` writes to the
    decisions folder. Flags always override the file. Paths given here are relative to the
    current folder; the file stores them relative to FOLDER when they lie inside it. Nothing
    but the file (and FOLDER itself, when missing) is created; an existing file is kept unless
    --force. See docs/project.md.

    Example: qualcode init --transcripts transcripts_sample --codebook codebooks/cso_dilemmas.yaml
    """
    from qualcode.cli.project_defaults import near
    from qualcode.cli.render import console
    from qualcode.output.atomic import atomic_write_file
    from qualcode.project import draft_project

    draft = draft_project(
        folder,
        transcripts=transcripts or (),
        codebook=codebook,
        meta=meta,
        decisions=decisions,
        unit=unit,
        out=out,
        coders=_names(coders, "--coders"),
        reviewers=_names(reviewers, "--reviewers"),
        force=force,
    )
    if draft.create_folder:
        draft.path.parent.mkdir()
    atomic_write_file(draft.path, lambda tmp: tmp.write_text(draft.text, encoding="utf-8"))
    console.print(f"Wrote {near(draft.path)}:", markup=False, highlight=False)
    typer.echo(draft.text, nl=False)  # as written: never re-wrapped to the terminal's width
    root = near(draft.path.parent)
    step = "qualcode code" if root == Path(".") else f"cd {shlex.quote(str(root))} && qualcode code"
    console.print(f"Next: {step}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
