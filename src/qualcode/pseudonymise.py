"""Pseudonymisation: replace identifiers with consistent placeholders and keep offsets right.

Two kinds of identifier are replaced:

* **listed** ones -- people, places and organisations of an identifiers file (each with its
  variants) plus the names found in metadata (``interviewee:`` ...). Each becomes a numbered
  placeholder such as ``[PERSON-4821]``; the number comes from HMAC-SHA256 of the identifier
  under a project secret (the key file), so the same person gets the same placeholder in every
  transcript and every run, and nobody without the key can test a guessed name against it;
* **pattern-based** ones -- e-mail addresses, phone numbers, identity, tax and health-card
  numbers, street addresses with a house number and exact dates -- which become ``[EMAIL]``,
  ``[PHONE]``, ``[ID-NUMBER]``, ``[ADDRESS]`` and ``[DATE]``.

`pseudonymise_text` returns the new text and an `OffsetMap` that carries character offsets of
the old text into the new one, so coded passages (start, end, match spans) stay on their words.
Files and output folders are handled in `qualcode.pseudonymise_files`; the residual scan
(``--check``) in `qualcode.residual`. Nothing here prints, and no message quotes an identifier.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import Problem, QualcodeError

if TYPE_CHECKING:
    import pandas as pd

# identifiers file section -> placeholder label
SECTIONS = {"people": "PERSON", "places": "CITY", "organisations": "ORG", "organizations": "ORG"}
FILE_KEYS = {*SECTIONS, "allow", "metadata_keys"}
ENTRY_KEYS = {"name", "variants", "label"}
# Front-matter / metadata keys whose values are names of people (extended by `metadata_keys:`).
DEFAULT_METADATA_KEYS = (
    "interviewee",
    "interviewee_name",
    "participant",
    "participant_name",
    "respondent",
    "name",
)
NUMBER_RANGE = 9999  # numbered placeholders are 1..9999
KEY_BYTES = 32
_LABEL_OK = re.compile(r"^[A-Z][A-Z_]{1,19}$")


class PseudonymiseError(QualcodeError):
    """The identifiers file, the key file or a pseudonymisation request is unusable."""


# --- the project key ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectKey:
    """The project secret read from (or created in) a key file. Its repr hides the secret."""

    secret: bytes = field(repr=False)
    path: Path
    created: bool = False
    warnings: tuple[str, ...] = ()


def load_key(path: str | Path, *, create: bool = True) -> ProjectKey:
    """Read the key file, creating it (32 random bytes, hex, mode 0600) when missing and `create`.

    Raises PseudonymiseError for an unreadable or malformed key file; the key is never shown.
    A key file readable by group or others is returned with a warning.
    """
    path = Path(path)
    created = False
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        except OSError as exc:
            raise PseudonymiseError(f"cannot create key file ({exc.strerror})", file=path) from None
        else:
            try:
                os.write(fd, (secrets.token_hex(KEY_BYTES) + "\n").encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.chmod(path, 0o600)
            created = True
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise PseudonymiseError("key file not found", file=path) from None
    except OSError as exc:
        raise PseudonymiseError(f"cannot read key file ({exc.strerror})", file=path) from None
    text = raw.strip()
    if not re.fullmatch(rb"[0-9a-fA-F]{32,256}", text):
        raise PseudonymiseError(
            "not a qualcode key file (expected one line of 32 to 256 hex digits)", file=path
        )
    warnings = ()
    if mode & 0o077:
        warnings = (f"{path}: key file is readable by other users; run chmod 600 on it",)
    return ProjectKey(bytes.fromhex(text.decode("ascii")), path, created, warnings)


def _secret(key: ProjectKey | bytes) -> bytes:
    return key.secret if isinstance(key, ProjectKey) else bytes(key)


# --- identifiers -------------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Entity:
    """One listed identifier: its placeholder label, canonical name and every variant."""

    label: str
    name: str = field(repr=False)
    variants: tuple[str, ...] = field(repr=False)
    line: int | None = None


class Identifiers:
    """Listed identifiers (with variants), the allow-list of --check and metadata name keys."""

    def __init__(
        self,
        entities: Sequence[Entity] = (),
        *,
        allow: Iterable[str] = (),
        metadata_keys: Iterable[str] = DEFAULT_METADATA_KEYS,
        path: Path | None = None,
    ) -> None:
        self.entities: tuple[Entity, ...] = tuple(entities)
        self.allow = frozenset(_norm(a) for a in allow)
        self.metadata_keys = tuple(dict.fromkeys(k.casefold() for k in metadata_keys))
        self.path = path
        self._by_variant: dict[str, int] = {}
        for index, entity in enumerate(self.entities):
            for variant in (entity.name, *entity.variants):
                self._by_variant.setdefault(_norm(variant), index)
        variants = sorted(self._by_variant, key=lambda v: (-len(v), v))
        # A lookahead finds a match at every position, overlapping ones included, so that
        # "suor Giovanna" and "Giovanna Pellegrini" both show up and merge into one stretch.
        self._regex = (
            re.compile(
                r"(?<!\w)(?=((?:" + "|".join(_variant_regex(v) for v in variants) + r")(?!\w)))",
                re.IGNORECASE,
            )
            if variants
            else None
        )
        # A variant written with a capital only matches capitalised text ("Olivo", not "olivo").
        self._capital = {
            _norm(v): v[:1].isupper() for e in self.entities for v in (e.name, *e.variants)
        }
        self._numbers: dict[bytes, dict[int, int]] = {}

    def __len__(self) -> int:
        return len(self.entities)

    def __repr__(self) -> str:  # never shows names
        return f"Identifiers({len(self.entities)} entities, path={self.path})"

    def with_names(self, names: Iterable[str], label: str = "PERSON") -> Identifiers:
        """A copy with extra names (e.g. from metadata); a name already listed joins its entity.

        A name of several words also brings each of its capitalised words of 3+ letters as a
        variant ("Maria Rossi" -> "Maria", "Rossi"), since interviews rarely repeat full names.
        """
        entities = list(self.entities)
        known = dict(self._by_variant)
        for raw in names:
            name = " ".join(str(raw).split())
            if len(name) < 2 or _norm(name) in known:
                continue
            parts = tuple(
                p for p in name.split() if len(p) >= 3 and p[:1].isupper() and _norm(p) not in known
            )
            variants = parts if len(name.split()) > 1 else ()
            entities.append(Entity(label, name, (name, *variants)))
            for v in (name, *variants):
                known.setdefault(_norm(v), len(entities) - 1)
        return Identifiers(
            entities, allow=self.allow, metadata_keys=self.metadata_keys, path=self.path
        )

    def with_metadata(self, records: Iterable[Mapping[str, Any]]) -> Identifiers:
        """A copy with the names found under `metadata_keys` in metadata records (dicts)."""
        names: list[str] = []
        for record in records:
            for key, value in record.items():
                if str(key).casefold() in self.metadata_keys and _present(value):
                    names.extend(value if isinstance(value, (list, tuple)) else [value])
        return self.with_names(str(n) for n in names if _present(n))

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, entity index) of every listed identifier in `text`."""
        if self._regex is None:
            return []
        found: list[tuple[int, int, int]] = []
        for match in self._regex.finditer(text):
            hit = match.group(1)
            key = _norm(hit)
            index = self._by_variant.get(key)
            if index is None or (self._capital.get(key) and not hit[:1].isupper()):
                continue
            start, end = match.start(1), match.end(1)
            # Overlapping variants of one entity become one stretch.
            if found and found[-1][2] == index and start <= found[-1][1]:
                found[-1] = (found[-1][0], max(end, found[-1][1]), index)
            else:
                found.append((start, end, index))
        return found

    def placeholder(self, index: int, key: ProjectKey | bytes) -> str:
        """`LABEL-N` of an entity: N from HMAC-SHA256 under the key, unique within the label."""
        secret = _secret(key)
        tag = hashlib.sha256(secret).digest()
        if tag not in self._numbers:
            self._numbers[tag] = _assign_numbers(self.entities, secret)
        return f"{self.entities[index].label}-{self._numbers[tag][index]}"


def _present(value: Any) -> bool:
    return value is not None and value == value and str(value).strip() != ""


def _variant_regex(variant: str) -> str:
    parts = [re.escape(p).replace("'", "['’]") for p in variant.split(" ")]
    return r"\s+".join(parts)


def _assign_numbers(entities: Sequence[Entity], secret: bytes) -> dict[int, int]:
    """Number each entity from its keyed hash; collisions within a label probe further."""

    def number(entity: Entity, attempt: int) -> tuple[int, bytes]:
        message = f"{entity.label}\x00{_norm(entity.name)}\x00{attempt}".encode()
        digest = hmac.new(secret, message, hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") % NUMBER_RANGE + 1, digest

    order = sorted(range(len(entities)), key=lambda i: number(entities[i], 0)[1])
    taken: dict[str, set[int]] = {}
    numbers: dict[int, int] = {}
    for index in order:
        entity = entities[index]
        used = taken.setdefault(entity.label, set())
        attempt = 0
        value = number(entity, 0)[0]
        while value in used:
            attempt += 1
            value = number(entity, attempt)[0]
        used.add(value)
        numbers[index] = value
    return numbers


def load_identifiers(path: str | Path) -> Identifiers:
    """Read an identifiers YAML file (people/places/organisations, allow, metadata_keys).

    Every problem is reported at once with its line; messages name positions such as
    ``people[2]``, never the identifiers themselves. Raises PseudonymiseError.
    """
    from qualcode.codebook import _yaml_with_lines
    from qualcode.errors import CodebookError

    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise PseudonymiseError(
            f"cannot read identifiers file ({exc.strerror})", file=path
        ) from None
    except UnicodeDecodeError:
        raise PseudonymiseError("identifiers file is not valid UTF-8", file=path) from None
    try:
        data = _yaml_with_lines(text, path) if text.strip() else {}
    except CodebookError as exc:
        raise PseudonymiseError(problems=exc.problems) from None
    problems: list[Problem] = []

    def add(message: str, line: int | None) -> None:
        problems.append(Problem(message, str(path), line))

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PseudonymiseError(
            "an identifiers file is a mapping (people:, places: ...)", file=path
        )
    for key in sorted((k for k in data if k not in FILE_KEYS), key=str):
        add(f"unknown key '{key}' (allowed: {', '.join(sorted(FILE_KEYS))})", _line_of(data, key))
    entities: list[Entity] = []
    seen: dict[str, str] = {}
    for section, label in SECTIONS.items():
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            add(f"'{section}' must be a list", _line_of(data, section))
            continue
        for i, item in enumerate(items):
            where = f"{section}[{i}]"
            line = getattr(item, "line", None) or _line_of(data, section)
            entity = _parse_entry(item, label, where, line, add)
            if entity is None:
                continue
            for variant in dict.fromkeys((entity.name, *entity.variants)):
                other = seen.get(_norm(variant))
                if other is not None and other != where:
                    add(f"{where}: a variant is also listed under {other}", line)
                seen[_norm(variant)] = where
            entities.append(entity)
    allow = _string_list(data, "allow", add)
    keys = _string_list(data, "metadata_keys", add)
    if problems:
        raise PseudonymiseError(problems=problems)
    return Identifiers(
        entities, allow=allow, metadata_keys=(*DEFAULT_METADATA_KEYS, *keys), path=path
    )


def _line_of(mapping: Any, key: str) -> int | None:
    lines = getattr(mapping, "key_lines", None)
    return lines.get(key) if lines else getattr(mapping, "line", None)


def _parse_entry(item: Any, label: str, where: str, line: int | None, add) -> Entity | None:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict):
        add(f"{where}: an entry is a name or a mapping with name and variants", line)
        return None
    for key in sorted((k for k in item if k not in ENTRY_KEYS), key=str):
        add(f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(ENTRY_KEYS))})", line)
    name = item.get("name")
    if not isinstance(name, str) or len(name.strip()) < 2:
        add(f"{where}: 'name' must be text of at least 2 characters", line)
        return None
    variants = item.get("variants") or []
    if isinstance(variants, str):
        variants = [variants]
    if not isinstance(variants, list) or not all(isinstance(v, (str, int)) for v in variants):
        add(f"{where}: 'variants' must be a list of texts", line)
        return None
    clean = [" ".join(str(v).split()) for v in variants]
    if any(len(v) < 2 for v in clean):
        add(f"{where}: every variant needs at least 2 characters", line)
        return None
    custom = item.get("label")
    if custom is not None:
        if not isinstance(custom, str) or not _LABEL_OK.match(custom):
            add(f"{where}: label must be 2-20 capital letters or '_' (e.g. PLACE)", line)
            return None
        label = custom
    name = " ".join(name.split())
    return Entity(label, name, tuple(dict.fromkeys([name, *clean])), line)


def _string_list(data: dict, key: str, add) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        add(f"'{key}' must be a list of texts", _line_of(data, key))
        return []
    return [str(v) for v in value]


# --- pattern-based identifiers -----------------------------------------------------------------

_MONTHS = (
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|"
    "dicembre|enero|febrero|abril|mayo|junio|julio|septiembre|setiembre|octubre|noviembre|"
    "diciembre|january|february|march|april|may|june|july|august|september|october|november|"
    "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_STREET = (
    r"via|viale|vicolo|vico|piazza|piazzale|piazzetta|corso|largo|contrada|strada|borgo|"
    r"lungomare|calle|c/|avenida|avda\.?|av\.|plaza|pla[çc]a|paseo|pasaje|carrer|camino|"
    r"carretera|ronda|traves[ií]a|glorieta|rambla|street|road|avenue|lane|square"
)
_OMO = "[0-9LMNPQRSTUV]"  # a codice fiscale digit, or its omocodia letter

# (label, regex, flags); checked by _valid below. Order does not matter: overlaps are resolved
# by length.
PATTERNS: tuple[tuple[str, str, int], ...] = (
    ("EMAIL", r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])", 0),
    (
        "PHONE",
        r"(?<![\w+])(?:(?:\+|00)\d{1,3}[ .-]?)?\(?\d{2,4}\)?(?:[ .-]?\d{2,4}){1,4}(?![\w+])",
        0,
    ),
    ("ID-NUMBER", r"(?<!\w)[XYZ][ -]?\d{7}[ -]?[A-Z](?!\w)", re.IGNORECASE),  # NIE
    ("ID-NUMBER", r"(?<!\w)\d{8}[ -]?[A-Z](?!\w)", re.IGNORECASE),  # DNI / NIF
    (
        "ID-NUMBER",
        rf"(?<!\w)[A-Z]{{6}}{_OMO}{{2}}[ABCDEHLMPRST]{_OMO}{{2}}[A-Z]{_OMO}{{3}}[A-Z](?!\w)",
        0,
    ),  # codice fiscale
    ("ID-NUMBER", r"(?<!\w)(?:STP|ENI)[ -]?\d{13}(?!\w)", re.IGNORECASE),  # STP / ENI codes
    ("ID-NUMBER", r"(?<!\w)[A-Z]{1,4}\d{6,14}(?!\w)", 0),  # passports, health cards (CIP, TSI)
    ("ID-NUMBER", r"(?<![\w/])\d{2}[/ -]?\d{7,8}[/ -]?\d{2}(?![\w/])", 0),  # NUSS (Spain)
    ("ID-NUMBER", r"(?<!\w)\d{10,20}(?!\w)", 0),  # tessera sanitaria, long card numbers
    (
        "ADDRESS",
        rf"(?<!\w)(?:{_STREET})\s+(?:[^\W\d][\w'’.-]*\s+){{0,5}}?[^\W\d][\w'’.-]*,?\s+"
        r"(?:n\.?\s?|nº\s?|n°\s?|núm\.?\s?|num\.?\s?|no\.\s?)?\d{1,4}"
        r"(?:[ ]?[a-zA-Z](?!\w)|/\d{1,3})?(?!\d)",
        re.IGNORECASE,
    ),
    (
        "ADDRESS",
        r"(?<!\w)\d{1,4}[a-zA-Z]?,?\s+(?:[A-Z][\w'’.-]*\s+){1,4}"
        r"(?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Lane|Square|Place|Drive|Close)(?!\w)",
        0,
    ),
    (
        "DATE",
        rf"(?<![\w/.-]){_DAY}[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)?\d{{2}}(?![\w/-]|\.\d)",
        0,
    ),
    ("DATE", r"(?<![\w/.-])(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\w)", 0),
    (
        "DATE",
        rf"(?<!\w){_DAY}(?:º|°|st|nd|rd|th)?\s+(?:de\s+)?(?:{_MONTHS})\.?,?\s+(?:de[l]?\s+)?"
        r"(?:19|20)\d{2}(?!\w)",
        re.IGNORECASE,
    ),
    (
        "DATE",
        rf"(?<!\w)(?:{_MONTHS})\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}(?!\w)",
        re.IGNORECASE,
    ),
)
PATTERN_LABELS = ("EMAIL", "PHONE", "ID-NUMBER", "ADDRESS", "DATE")
_COMPILED = tuple((label, re.compile(regex, flags)) for label, regex, flags in PATTERNS)
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")


def _valid(label: str, found: str) -> bool:
    if label == "PHONE":
        digits = re.sub(r"\D", "", found)
        if found.startswith(("+", "00")):
            return 8 <= len(digits) <= 15
        if _THOUSANDS.match(found):
            return False
        if digits[0] == "3":  # Italian mobile
            return len(digits) in (9, 10)
        if digits[0] == "0":  # Italian landline
            return 8 <= len(digits) <= 11
        return digits[0] in "6789" and len(digits) == 9  # Spanish numbers
    if label == "ADDRESS" and not found[:1].isdigit():
        words = found.split()[1:-1]
        return any(w[:1].isupper() for w in words)
    return True


def find_patterns(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of every pattern-based identifier (overlaps not yet resolved)."""
    found = []
    for label, regex in _COMPILED:
        for match in regex.finditer(text):
            if _valid(label, match.group()):
                found.append((match.start(), match.end(), label))
    return found


# --- replacing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OffsetMap:
    """Where each replaced stretch of the old text went in the new one (sorted, disjoint).

    The replaced text itself is not kept. ``placeholders`` holds each replacement's placeholder
    (without brackets), e.g. ``PERSON-4821`` or ``PHONE``.
    """

    old_starts: tuple[int, ...] = ()
    old_ends: tuple[int, ...] = ()
    new_starts: tuple[int, ...] = ()
    new_ends: tuple[int, ...] = ()
    placeholders: tuple[str, ...] = ()

    def map(self, offset: int, *, end: bool = False) -> int:
        """The new offset of an old one. Inside a replaced stretch an offset goes to the start of
        its placeholder, or to its end when `end` (so a span never loses its placeholder)."""
        i = bisect_right(self.old_starts, offset) - 1
        if i < 0:
            return offset
        if offset < self.old_ends[i]:
            if offset == self.old_starts[i] or not end:
                return self.new_starts[i]
            return self.new_ends[i]
        return offset + self.new_ends[i] - self.old_ends[i]

    def map_span(self, start: int, end: int) -> tuple[int, int]:
        """The new (start, end) of an old span."""
        return self.map(start), self.map(end, end=True)

    def __len__(self) -> int:
        return len(self.old_starts)


def map_offset(offset_map: OffsetMap, offset: int, *, end: bool = False) -> int:
    """Map an offset of the original text to the pseudonymised text (see `OffsetMap.map`)."""
    return offset_map.map(offset, end=end)


def _resolve(spans: list[tuple[int, int, int, Any]]) -> list[tuple[int, int, Any]]:
    """Keep the longest of overlapping spans (then the earliest, then listed before patterns)."""
    kept: list[tuple[int, int, Any]] = []
    starts: list[int] = []
    for start, end, _, what in sorted(spans, key=lambda s: (s[0] - s[1], s[0], s[2])):
        i = bisect_right(starts, start)
        if i > 0 and kept[i - 1][1] > start:
            continue
        if i < len(kept) and kept[i][0] < end:
            continue
        kept.insert(i, (start, end, what))
        starts.insert(i, start)
    return kept


_LABEL_AFTER = re.compile(r"[ \t]*:")


def pseudonymise_text(
    text: str, identifiers: Identifiers, key: ProjectKey | bytes, *, bare: bool = False
) -> tuple[str, OffsetMap]:
    """Replace every identifier in `text` by its placeholder; returns (new text, offset map).

    Listed identifiers become ``[LABEL-N]``, pattern-based ones ``[LABEL]``. A placeholder that
    stands where a speaker label does (line start, before ':') -- or every placeholder when
    `bare` -- is written without brackets (``PERSON-12``) so it stays a valid label.
    """
    candidates: list[tuple[int, int, int, Any]] = [
        (s, e, 0, index) for s, e, index in identifiers.find(text)
    ]
    candidates += [(s, e, 1, label) for s, e, label in find_patterns(text)]
    if not candidates:
        return text, OffsetMap()
    pieces: list[str] = []
    columns: list[list] = [[], [], [], [], []]
    position = new_length = 0
    for start, end, what in _resolve(candidates):
        name = identifiers.placeholder(what, key) if isinstance(what, int) else what
        line_start = text.rfind("\n", 0, start) + 1
        label_position = not text[line_start:start].strip() and _LABEL_AFTER.match(text, end)
        placeholder = name if bare or label_position else f"[{name}]"
        pieces.append(text[position:start])
        new_start = new_length + start - position
        pieces.append(placeholder)
        new_length = new_start + len(placeholder)
        for column, value in zip(columns, (start, end, new_start, new_length, name), strict=True):
            column.append(value)
        position = end
    pieces.append(text[position:])
    return "".join(pieces), OffsetMap(*(tuple(c) for c in columns))


def redact_value(value: Any, identifiers: Identifiers, key: ProjectKey | bytes, *, bare=False):
    """Pseudonymise a metadata value: text, a date, or (nested) lists of them; others as is."""
    import datetime as dt

    if isinstance(value, str):
        return pseudonymise_text(value, identifiers, key, bare=bare)[0]
    if isinstance(value, (dt.date, dt.datetime)):
        return pseudonymise_text(value.isoformat(), identifiers, key, bare=bare)[0]
    if isinstance(value, list):
        return [redact_value(v, identifiers, key, bare=bare) for v in value]
    return value


def _parse_spans(value: Any) -> list[tuple[int, int]] | None:
    if isinstance(value, str):
        pairs = [p.split("-") for p in value.split(";") if p.strip()]
        return [(int(a), int(b)) for a, b in pairs]
    if isinstance(value, (list, tuple)) or hasattr(value, "__array__"):
        return [(int(a), int(b)) for a, b in value]
    return None


def redact_frame(
    df: pd.DataFrame,
    identifiers: Identifiers,
    key: ProjectKey | bytes,
    text_columns: Sequence[str],
    *,
    spans: Mapping[str, str] | None = None,
    bare_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """A copy of `df` with the identifiers in `text_columns` replaced by placeholders.

    For ``quotes``/``report``/``export`` output: `spans` maps a column of (start, end) ranges
    (lists of pairs, or "start-end;start-end" text) to the text column they index, and those
    ranges are remapped onto the new text. `bare_columns` (e.g. ``speaker``) get placeholders
    without brackets. Missing values and columns absent from `df` are left alone.
    """
    result = df.copy()
    spans = dict(spans or {})
    for column in [*text_columns, *bare_columns]:
        if column not in result.columns:
            continue
        new_texts, maps = [], []
        for value in result[column].tolist():
            if isinstance(value, str):
                new, omap = pseudonymise_text(value, identifiers, key, bare=column in bare_columns)
            else:
                new, omap = value, OffsetMap()
            new_texts.append(new)
            maps.append(omap)
        result[column] = _same_kind(result[column], new_texts)
        for span_column, text_column in spans.items():
            if text_column != column or span_column not in result.columns:
                continue
            remapped = []
            for value, omap in zip(result[span_column].tolist(), maps, strict=True):
                pairs = _parse_spans(value)
                if pairs is None:
                    remapped.append(value)
                    continue
                moved = [omap.map_span(a, b) for a, b in pairs]
                remapped.append(
                    ";".join(f"{a}-{b}" for a, b in moved) if isinstance(value, str) else moved
                )
            result[span_column] = _same_kind(result[span_column], remapped)
    return result


def _same_kind(column: pd.Series, values: list) -> pd.Series:
    import pandas as pd

    dtype = column.dtype if str(column.dtype) == "string" else object
    return pd.Series(values, index=column.index, dtype=dtype, name=column.name)
