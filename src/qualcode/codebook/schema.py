"""The codebook's schema: codes, their hierarchy and documentation, and patterns per language.

A codebook is the researcher's real instrument -- definitions, include/exclude rules, examples --
plus the patterns that let qualcode apply it automatically. See docs/codebook.md for the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOP_KEYS = {"name", "version", "description", "languages", "codes"}
CODE_KEYS = {
    "name",
    "parent",
    "definition",
    "include",
    "exclude",
    "examples",
    "counterexamples",
    "patterns",
    "exclude_patterns",
    "manual",
    "color",
}
PATTERN_KINDS = ("phrase", "tokens", "regex")
PATTERN_KEYS = {"phrase", "tokens", "regex", "match", "scope", "id"}
MATCH_MODES = ("lemma", "lower", "exact")
SCOPES = ("overlap", "segment")
# Token attributes a blank pipeline cannot fill: they would silently never match.
UNSUPPORTED_TOKEN_ATTRS = {
    "POS",
    "TAG",
    "DEP",
    "MORPH",
    "ENT_TYPE",
    "ENT_IOB",
    "ENT_ID",
    "SENT_START",
}
WILDCARD = "*"
MAX_CODEBOOK_VALUES = 1_000_000
MAX_WILDCARD = 2
PATTERN_ID_OK = re.compile(r"[\w.\-]+")


@dataclass(frozen=True)
class Pattern:
    """One pattern of one code in one language."""

    id: str
    code: str
    language: str
    kind: str  # phrase | tokens | regex
    value: Any  # str for phrase/regex, list[dict] for tokens
    match: str = "lemma"  # phrase only: lemma | lower | exact
    exclusion: bool = False
    scope: str = "overlap"  # exclusions only: overlap | segment
    line: int | None = None


@dataclass(frozen=True)
class Example:
    """An executable example of a code: a passage that must (or, for a counterexample, must not)
    get the code. `language` None means it is guessed from the text when checked."""

    code: str
    text: str
    language: str | None
    expected: bool
    line: int | None = None


@dataclass
class Code:
    """A code of the codebook with its documentation and patterns."""

    name: str
    parent: str | None = None
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    counterexamples: list[str] = field(default_factory=list)
    checks: list[Example] = field(default_factory=list)  # examples and counterexamples
    manual: bool = False
    color: str | None = None
    patterns: list[Pattern] = field(default_factory=list)
    exclude_patterns: list[Pattern] = field(default_factory=list)
    line: int | None = None


@dataclass
class Codebook:
    """A validated codebook."""

    name: str
    version: str
    description: str
    codes: list[Code]
    path: Path | None = None
    sha256: str = ""

    @property
    def code_names(self) -> list[str]:
        return [c.name for c in self.codes]

    def get(self, name: str) -> Code | None:
        return next((c for c in self.codes if c.name == name), None)

    def children(self, name: str) -> list[str]:
        return [c.name for c in self.codes if c.parent == name]

    @property
    def languages(self) -> list[str]:
        langs = {p.language for c in self.codes for p in c.patterns + c.exclude_patterns}
        return sorted(langs)

    def patterns_for(self, language: str) -> list[Pattern]:
        return [
            p for c in self.codes for p in c.patterns + c.exclude_patterns if p.language == language
        ]

    def code_order(self) -> list[tuple[str, str | None]]:
        """(code, parent) pairs in codebook order."""
        return [(c.name, c.parent) for c in self.codes]
