"""REFI-QDA export: a coded output folder as a `.qdpx` project, a codebook as a `.qdc` file.

REFI-QDA (www.qdasoftware.org) is the exchange standard of NVivo, ATLAS.ti, MAXQDA, QualCoder
and others. A `.qdpx` project is a zip holding ``project.qde`` (XML, namespace
``urn:QDA-XML:project:1.0``) and ``sources/<guid>.txt``; a `.qdc` codebook is one XML file
(namespace ``urn:QDA-XML:codebook:1.0``). What qualcode writes:

* ``Users``: one per coder, plus ``auto`` for the automatic coding;
* ``CodeBook``: the codes with their hierarchy; the description holds the definition and the
  include / exclude rules and examples (see `code_description`); patterns are not exported;
* ``Variables`` and ``Cases``: one case per transcript with its metadata (country, role,
  language, other columns, and the interviewer labels) as text variables;
* ``Sources``: one ``TextSource`` per transcript, its canonical text in
  ``sources/<guid>.txt`` (UTF-8 without BOM, ``\\n`` line endings), and one
  ``PlainTextSelection`` with one ``Coding`` per row of the codings table, made by its coder.
  The selection's ``Description`` holds the coder's note and, for a row with match details
  (automatic codings), a last line ``qualcode: {JSON}`` with its ``matched_text``,
  ``pattern_id`` and ``match_spans`` (see `match_details_line`); other tools show it as text,
  `refi_read` reads it back.

Positions: ``startPosition``/``endPosition`` are character positions in the source's plain
text, counted from 0, end exclusive. The schema types them as plain integers and does not name
a unit; qualcode counts Unicode code points (Python string indices) by default -- the same as
QualCoder -- and can count UTF-16 code units instead (``offsets="utf16"``), which is how tools
built on .NET or Java index strings. The two differ only after a character outside the Basic
Multilingual Plane (an emoji). Because the exported text is exactly the canonical text, the
positions are exactly the ``start``/``end`` of the codings table.

Every GUID is a uuid5 of a stable name (``code:litigation``, ``source:it_lawyer_04``...), the
XML carries no time stamps but those of manual decisions, and zip entries are sorted with a
fixed date, so exporting the same folder twice gives the same bytes.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.errors import ExportError
from qualcode.output.folder import atomic_write_file

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.codebook.schema import Codebook
    from qualcode.output.folder import CodedOutput

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:qualcode:refi-qda")
OFFSET_UNITS = ("codepoint", "utf16")
INTERVIEWER_VARIABLE = "interviewer"
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_SECTIONS = (("include", "Include"), ("exclude", "Exclude"))
EXAMPLES_HEADING = "Examples"
# The machine-readable line of a selection's description that carries the match details.
DETAILS_PREFIX = "qualcode: "
DETAIL_COLUMNS = (m.MATCHED_TEXT, m.PATTERN_ID, m.MATCH_SPANS)
# Metadata columns of the transcripts table that are not case variables.
_NOT_VARIABLES = {m.TRANSCRIPT_ID, m.SOURCE_FILE, m.TEXT}


@dataclass
class RefiExport:
    """What an export wrote: the file and counts to report."""

    path: Path
    sources: int = 0
    codes: int = 0
    selections: int = 0
    users: list[str] = field(default_factory=list)
    cases: int = 0
    warnings: list[str] = field(default_factory=list)


def guid(kind: str, *parts: object) -> str:
    """Deterministic GUID of one object: uuid5 of ``kind:part:part...``."""
    return str(uuid.uuid5(GUID_NAMESPACE, ":".join([kind, *map(str, parts)])))


def code_description(code: Any) -> str:
    """A code's REFI description: its definition, then Include / Exclude rules and Examples.

    `refi_import.parse_description` reads these sections back.
    """
    parts = [code.definition.strip()] if code.definition else []
    for attr, heading in _SECTIONS:
        value = getattr(code, attr, "")
        if value:
            parts.append(f"{heading}: {value.strip()}")
    if code.examples:
        parts.append(
            f"{EXAMPLES_HEADING}:\n" + "\n".join(f"- {' '.join(e.split())}" for e in code.examples)
        )
    return "\n\n".join(parts)


def match_details_line(row: dict[str, Any]) -> str | None:
    """The line ``qualcode: {JSON}`` with the match details of a coding row, or None.

    The JSON object holds the non-missing values of ``matched_text``, ``pattern_id`` and
    ``match_spans`` (strings, exactly as in the codings table; ``match_spans`` counts code
    points of the canonical text whatever the export's `offsets`), keys sorted, on one line
    (JSON escapes line breaks and control characters). `refi_read.split_description` reads it.
    """
    import json

    import pandas as pd

    values = {}
    for column in DETAIL_COLUMNS:
        value = row.get(column)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        values[column] = str(value)
    if not values:
        return None
    return DETAILS_PREFIX + json.dumps(
        values, sort_keys=True, ensure_ascii=False, separators=(", ", ": ")
    )


def utf16_positions(text: str) -> list[int] | None:
    """UTF-16 position of every code point index 0..len(text), or None when they are equal."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return None
    positions = [0]
    for char in text:
        positions.append(positions[-1] + (2 if ord(char) >= 0x10000 else 1))
    return positions


def _element(parent: Any, tag: str, attrs: dict[str, str] | None = None, text: str | None = None):
    from lxml import etree

    child = etree.SubElement(parent, tag, {k: v for k, v in (attrs or {}).items() if v is not None})
    if text is not None:
        child.text = text
    return child


def _xml_bytes(root: Any) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _check_text(value: str, what: str) -> str:
    """XML 1.0 cannot hold most control characters; refuse them with a clear message."""
    bad = next((c for c in value if ord(c) < 32 and c not in "\t\n\r"), None)
    if bad is not None:
        raise ExportError(f"{what} contains the control character U+{ord(bad):04X}; remove it")
    return value


def _color(value: str | None) -> str | None:
    import re

    if value and re.fullmatch(r"#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})", value.strip()):
        return value.strip()
    return None


def _codes_xml(parent: Any, codes: Sequence[Any], tag_ns: str) -> int:
    """Write ``Codes`` with nested ``Code`` elements (codebook order, children under parents)."""
    codes_el = _element(parent, f"{{{tag_ns}}}Codes")
    by_parent: dict[str | None, list[Any]] = {}
    names = {c.name for c in codes}
    for code in codes:
        parent_name = code.parent if code.parent in names else None
        by_parent.setdefault(parent_name, []).append(code)

    def add(into: Any, code: Any) -> None:
        element = _element(
            into,
            f"{{{tag_ns}}}Code",
            {
                "guid": guid("code", code.name),
                "name": _check_text(code.name, f"code name '{code.name}'"),
                "isCodable": "true",
                "color": _color(code.color),
            },
        )
        description = code_description(code)
        if description:
            _element(
                element,
                f"{{{tag_ns}}}Description",
                text=_check_text(description, f"description of code '{code.name}'"),
            )
        for child in by_parent.get(code.name, []):
            add(element, child)

    for code in by_parent.get(None, []):
        add(codes_el, code)
    return len(codes)


# --- codebook (.qdc) ---------------------------------------------------------------------------


def codebook_xml(book: Codebook) -> bytes:
    """The REFI-QDA codebook document (``.qdc``) of a codebook, as UTF-8 bytes."""
    from lxml import etree

    import qualcode

    root = etree.Element(
        f"{{{CODEBOOK_NS}}}CodeBook",
        {"origin": f"qualcode {qualcode.__version__}"},
        nsmap={None: CODEBOOK_NS},
    )
    _codes_xml(root, book.codes, CODEBOOK_NS)
    return _xml_bytes(root)


def export_qdc(codebook: str | Path | Codebook, path: str | Path) -> RefiExport:
    """Write a codebook as a REFI-QDA ``.qdc`` file (atomically).

    Raises CodebookError when the codebook does not validate, ExportError when it cannot be
    written.
    """
    from qualcode.codebook.schema import Codebook, load_codebook

    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    path = Path(path)
    data = codebook_xml(book)
    _write_atomic(path, lambda tmp: tmp.write_bytes(data))
    return RefiExport(path=path, codes=len(book.codes))


# --- project (.qdpx) ---------------------------------------------------------------------------


@dataclass
class _CodeInfo:
    """A code as the exporter needs it (from the codebook copy, or the manifest)."""

    name: str
    parent: str | None = None
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    color: str | None = None


def _codes_from_copy(path: Path) -> list[_CodeInfo]:
    """Codes of the codebook copy in an output folder, read as plain YAML.

    The copy was validated when the folder was written; reading it without `load_codebook`
    keeps spaCy out of an export. Raises ValueError when it is not a codebook.
    """
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise ValueError("no codes")

    def text(raw: dict, key: str) -> str:
        value = raw.get(key)
        return "" if value is None or isinstance(value, (dict, list)) else str(value).strip()

    codes = []
    for raw in data["codes"]:
        if not isinstance(raw, dict) or not text(raw, "name"):
            raise ValueError("code without name")
        examples = raw.get("examples") if isinstance(raw.get("examples"), list) else []
        codes.append(
            _CodeInfo(
                text(raw, "name"),
                text(raw, "parent") or None,
                text(raw, "definition"),
                text(raw, "include"),
                text(raw, "exclude"),
                [str(e) for e in examples],
                text(raw, "color") or None,
            )
        )
    return codes


def _export_codes(out: CodedOutput, codings: pd.DataFrame, warnings: list[str]) -> list[_CodeInfo]:
    """The codebook of the run: its copy in the folder, else the manifest's code list."""
    import yaml

    codes: list[_CodeInfo] = []
    copy = out.folder / m.CODEBOOK_COPY
    if copy.is_file():
        try:
            codes = _codes_from_copy(copy)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
            warnings.append(
                f"{copy} is not a readable codebook; codes exported without descriptions"
            )
    if not codes:
        codes = [_CodeInfo(name, parent) for name, parent in out.code_order]
    known = {c.name for c in codes}
    for name in sorted(set(codings[m.CODE].dropna().astype(str)) - known):
        codes.append(_CodeInfo(name))
        warnings.append(
            f"code '{name}' is in the codings but not in the codebook; exported at top level"
        )
    return codes


def _variables(transcripts: pd.DataFrame, interviewers: dict[str, list[str]]) -> list[str]:
    columns = [c for c in transcripts.columns if c not in _NOT_VARIABLES]
    if any(interviewers.values()):
        columns.append(INTERVIEWER_VARIABLE)
    return columns


def _value(value: Any) -> str | None:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _timestamps(overrides: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """xsd:dateTime of the latest applied `add` of each (coder, segment, code)."""
    stamps: dict[tuple[str, str, str], str] = {}
    if not len(overrides) or m.TIMESTAMP not in overrides:
        return stamps
    adds = overrides[(overrides[m.ACTION] == m.ACTION_ADD) & (overrides[m.STATUS] == "applied")]
    for row in adds.itertuples(index=False):
        raw = str(getattr(row, m.TIMESTAMP) or "").strip()
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        key = (
            str(getattr(row, m.CODER)),
            str(getattr(row, m.SEGMENT_ID)),
            str(getattr(row, m.CODE)),
        )
        stamps[key] = parsed.isoformat()
    return stamps


def project_xml(
    out: CodedOutput, name: str, offsets: str = "codepoint"
) -> tuple[bytes, dict[str, str], RefiExport]:
    """The ``project.qde`` document of an output folder, the source texts by zip entry name,
    and the counts. Pure apart from reading the folder's tables."""
    from lxml import etree

    import qualcode

    if offsets not in OFFSET_UNITS:
        raise ExportError(f"offsets must be one of {', '.join(OFFSET_UNITS)}, not '{offsets}'")
    report = RefiExport(path=Path())
    transcripts = out.transcripts()
    segments, codings = out.segments, out.codings
    codes = _export_codes(out, codings, report.warnings)
    interviewers = {
        str(t): sorted(set(group[m.SPEAKER].dropna().astype(str)))
        for t, group in segments.loc[segments[m.IS_INTERVIEWER].astype(bool)].groupby(
            m.TRANSCRIPT_ID
        )
    }
    coders = sorted({str(c) for c in codings[m.CODER].dropna()} | {m.AUTO_CODER})
    report.users = coders
    unit = out.manifest.get("options", {}).get("unit", "turn")

    root = etree.Element(
        f"{{{PROJECT_NS}}}Project",
        {"name": name, "origin": f"qualcode {qualcode.__version__}"},
        nsmap={None: PROJECT_NS},
    )
    ns = f"{{{PROJECT_NS}}}"
    users = _element(root, f"{ns}Users")
    for coder in coders:
        _element(users, f"{ns}User", {"guid": guid("user", coder), "name": coder, "id": coder})
    book = _element(root, f"{ns}CodeBook")
    report.codes = _codes_xml(book, codes, PROJECT_NS)

    variables = _variables(transcripts, interviewers)
    if variables:
        var_el = _element(root, f"{ns}Variables")
        for variable in variables:
            _element(
                var_el,
                f"{ns}Variable",
                {"guid": guid("variable", variable), "name": variable, "typeOfVariable": "Text"},
            )
    rows = sorted(transcripts.to_dict("records"), key=lambda r: str(r[m.TRANSCRIPT_ID]))
    if rows:
        cases = _element(root, f"{ns}Cases")
        for row in rows:
            tid = str(row[m.TRANSCRIPT_ID])
            case = _element(cases, f"{ns}Case", {"guid": guid("case", tid), "name": tid})
            for variable in variables:
                if variable == INTERVIEWER_VARIABLE:
                    value = "; ".join(interviewers.get(tid, [])) or None
                else:
                    value = _value(row.get(variable))
                if value is None:
                    continue
                holder = _element(case, f"{ns}VariableValue")
                _element(holder, f"{ns}VariableRef", {"targetGUID": guid("variable", variable)})
                _element(
                    holder, f"{ns}TextValue", text=_check_text(value, f"variable '{variable}'")
                )
            _element(case, f"{ns}SourceRef", {"targetGUID": guid("source", tid)})
        report.cases = len(rows)

    stamps = _timestamps(out.overrides)
    order = {c.name: i for i, c in enumerate(codes)}
    by_transcript = {str(t): g for t, g in codings.groupby(m.TRANSCRIPT_ID, sort=False)}
    files: dict[str, str] = {}
    sources = _element(root, f"{ns}Sources")
    for row in rows:
        tid = str(row[m.TRANSCRIPT_ID])
        text = _check_text(str(row[m.TEXT]), f"transcript '{tid}'")
        source_guid = guid("source", tid)
        files[f"sources/{source_guid}.txt"] = text
        source = _element(
            sources,
            f"{ns}TextSource",
            {"guid": source_guid, "name": tid, "plainTextPath": f"internal://{source_guid}.txt"},
        )
        utf16 = utf16_positions(text) if offsets == "utf16" else None
        group = by_transcript.get(tid)
        selections = [] if group is None else group.to_dict("records")
        selections.sort(
            key=lambda r: (
                int(r[m.START]),
                int(r[m.END]),
                order.get(r[m.CODE], 1 << 30),
                r[m.CODER],
            )
        )
        for sel in selections:
            report.selections += _selection(source, sel, tid, text, utf16, stamps, ns)
    report.sources = len(rows)
    _element(
        root,
        f"{ns}Description",
        text=f"Exported by qualcode from a coding run with unit '{unit}'; "
        f"positions count {'UTF-16 code units' if offsets == 'utf16' else 'Unicode code points'}.",
    )
    return _xml_bytes(root), files, report


def _selection(
    source: Any,
    sel: dict[str, Any],
    tid: str,
    text: str,
    utf16: list[int] | None,
    stamps: dict[tuple[str, str, str], str],
    ns: str,
) -> int:
    """Add one coding row as a PlainTextSelection with its Coding; returns 1."""
    start, end = int(sel[m.START]), int(sel[m.END])
    code, coder = str(sel[m.CODE]), str(sel[m.CODER])
    if not 0 <= start < end <= len(text):
        raise ExportError(
            f"coding of '{code}' by {coder} at {start}-{end} lies outside transcript '{tid}' "
            f"({len(text)} characters); is the output folder consistent?"
        )
    segment = str(sel[m.SEGMENT_ID])
    key = f"{tid}:{segment}:{code}:{coder}:{start}:{end}"
    positions = (utf16[start], utf16[end]) if utf16 is not None else (start, end)
    element = _element(
        source,
        f"{ns}PlainTextSelection",
        {
            "guid": guid("selection", key),
            "startPosition": str(positions[0]),
            "endPosition": str(positions[1]),
            "creatingUser": guid("user", coder),
        },
    )
    note = _value(sel.get(m.NOTE))
    if note:
        _check_text(note, f"note on {segment}")
    # The coder's note, then the match details as the last line (JSON has no raw line breaks).
    description = "\n\n".join(filter(None, (note, match_details_line(sel))))
    if description:
        _element(element, f"{ns}Description", text=description)
    coding = _element(
        element,
        f"{ns}Coding",
        {
            "guid": guid("coding", key),
            "creatingUser": guid("user", coder),
            "creationDateTime": stamps.get((coder, segment, code)),
        },
    )
    _element(coding, f"{ns}CodeRef", {"targetGUID": guid("code", code)})
    return 1


def _write_atomic(path: Path, writer: Callable[[Path], None]) -> None:
    try:
        atomic_write_file(path, writer)
    except OSError as exc:
        raise ExportError(f"cannot write file ({exc.strerror})", file=path) from None


def write_zip(path: Path, entries: Iterable[tuple[str, bytes]]) -> None:
    """Write a zip deterministically: entries sorted, fixed date, fixed permissions."""

    def writer(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(entries):
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.create_system = 3
                archive.writestr(info, data)

    _write_atomic(path, writer)


def export_qdpx(
    source: str | Path | CodedOutput,
    path: str | Path,
    *,
    name: str | None = None,
    offsets: str = "codepoint",
) -> RefiExport:
    """Write an output folder of `qualcode code` as a REFI-QDA project (``.qdpx``), atomically.

    `name` is the project's name (default: the folder's name); `offsets` is the unit of the
    selection positions, "codepoint" (default) or "utf16". Returns the counts written. Raises
    OutputError for a missing or broken folder, ExportError when the project cannot be written.
    """
    from qualcode.output.folder import CodedOutput, load_output

    out = source if isinstance(source, CodedOutput) else load_output(source)
    path = Path(path)
    project, files, report = project_xml(out, name or out.folder.resolve().name, offsets)
    entries = [("project.qde", project), *((n, t.encode("utf-8")) for n, t in files.items())]
    write_zip(path, entries)
    report.path = path
    return report
