"""REFI-QDA project export: a coded output folder as a `.qdpx` project.

What qualcode writes into ``project.qde`` (see `refi` for the namespaces, GUIDs and positions):

* ``Users``: one per coder, plus ``auto`` for the automatic coding;
* ``CodeBook``: the codes with their hierarchy; the description holds the definition and the
  include / exclude rules and examples (see `refi.code_description`); patterns are not exported;
* ``Variables`` and ``Cases``: one case per transcript with its metadata (country, role,
  language, other columns, and the interviewer labels) as text variables;
* ``Sources``: one ``TextSource`` per transcript, its canonical text in
  ``sources/<guid>.txt`` (UTF-8 without BOM, ``\\n`` line endings), and one
  ``PlainTextSelection`` with one ``Coding`` per row of the codings table, made by its coder.
  The selection's ``Description`` holds the coder's note and, for a row with match details
  (automatic codings), a last line ``qualcode: {JSON}`` with its ``matched_text``,
  ``pattern_id`` and ``match_spans`` (see `refi.match_details_line`); other tools show it as
  text, `refi_read` reads it back.

Because the exported text is exactly the canonical text, the positions are exactly the
``start``/``end`` of the codings table. The XML carries no time stamps but those of manual
decisions, and zip entries are sorted with a fixed date, so exporting the same folder twice
gives the same bytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.errors import ExportError
from qualcode.exchange.refi import (
    INTERVIEWER_VARIABLE,
    OFFSET_UNITS,
    PROJECT_NS,
    RefiExport,
    add_codes,
    add_element,
    guid,
    match_details_line,
    utf16_positions,
    write_atomic,
    xml_bytes,
    xml_text,
)

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.output.folder import CodedOutput

_NS = f"{{{PROJECT_NS}}}"
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)

# Metadata columns of the transcripts table that are not case variables.
_NOT_VARIABLES = {m.TRANSCRIPT_ID, m.SOURCE_FILE, m.TEXT}


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
        examples = raw.get("examples")
        if not isinstance(examples, list):
            examples = []
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
    from qualcode.decisions.reattach import effective_decisions

    stamps: dict[tuple[str, str, str], str] = {}
    if not len(overrides) or m.TIMESTAMP not in overrides:
        return stamps
    # a decision re-attached after a transcript edit counts on the segments it moved to
    decisions = effective_decisions(overrides)
    adds = decisions[(decisions[m.ACTION] == m.ACTION_ADD) & (decisions[m.STATUS] == "applied")]
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
    report.users = sorted({str(c) for c in codings[m.CODER].dropna()} | {m.AUTO_CODER})
    unit = out.manifest.get("options", {}).get("unit", "turn")

    root = etree.Element(
        f"{{{PROJECT_NS}}}Project",
        {"name": name, "origin": f"qualcode {qualcode.__version__}"},
        nsmap={None: PROJECT_NS},
    )
    users = add_element(root, f"{_NS}Users")
    for coder in report.users:
        add_element(users, f"{_NS}User", {"guid": guid("user", coder), "name": coder, "id": coder})
    report.codes = add_codes(add_element(root, f"{_NS}CodeBook"), codes, PROJECT_NS)
    rows = sorted(transcripts.to_dict("records"), key=lambda r: str(r[m.TRANSCRIPT_ID]))
    report.cases = _add_cases(root, rows, _variables(transcripts, interviewers), interviewers)
    order = {c.name: i for i, c in enumerate(codes)}
    files = _add_sources(root, rows, codings, order, _timestamps(out.overrides), offsets, report)
    report.sources = len(rows)
    add_element(
        root,
        f"{_NS}Description",
        text=f"Exported by qualcode from a coding run with unit '{unit}'; "
        f"positions count {'UTF-16 code units' if offsets == 'utf16' else 'Unicode code points'}.",
    )
    return xml_bytes(root), files, report


def _add_cases(
    root: Any, rows: list[dict[str, Any]], variables: list[str], interviewers: dict[str, list[str]]
) -> int:
    """``Variables`` and one ``Case`` per transcript with its values; returns the cases."""
    if variables:
        var_el = add_element(root, f"{_NS}Variables")
        for variable in variables:
            add_element(
                var_el,
                f"{_NS}Variable",
                {"guid": guid("variable", variable), "name": variable, "typeOfVariable": "Text"},
            )
    if not rows:
        return 0
    cases = add_element(root, f"{_NS}Cases")
    for row in rows:
        tid = str(row[m.TRANSCRIPT_ID])
        case = add_element(cases, f"{_NS}Case", {"guid": guid("case", tid), "name": tid})
        for variable in variables:
            if variable == INTERVIEWER_VARIABLE:
                value = "; ".join(interviewers.get(tid, [])) or None
            else:
                value = _value(row.get(variable))
            if value is None:
                continue
            holder = add_element(case, f"{_NS}VariableValue")
            add_element(holder, f"{_NS}VariableRef", {"targetGUID": guid("variable", variable)})
            add_element(holder, f"{_NS}TextValue", text=xml_text(value, f"variable '{variable}'"))
        add_element(case, f"{_NS}SourceRef", {"targetGUID": guid("source", tid)})
    return len(rows)


def _add_sources(
    root: Any,
    rows: list[dict[str, Any]],
    codings: pd.DataFrame,
    order: dict[str, int],
    stamps: dict[tuple[str, str, str], str],
    offsets: str,
    report: RefiExport,
) -> dict[str, str]:
    """``Sources``: one ``TextSource`` per transcript with its selections (counted in
    `report`); returns the source texts by zip entry name."""
    by_transcript = {str(t): g for t, g in codings.groupby(m.TRANSCRIPT_ID, sort=False)}
    files: dict[str, str] = {}
    sources = add_element(root, f"{_NS}Sources")
    for row in rows:
        tid = str(row[m.TRANSCRIPT_ID])
        text = xml_text(str(row[m.TEXT]), f"transcript '{tid}'")
        source_guid = guid("source", tid)
        files[f"sources/{source_guid}.txt"] = text
        source = add_element(
            sources,
            f"{_NS}TextSource",
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
            report.selections += _selection(source, sel, tid, text, utf16, stamps, _NS)
    return files


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
    element = add_element(
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
        xml_text(note, f"note on {segment}")
    # The coder's note, then the match details as the last line (JSON has no raw line breaks).
    description = "\n\n".join(filter(None, (note, match_details_line(sel))))
    if description:
        add_element(element, f"{ns}Description", text=description)
    coding = add_element(
        element,
        f"{ns}Coding",
        {
            "guid": guid("coding", key),
            "creatingUser": guid("user", coder),
            "creationDateTime": stamps.get((coder, segment, code)),
        },
    )
    add_element(coding, f"{ns}CodeRef", {"targetGUID": guid("code", code)})
    return 1


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

    write_atomic(path, writer)


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
