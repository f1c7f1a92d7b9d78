"""`qualcode agree --methods`: print the methods paragraph of an agreement result.

The paragraph comes from `qualcode.reliability.methods.methods_paragraph`; it is printed as plain
text with typer.echo (coder and code names are user data: rich never reads it as markup).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qualcode.reliability.agreement import AgreementResult

METHODS_HELP = (
    "Print a ready-to-paste methods paragraph with this run's coders, unit, coverage and "
    "numbers instead of the table (-o FILE still writes the tables). Example: qualcode agree "
    "--from out --methods"
)


def check_methods_options(fmt: str | None, output: Path | None) -> None:
    """--methods prints text: refuse --format without -o, which would print the tables too."""
    from qualcode.errors import AgreementError

    if fmt is not None and output is None:
        raise AgreementError(
            "--methods prints a paragraph, not tables: drop --format, or add -o FILE to also "
            "write the tables to a file"
        )


def print_methods(result: AgreementResult) -> None:
    """Print the methods paragraph of `result` as plain text, followed by a newline."""
    import typer

    from qualcode.reliability.methods import methods_paragraph

    typer.echo(methods_paragraph(result))
