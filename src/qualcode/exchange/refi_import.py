"""REFI-QDA import: a `.qdpx` project as a qualcode output folder, a `.qdc` (or the codebook of
a `.qdpx`) as a codebook YAML.

The codes are converted by `refi_codebook`, the codings by `refi_codings`; here the sources
become transcripts, and everything is coded and written as `qualcode code` would.

`import_qdpx` turns a project exported by NVivo, ATLAS.ti, MAXQDA, QualCoder (or qualcode) into
a normal output folder, so ``qualcode freq``, ``matrix`` and ``agree --from`` work on it:

* each text source becomes a transcript (its canonical text: no BOM, ``\\n`` line endings);
  case and source variables become metadata (``country``, ``role``, ``language`` and the
  ``interviewer`` labels are recognised by name, any case); segments are cut as by
  ``qualcode code`` (speaker turns by default);
* the codes become a codebook (``codebook.yaml``; every code ``manual: true``, since a REFI
  codebook has no patterns) with definitions, include / exclude rules and examples when the
  description has qualcode's sections;
* each coding of a text selection becomes one row per segment it overlaps, with the exact
  passage as ``start``/``end`` (clipped to the segment), in the name of its REFI user (the
  user ``auto`` is read back as qualcode's automatic coding). Human codings also get an
  ``add`` row in the overrides table, so agreement knows which transcripts each coder covered.
  The match details a qualcode export keeps in a selection's description (``matched_text``,
  ``pattern_id``, ``match_spans``) are restored when the row is exactly that selection.

Every coding of a selection is accounted for (`refi_account`): imported, merged into the row of
another selection of the same segment, code and coder (its span kept), or skipped with its
reason; the counts are returned, printed in one line and recorded in ``run.json``
(``summary.selections``). The output folder is written atomically, only when all went well,
and only over a folder qualcode wrote (see `qualcode.output.guard`); the transcripts and
codebook the import codes are written in the temporary folder beside it, never in the system's
temporary folder.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.errors import ExportError, Problem, QualcodeError
from qualcode.exchange.refi_account import account_selections
from qualcode.exchange.refi_codebook import (
    code_names,
    codebook_data,
    codebook_yaml,
    read_codebook,
)
from qualcode.exchange.refi_codings import coding_rows, codings_table, overrides_table
from qualcode.exchange.refi_read import DEFAULT_CONVENTION, RefiProject, read_qdpx
from qualcode.exchange.refi_sources import front_matter, slug, transcript_ids
from qualcode.output.atomic import atomic_write_file

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.coding.api import CodingResult

IMPORTED_CODER = "imported"
_SCRATCH = ".qualcode-import"
_UNIT_HINT = re.compile(r"with unit '(turn|paragraph|sentence)'")


@dataclass
class RefiImport:
    """What an import wrote and what it left out."""

    out: Path
    origin: str
    transcripts: int = 0
    segments: int = 0
    codes: int = 0
    codings: dict[str, int] = field(default_factory=dict)  # coder -> rows
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unit: str = "turn"
    selections: dict[str, Any] = field(default_factory=dict)  # see `account_selections`


# --- codebook ----------------------------------------------------------------------------------


def import_qdc(path: str | Path, out: str | Path) -> int:
    """Convert a REFI-QDA ``.qdc`` codebook, or the codebook of a ``.qdpx`` project, into a
    qualcode codebook YAML, atomically.

    Returns the number of codes. Raises ExportError for a file that is neither a REFI codebook
    nor a REFI project with codes (nothing is written).
    """
    from qualcode.codebook import load_codebook

    path, out = Path(path), Path(out)
    _, codes = read_codebook(path)
    text = codebook_yaml(codebook_data(codes, path.stem))
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        check = Path(tmp) / "codebook.yaml"
        check.write_text(text, encoding="utf-8")
        load_codebook(check)
    atomic_write_file(out, lambda p: p.write_text(text, encoding="utf-8"))
    return len(codes)


# --- transcripts -------------------------------------------------------------------------------


# --- codings -----------------------------------------------------------------------------------


def _coders(project: RefiProject) -> dict[str | None, str]:
    """User GUID -> a coder name qualcode accepts (letters, digits, _ . -), unique."""
    names: dict[str | None, str] = {None: IMPORTED_CODER}
    taken = {IMPORTED_CODER}
    for user_guid, raw in sorted(project.users.items(), key=lambda kv: (kv[1], kv[0])):
        base = slug(raw, f"user-{user_guid[:8]}")
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        taken.add(candidate)
        names[user_guid] = candidate
    return names


def _summary(result: Any, book: Any, warnings: list[str]) -> dict[str, Any]:
    """run.json's summary, counted as `qualcode code` counts it."""
    from qualcode.coding.sinks import RunStats

    stats = RunStats(codes=book.code_order())
    segments = result.segments.groupby(m.TRANSCRIPT_ID, sort=False)
    codings = {t: g for t, g in result.codings.groupby(m.TRANSCRIPT_ID, sort=False)}
    for transcript in result.transcripts.to_dict("records"):
        tid = transcript[m.TRANSCRIPT_ID]
        seg_rows = segments.get_group(tid).to_dict("records") if tid in segments.groups else []
        group = codings.get(tid)
        stats.add(transcript, seg_rows, [] if group is None else group.to_dict("records"))
    return stats.summary(result.overrides, result.missing_metadata, warnings)


# --- the import --------------------------------------------------------------------------------


def _write_inputs(
    tmp: Path, project: RefiProject, ids: list[str], warnings: list[str]
) -> tuple[Any, Path, dict[str, str]]:
    """The project as qualcode inputs in `tmp`: codebook YAML (loaded and validated) and one
    `.md` transcript per source. Returns (codebook, corpus folder, file -> source name)."""
    from qualcode.codebook import load_codebook

    book_path = tmp / m.CODEBOOK_COPY
    data = codebook_data(project.codes, project.name, f"Imported from {project.path.name}")
    if not data["codes"]:
        placeholder = {"name": "uncoded", "definition": "The project has no codes.", "manual": True}
        data["codes"] = [placeholder]
    book_path.write_text(codebook_yaml(data), encoding="utf-8")
    corpus = tmp / "transcripts"
    corpus.mkdir()
    names: dict[str, str] = {}
    for source, tid in zip(project.sources, ids, strict=True):
        file = corpus / f"{tid}.md"
        file.write_text(
            front_matter(tid, source.variables, warnings, source.name or source.guid) + source.text,
            encoding="utf-8",
        )
        names[str(file)] = source.name or source.guid
    return load_codebook(book_path), corpus, names


def import_qdpx(
    path: str | Path,
    out: str | Path,
    *,
    language: str = "en",
    unit: str | None = None,
    interviewer_labels: Sequence[str] = m.DEFAULT_INTERVIEWER_LABELS,
    offsets: str = "auto",
    command: str | None = None,
    force: bool = False,
) -> RefiImport:
    """Import a REFI-QDA project into a qualcode output folder (written atomically).

    `language` is used for sources without a language variable; `unit` (turn, paragraph,
    sentence) defaults to the unit recorded by a qualcode export, else turn; `offsets` is
    "auto", "codepoint" or "utf16" (see `refi_read`). `out` is replaced only when qualcode
    wrote it (`force` keeps files it did not write), never the project file. Returns counts,
    skips and warnings. Raises ExportError for a file that is not a usable REFI-QDA project,
    OutputError for an `out` that may not be replaced (nothing is written).
    """
    from qualcode.output.atomic import write_output_folder

    path, out = Path(path), Path(out)
    if unit is not None and unit not in m.UNITS:
        raise ExportError(f"unit must be one of {', '.join(m.UNITS)}, not '{unit}'")
    done: list[RefiImport] = []

    def fill(folder: Path) -> None:
        options = {"language": language, "unit": unit, "labels": interviewer_labels}
        done.append(_import_into(folder, path, offsets, command, options))

    write_output_folder(out, fill, inputs=[path], force=force)
    done[0].out = out
    return done[0]


def _import_into(
    folder: Path, path: Path, offsets: str, command: str | None, options: dict[str, Any]
) -> RefiImport:
    """Read the project, code it as `qualcode code` would and write the tables into `folder`
    (the import's inputs in a scratch folder inside it, removed before it is complete)."""
    from qualcode.output.folder import build_manifest, write_result_files

    project = read_qdpx(path, offsets=offsets)
    skipped = {reason: n for reason, n in project.skipped.items() if n}
    _check_sources(project, skipped)
    unit = options["unit"] or _recorded_unit(project)
    warnings = list(project.warnings)
    ids = transcript_ids(project)
    scratch = folder / _SCRATCH
    scratch.mkdir()
    try:
        book, corpus, names = _write_inputs(scratch, project, ids, warnings)
        result = _code_inputs(
            corpus,
            book,
            names,
            path,
            language=options["language"],
            unit=unit,
            labels=options["labels"],
        )
        outcomes: dict[str, int] = {}
        _replace_codings(result, project, ids, book, skipped, outcomes)
        selections = account_selections(project.selections, skipped, outcomes)
        warnings += _import_warnings(project, result.warnings, names, skipped)
        result.warnings = warnings
        result.summary = {**_summary(result, book, warnings), "selections": selections}
        result.options = {
            **result.options,
            "imported_from": path.name,
            "origin": project.origin,
            "offsets": offsets,
        }
        write_result_files(
            folder, result, build_manifest(result.codebook, result.options, result.summary, command)
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    counts = result.codings[m.CODER].value_counts()
    return RefiImport(
        out=folder,
        origin=project.origin,
        transcripts=len(result.transcripts),
        segments=len(result.segments),
        codes=len(book.codes),
        codings={str(k): int(v) for k, v in sorted(counts.items())},
        skipped={k: v for k, v in sorted(skipped.items()) if v},
        warnings=warnings,
        unit=unit,
        selections=selections,
    )


def _recorded_unit(project: RefiProject) -> str:
    """The segmentation unit a qualcode export recorded in the project, else turn."""
    hint = _UNIT_HINT.search(project.description) if project.origin.startswith("qualcode") else None
    return hint.group(1) if hint else "turn"


def _check_sources(project: RefiProject, skipped: dict[str, int]) -> None:
    if not project.sources:
        detail = "; ".join(f"{n} {r}" for r, n in sorted(skipped.items())) or "none in the project"
        raise ExportError(f"no text source to import ({detail})", file=project.path)


def _replace_codings(
    result: CodingResult,
    project: RefiProject,
    ids: list[str],
    book: Any,
    skipped: dict[str, int],
    outcomes: dict[str, int],
) -> None:
    """The project's codings and decisions in place of the (empty) run's, and the transcripts'
    source files named after the project's sources."""
    rows, decisions = coding_rows(
        project,
        ids,
        result.segments,
        code_names(project.codes),
        _coders(project),
        skipped,
        outcomes,
    )
    parents = dict(book.code_order())
    result.codings = codings_table(rows, result.segments, book.code_names, parents)
    result.overrides = overrides_table(decisions)
    _refer_to_sources(result.transcripts, project, ids)


def _refer_to_sources(transcripts: pd.DataFrame, project: RefiProject, ids: list[str]) -> None:
    """Set each transcript's source_file to ``project.qdpx:source name`` (not the temp file)."""
    refs = {
        tid: f"{project.path.name}:{s.name or s.guid}"
        for s, tid in zip(project.sources, ids, strict=True)
    }
    column = transcripts[m.SOURCE_FILE]
    transcripts[m.SOURCE_FILE] = transcripts[m.TRANSCRIPT_ID].map(refs).astype(column.dtype)


def _code_inputs(
    corpus: Path,
    book: Any,
    names: dict[str, str],
    path: Path,
    *,
    language: str,
    unit: str,
    labels: Sequence[str],
) -> CodingResult:
    """Code the written transcripts as `qualcode code` would; a problem names its source."""
    from qualcode.coding.api import code_corpus

    try:
        return code_corpus(corpus, book, language=language, unit=unit, interviewer_labels=labels)
    except QualcodeError as exc:
        raise ExportError(
            problems=[
                Problem(
                    p.message,
                    f"{path} (source '{names[p.file]}')" if p.file in names else str(path),
                )
                for p in exc.problems
            ]
        ) from None


def _import_warnings(
    project: RefiProject, coding: list[str], names: dict[str, str], skipped: dict[str, int]
) -> list[str]:
    """Sources read with another position convention, the coding run's warnings (naming
    sources, not temporary files) and the counts of what was skipped."""
    warnings = []
    for source in project.sources:
        if source.convention != DEFAULT_CONVENTION:
            warnings.append(
                f"source '{source.name or source.guid}': selection positions read as "
                f"{source.convention}"
            )
    for warning in coding:
        if "has no patterns for language" in warning:
            continue  # an imported codebook has no patterns by design
        for temp, name in names.items():
            warning = warning.replace(temp, f"source '{name}'")
        warnings.append(warning)
    warnings.extend(f"skipped {n} {reason}" for reason, n in sorted(skipped.items()) if n)
    return warnings
