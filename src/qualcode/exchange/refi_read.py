"""Reading REFI-QDA files made by other tools: `.qdpx` projects and `.qdc` codebooks.

Tools differ in small ways and this reader copes with them: the inner project file may have any
name ending in ``.qde`` (``project.qde`` preferred), the text files may sit in ``sources/`` or
``Sources/`` (or below a top folder), a source's text may be embedded (``PlainTextContent``) or
in a file (``plainTextPath``), optional attributes may be missing, and codings may sit on
sources qualcode cannot read (PDF, pictures, audio, video: skipped and counted).

Selection positions are mapped to the canonical text by `refi_positions` (tools disagree on
what they count); the zip and its XML are read by `refi_files`.

A selection's ``Description`` is the coding's note; a last line ``qualcode: {JSON}`` (written
by qualcode's export, see `refi.match_details_line`) is not part of the note but the match
details of an automatic coding, read back by `refi.split_description`.

Structural problems (not a zip, no ``.qde``, XML that does not parse, not a REFI project) raise
ExportError naming the file; problems of single items are skipped and counted in
``RefiProject.skipped``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from qualcode.errors import ExportError
from qualcode.exchange.refi import split_description
from qualcode.exchange.refi_files import (
    ProjectArchive,
    child,
    children,
    element_text,
    local_name,
    open_zip,
    parse_xml,
    project_member,
    source_member,
)
from qualcode.exchange.refi_positions import canonical_text, choose_convention

DEFAULT_CONVENTION = "code points"
OFFSET_CHOICES = ("auto", "codepoint", "utf16")
NON_TEXT_SOURCES = ("PDFSource", "PictureSource", "AudioSource", "VideoSource")
VALUE_TAGS = (
    "TextValue",
    "BooleanValue",
    "IntegerValue",
    "FloatValue",
    "DateValue",
    "DateTimeValue",
)

# Reasons an item is skipped (keys of RefiProject.skipped).
SKIP_NON_TEXT = "sources that are not text (PDF, picture, audio, video)"
SKIP_NON_TEXT_CODINGS = "codings on sources that are not text"
SKIP_NO_TEXT = "text sources whose plain text is missing from the project"
SKIP_UNDECODABLE = "text sources whose plain text is not UTF-8 or UTF-16"
SKIP_EMPTY = "text sources without text"
SKIP_SOURCE_CODINGS = "codings on skipped text sources"
SKIP_BAD_POSITIONS = "selections without valid start/end positions"
SKIP_BEYOND = "selections beyond the end of their text"
SKIP_MISSING_CODE = "codings that reference a missing code"
SKIP_CASE_CODING = "codings that reference a case instead of a code"
SKIP_NO_CODING = "selections without any code (memos, annotations)"
# Reasons that count codings of selections (the units of `RefiProject.selections`).
SELECTION_REASONS = frozenset(
    {
        SKIP_NON_TEXT_CODINGS,
        SKIP_SOURCE_CODINGS,
        SKIP_BAD_POSITIONS,
        SKIP_BEYOND,
        SKIP_MISSING_CODE,
        SKIP_CASE_CODING,
        SKIP_NO_CODING,
    }
)
SKIP_BAD_DETAILS = "malformed qualcode match details (matched text, pattern ids, match spans)"


@dataclass
class RefiCode:
    """A code of a REFI codebook; `parent` is the parent's GUID."""

    guid: str
    name: str
    parent: str | None = None
    description: str = ""
    color: str | None = None


@dataclass
class RefiCoding:
    """One coding of a stretch of a source's canonical text (positions already mapped)."""

    start: int
    end: int
    code: str  # code GUID
    user: str | None  # user GUID
    created: str | None = None
    note: str | None = None
    details: dict[str, str] | None = None  # matched_text, pattern_id, match_spans (qualcode)


@dataclass
class RefiSource:
    """A text source: canonical text, metadata variables, codings."""

    guid: str
    name: str
    text: str
    variables: dict[str, str] = field(default_factory=dict)
    codings: list[RefiCoding] = field(default_factory=list)
    convention: str = DEFAULT_CONVENTION


@dataclass
class RefiProject:
    """What `read_qdpx` found in a project, and what it skipped (reason -> count)."""

    path: Path
    name: str
    origin: str
    description: str
    users: dict[str, str]
    codes: list[RefiCode]
    sources: list[RefiSource]
    case_guids: set[str] = field(default_factory=set)
    skipped: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    # Codings of selections (and selections without a code) in the file, counted as they are
    # written: every one is imported, merged or skipped with a reason.
    selections: int = 0


def _codes(parent: Any, parent_guid: str | None, out: list[RefiCode]) -> None:
    for element in children(parent, "Code"):
        code_guid = (element.get("guid") or "").strip() or f"no-guid-{len(out)}"
        out.append(
            RefiCode(
                guid=code_guid,
                name=(element.get("name") or "").strip(),
                parent=parent_guid,
                description=element_text(child(element, "Description")).strip(),
                color=(element.get("color") or "").strip() or None,
            )
        )
        _codes(element, code_guid, out)


def read_codes(root: Any) -> list[RefiCode]:
    """Every code under a ``CodeBook`` (project) or the ``CodeBook`` root (.qdc), in order."""
    book = root if local_name(root) == "CodeBook" else child(root, "CodeBook")
    codes_el = None if book is None else child(book, "Codes")
    found: list[RefiCode] = []
    if codes_el is not None:
        _codes(codes_el, None, found)
    return found


def read_qdc(path: str | Path) -> tuple[str, list[RefiCode]]:
    """Read a ``.qdc`` codebook: (its origin, its codes). Raises ExportError naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read file ({exc.strerror})", file=path) from None
    root = parse_xml(data, path)
    if local_name(root) not in ("CodeBook", "Project"):
        raise ExportError(
            f"not a REFI-QDA codebook (root element is <{local_name(root)}>, expected <CodeBook>)",
            file=path,
        )
    codes = read_codes(root)
    if not codes:
        raise ExportError("the codebook has no codes", file=path)
    return root.get("origin") or "", codes


# --- the project -------------------------------------------------------------------------------


def _variable_values(element: Any, variables: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for holder in children(element, "VariableValue"):
        ref = child(holder, "VariableRef")
        name = variables.get((ref.get("targetGUID") or "").strip()) if ref is not None else None
        if not name:
            continue
        for tag in VALUE_TAGS:
            value = child(holder, tag)
            if value is not None and element_text(value).strip():
                values[name] = element_text(value).strip()
                break
    return values


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _source_text(element: Any, archive: ProjectArchive, base: str, skipped: Counter) -> str | None:
    content = element_text(child(element, "PlainTextContent"))
    if content:
        return content
    reference = element.get("plainTextPath")
    info = source_member(archive.archive, reference, base, archive.by_lower) if reference else None
    if info is None:
        skipped[SKIP_NO_TEXT] += 1
        return None
    text = archive.source_text(info)
    if text is None:
        skipped[SKIP_UNDECODABLE] += 1
    return text


def _read_text_source(
    element: Any, raw: str, project: RefiProject, offsets: str, variables: dict[str, str]
) -> RefiSource:
    """Codings of one text source with positions mapped to its canonical text."""
    skipped = project.skipped
    found: list[tuple[int, int, str | None, Any, list[Any]]] = []
    for sel in children(element, "PlainTextSelection"):
        codings = children(sel, "Coding")
        start, end = _int(sel.get("startPosition")), _int(sel.get("endPosition"))
        if not codings:
            skipped[SKIP_NO_CODING] += 1
        elif start is None or end is None or start < 0 or end <= start:
            skipped[SKIP_BAD_POSITIONS] += len(codings)
        else:
            found.append((start, end, sel.get("name"), sel, codings))
    text = canonical_text(raw)
    pm = choose_convention(raw, [f[:3] for f in found], offsets, project.origin, text)
    source = RefiSource(
        guid=(element.get("guid") or "").strip(),
        name=(element.get("name") or "").strip(),
        text=text,
        variables=_variable_values(element, variables),
        convention=pm.name,
    )
    for start, end, _, sel, codings in found:
        if end > pm.length:
            skipped[SKIP_BEYOND] += len(codings)
            continue
        note, details, malformed = split_description(element_text(child(sel, "Description")))
        if malformed:
            skipped[SKIP_BAD_DETAILS] += 1
        for coding in codings:
            found_coding = _coding(coding, pm(start), pm(end), sel.get("creatingUser"), note)
            found_coding.details = details
            source.codings.append(found_coding)
    # A Coding directly under the source codes the whole text.
    for coding in children(element, "Coding"):
        source.codings.append(_coding(coding, 0, len(source.text), None, None))
    return source


def _coding(element: Any, start: int, end: int, user: str | None, note: str | None) -> RefiCoding:
    ref = child(element, "CodeRef")
    return RefiCoding(
        start=start,
        end=end,
        code=(ref.get("targetGUID") or "").strip() if ref is not None else "",
        user=(element.get("creatingUser") or user or "").strip() or None,
        created=(element.get("creationDateTime") or "").strip() or None,
        note=note,
    )


def read_qdpx(path: str | Path, offsets: str = "auto") -> RefiProject:
    """Read a REFI-QDA project (``.qdpx``): users, codes, text sources with their metadata and
    codings (positions in canonical text). Case variables are merged into their sources'.

    Raises ExportError (one line, naming the file) when the file is not a readable REFI-QDA
    project; items it cannot use are skipped and counted.
    """
    path = Path(path)
    if offsets not in OFFSET_CHOICES:
        raise ExportError(f"offsets must be one of {', '.join(OFFSET_CHOICES)}, not '{offsets}'")
    with open_zip(path) as opened:
        archive = ProjectArchive(opened, path)
        member = project_member(opened, path)
        root = parse_xml(archive.read(member), path, member.filename)
        if local_name(root) != "Project":
            raise ExportError(
                f"not a REFI-QDA project: {member.filename} has root element <{local_name(root)}>, "
                "expected <Project>",
                file=path,
            )
        base = str(PurePosixPath(member.filename).parent)
        base = "" if base == "." else base + "/"
        users_el = child(root, "Users")
        users = {
            (u.get("guid") or "").strip(): (u.get("name") or u.get("id") or "").strip()
            for u in (children(users_el, "User") if users_el is not None else [])
        }
        project = RefiProject(
            path=path,
            name=(root.get("name") or "").strip() or path.stem,
            origin=(root.get("origin") or "").strip(),
            description=element_text(child(root, "Description")).strip(),
            users=users,
            codes=read_codes(root),
            sources=[],
        )
        variables_el = child(root, "Variables")
        variables = {
            (v.get("guid") or "").strip(): (v.get("name") or "").strip()
            for v in (children(variables_el, "Variable") if variables_el is not None else [])
        }
        sources_el = child(root, "Sources")
        for element in list(sources_el) if sources_el is not None else []:
            _read_source(element, archive, base, project, offsets, variables)
    _merge_case_variables(root, variables, project)
    return project


def _read_source(
    element: Any,
    archive: ProjectArchive,
    base: str,
    project: RefiProject,
    offsets: str,
    variables: dict[str, str],
) -> None:
    """Add one element of ``Sources`` to `project`: a text source, or a skip with its codings."""
    kind = local_name(element)
    n_codings, n_codeless = _selection_units(element)
    project.selections += n_codings + n_codeless
    if kind in NON_TEXT_SOURCES or kind != "TextSource":
        if kind in NON_TEXT_SOURCES:
            project.skipped[SKIP_NON_TEXT] += 1
        project.skipped[SKIP_NON_TEXT_CODINGS] += n_codings
        project.skipped[SKIP_NO_CODING] += n_codeless
        return
    raw = _source_text(element, archive, base, project.skipped)
    if raw is not None and not raw.strip():
        project.skipped[SKIP_EMPTY] += 1
        raw = None
    if raw is None:
        project.skipped[SKIP_SOURCE_CODINGS] += n_codings
        project.skipped[SKIP_NO_CODING] += n_codeless
        return
    project.sources.append(_read_text_source(element, raw, project, offsets, variables))


def _selection_units(element: Any) -> tuple[int, int]:
    """(codings, selections without a code) anywhere inside a source, as written."""
    codings = codeless = 0
    for node in element.iter():
        name = local_name(node)
        if name == "Coding":
            codings += 1
        elif name.endswith("Selection") and not children(node, "Coding"):
            codeless += 1
    return codings, codeless


def _merge_case_variables(root: Any, variables: dict[str, str], project: RefiProject) -> None:
    """Cases carry the participants' variables: copy them to the sources they reference."""
    by_guid = {s.guid: s for s in project.sources}
    cases_el = child(root, "Cases")
    for case in children(cases_el, "Case") if cases_el is not None else []:
        project.case_guids.add((case.get("guid") or "").strip())
        values = _variable_values(case, variables)
        for ref in children(case, "SourceRef"):
            source = by_guid.get((ref.get("targetGUID") or "").strip())
            if source is None:
                continue
            for key, value in values.items():
                if key in source.variables and source.variables[key] != value:
                    project.warnings.append(
                        f"source '{source.name}': variable '{key}' has two values "
                        f"('{source.variables[key]}' kept, '{value}' ignored)"
                    )
                    continue
                source.variables[key] = value
