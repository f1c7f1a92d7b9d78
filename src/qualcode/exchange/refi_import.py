"""REFI-QDA import: a `.qdpx` project as a qualcode output folder, a `.qdc` as a codebook YAML.

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

Anything that cannot be imported is skipped and counted; the counts are returned, printed and
recorded in ``run.json``. The output folder is written atomically, only when all went well.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.errors import ExportError, Problem, QualcodeError
from qualcode.exchange.refi import DETAIL_COLUMNS, EXAMPLES_HEADING, INTERVIEWER_VARIABLE
from qualcode.exchange.refi_read import (
    DEFAULT_CONVENTION,
    SKIP_CASE_CODING,
    SKIP_MISSING_CODE,
    RefiCode,
    RefiProject,
    read_qdc,
    read_qdpx,
)
from qualcode.output.folder import atomic_write_file

if TYPE_CHECKING:
    import pandas as pd

SKIP_OUTSIDE = "codings of text outside every segment (labels, blank lines)"
SKIP_DETAILS_MISFIT = (
    "qualcode match details that do not fit their coding row (selection split across segments "
    "or merged with another, or match spans outside it)"
)
IMPORTED_CODER = "imported"
_LANGUAGE_NAMES = {
    "english": "en",
    "inglese": "en",
    "inglés": "en",
    "italian": "it",
    "italiano": "it",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
}
_RESERVED = {
    m.SEGMENT_ID, m.TRANSCRIPT_ID, m.UNIT, m.SEGMENT_INDEX, m.SPEAKER, m.IS_INTERVIEWER,
    m.START, m.END, m.TEXT, m.N_WORDS, m.START_TIME, m.END_TIME, m.SOURCE_FILE, m.CODE,
    m.PARENT, m.SOURCE, m.CODER, m.MATCHED_TEXT, m.PATTERN_ID, m.MATCH_SPANS, m.NOTE, "id",
}  # fmt: skip
_SECTION = re.compile(r"^(Include|Exclude|Examples):[ \t]*\n?", re.MULTILINE)
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


# --- codebook ----------------------------------------------------------------------------------


def parse_description(text: str) -> dict[str, Any]:
    """Definition, include, exclude and examples from a REFI code description.

    Reads back the sections `refi.code_description` writes; any other description is the
    definition.
    """
    found: dict[str, Any] = {"definition": text.strip()}
    marks = list(_SECTION.finditer(text))
    if not marks or any(mk.start() and text[mk.start() - 2 : mk.start()] != "\n\n" for mk in marks):
        return found
    found["definition"] = text[: marks[0].start()].strip()
    for i, mark in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[mark.end() : stop].strip()
        if mark.group(1) == EXAMPLES_HEADING:
            found["examples"] = [
                line.strip()[2:].strip() for line in body.splitlines() if line.strip()[:2] == "- "
            ]
        else:
            found[mark.group(1).lower()] = body
    return found


def codebook_data(codes: Sequence[RefiCode], name: str, description: str = "") -> dict[str, Any]:
    """A qualcode codebook (as YAML-ready data) from REFI codes; every code ``manual: true``.

    Names are made unique (``Other (Parent)``) and empty names replaced, so it validates.
    """
    by_guid = {c.guid: c for c in codes}
    names: dict[str, str] = {}
    taken: set[str] = set()
    for code in codes:
        base = code.name or f"code-{code.guid[:8]}"
        candidate = base
        if candidate in taken and code.parent in by_guid:
            candidate = f"{base} ({by_guid[code.parent].name or 'untitled'})"
        number = 2
        while candidate in taken:
            candidate, number = f"{base} ({number})", number + 1
        taken.add(candidate)
        names[code.guid] = candidate
    entries = []
    for code in codes:
        entry: dict[str, Any] = {"name": names[code.guid]}
        if code.parent in names:
            entry["parent"] = names[code.parent]
        parsed = parse_description(code.description) if code.description else {}
        for key in ("definition", "include", "exclude", "examples"):
            if parsed.get(key):
                entry[key] = parsed[key]
        if code.color:
            entry["color"] = code.color
        entry["manual"] = True
        entries.append(entry)
    data: dict[str, Any] = {"name": name, "version": ""}
    if description:
        data["description"] = description
    data["codes"] = entries
    return data


def code_names(codes: Sequence[RefiCode]) -> dict[str, str]:
    """GUID -> the unique name `codebook_data` gives each code."""
    data = codebook_data(codes, "x")
    return {c.guid: e["name"] for c, e in zip(codes, data["codes"], strict=True)}


def _yaml_text(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def import_qdc(path: str | Path, out: str | Path) -> int:
    """Convert a REFI-QDA ``.qdc`` codebook into a qualcode codebook YAML, atomically.

    Returns the number of codes. Raises ExportError for a file that is not a REFI codebook.
    """
    from qualcode.codebook.schema import load_codebook

    path, out = Path(path), Path(out)
    _, codes = read_qdc(path)
    text = _yaml_text(codebook_data(codes, path.stem))
    with tempfile.TemporaryDirectory(prefix="qualcode-qdc-") as tmp:
        check = Path(tmp) / "codebook.yaml"
        check.write_text(text, encoding="utf-8")
        load_codebook(check)
    atomic_write_file(out, lambda p: p.write_text(text, encoding="utf-8"))
    return len(codes)


# --- transcripts -------------------------------------------------------------------------------


def _slug(text: str, fallback: str) -> str:
    slug = re.sub(r"[^\w.\-]+", "_", text.strip()).strip("_.")
    return slug or fallback


def _transcript_ids(project: RefiProject) -> list[str]:
    ids, taken = [], set()
    for source in project.sources:
        name = re.sub(r"\.(txt|docx?|rtf|odt|pdf|md)$", "", source.name, flags=re.IGNORECASE)
        tid = _slug(name, f"source-{source.guid[:8]}")
        candidate, number = tid, 2
        while candidate.casefold() in taken:
            candidate, number = f"{tid}-{number}", number + 1
        taken.add(candidate.casefold())
        ids.append(candidate)
    return ids


def _variable_key(name: str) -> str:
    key = re.sub(r"\W+", "_", name.strip().casefold()).strip("_") or "variable"
    return f"var_{key}" if key in _RESERVED else key


def _language(value: str, warnings: list[str], source: str) -> str | None:
    text = value.strip().casefold()
    if re.fullmatch(r"[a-z]{2,3}", text):
        return text
    if text in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[text]
    warnings.append(f"source '{source}': language '{value}' not understood; default used")
    return None


def _front_matter(tid: str, variables: dict[str, str], warnings: list[str], name: str) -> str:
    import yaml

    front: dict[str, Any] = {"id": tid}
    for raw_key, value in sorted(variables.items()):
        key = _variable_key(raw_key)
        if key == m.LANGUAGE:
            language = _language(value, warnings, name)
            if language:
                front[m.LANGUAGE] = language
        elif key in (INTERVIEWER_VARIABLE, "speakers"):
            front[key] = [p.strip() for p in re.split(r"[;,]", value) if p.strip()]
        elif key not in front:
            front[key] = value
    return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n"


# --- codings -----------------------------------------------------------------------------------


def _coders(project: RefiProject) -> dict[str | None, str]:
    """User GUID -> a coder name qualcode accepts (letters, digits, _ . -), unique."""
    names: dict[str | None, str] = {None: IMPORTED_CODER}
    taken = {IMPORTED_CODER}
    for user_guid, raw in sorted(project.users.items(), key=lambda kv: (kv[1], kv[0])):
        base = _slug(raw, f"user-{user_guid[:8]}")
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        taken.add(candidate)
        names[user_guid] = candidate
    return names


def _coding_rows(
    project: RefiProject,
    ids: list[str],
    segments: pd.DataFrame,
    codes: dict[str, str],
    coders: dict[str | None, str],
    skipped: dict[str, int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(coding passages per segment, one decision per human coding) from the project."""
    import bisect

    from qualcode.matching.locate import merge_spans

    by_transcript = {t: g.sort_values(m.START) for t, g in segments.groupby(m.TRANSCRIPT_ID)}
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for source, tid in zip(project.sources, ids, strict=True):
        segs = by_transcript.get(tid)
        if segs is None:
            continue
        starts, ends = segs[m.START].tolist(), segs[m.END].tolist()
        seg_ids = segs[m.SEGMENT_ID].tolist()
        for coding in source.codings:
            code = codes.get(coding.code)
            if code is None:
                # NVivo codes cases as if they were codes: recognise and count those apart.
                reason = (
                    SKIP_CASE_CODING if coding.code in project.case_guids else SKIP_MISSING_CODE
                )
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            coder = coders.get(coding.user) or coders[None]
            first = bisect.bisect_right(ends, coding.start)
            hit = False
            for i in range(first, len(starts)):
                if starts[i] >= coding.end:
                    break
                lo, hi = max(starts[i], coding.start), min(ends[i], coding.end)
                if lo >= hi:
                    continue
                hit = True
                key = (seg_ids[i], code, coder)
                row = merged.setdefault(
                    key,
                    {"transcript": tid, "spans": [], "notes": [], "created": None, "details": []},
                )
                row["spans"].append((lo, hi))
                if coding.details is not None:
                    clipped = (lo, hi) != (coding.start, coding.end)
                    row["details"].append((coding.details, clipped))
                if coding.note and coding.note not in row["notes"]:
                    row["notes"].append(coding.note)
                row["created"] = max(
                    filter(None, (row["created"], _iso(coding.created))), default=None
                )
            if not hit:
                skipped[SKIP_OUTSIDE] = skipped.get(SKIP_OUTSIDE, 0) + 1
    rows, decisions = [], []
    for (segment_id, code, coder), info in merged.items():
        spans = merge_spans(info["spans"])
        note = " | ".join(info["notes"]) or None
        row = {
            m.SEGMENT_ID: segment_id,
            m.CODE: code,
            m.CODER: coder,
            m.SOURCE: m.SOURCE_AUTO if coder == m.AUTO_CODER else m.SOURCE_MANUAL,
            m.START: spans[0][0],
            m.END: spans[-1][1],
            m.MATCH_SPANS: ";".join(f"{s}-{e}" for s, e in spans) if len(spans) > 1 else None,
            m.NOTE: note if coder == m.AUTO_CODER else note or "",
        }
        if info["details"]:
            details = _fitting_details(info)
            if details is not None:
                row.update({c: details.get(c) for c in DETAIL_COLUMNS})
            else:
                skipped[SKIP_DETAILS_MISFIT] = skipped.get(SKIP_DETAILS_MISFIT, 0) + 1
        rows.append(row)
        if coder != m.AUTO_CODER:
            decisions.append(
                {
                    m.SEGMENT_ID: segment_id,
                    m.CODE: code,
                    m.ACTION: m.ACTION_ADD,
                    m.CODER: coder,
                    m.NOTE: note or "",
                    m.TIMESTAMP: info["created"] or "",
                    m.OVERRIDE_FILE: project.path.name,
                    m.OVERRIDE_LINE: len(decisions) + 1,
                }
            )
    return rows, decisions


def _fitting_details(info: dict[str, Any]) -> dict[str, str] | None:
    """The match details of a merged row when they describe it: the row is exactly one whole
    selection (not clipped to a segment, not merged with another) and its match spans lie
    inside it. None otherwise."""
    if len(info["spans"]) != 1 or len(info["details"]) != 1:
        return None
    details, clipped = info["details"][0]
    if clipped:
        return None
    (lo, hi), spans = info["spans"][0], details.get(m.MATCH_SPANS)
    for span in spans.split(";") if spans else ():
        start, end = (int(x) for x in span.split("-"))
        if not lo <= start < end <= hi:
            return None
    return details


def _iso(value: str | None) -> str | None:
    """An xsd:dateTime as qualcode's ISO 8601 time stamp (UTC when no zone), or None."""
    from datetime import datetime, timezone

    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.isoformat()


def _meta_columns(segments: pd.DataFrame) -> list[str]:
    standard = {*m.SEGMENT_COLUMNS, m.START_TIME, m.END_TIME, m.TEXT}
    return [c for c in segments.columns if c not in standard]


def _codings_table(
    rows: list[dict[str, Any]], segments: pd.DataFrame, order: list[str], parents: dict
) -> pd.DataFrame:
    """Coding rows with their segment's columns, in the shape and order `qualcode code` writes."""
    from qualcode.coding.sinks import table_from_rows

    columns = [*m.CODING_COLUMNS, *_meta_columns(segments)]
    keep = [c for c in columns if c in segments.columns and c != m.TEXT]
    by_segment = {r[m.SEGMENT_ID]: r for r in segments[[*keep, m.SEGMENT_INDEX]].to_dict("records")}
    rank = {name: i for i, name in enumerate(order)}
    full = []
    for row in rows:
        segment = by_segment[row[m.SEGMENT_ID]]
        full.append(
            {
                **{c: segment[c] for c in keep},
                **row,
                m.PARENT: parents.get(row[m.CODE]),
                m.MATCHED_TEXT: row.get(m.MATCHED_TEXT),
                m.PATTERN_ID: row.get(m.PATTERN_ID),
            }
        )
    full.sort(
        key=lambda r: (
            r[m.TRANSCRIPT_ID],
            by_segment[r[m.SEGMENT_ID]][m.SEGMENT_INDEX],
            rank.get(r[m.CODE], len(rank)),
            r[m.SOURCE] != m.SOURCE_AUTO,
            r[m.CODER],
            r[m.START],
        )
    )
    full = [{c: _plain(r.get(c)) for c in columns} for r in full]
    return table_from_rows(full, columns).to_pandas()


def _plain(value: Any) -> Any:
    """None for pandas' missing values, so Arrow accepts the row."""
    import pandas as pd

    return None if not isinstance(value, (list, dict)) and pd.isna(value) else value


def _overrides_table(decisions: list[dict[str, Any]]) -> pd.DataFrame:
    """The overrides table: one applied `add` per human coding (status as `qualcode code`)."""
    import pandas as pd

    from qualcode.decisions.ledger import REMOVED_AUTO, STATUS_APPLIED

    columns = [*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.OVERRIDE_LINE]
    table = pd.DataFrame(decisions, columns=columns)
    table[m.STATUS] = STATUS_APPLIED
    table[REMOVED_AUTO] = False
    return table.astype(
        {
            **{c: "string" for c in [*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.STATUS]},
            m.OVERRIDE_LINE: "int64",
            REMOVED_AUTO: bool,
        }
    )


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
    from qualcode.codebook.schema import load_codebook

    book_path = tmp / m.CODEBOOK_COPY
    data = codebook_data(project.codes, project.name, f"Imported from {project.path.name}")
    if not data["codes"]:
        placeholder = {"name": "uncoded", "definition": "The project has no codes.", "manual": True}
        data["codes"] = [placeholder]
    book_path.write_text(_yaml_text(data), encoding="utf-8")
    corpus = tmp / "transcripts"
    corpus.mkdir()
    names: dict[str, str] = {}
    for source, tid in zip(project.sources, ids, strict=True):
        file = corpus / f"{tid}.md"
        file.write_text(
            _front_matter(tid, source.variables, warnings, source.name or source.guid)
            + source.text,
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
) -> RefiImport:
    """Import a REFI-QDA project into a qualcode output folder (written atomically).

    `language` is used for sources without a language variable; `unit` (turn, paragraph,
    sentence) defaults to the unit recorded by a qualcode export, else turn; `offsets` is
    "auto", "codepoint" or "utf16" (see `refi_read`). Returns counts, skips and warnings.
    Raises ExportError for a file that is not a usable REFI-QDA project (nothing is written).
    """
    from qualcode.coding.api import code_corpus
    from qualcode.output.folder import write_result

    path, out = Path(path), Path(out)
    if unit is not None and unit not in m.UNITS:
        raise ExportError(f"unit must be one of {', '.join(m.UNITS)}, not '{unit}'")
    project = read_qdpx(path, offsets=offsets)
    skipped = {reason: n for reason, n in project.skipped.items() if n}
    if not project.sources:
        detail = "; ".join(f"{n} {r}" for r, n in sorted(skipped.items())) or "none in the project"
        raise ExportError(f"no text source to import ({detail})", file=path)
    hint = _UNIT_HINT.search(project.description) if project.origin.startswith("qualcode") else None
    unit = unit or (hint.group(1) if hint else "turn")
    warnings = list(project.warnings)
    ids = _transcript_ids(project)
    codes = code_names(project.codes)
    coders = _coders(project)
    with tempfile.TemporaryDirectory(prefix="qualcode-import-") as tmp:
        book, corpus, names = _write_inputs(Path(tmp), project, ids, warnings)
        try:
            result = code_corpus(
                corpus, book, language=language, unit=unit, interviewer_labels=interviewer_labels
            )
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
        rows, decisions = _coding_rows(project, ids, result.segments, codes, coders, skipped)
        parents = {c.name: c.parent for c in book.codes}
        result.codings = _codings_table(rows, result.segments, book.code_names, parents)
        result.overrides = _overrides_table(decisions)
        refs = {
            tid: f"{path.name}:{s.name or s.guid}"
            for s, tid in zip(project.sources, ids, strict=True)
        }
        column = result.transcripts[m.SOURCE_FILE]
        result.transcripts[m.SOURCE_FILE] = (
            result.transcripts[m.TRANSCRIPT_ID].map(refs).astype(column.dtype)
        )
        for source in project.sources:
            if source.convention != DEFAULT_CONVENTION:
                warnings.append(
                    f"source '{source.name or source.guid}': selection positions read as "
                    f"{source.convention}"
                )
        for warning in result.warnings:
            if "has no patterns for language" in warning:
                continue  # an imported codebook has no patterns by design
            for temp, name in names.items():
                warning = warning.replace(temp, f"source '{name}'")
            warnings.append(warning)
        warnings.extend(f"skipped {n} {reason}" for reason, n in sorted(skipped.items()) if n)
        result.warnings = warnings
        result.summary = _summary(result, book, warnings)
        result.options = {
            **result.options,
            "imported_from": path.name,
            "origin": project.origin,
            "offsets": offsets,
        }
        write_result(result, out, command)
    counts = result.codings[m.CODER].value_counts()
    return RefiImport(
        out=out,
        origin=project.origin,
        transcripts=len(result.transcripts),
        segments=len(result.segments),
        codes=len(book.codes),
        codings={str(k): int(v) for k, v in sorted(counts.items())},
        skipped={k: v for k, v in sorted(skipped.items()) if v},
        warnings=warnings,
        unit=unit,
    )
