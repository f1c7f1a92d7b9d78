"""`qualcode codebook check`: validate a codebook and show it as a table."""

from __future__ import annotations

from pathlib import Path

import typer

codebook_app = typer.Typer(help="Work with codebooks.", no_args_is_help=True)


@codebook_app.command("check")
def check(
    file: Path = typer.Argument(..., help="Codebook YAML file."),
    strict: bool = typer.Option(
        False, "--strict", help="Failing examples or counterexamples are errors, not warnings."
    ),
) -> None:
    """Validate a codebook (every problem reported at once, with its line) and print it.

    Also runs each code's examples (they must get the code) and counterexamples (they must not)
    through the matchers: a failure is a warning with its YAML line, an error with --strict.

    Example: qualcode codebook check codebooks/cso_dilemmas.yaml --strict
    """
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from qualcode.cli.render import console, plain
    from qualcode.codebook import codebook_table, load_codebook

    book = load_codebook(file)
    title = plain(f"{book.name} {book.version}".strip())
    table = Table(title=title, header_style="bold", show_lines=True)
    for column in ("code", "definition", "include / exclude", "patterns"):
        table.add_column(column)
    for row in codebook_table(book).itertuples(index=False):
        patterns = row.patterns
        if row.exclusions:
            patterns += f"\n{row.exclusions} exclusion(s)"
        name = (
            plain(f"  {row.code}") if isinstance(row.parent, str) else Text(row.code, style="bold")
        )
        rules = "\n".join(
            x
            for x in (
                f"+ {row.include}" if row.include else "",
                f"- {row.exclude}" if row.exclude else "",
            )
            if x
        )
        table.add_row(
            name,
            plain(row.definition),
            plain(rules),
            plain(patterns or ("manual" if row.manual else "parent")),
        )
    console.print(table)
    n_patterns = sum(len(c.patterns) for c in book.codes)
    console.print(
        f"[green]OK[/] {escape(str(file))}: {len(book.codes)} codes, {n_patterns} patterns, "
        f"languages {escape(', '.join(book.languages))}"
    )
    _run_examples(book, strict)
    from qualcode.matching.matcher import whole_segment_reasons

    for language in book.languages:
        reasons = whole_segment_reasons(book, language)
        if reasons:
            console.print(
                f"[yellow]note:[/] {escape(language)}: every segment will be tokenized whole (slower), "
                f"because {len(reasons)} pattern(s) cannot be found by a word they require:",
                highlight=False,
            )
            for reason in reasons:
                console.print(f"  {escape(reason)}", highlight=False)


def _run_examples(book, strict: bool) -> None:
    from qualcode.cli.render import console, print_warning
    from qualcode.errors import CodebookError
    from qualcode.validity.examples import check_examples

    problems = check_examples(book)
    checked = sum(len(c.checks) for c in book.codes)
    if problems and strict:
        raise CodebookError(problems=problems)
    for problem in problems:
        print_warning(str(problem))
    if checked:
        console.print(f"examples: {checked - len(problems)} of {checked} pass", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(codebook_app, name="codebook")
