"""REFI-QDA import, the sources: transcript ids, file names and front matter of each text source.

A source's name becomes its transcript id (letters, digits, ``_ . -``; unique regardless of
case; shortened with a hash when longer than `MAX_ID_BYTES`, so a 300-character name is still a
valid file name), and its variables (case variables included) the transcript's front matter.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from qualcode import models as m
from qualcode.exchange.refi import INTERVIEWER_VARIABLE
from qualcode.exchange.refi_read import RefiProject

# Transcript ids (and file names) longer than this many UTF-8 bytes are shortened.
MAX_ID_BYTES = 96

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


def slug(text: str, fallback: str) -> str:
    """`text` as a name qualcode accepts (letters, digits, _ . -; shortened), else `fallback`."""
    slug = re.sub(r"[^\w.\-]+", "_", text.strip()).strip("_.")
    return shorten(slug) if slug else fallback


def shorten(name: str, limit: int = MAX_ID_BYTES) -> str:
    """`name` when it fits in `limit` UTF-8 bytes, else its start and a hash of the whole (so
    two long names that start alike stay apart): safe as a file name on every system."""
    if len(name.encode("utf-8")) <= limit:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    head = name.encode("utf-8")[: limit - len(digest) - 1].decode("utf-8", "ignore")
    return f"{head.rstrip('_.-')}-{digest}"


def transcript_ids(project: RefiProject) -> list[str]:
    """One unique transcript id per text source of the project, in order."""
    ids, taken = [], set()
    for source in project.sources:
        name = re.sub(r"\.(txt|docx?|rtf|odt|pdf|md)$", "", source.name, flags=re.IGNORECASE)
        tid = slug(name, f"source-{source.guid[:8]}")
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


def front_matter(tid: str, variables: dict[str, str], warnings: list[str], name: str) -> str:
    """The YAML front matter of a source's transcript: id, language, interviewer, variables."""
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
