"""The options of a coding run, shared by `code_corpus`, `code_to_folder` and the engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualcode import models as m

# Called with (transcripts done, transcripts in all) after each transcript is coded.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CodingOptions:
    """How to code a corpus (every field as the keyword of `qualcode.coding.api.code_corpus`).

    ``language``: default language of transcripts that do not declare one; ``unit``: turn,
    paragraph or sentence; ``meta``: participant sheet merged into the metadata; ``overrides``:
    files or folders of coders' decisions; ``interviewer_labels``: speaker labels of the
    interviewer; ``code_interviewer``: auto-code interviewer turns too; ``strict``: a decision
    that no longer applies is an error, not a warning; ``spacy_model``: a spaCy pipeline to use
    instead of the blank one; ``encoding`` of text transcripts; ``workers``, ``engine``
    (local or dask) and ``scheduler``: where the transcripts are coded; ``progress``: called
    after each transcript; ``reattach``: ``covering`` re-attaches decisions whose segment is
    gone (an edited passage, another unit; see `qualcode.decisions.reattach`), ``none`` leaves
    them orphans.
    """

    language: str = "en"
    unit: str = "turn"
    meta: str | Path | None = None
    overrides: Sequence[str | Path] = ()
    interviewer_labels: Sequence[str] = m.DEFAULT_INTERVIEWER_LABELS
    code_interviewer: bool = False
    strict: bool = False
    spacy_model: str | None = None
    encoding: str = "utf-8"
    workers: int = 1
    engine: str = "local"
    scheduler: str | None = None
    progress: Progress | None = None
    reattach: str = "covering"
