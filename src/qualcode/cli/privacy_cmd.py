"""`qualcode pseudonymise`: pseudonymised copies of transcripts or output folders, and --check."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from qualcode.cli.out_folder import FORCE_OPTION, warn_kept_files

DEFAULT_KEY_FILE = Path(".qualcode-key")


def pseudonymise(
    inputs: list[Path] | None = typer.Argument(
        None,
        metavar="TRANSCRIPTS",
        help="Transcript files or folders (with --check: output folders of `qualcode code` too).",
        show_default=False,
    ),
    from_: Path | None = typer.Option(
        None, "--from", help="Pseudonymise this output folder of `qualcode code` instead."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Folder to write (replaced atomically; never the input)."
    ),
    force: bool = FORCE_OPTION,
    identifiers: Path | None = typer.Option(
        None,
        "--identifiers",
        "-i",
        help="YAML file of people, places and organisations (with variants) and an allow-list.",
    ),
    key_file: Path = typer.Option(
        DEFAULT_KEY_FILE,
        "--key-file",
        help="Project secret for the placeholder numbers; created (mode 600) if missing. "
        "Keep it private and out of version control.",
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Only list candidate identifiers still present, with file:line, for review.",
    ),
    language: str = typer.Option(
        "en", "--language", "-l", help="Language of transcripts whose front matter names none."
    ),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of the transcripts."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON (for scripts)."),
) -> None:
    """Replace names, places, contacts and ID numbers with consistent placeholders.

    Each listed person, place or organisation (--identifiers, plus names under `interviewee:`
    and similar metadata keys) becomes a numbered placeholder such as [PERSON-4821], the same
    everywhere and in every run with the same key file; e-mails, phone and ID numbers, street
    addresses and exact dates become [EMAIL], [PHONE], [ID-NUMBER], [ADDRESS], [DATE]. Offsets
    of coded passages are moved onto the new text. Detection is pattern-based and misses
    things: run --check on the result and read what it lists before sharing anything.

    Examples:
      qualcode pseudonymise transcripts_sample --identifiers identifiers.yaml -o pseudo/
      qualcode pseudonymise --from out/ --identifiers identifiers.yaml -o out_pseudo/
      qualcode pseudonymise --check pseudo/ --identifiers identifiers.yaml
    """
    from qualcode.privacy.identifiers import Identifiers, PseudonymiseError, load_identifiers

    ids = load_identifiers(identifiers) if identifiers is not None else None
    if check:
        sources = [*(inputs or []), *([from_] if from_ is not None else [])]
        if not sources:
            raise PseudonymiseError("--check needs transcripts or output folders to scan")
        _check(sources, ids, language, encoding, quiet, as_json)
        return
    if out is None:
        raise PseudonymiseError("give the folder to write with -o/--out")
    if bool(inputs) == (from_ is not None):
        raise PseudonymiseError("give either transcripts or --from OUTPUT_FOLDER, not both")
    from qualcode.cli.render import console, print_warning
    from qualcode.privacy.files import pseudonymise_transcripts
    from qualcode.privacy.key import load_key
    from qualcode.privacy.output_copy import pseudonymise_output

    key = load_key(key_file)
    if key.created and not quiet:
        print_warning(
            f"created the key file {key_file} (mode 600): keep it private and out of version "
            "control; the same key gives the same placeholders next time"
        )
    for warning in key.warnings:
        print_warning(warning)
    if ids is None:
        ids = Identifiers()
        if not quiet:
            print_warning(
                "no --identifiers file: only metadata names and pattern-based identifiers "
                "(e-mails, phones, ID numbers, addresses, dates) are replaced"
            )
    warn_kept_files(out, force)
    if from_ is not None:
        result = pseudonymise_output(from_, out, ids, key, force=force)
    else:
        result = pseudonymise_transcripts(
            inputs or [], out, ids, key, language=language, encoding=encoding, force=force
        )
    if as_json:
        payload = {
            "out": out.as_posix(),
            "transcripts": result.transcripts,
            "replacements": result.replacements,
            "listed_identifiers": result.listed,
            "warnings": result.warnings,
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if quiet:
        return
    counts = ", ".join(f"{k} {v}" for k, v in result.replacements.items()) or "none"
    console.print(
        f"Pseudonymised {result.transcripts} transcripts -> {out}: replaced {counts}.",
        markup=False,
        highlight=False,
    )
    for warning in result.warnings:
        print_warning(warning)
    console.print(
        f"Before sharing, run: qualcode pseudonymise --check {out}"
        + (f" --identifiers {identifiers}" if identifiers else "")
        + "  and read every line it lists.",
        markup=False,
        highlight=False,
    )


def _check(sources, ids, language: str, encoding: str, quiet: bool, as_json: bool) -> None:
    from qualcode.cli.render import console
    from qualcode.privacy.residual import ResidualsFound
    from qualcode.privacy.residual_folder import find_residuals

    found = find_residuals(sources, ids, language=language, encoding=encoding)
    if as_json:
        typer.echo(json.dumps(found.to_dict("records"), indent=2, ensure_ascii=False))
    elif not quiet:
        for row in found.itertuples(index=False):
            console.print(
                f"{row.file}:{row.line}:{row.column}: {row.kind}: {row.candidate}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    if len(found):
        raise ResidualsFound(
            f"{len(found)} candidate identifier(s) in {found['file'].nunique()} file(s): read "
            "each one before sharing; list words that identify nobody under `allow:` in the "
            "identifiers file"
        )
    if not quiet and not as_json:
        console.print(
            "No candidate identifiers found (the scan is heuristic: still read the text).",
            markup=False,
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.command("pseudonymise")(pseudonymise)
