"""The residual scan (`qualcode pseudonymise --check`): what still looks like an identifier.

Pattern-based detection misses things, so before sharing a human reads a list of candidates,
each with its file and line: listed identifiers still present, e-mails, phone and ID numbers,
addresses and dates the patterns find, capitalised words that are not words of the language
(not in spaCy's lookup lemma tables or stop words, nor in the identifiers' allow-list), and
digit sequences of five digits or more. This is the one place where a candidate's text is
shown: that is its purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from qualcode import models as m
from qualcode.privacy.identifiers import Identifiers, PseudonymiseError, normalise_name
from qualcode.privacy.patterns import find_patterns
from qualcode.privacy.pseudonymise import resolve_identifiers

COLUMNS = ["file", "line", "column", "kind", "candidate"]
# Front-matter keys whose values are analysis categories, not free text: not scanned.
SKIPPED_KEYS = frozenset({"id", "language", "country", "role"})
# Placeholders, bracketed or bare (as speaker labels). Each regex starts with a character
# class and puts its look-behind after it, so the engine can skip ahead fast on big texts.
_PLACEHOLDER = re.compile(
    r"\[[A-Z][A-Z_]*(?:-[A-Z]+)?(?:-\d{1,4})?\]|[A-Z](?<!\w[A-Z])[A-Z_]+-\d{1,4}(?!\w)"
)
# A capitalised word (a contraction's tail kept: "Doesn't"), found fast the same way.
_CAPITALS = "".join(re.escape(chr(c)) for c in range(0x530) if chr(c).isupper())
_WORD = re.compile(
    rf"[{_CAPITALS}](?<![^\W\d_][{_CAPITALS}])[^\W\d_]*(?:['’](?:t|s|re|ve|ll|d|m)\b)?"
)
_DIGITS = re.compile(r"\d(?:[\d ./-]*\d)?")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
_FRONT_KEY = re.compile(r"^([\w-]+)\s*:")


class ResidualsFound(PseudonymiseError):
    """The scan found candidates: a failed check (exit code 1), not bad input."""

    exit_code = 1


@dataclass(frozen=True)
class Candidate:
    """One thing a human should look at before sharing: where, what kind, and the text."""

    file: str
    line: int
    column: int
    kind: str  # listed | email | phone | id-number | address | date | name | number
    candidate: str


class Lexicon:
    """Lower-cased word forms of a language, for `in`: spaCy's lookup lemma tables (forms and
    lemmas, POS-specific lookups and exceptions too) and stop words. Adverbs in -mente/-ly count
    when their adjective does. Built without importing spaCy itself (that takes seconds).

    The WordNet-style ``*_lemma_index`` tables are left out: they list many proper names
    (maria, david, london), which would hide exactly what the scan looks for.
    """

    def __init__(self, language: str) -> None:
        from qualcode.matching.pipelines import lemma_table

        self.language = language
        self.tables: list = []
        table = lemma_table(language)
        if table is not None and hasattr(table, "values"):
            self.tables += [table, set(table.values())]
        for data in _extra_tables(language):
            if isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):
                self.tables.append({w for exc in data.values() for w in exc})  # exceptions
            elif isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
                self.tables += [data, set(data.values())]  # per-POS lookups (Italian)
        self.tables.append(_stopwords_for(language))

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        if any(word in table for table in self.tables):
            return True
        for suffix in ("mente", "ly"):
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and len(stem) > 2 and any(stem in t for t in self.tables):
                return True
        return False


def _data_folder() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("spacy_lookups_data")
    return Path(spec.origin).parent / "data" if spec and spec.origin else None


def _extra_tables(language: str) -> list[object]:
    import gzip
    import json

    folder = _data_folder()
    if folder is None:
        return []
    tables = []
    for path in sorted(folder.glob(f"{language}_lemma_*.json.gz")):
        # The main lookup table already holds every verb form; the index lists proper names.
        skipped = ("_lookup.json.gz", "_index.json.gz", "_verb.json.gz", "rules.json.gz")
        if path.name.endswith(skipped) or path.name.endswith("groups.json.gz"):
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            tables.append(json.load(handle))
    return tables


def _stopwords_for(language: str) -> set[str]:
    """spaCy's stop words of a language, read from its source file (no spaCy import)."""
    import importlib.util

    spec = importlib.util.find_spec("spacy")
    if spec is None or spec.origin is None:
        return set()
    path = Path(spec.origin).parent / "lang" / language / "stop_words.py"
    if not path.is_file():
        return set()
    loader = importlib.util.spec_from_file_location(f"_qualcode_stop_{language}", path)
    if loader is None or loader.loader is None:
        return set()
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return {str(w).lower() for w in getattr(module, "STOP_WORDS", ())}


@cache
def lexicon(language: str) -> Lexicon:
    """The (cached) `Lexicon` of a language."""
    return Lexicon(language)


def _allowed(identifiers: Identifiers | None) -> frozenset[str]:
    base = {normalise_name(label) for label in m.DEFAULT_INTERVIEWER_LABELS}
    return frozenset(base | (identifiers.allow if identifiers is not None else set()))


def scan_text(
    text: str,
    where: str,
    words,
    identifiers: Identifiers | None = None,
    *,
    first_line: int = 1,
    skip_lines: Iterable[int] = (),
) -> list[Candidate]:
    """Candidates in `text`; line numbers count from `first_line` (skip_lines: 0-based)."""
    masked = _PLACEHOLDER.sub(lambda x: " " * len(x.group()), text)
    allow = _allowed(identifiers)
    spans: list[tuple[int, int, int, str]] = []
    if identifiers is not None:
        spans += [(s, e, 0, "listed") for s, e, _ in identifiers.find(masked)]
    spans += [(s, e, 1, label.lower()) for s, e, label in find_patterns(masked)]
    hits = resolve_identifiers(spans)  # as pseudonymise would replace them: the longest wins
    covered = _Covered(hits)
    for match in _WORD.finditer(masked):
        word = match.group()
        if (
            len(word) > 1
            and word.lower() not in words
            and word.lower().replace("’", "'").split("'")[0] not in words
            and word.lower().replace("’", "'").split("n't")[0] not in words
            and normalise_name(word) not in allow
            and not covered(match.start(), match.end())
        ):
            hits.append((match.start(), match.end(), "name"))
    for match in _DIGITS.finditer(masked):
        found = match.group()
        if (
            sum(c.isdigit() for c in found) >= 5
            and not _THOUSANDS.match(found)
            and not covered(match.start(), match.end())
        ):
            hits.append((match.start(), match.end(), "number"))
    starts = [0] + [newline.end() for newline in re.finditer("\n", text)]
    skip = set(skip_lines)
    found_list = []
    from bisect import bisect_right

    for start, end, kind in sorted(hits):
        line = bisect_right(starts, start) - 1
        if line in skip:
            continue
        candidate = " ".join(text[start:end].split())
        found_list.append(
            Candidate(where, first_line + line, start - starts[line] + 1, kind, candidate)
        )
    return found_list


class AnyLexicon:
    """A word known to any of several lexicons (for multilingual files: the codebook, notes,
    run.json)."""

    def __init__(self, lexicons: list) -> None:
        self.lexicons = lexicons

    def __contains__(self, word: object) -> bool:
        return any(word in lexicon for lexicon in self.lexicons)


class _Covered:
    """Whether a span overlaps one of the (sorted) pattern hits."""

    def __init__(self, hits: list[tuple[int, int, str]]) -> None:
        self.starts = [s for s, _, _ in hits]
        self.ends = [e for _, e, _ in hits]

    def __call__(self, start: int, end: int) -> bool:
        from bisect import bisect_left

        i = bisect_left(self.starts, end)
        return any(self.ends[j] > start for j in range(max(0, i - 3), i))


def _front_skip(text: str) -> list[int]:
    """0-based lines of front matter whose key is an analysis category (id, country ...)."""
    if not text.startswith("---\n"):
        return []
    skip = []
    for number, line in enumerate(text.split("\n")[1:], start=1):
        if line.strip() in ("---", "..."):
            break
        key = _FRONT_KEY.match(line)
        if key and key.group(1).casefold() in SKIPPED_KEYS:
            skip.append(number)
    return skip


def _front_language(text: str, path: Path, default: str) -> str:
    from qualcode.errors import TranscriptError
    from qualcode.transcripts.reader import split_front_matter

    try:
        front = split_front_matter(text, path)[0]
    except TranscriptError:
        return default
    value = front.get("language")
    return str(value).strip().lower() if value else default


def scan_transcript_files(
    inputs: Sequence[Path], identifiers: Identifiers | None, language: str, encoding: str
) -> list[Candidate]:
    """Candidates in transcript files and folders (front matter categories skipped)."""
    from qualcode.transcripts.reader import TEXT_SUFFIXES, decode_bytes, find_transcript_files

    found: list[Candidate] = []
    for path in find_transcript_files(inputs):
        if path.suffix.lower() in TEXT_SUFFIXES:
            text = decode_bytes(path.read_bytes(), path, encoding)
            lang = _front_language(text, path, language)
            skip = _front_skip(text)
            found += scan_text(text, str(path), words_for(lang), identifiers, skip_lines=skip)
        else:
            from qualcode.transcripts.reader import read_transcript

            transcript = read_transcript(path, default_language=language, encoding=encoding)
            found += scan_text(
                transcript.text, str(path), words_for(transcript.language), identifiers
            )
    return found


def words_for(language: str) -> Lexicon | frozenset[str]:
    """The lexicon of a language code, or an empty set for something that is not one."""
    return lexicon(language) if re.fullmatch(r"[a-z]{2,3}", language) else frozenset()
