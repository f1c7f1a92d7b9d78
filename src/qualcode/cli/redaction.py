"""`--pseudonymise IDENTIFIERS.yaml` for commands that let transcript text leave the tool.

The command then works on a pseudonymised copy of the output folder (the same copy
`qualcode pseudonymise --from` writes), made in a private temporary folder and deleted after.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import typer

PSEUDONYMISE_OPTION = typer.Option(
    None,
    "--pseudonymise",
    help=(
        "Replace identifiers on the way out: people/places/organisations of this identifiers "
        "file, names in metadata, e-mails, phones, ID numbers, addresses, dates."
    ),
)
KEY_FILE_OPTION = typer.Option(
    Path(".qualcode-key"),
    "--key-file",
    help="Project key for --pseudonymise placeholders (created, mode 600, when missing).",
)


@contextlib.contextmanager
def redacted_folder(folder: Path, identifiers: Path | None, key_file: Path) -> Iterator[Path]:
    """Yield `folder` itself, or a pseudonymised copy of it when an identifiers file is given."""
    if identifiers is None:
        yield folder
        return
    from qualcode.privacy.identifiers import load_identifiers
    from qualcode.privacy.key import load_key
    from qualcode.privacy.output_copy import pseudonymise_output

    ids = load_identifiers(identifiers)
    key = load_key(key_file)
    with tempfile.TemporaryDirectory(prefix="qualcode-pseudo-") as tmp:
        copy = Path(tmp) / "out"
        pseudonymise_output(folder, copy, ids, key)
        yield copy
