"""`qualcode codebook test`: measure a codebook on labelled passages, or explain one text."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from qualcode.cli.codebook_cmd import codebook_app

SHOW_HELP = "List passages: misses (a labelled code not given), false-positives, or all."


@codebook_app.command("test")
def test(
    codebook: Path = typer.Argument(..., help="Codebook YAML file."),
    gold: Path | None = typer.Option(
        None, "--gold", help="Labelled passages: JSONL or CSV with id, language, text, codes."
    ),
    split: str | None = typer.Option(
        None, "--split", help="Only this split of the gold file: dev or test."
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Also score a trivial coder: keywords (see docs/codebook.md)."
    ),
    show: str | None = typer.Option(None, "--show", help=SHOW_HELP),
    text: str | None = typer.Option(
        None, "--text", help="Explain one text instead ('-' reads it from stdin)."
    ),
    language: str | None = typer.Option(
        None, "--language", help="Language of --text (default: guessed from its stop words)."
    ),
    fmt: str | None = typer.Option(None, "--format", help="json, csv or md instead of tables."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write the result to this file."
    ),
) -> None:
    """Measure a codebook on passages people labelled: precision, recall and F1 per code and per
    language, macro and micro averages, and how many no-code passages got a code.

    With --text, show which codes fire on one text, each with its pattern id, YAML line and the
    matched words, and the tokens with the lemmas the patterns see.

    Example: qualcode codebook test codebooks/cso_dilemmas.yaml --gold gold.jsonl --split dev --show misses

    Example: qualcode codebook test codebooks/cso_dilemmas.yaml --text "Abbiamo fatto ricorso al TAR"
    """
    from qualcode.cli import codebook_test_render as render
    from qualcode.codebook import load_codebook
    from qualcode.errors import GoldError

    book = load_codebook(codebook)
    if (gold is None) == (text is None):
        raise GoldError("give either --gold FILE (labelled passages) or --text TEXT (one text)")
    if gold is None:  # so --text was given
        render.explain(book, sys.stdin.read() if text == "-" else str(text), language)
        return
    _check_choice("--show", show, ("misses", "false-positives", "all"))
    _check_choice("--format", fmt, ("json", "csv", "md"))
    _check_choice("--baseline", baseline, ("keywords",))
    render.measure(book, gold, split=split, baseline=baseline, show=show, fmt=fmt, output=output)


def _check_choice(option: str, value: str | None, choices: tuple[str, ...]) -> None:
    from qualcode.errors import GoldError

    if value is not None and value not in choices:
        raise GoldError(f"{option} must be one of {', '.join(choices)}, not '{value}'")


def register(app: typer.Typer) -> None:
    """The command is added to the `codebook` group when this module is imported."""
