"""Where a coding run finds the decision folder when none is named: beside or in the transcripts.

The rule: for each transcripts folder given (the folder holding a file given alone), an
``overrides/`` folder inside it, then one beside it (in its parent folder), is used when it
exists. The current directory is never looked at for its own sake, so coding an unrelated
folder from inside a project picks up none of that project's decisions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

DECISIONS_FOLDER = "overrides"


def default_decision_folders(inputs: Sequence[str | Path]) -> list[Path]:
    """The ``overrides/`` folders in or beside the transcripts folders of `inputs`, in order.

    Paths stay relative when the inputs are (``transcripts_sample`` -> ``overrides``), and
    each folder is listed once.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in inputs:
        path = Path(raw)
        folder = path if path.is_dir() else path.parent
        for base in (folder, folder / os.pardir):
            candidate = Path(os.path.normpath(base / DECISIONS_FOLDER))
            if candidate.is_dir() and candidate.resolve() not in seen:
                seen.add(candidate.resolve())
                found.append(candidate)
    return found
