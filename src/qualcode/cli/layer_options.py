"""--layer and --reviewer of the analysis commands, and the loaded output folder as a layer.

`chosen_layer` turns the two options into a `LayerChoice` (reviewers from --reviewer, else the
project file's ``reviewers``); `apply_layer` gives a loaded output folder the layer's codings
(`qualcode.decisions.layers`), applies --coder to them, restricts a coder's layer to the
transcripts that coder covered, and returns the caption and notes to print with the table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from qualcode.output.folder import CodedOutput

LAYERS = "Layer"  # help panel

LayerOption = Annotated[
    str,
    typer.Option(
        "--layer",
        help="Whose coding to count: auto = the automatic coding only (every decision "
        "ignored); a coder's name = auto as that coder sees it (auto plus their own adds, "
        "minus the automatic codes they removed), counted on the transcripts they covered; "
        "final = auto with every decision applied in time order, reviewers' decisions last. "
        "With no decision all three are the automatic coding. Not the same as --coder X, "
        "which keeps only the rows X contributed to the layer.",
        rich_help_panel=LAYERS,
    ),
]
ReviewerOption = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer reads this annotation at runtime on Python 3.10
    typer.Option(
        "--reviewer",
        help="A reviewer (repeatable): their decisions are applied after every coder's in the "
        "final layer, so they win. Default: the reviewers of the project file "
        "(qualcode.toml), else none.",
        rich_help_panel=LAYERS,
    ),
]


@dataclass(frozen=True)
class LayerChoice:
    """The layer asked for and the reviewers whose decisions win in ``final``."""

    name: str
    reviewers: tuple[str, ...]


def project_reviewers() -> list[str]:
    """The ``reviewers`` of the project file (qualcode.toml here or in a parent), else []."""
    from qualcode.project import find_project

    project = find_project()
    return list(project.reviewers) if project is not None else []


def chosen_layer(layer: str, reviewers: list[str] | None) -> LayerChoice:
    """--layer and --reviewer as one choice (reviewers: the option, else the project's)."""
    named = [r.strip() for item in reviewers or [] for r in item.split(",") if r.strip()]
    return LayerChoice(layer, tuple(dict.fromkeys(named or project_reviewers())))


def apply_layer(
    out: CodedOutput, choice: LayerChoice, options: dict[str, Any]
) -> tuple[CodedOutput, str, list[str]]:
    """`out` with the codings of the chosen layer, its caption, and notes for under the table.

    ``options`` are the analysis filters: their --coder is checked against every coder of the
    run (a coder with no row in the layer counts nothing, it is not unknown), applied here and
    removed; a coder's layer keeps only the transcripts that coder covered (intersected with
    ``options["transcripts"]`` when --coder set it). Raises AnalysisError for an unknown layer
    or coder.
    """
    from qualcode import models as m
    from qualcode.analysis.filters import check_coders
    from qualcode.decisions.layers import AUTO_LAYER, FINAL_LAYER, describe_layer, layer_codings

    codings = layer_codings(out.segments, out.codings, out.overrides, choice.name, choice.reviewers)
    coders = list(options.get("coder") or [])
    if coders:
        known = set(out.codings[m.CODER].dropna()) | set(out.overrides[m.CODER].dropna())
        check_coders(coders, {str(c) for c in known})
        codings = codings[codings[m.CODER].isin(coders)]
        options["coder"] = None
    notes: list[str] = []
    if choice.name not in (AUTO_LAYER, FINAL_LAYER):
        notes = _coder_coverage(out, choice.name, options)
    caption = describe_layer(out.overrides, choice.name, choice.reviewers)
    return dataclasses.replace(out, codings=codings.reset_index(drop=True)), caption, notes


def _coder_coverage(out: CodedOutput, coder: str, options: dict[str, Any]) -> list[str]:
    """Keep the transcripts `coder` covered (in ``options["transcripts"]``); the note to print."""
    from qualcode.decisions.coverage import coverage

    found = coverage(out.overrides, out.codings)
    covered = found.of(coder)
    if options.get("transcripts") is not None:
        covered = covered & frozenset(options["transcripts"])
    options["transcripts"] = sorted(covered)
    return [
        f"Layer {coder}: the {len(covered)} transcript(s) {coder} covered ({found.rule()})",
        *(f"warning: {w}" for w in found.few_warnings([coder])),
    ]


def dask_layer(folder: Any, choice: LayerChoice, options: dict[str, Any]) -> tuple[str, list[str]]:
    """For --engine dask: put the layer into ``options`` (the workers apply it) and return its
    caption and notes, reading only the folder's decisions (out/overrides)."""
    from qualcode import models as m
    from qualcode.decisions.layers import (
        AUTO_LAYER,
        FINAL_LAYER,
        check_layer,
        describe_layer,
    )
    from qualcode.output.folder import load_output

    coder_layer = choice.name not in (AUTO_LAYER, FINAL_LAYER)  # needs the coder's coverage
    out = load_output(
        folder,
        segment_columns=[m.SEGMENT_ID] if coder_layer else [],
        coding_columns=[m.TRANSCRIPT_ID, m.CODER, m.SOURCE] if coder_layer else [],
    )
    check_layer(choice.name, out.overrides)
    options["layer"], options["reviewers"] = choice.name, list(choice.reviewers)
    notes = _coder_coverage(out, choice.name, options) if coder_layer else []
    return describe_layer(out.overrides, choice.name, choice.reviewers), notes
