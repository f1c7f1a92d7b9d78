"""`qualcode codebook check`: validate a codebook and show it as a table."""

from __future__ import annotations

from pathlib import Path

import typer

codebook_app = typer.Typer(help="Work with codebooks.", no_args_is_help=True)


@codebook_app.command("check")
def check(file: Path = typer.Argument(..., help="Codebook YAML file.")) -> None:
    """Validate a codebook (every problem reported at once, with its line) and print it.

    Example: qualcode codebook check codebooks/cso_dilemmas.yaml
    """
    from rich.table import Table

    from qualcode.cli.render import console
    from qualcode.codebook import load_codebook

    book = load_codebook(file)
    table = Table(title=f"{book.name} {book.version}".strip(), header_style="bold", show_lines=True)
    for column in ("code", "definition", "include / exclude", "patterns"):
        table.add_column(column)
    for code in book.codes:
        counts: dict[str, int] = {}
        for p in code.patterns:
            counts[p.language] = counts.get(p.language, 0) + 1
        patterns = ", ".join(f"{lang} {n}" for lang, n in sorted(counts.items()))
        if code.exclude_patterns:
            patterns += f"\n{len(code.exclude_patterns)} exclusion(s)"
        name = f"  {code.name}" if code.parent else f"[bold]{code.name}[/]"
        rules = "\n".join(
            x
            for x in (
                f"+ {code.include}" if code.include else "",
                f"- {code.exclude}" if code.exclude else "",
            )
            if x
        )
        table.add_row(
            name, code.definition, rules, patterns or ("manual" if code.manual else "parent")
        )
    console.print(table)
    n_patterns = sum(len(c.patterns) for c in book.codes)
    console.print(
        f"[green]OK[/] {file}: {len(book.codes)} codes, {n_patterns} patterns, languages {', '.join(book.languages)}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(codebook_app, name="codebook")
