"""Reading REFI-QDA files made by other tools: `.qdpx` projects and `.qdc` codebooks.

Tools differ in small ways and this reader copes with them: the inner project file may have any
name ending in ``.qde`` (``project.qde`` preferred), the text files may sit in ``sources/`` or
``Sources/`` (or below a top folder), a source's text may be embedded (``PlainTextContent``) or
in a file (``plainTextPath``), optional attributes may be missing, and codings may sit on
sources qualcode cannot read (PDF, pictures, audio, video: skipped and counted).

Selection positions are mapped to the canonical text (no BOM, ``\\n`` line endings). Tools do
not agree on what they count: code points or UTF-16 units (they differ after an emoji), and a
Windows line ending as one character (ATLAS.ti) or two (NVivo, MAXQDA, QualCoder). When
selections carry their text in ``name`` (QualCoder does), the convention that reproduces most
of those texts is chosen for each source; otherwise code points, and line endings as stored
(one character for ATLAS.ti). See docs/exchange.md.

A selection's ``Description`` is the coding's note; a last line ``qualcode: {JSON}`` (written
by qualcode's export, see `refi.match_details_line`) is not part of the note but the match
details of an automatic coding, read back by `split_description`.

Structural problems (not a zip, no ``.qde``, XML that does not parse, not a REFI project) raise
ExportError naming the file; problems of single items are skipped and counted in
``RefiProject.skipped``.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from qualcode import models as m
from qualcode.errors import ExportError
from qualcode.exchange.refi import DETAIL_COLUMNS, DETAILS_PREFIX

MAX_MEMBER_BYTES = 512 * 1024 * 1024
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
SKIP_BAD_DETAILS = "malformed qualcode match details (matched text, pattern ids, match spans)"
_SPANS = re.compile(r"\d{1,15}-\d{1,15}(;\d{1,15}-\d{1,15})*")


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


# --- XML helpers -------------------------------------------------------------------------------


def _local(element: Any) -> str:
    from lxml import etree

    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: Any, name: str) -> list[Any]:
    return [c for c in element if _local(c) == name]


def _child(element: Any, name: str) -> Any | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: Any | None) -> str:
    return "" if element is None or element.text is None else element.text


def parse_xml(data: bytes, file: str | Path, member: str | None = None) -> Any:
    """Parse XML safely (no entities, no network); ExportError with the line if it fails."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    where = f"{member} inside this file" if member else "the file"
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        reason = " ".join(str(exc.msg or exc).split())
        raise ExportError(f"{where} is not well-formed XML{line}: {reason}", file=file) from None
    if root is None:
        raise ExportError(f"{where} is empty", file=file)
    return root


def _codes(parent: Any, parent_guid: str | None, out: list[RefiCode]) -> None:
    for element in _children(parent, "Code"):
        code_guid = (element.get("guid") or "").strip() or f"no-guid-{len(out)}"
        out.append(
            RefiCode(
                guid=code_guid,
                name=(element.get("name") or "").strip(),
                parent=parent_guid,
                description=_text(_child(element, "Description")).strip(),
                color=(element.get("color") or "").strip() or None,
            )
        )
        _codes(element, code_guid, out)


def read_codes(root: Any) -> list[RefiCode]:
    """Every code under a ``CodeBook`` (project) or the ``CodeBook`` root (.qdc), in order."""
    book = root if _local(root) == "CodeBook" else _child(root, "CodeBook")
    codes_el = None if book is None else _child(book, "Codes")
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
    if _local(root) not in ("CodeBook", "Project"):
        raise ExportError(
            f"not a REFI-QDA codebook (root element is <{_local(root)}>, expected <CodeBook>)",
            file=path,
        )
    codes = read_codes(root)
    if not codes:
        raise ExportError("the codebook has no codes", file=path)
    return root.get("origin") or "", codes


# --- the zip -----------------------------------------------------------------------------------


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ExportError("no such file", file=path) from None
    except zipfile.BadZipFile:
        raise ExportError(
            "not a REFI-QDA project: a .qdpx file is a zip archive and this is not one", file=path
        ) from None
    except OSError as exc:
        raise ExportError(f"cannot read file ({exc.strerror})", file=path) from None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    if info.file_size > MAX_MEMBER_BYTES:
        raise ExportError(f"{info.filename} inside this file is too large to import", file=path)
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        raise ExportError(
            f"cannot read {info.filename} inside this file ({exc})", file=path
        ) from None


def _project_member(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    candidates = [
        i
        for i in archive.infolist()
        if i.filename.lower().endswith(".qde") and not i.filename.startswith("__MACOSX/")
    ]
    if not candidates:
        raise ExportError("not a REFI-QDA project: the zip holds no .qde project file", file=path)
    preferred = [i for i in candidates if PurePosixPath(i.filename).name.lower() == "project.qde"]
    pool = preferred or candidates
    if len(pool) > 1:
        names = ", ".join(sorted(i.filename for i in pool))
        raise ExportError(f"the zip holds several project files ({names}); keep one", file=path)
    return pool[0]


def _source_member(archive: zipfile.ZipFile, reference: str, base: str) -> zipfile.ZipInfo | None:
    """Find the zip entry of a ``plainTextPath`` (internal://, relative://...), by tolerance."""
    ref = re.sub(r"^[a-z]+://", "", reference.strip(), flags=re.IGNORECASE).replace("\\", "/")
    ref = ref.lstrip("/")
    by_lower = {i.filename.lower(): i for i in archive.infolist() if not i.is_dir()}
    for candidate in (f"{base}sources/{ref}", f"sources/{ref}", f"{base}{ref}", ref):
        if candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    name = PurePosixPath(ref).name.lower()
    matches = [i for key, i in by_lower.items() if PurePosixPath(key).name == name]
    return matches[0] if len(matches) == 1 else None


def decode_source(data: bytes) -> str | None:
    """Text of a source file: UTF-8 (BOM optional) or UTF-16 with a BOM; None otherwise.

    A leading BOM is an encoding mark, not a character: positions do not count it.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


# --- positions -----------------------------------------------------------------------------------


def canonical_text(raw: str) -> str:
    """The canonical text qualcode stores: line endings as ``\\n``, NUL as a space."""
    return raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", " ")


class PositionMap:
    """Maps a tool's selection positions to canonical-text positions under one convention.

    `utf16`: positions count UTF-16 code units (else code points). `crlf_two`: a ``\\r\\n`` in
    the stored text counts as two characters (else one, as in the canonical text).
    """

    def __init__(self, raw: str, utf16: bool, crlf_two: bool) -> None:
        self.name = ("UTF-16 code units" if utf16 else "code points") + (
            "" if crlf_two or "\r\n" not in raw else ", a line ending as one character"
        )
        base = raw if crlf_two else canonical_text(raw)
        to_canon: list[int] | None = None
        if crlf_two and "\r\n" in raw:
            to_canon = [0] * (len(raw) + 1)
            count = 0
            for i, char in enumerate(raw):
                to_canon[i] = count
                if not (char == "\r" and raw[i + 1 : i + 2] == "\n"):
                    count += 1
            to_canon[len(raw)] = count
        units: list[int] | None = None
        if utf16 and any(ord(c) >= 0x10000 for c in base):
            units = []
            for i, char in enumerate(base):
                units.append(i)
                if ord(char) >= 0x10000:
                    units.append(i + 1)  # a position inside a surrogate pair rounds up
            units.append(len(base))
        self.length = len(units) - 1 if units is not None else len(base)
        self._units, self._to_canon = units, to_canon

    def __call__(self, position: int) -> int:
        if self._units is not None:
            position = self._units[position]
        if self._to_canon is not None:
            position = self._to_canon[position]
        return position


def _conventions(raw: str, offsets: str, origin: str) -> list[PositionMap]:
    """Candidate conventions for one source, the default first."""
    atlas = "atlas" in origin.lower()
    units = [False, True] if offsets == "auto" else [offsets == "utf16"]
    crlf = [not atlas, atlas] if "\r\n" in raw else [True]
    maps = [PositionMap(raw, u, c) for u in units for c in crlf]
    return maps


def _squash(text: str) -> str:
    return " ".join(text.split())


def choose_convention(
    raw: str, selections: list[tuple[int, int, str | None]], offsets: str, origin: str
) -> PositionMap:
    """The convention that reproduces most selection names (then keeps most selections in
    range); the default one on ties."""
    maps = _conventions(raw, offsets, origin)
    if len(maps) == 1:
        return maps[0]
    canon = canonical_text(raw)

    def score(pm: PositionMap) -> tuple[int, int]:
        named = in_range = 0
        for start, end, name in selections:
            if not 0 <= start < end <= pm.length:
                continue
            in_range += 1
            if name and _squash(canon[pm(start) : pm(end)]) == _squash(name):
                named += 1
        return named, in_range

    scores = [score(pm) for pm in maps]
    best = max(scores)
    return maps[scores.index(best)]


# --- the project -------------------------------------------------------------------------------


def _variable_values(element: Any, variables: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for holder in _children(element, "VariableValue"):
        ref = _child(holder, "VariableRef")
        name = variables.get((ref.get("targetGUID") or "").strip()) if ref is not None else None
        if not name:
            continue
        for tag in VALUE_TAGS:
            value = _child(holder, tag)
            if value is not None and _text(value).strip():
                values[name] = _text(value).strip()
                break
    return values


def _utf8(text: str) -> bool:
    """Whether a string can be stored (JSON can decode lone surrogates, UTF-8 cannot hold them)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def split_description(text: str) -> tuple[str | None, dict[str, str] | None, bool]:
    """(note, match details, malformed) of a selection's description.

    The match details are the last line when it starts with ``qualcode: {``: a JSON object
    whose known keys (``matched_text``, ``pattern_id``, ``match_spans``) hold strings, the
    spans as ``start-end;start-end``; unknown keys are ignored. Such a line is never part of
    the note; when it is not valid, the details are None and `malformed` is True. Any other
    description is all note.
    """
    import json

    lines = text.strip().splitlines()
    if not lines or not lines[-1].strip().startswith(DETAILS_PREFIX + "{"):
        return text.strip() or None, None, False
    note = "\n".join(lines[:-1]).strip() or None
    try:
        data = json.loads(lines[-1].strip()[len(DETAILS_PREFIX) :])
    except ValueError:
        return note, None, True
    if not isinstance(data, dict):
        return note, None, True
    details = {k: data[k] for k in DETAIL_COLUMNS if k in data and data[k] is not None}
    if not all(isinstance(v, str) and _utf8(v) for v in details.values()):
        return note, None, True
    spans = details.get(m.MATCH_SPANS)
    if spans is not None and not _SPANS.fullmatch(spans):
        return note, None, True
    if spans is not None and any(
        int(a) >= int(b) for a, b in (span.split("-") for span in spans.split(";"))
    ):
        return note, None, True
    return note, details, False


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _source_text(
    element: Any, archive: zipfile.ZipFile, base: str, path: Path, skipped: Counter
) -> str | None:
    content = _child(element, "PlainTextContent")
    if content is not None and content.text:
        return content.text
    reference = element.get("plainTextPath")
    info = _source_member(archive, reference, base) if reference else None
    if info is None:
        skipped[SKIP_NO_TEXT] += 1
        return None
    text = decode_source(_read_member(archive, info, path))
    if text is None:
        skipped[SKIP_UNDECODABLE] += 1
    return text


def _read_text_source(
    element: Any, raw: str, project: RefiProject, offsets: str, variables: dict[str, str]
) -> RefiSource:
    """Codings of one text source with positions mapped to its canonical text."""
    skipped = project.skipped
    found: list[tuple[int, int, str | None, Any]] = []
    for sel in _children(element, "PlainTextSelection"):
        start, end = _int(sel.get("startPosition")), _int(sel.get("endPosition"))
        if start is None or end is None or start < 0 or end <= start:
            skipped[SKIP_BAD_POSITIONS] += 1
            continue
        found.append((start, end, sel.get("name"), sel))
    pm = choose_convention(raw, [f[:3] for f in found], offsets, project.origin)
    source = RefiSource(
        guid=(element.get("guid") or "").strip(),
        name=(element.get("name") or "").strip(),
        text=canonical_text(raw),
        variables=_variable_values(element, variables),
        convention=pm.name,
    )
    for start, end, _, sel in found:
        codings = _children(sel, "Coding")
        if not codings:
            skipped[SKIP_NO_CODING] += 1
            continue
        if end > pm.length:
            skipped[SKIP_BEYOND] += 1
            continue
        note, details, malformed = split_description(_text(_child(sel, "Description")))
        if malformed:
            skipped[SKIP_BAD_DETAILS] += 1
        for coding in codings:
            found_coding = _coding(coding, pm(start), pm(end), sel.get("creatingUser"), note)
            found_coding.details = details
            source.codings.append(found_coding)
    # A Coding directly under the source codes the whole text.
    for coding in _children(element, "Coding"):
        source.codings.append(_coding(coding, 0, len(source.text), None, None))
    return source


def _coding(element: Any, start: int, end: int, user: str | None, note: str | None) -> RefiCoding:
    ref = _child(element, "CodeRef")
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
    with _open_zip(path) as archive:
        member = _project_member(archive, path)
        root = parse_xml(_read_member(archive, member, path), path, member.filename)
        if _local(root) != "Project":
            raise ExportError(
                f"not a REFI-QDA project: {member.filename} has root element <{_local(root)}>, "
                "expected <Project>",
                file=path,
            )
        base = str(PurePosixPath(member.filename).parent)
        base = "" if base == "." else base + "/"
        users_el = _child(root, "Users")
        users = {
            (u.get("guid") or "").strip(): (u.get("name") or u.get("id") or "").strip()
            for u in (_children(users_el, "User") if users_el is not None else [])
        }
        project = RefiProject(
            path=path,
            name=(root.get("name") or "").strip() or path.stem,
            origin=(root.get("origin") or "").strip(),
            description=_text(_child(root, "Description")).strip(),
            users=users,
            codes=read_codes(root),
            sources=[],
        )
        variables_el = _child(root, "Variables")
        variables = {
            (v.get("guid") or "").strip(): (v.get("name") or "").strip()
            for v in (_children(variables_el, "Variable") if variables_el is not None else [])
        }
        sources_el = _child(root, "Sources")
        for element in list(sources_el) if sources_el is not None else []:
            kind = _local(element)
            if kind in NON_TEXT_SOURCES:
                project.skipped[SKIP_NON_TEXT] += 1
                project.skipped[SKIP_NON_TEXT_CODINGS] += sum(
                    1 for e in element.iter() if _local(e) == "Coding"
                )
                continue
            if kind != "TextSource":
                continue
            raw = _source_text(element, archive, base, path, project.skipped)
            n_codings = sum(1 for e in element.iter() if _local(e) == "Coding")
            if raw is not None and not raw.strip():
                project.skipped[SKIP_EMPTY] += 1
                raw = None
            if raw is None:
                project.skipped[SKIP_SOURCE_CODINGS] += n_codings
                continue
            project.sources.append(_read_text_source(element, raw, project, offsets, variables))
    _merge_case_variables(root, variables, project)
    return project


def _merge_case_variables(root: Any, variables: dict[str, str], project: RefiProject) -> None:
    """Cases carry the participants' variables: copy them to the sources they reference."""
    by_guid = {s.guid: s for s in project.sources}
    cases_el = _child(root, "Cases")
    for case in _children(cases_el, "Case") if cases_el is not None else []:
        project.case_guids.add((case.get("guid") or "").strip())
        values = _variable_values(case, variables)
        for ref in _children(case, "SourceRef"):
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
