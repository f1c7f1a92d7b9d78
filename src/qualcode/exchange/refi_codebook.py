"""REFI-QDA import, the codes: a REFI codebook as a qualcode codebook (every code manual).

The codes come from a ``.qdc`` codebook or from the ``<CodeBook>`` of a ``.qdpx`` project
(`read_codebook` tells them apart by content, not by name). A code's REFI description is read
back into definition, include / exclude rules and examples when it has the sections
`refi.code_description` writes; names are made unique so it validates.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qualcode.errors import ExportError
from qualcode.exchange.refi import EXAMPLES_HEADING
from qualcode.exchange.refi_files import (
    ProjectArchive,
    local_name,
    open_zip,
    parse_xml,
    project_member,
)
from qualcode.exchange.refi_read import RefiCode, read_codes, read_qdc

_SECTION = re.compile(r"^(Include|Exclude|Examples):[ \t]*\n?", re.MULTILINE)


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


def codebook_yaml(data: dict[str, Any]) -> str:
    """Codebook data as YAML text, keys in their order, Unicode kept."""
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def read_codebook(path: str | Path) -> tuple[str, list[RefiCode]]:
    """(origin, codes) of a ``.qdc`` codebook, or of the codebook of a ``.qdpx`` project (a zip).

    The project is read as `import qdpx` reads it (safe XML, size limits); only its
    ``<CodeBook>`` is used. Raises ExportError naming the file for a zip that is not a REFI-QDA
    project, a project without codes, or a ``.qdc`` that is not a codebook.
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        return read_qdc(path)
    with open_zip(path) as opened:
        member = project_member(opened, path)
        root = parse_xml(ProjectArchive(opened, path).read(member), path, member.filename)
    if local_name(root) != "Project":
        raise ExportError(
            f"not a REFI-QDA project: {member.filename} has root element <{local_name(root)}>, "
            "expected <Project>",
            file=path,
        )
    codes = read_codes(root)
    if not codes:
        raise ExportError("the project has no codebook: its <CodeBook> holds no codes", file=path)
    return root.get("origin") or "", codes
