"""`qualcode codebook suggest`: words and phrases behind the codebook's misses, ranked by keyness."""

from __future__ import annotations

from pathlib import Path

import typer

from qualcode.cli.codebook_cmd import codebook_app


@codebook_app.command("suggest")
def suggest(
    codebook: Path | None = typer.Argument(
        None, help="Codebook YAML file (with --gold; with --from, the run's copy is used)."
    ),
    gold: Path | None = typer.Option(None, "--gold", help="Labelled passages (JSONL or CSV)."),
    split: str | None = typer.Option(
        None, "--split", help="Only this split of the gold file (use dev)."
    ),
    from_: Path | None = typer.Option(None, "--from", help="Output folder of `qualcode code`."),
    coder: str | None = typer.Option(
        None, "--coder", help="With --from: learn from this coder's decisions."
    ),
    code: list[str] = typer.Option([], "--code", help="Only this code (repeatable)."),
    limit: int = typer.Option(10, "--limit", min=1, help="Terms per code and language."),
    fmt: str | None = typer.Option(None, "--format", help="json, csv or md instead of tables."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write the result to this file."
    ),
) -> None:
    """Suggest patterns from misses: per code and language, the lemmas and 2-3 word phrases most
    over-represented in passages a person gave the code but the codebook missed (log-likelihood
    G² against passages without the code, with Hardie's log ratio as effect size), with counts,
    two contexts and a pattern ready to paste; then the patterns behind most false positives.
    The codebook is never edited: you decide what to add. (To rank segments for a coder to
    code, with a model learned from their decisions, see `qualcode suggest`.)

    Example: qualcode codebook suggest codebooks/cso_dilemmas.yaml --gold gold.jsonl --split dev

    Example: qualcode codebook suggest --from out/ --coder coder_b --code litigation
    """
    from qualcode.cli import codebook_suggest_render as render
    from qualcode.errors import GoldError

    if (gold is None) == (from_ is None):
        raise GoldError("give either --gold FILE (with CODEBOOK) or --from OUT --coder NAME")
    if fmt is not None and fmt not in ("json", "csv", "md"):
        raise GoldError(f"--format must be one of json, csv, md, not '{fmt}'")
    found = render.compute(codebook, gold, split, from_, coder, code, limit)
    render.show(found, fmt, output)


def register(app: typer.Typer) -> None:
    """The command is added to the `codebook` group when this module is imported."""
