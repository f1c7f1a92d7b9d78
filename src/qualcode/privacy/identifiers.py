"""Listed identifiers: people, places and organisations with their variants, and their numbers.

An identifiers file (YAML) lists what `qualcode pseudonymise` must replace besides what its
patterns find::

    people:                       # -> [PERSON-n]
      - name: Giovanna Pellegrini
        variants: [suor Giovanna, Pellegrini]
    places: [...]                 # -> [CITY-n], or an entry's own `label:` (STREET, PLACE ...)
    organisations: [...]          # -> [ORG-n]
    metadata_keys: [contact]      # front-matter keys holding names (beside interviewee ...)
    allow: [ASL, STP]             # words `--check` should not flag

The number n of a placeholder comes from HMAC-SHA256 of the label and the name under the
project secret, so it is stable from run to run but cannot be recomputed from a guessed name
without the key. No message, repr or exception here shows a name.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.errors import Problem, QualcodeError

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
_LABEL_OK = re.compile(r"^[A-Z][A-Z_]{1,19}$")


class PseudonymiseError(QualcodeError):
    """The identifiers file, the key file or a pseudonymisation request is unusable."""


def normalise_name(text: str) -> str:
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
        self.allow = frozenset(normalise_name(a) for a in allow)
        self.metadata_keys = tuple(dict.fromkeys(k.casefold() for k in metadata_keys))
        self.path = path
        self._by_variant: dict[str, int] = {}
        for index, entity in enumerate(self.entities):
            for variant in (entity.name, *entity.variants):
                self._by_variant.setdefault(normalise_name(variant), index)
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
            normalise_name(v): v[:1].isupper() for e in self.entities for v in (e.name, *e.variants)
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
            if len(name) < 2 or normalise_name(name) in known:
                continue
            parts = tuple(
                p
                for p in name.split()
                if len(p) >= 3 and p[:1].isupper() and normalise_name(p) not in known
            )
            variants = parts if len(name.split()) > 1 else ()
            entities.append(Entity(label, name, (name, *variants)))
            for v in (name, *variants):
                known.setdefault(normalise_name(v), len(entities) - 1)
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
            key = normalise_name(hit)
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

    def placeholder(self, index: int, secret: bytes) -> str:
        """`LABEL-N` of an entity: N from HMAC-SHA256 under the secret, unique within the label."""
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
        message = f"{entity.label}\x00{normalise_name(entity.name)}\x00{attempt}".encode()
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
    path = Path(path)
    data = _read_yaml(path)
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
                other = seen.get(normalise_name(variant))
                if other is not None and other != where:
                    add(f"{where}: a variant is also listed under {other}", line)
                seen[normalise_name(variant)] = where
            entities.append(entity)
    allow = _string_list(data, "allow", add)
    keys = _string_list(data, "metadata_keys", add)
    if problems:
        raise PseudonymiseError(problems=problems)
    return Identifiers(
        entities, allow=allow, metadata_keys=(*DEFAULT_METADATA_KEYS, *keys), path=path
    )


def _read_yaml(path: Path) -> Any:
    """The YAML data of an identifiers file, with line numbers; PseudonymiseError if unreadable."""
    from qualcode.codebook.yamllines import yaml_with_lines
    from qualcode.errors import CodebookError

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise PseudonymiseError(
            f"cannot read identifiers file ({exc.strerror})", file=path
        ) from None
    except UnicodeDecodeError:
        raise PseudonymiseError("identifiers file is not valid UTF-8", file=path) from None
    try:
        return yaml_with_lines(text, path) if text.strip() else {}
    except CodebookError as exc:
        raise PseudonymiseError(problems=exc.problems) from None


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
