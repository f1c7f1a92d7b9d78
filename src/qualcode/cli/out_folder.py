"""`--force` of the commands that write an output folder (code, import qdpx, pseudonymise).

A folder holding files qualcode did not write is refused; with --force the run goes on, says
which files it keeps, and carries them over into the new folder (see `qualcode.output.guard`).
"""

from __future__ import annotations

from pathlib import Path

import typer

FORCE_OPTION = typer.Option(
    False,
    "--force",
    help="Replace an output folder that holds files qualcode did not write; those files are "
    "kept in the new folder. A folder qualcode did not write, or an input, is never replaced.",
)


def warn_kept_files(out: Path, force: bool) -> None:
    """With --force, name the user's files the new output folder will keep (stderr)."""
    if not force:
        return
    from qualcode.cli.render import print_warning
    from qualcode.output.guard import describe, files_to_keep

    kept = files_to_keep(out)
    if kept:
        print_warning(f"--force: keeping {describe(kept)} qualcode did not write in {out}")
