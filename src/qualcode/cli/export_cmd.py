"""`qualcode export qdpx|qdc` and `qualcode import qdpx|qdc`: exchange with other QDA tools.

Thin wrappers over `qualcode.exchange.refi_project` and `refi` (export) and `refi_import` (import);
see docs/exchange.md.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer

from qualcode.cli.out_folder import FORCE_OPTION, warn_kept_files
from qualcode.cli.redaction import KEY_FILE_OPTION, PSEUDONYMISE_OPTION, redacted_folder
from qualcode.models import DEFAULT_INTERVIEWER_LABELS, UNITS

export_app = typer.Typer(
    help="Export to other QDA software (REFI-QDA: NVivo, ATLAS.ti, MAXQDA, QualCoder).",
    no_args_is_help=True,
)
import_app = typer.Typer(
    help="Import from other QDA software (REFI-QDA: NVivo, ATLAS.ti, MAXQDA, QualCoder).",
    no_args_is_help=True,
)
_DEFAULT_LABELS = ", ".join(DEFAULT_INTERVIEWER_LABELS)


@export_app.command("qdpx")
def export_qdpx(
    from_: Path = typer.Option(Path("out"), "--from", help="Output folder of `qualcode code`."),
    output: Path = typer.Option(..., "--output", "-o", help="The .qdpx file to write."),
    name: str | None = typer.Option(
        None, "--name", help="Project name shown by the other tool (default: the folder's name)."
    ),
    offsets: str = typer.Option(
        "codepoint",
        "--offsets",
        help="Unit of selection positions: codepoint (default) or utf16.",
    ),
    pseudonymise: Path | None = PSEUDONYMISE_OPTION,
    key_file: Path = KEY_FILE_OPTION,
) -> None:
    """Write a coded output folder as a REFI-QDA project (.qdpx).

    Transcripts become text sources, codes keep their hierarchy and definitions, every coding
    (automatic ones by the user 'auto', manual ones by their coder) becomes a coded text
    selection, and country, role, language and other metadata become case variables.

    Example: qualcode export qdpx --from out/ -o project.qdpx
    """
    from qualcode.cli.render import console, plain, print_warning
    from qualcode.exchange.refi_project import export_qdpx as run

    with redacted_folder(from_, pseudonymise, key_file) as folder:
        report = run(folder, output, name=name or from_.name, offsets=offsets)
    for warning in report.warnings:
        print_warning(warning)
    console.print(
        plain(
            f"Wrote {report.path}: {report.sources} transcripts, {report.codes} codes, "
            f"{report.selections} codings by {', '.join(report.users)}."
        )
    )


@export_app.command("qdc")
def export_qdc(
    codebook: Path = typer.Option(..., "--codebook", "-c", help="Codebook YAML file."),
    output: Path = typer.Option(..., "--output", "-o", help="The .qdc file to write."),
) -> None:
    """Write a codebook as a REFI-QDA codebook (.qdc): codes, hierarchy, definitions, colors.

    Example: qualcode export qdc --codebook codebooks/cso_dilemmas.yaml -o codebook.qdc
    """
    from qualcode.cli.render import console, plain
    from qualcode.exchange.refi import export_qdc as run

    report = run(codebook, output)
    console.print(plain(f"Wrote {report.path}: {report.codes} codes."))


@import_app.command("qdpx")
def import_qdpx(
    project: Path = typer.Argument(..., help="REFI-QDA project (.qdpx) exported by a QDA tool."),
    out: Path = typer.Option(
        Path("imported"),
        "--out",
        "-o",
        help="Output folder to write (replaced atomically; only a folder qualcode wrote).",
    ),
    force: bool = FORCE_OPTION,
    language: str = typer.Option(
        "en", "--language", "-l", help="Language of sources without a language variable."
    ),
    unit: str | None = typer.Option(
        None,
        "--unit",
        "-u",
        help=f"Segment unit: {' | '.join(UNITS)} (default: turn, or the unit of a qualcode export).",
    ),
    interviewer: list[str] | None = typer.Option(
        None,
        "--interviewer-label",
        help=f"Speaker label of the interviewer (repeatable; default: {_DEFAULT_LABELS}).",
    ),
    offsets: str = typer.Option(
        "auto",
        "--offsets",
        help="How the tool counted positions: auto (default), codepoint or utf16.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print the import summary as JSON."),
) -> None:
    """Import a REFI-QDA project (.qdpx) as a qualcode output folder.

    Text sources become transcripts (segmented into turns), the codes a codebook
    (OUT/codebook.yaml), each REFI user a coder, so `freq`, `matrix` and `agree --from OUT`
    work directly. Every coded selection is accounted for in one line (and in run.json):
    imported, merged with another selection of the same segment, code and coder (spans kept),
    or skipped with its reason (PDF or media sources, codings of missing codes, positions
    beyond the text...).

    Example: qualcode import qdpx project.qdpx --out imported/
    """
    from qualcode.cli.render import console, print_warning
    from qualcode.exchange.refi_account import selections_line
    from qualcode.exchange.refi_import import import_qdpx as run

    warn_kept_files(out, force)
    report = run(
        project,
        out,
        force=force,
        language=language,
        unit=unit,
        interviewer_labels=tuple(interviewer) if interviewer else DEFAULT_INTERVIEWER_LABELS,
        offsets=offsets,
        command=shlex.join(["qualcode", *sys.argv[1:]]),
    )
    if as_json:
        payload = {
            "out": report.out.as_posix(),
            "origin": report.origin,
            "unit": report.unit,
            "transcripts": report.transcripts,
            "segments": report.segments,
            "codes": report.codes,
            "codings": report.codings,
            "selections": report.selections,
            "skipped": report.skipped,
            "warnings": report.warnings,
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if quiet:
        return
    from rich.markup import escape

    codings = ", ".join(f"{coder} {n}" for coder, n in report.codings.items()) or "none"
    origin = f" ({report.origin})" if report.origin else ""
    console.print(
        f"[bold]Imported {report.transcripts} transcripts[/] from {escape(project.name)}"
        f"{escape(origin)}: {report.segments} segments ({report.unit}), {report.codes} codes; "
        f"codings by coder: {escape(codings)}."
    )
    console.print(selections_line(report.selections), markup=False, highlight=False)
    for warning in report.warnings:
        print_warning(warning)
    wrote = f"Wrote {report.out}/ (codebook.yaml, segments, codings, overrides, run.json)"
    console.print(wrote, markup=False, highlight=False)


@import_app.command("qdc")
def import_qdc(
    codebook: Path = typer.Argument(
        ...,
        help="REFI-QDA codebook (.qdc), or a REFI-QDA project (.qdpx) whose codebook to take.",
    ),
    output: Path = typer.Option(..., "--output", "-o", help="The codebook YAML file to write."),
) -> None:
    """Convert a REFI-QDA codebook (.qdc) into a qualcode codebook YAML (codes `manual: true`).

    A project (.qdpx) exported by NVivo, ATLAS.ti, MAXQDA, QualCoder or qualcode works too: its
    codebook is taken (codes, hierarchy, definitions, colors) and its sources and codings are
    left aside (use `import qdpx` for those). A zip that is not a REFI-QDA project, or a project
    without codes, is refused with one line and nothing is written.

    Example: qualcode import qdc project.qdpx -o codebooks/imported.yaml
    """
    from qualcode.cli.render import console, plain
    from qualcode.exchange.refi_import import import_qdc as run

    count = run(codebook, output)
    console.print(
        plain(
            f"Wrote {output}: {count} codes (add patterns to a code and drop its `manual: true` "
            "to auto-code it)."
        )
    )


def register(app: typer.Typer) -> None:
    """Add the `export` and `import` command groups to the `qualcode` app."""
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
