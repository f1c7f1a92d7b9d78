"""Pattern-based identifiers: e-mail addresses, phone numbers, identity, tax and health-card
numbers, street addresses with a house number and exact dates.

Each becomes ``[EMAIL]``, ``[PHONE]``, ``[ID-NUMBER]``, ``[ADDRESS]`` or ``[DATE]`` when
`qualcode.privacy.pseudonymise` replaces it. `find_patterns` only finds them; overlaps with
each other and with listed identifiers are resolved there.
"""

from __future__ import annotations

import re

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

# (label, regex, flags, reach): each pattern needs an '@' (e-mails) or a digit (all others), and
# is searched only in windows reaching `reach` = (before, after) characters around one. Overlaps
# are resolved later by length.
PATTERNS: tuple[tuple[str, str, int, tuple[int, int]], ...] = (
    (
        "EMAIL",
        r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])",
        0,
        (80, 260),
    ),
    (
        "PHONE",
        r"(?<![\w+])(?:(?:\+|00)\d{1,3}[ .-]?)?\(?\d{2,4}\)?(?:[ .-]?\d{2,4}){1,4}(?![\w+])",
        0,
        (6, 24),
    ),
    ("ID-NUMBER", r"(?<!\w)[XYZ][ -]?\d{7}[ -]?[A-Z](?!\w)", re.IGNORECASE, (3, 3)),  # NIE
    ("ID-NUMBER", r"(?<!\w)\d{8}[ -]?[A-Z](?!\w)", re.IGNORECASE, (1, 3)),  # DNI / NIF
    (
        "ID-NUMBER",
        rf"(?<!\w)[A-Z]{{6}}{_OMO}{{2}}[ABCDEHLMPRST]{_OMO}{{2}}[A-Z]{_OMO}{{3}}[A-Z](?!\w)",
        0,
        (7, 12),
    ),  # codice fiscale
    ("ID-NUMBER", r"(?<!\w)(?:STP|ENI)[ -]?\d{13}(?!\w)", re.IGNORECASE, (5, 1)),  # STP, ENI
    ("ID-NUMBER", r"(?<!\w)[A-Z]{1,4}\d{6,14}(?!\w)", 0, (5, 1)),  # passports, health cards
    ("ID-NUMBER", r"(?<![\w/])\d{2}[/ -]?\d{7,8}[/ -]?\d{2}(?![\w/])", 0, (1, 14)),  # NUSS
    ("ID-NUMBER", r"(?<!\w)\d{10,20}(?!\w)", 0, (1, 1)),  # tessera sanitaria, card numbers
    (
        "ADDRESS",
        rf"(?<!\w)(?:{_STREET})\s+(?:[^\W\d][\w'’.-]*\s+){{0,5}}?[^\W\d][\w'’.-]*,?\s+"
        r"(?:n\.?\s?|nº\s?|n°\s?|núm\.?\s?|num\.?\s?|no\.\s?)?\d{1,4}"
        r"(?:[ ]?[a-zA-Z](?!\w)|/(?:\d{1,3}|[a-zA-Z])(?!\w))?(?!\d)",
        re.IGNORECASE,
        (160, 8),
    ),
    (
        "ADDRESS",
        r"(?<!\w)\d{1,4}[a-zA-Z]?,?\s+(?:[A-Z][\w'’.-]*\s+){1,4}"
        r"(?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Lane|Square|Place|Drive|Close)(?!\w)",
        0,
        (1, 100),
    ),
    (
        "DATE",
        rf"(?<![\w/.-]){_DAY}[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)?\d{{2}}(?![\w/-]|\.\d)",
        0,
        (1, 12),
    ),
    (
        "DATE",
        r"(?<![\w/.-])(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\w)",
        0,
        (1, 8),
    ),
    (
        "DATE",
        rf"(?<!\w){_DAY}(?:º|°|st|nd|rd|th)?\s+(?:de\s+)?(?:{_MONTHS})\.?,?\s+(?:de[l]?\s+)?"
        r"(?:19|20)\d{2}(?!\w)",
        re.IGNORECASE,
        (40, 40),
    ),
    (
        "DATE",
        rf"(?<!\w)(?:{_MONTHS})\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}(?!\w)",
        re.IGNORECASE,
        (16, 16),
    ),
)
PATTERN_LABELS = ("EMAIL", "PHONE", "ID-NUMBER", "ADDRESS", "DATE")
_COMPILED = tuple(
    (label, re.compile(regex, flags), reach) for label, regex, flags, reach in PATTERNS
)
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


_TRIGGERS = {"EMAIL": re.compile("@")}
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s")


def _windows(text: str, triggers: list[tuple[int, int]], reach: tuple[int, int]):
    """Merged stretches of `text` reaching around each trigger, ending at a white space."""
    before, after = reach
    windows: list[list[int]] = []
    for first, last in triggers:
        start, end = max(0, first - before), min(len(text), last + after)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    for window in windows:  # do not cut a word in two: a look-ahead would see its end
        space = _SPACE.search(text, window[1], min(len(text), window[1] + 200))
        window[1] = space.start() if space else min(len(text), window[1] + 200)
    return windows


def find_patterns(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of every pattern-based identifier (overlaps not yet resolved).

    Each pattern is searched only in small windows around an '@' or a digit (look-behinds still
    see the text before a window): most of an interview has neither, so 50 MB stay fast.
    """
    digits = [m.span() for m in _DIGITS.finditer(text)]
    found: dict[tuple[int, int], str] = {}  # a stretch two patterns find: the first one's label
    for label, regex, reach in _COMPILED:
        trigger = _TRIGGERS.get(label)
        spans = digits if trigger is None else [m.span() for m in trigger.finditer(text)]
        for start, end in _windows(text, spans, reach):
            for match in regex.finditer(text, start, end):
                if _valid(label, match.group()):
                    found.setdefault(match.span(), label)
    return sorted((start, end, label) for (start, end), label in found.items())
