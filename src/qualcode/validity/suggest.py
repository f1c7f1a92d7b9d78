"""`codebook suggest`: learn from misses. For each code, the words and 2-3 word phrases that are
over-represented in passages a person gave the code but the codebook missed (keyness against the
passages without the code), with contexts and a pattern ready to paste; and the patterns behind
most false positives. It never edits the codebook.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from qualcode.codebook.schema import Codebook
from qualcode.markdown_text import escape_inline
from qualcode.validity.autocode import Hit, code_texts, codes_of
from qualcode.validity.gold import Passage
from qualcode.validity.keyness import key_terms, passage_terms

TERM_COLUMNS = [
    "code",
    "language",
    "term",
    "pattern",
    "target_freq",
    "target_docs",
    "reference_freq",
    "g2",
    "log_ratio",
    "contexts",
]
FALSE_POSITIVE_COLUMNS = ["code", "pattern_id", "line", "false_positives", "true_positives"]
CONTEXT_WORDS = 6


@dataclass(frozen=True)
class Unit:
    """A passage (or segment) with the codes a person gave it and those the codebook gave."""

    id: str
    language: str
    text: str
    expected: frozenset[str]
    given: frozenset[str]
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Suggestions:
    """``terms``: TERM_COLUMNS, per code and language ranked by G²; ``false_positives``: the
    patterns that gave a code a person did not (FALSE_POSITIVE_COLUMNS), most first;
    ``misses``: per code, how many passages the codebook missed (the target size)."""

    terms: pd.DataFrame
    false_positives: pd.DataFrame
    misses: dict[str, int]


def units_from_gold(codebook: Codebook, passages: Sequence[Passage]) -> list[Unit]:
    """Auto-code gold passages and pair each with its labels."""
    hits = code_texts(codebook, [p.text for p in passages], [p.language for p in passages])
    parents = dict(codebook.code_order())
    return [
        Unit(
            p.id, p.language, p.text, frozenset(p.codes), frozenset(codes_of(h, parents)), tuple(h)
        )
        for p, h in zip(passages, hits, strict=True)
    ]


def suggest(
    units: Sequence[Unit], codes: Sequence[str], *, limit: int = 10, min_docs: int = 2
) -> Suggestions:
    """Key terms of the misses of each code in `codes`, per language, `limit` per code and
    language; terms must occur in at least `min_docs` missed passages."""
    from qualcode.matching.pipelines import get_pipeline

    tokens: dict[str, tuple[list[str], list[str], list[bool]]] = {}
    for language in sorted({u.language for u in units}):
        group = [u for u in units if u.language == language]
        for unit, doc in zip(
            group, get_pipeline(language).make_docs([u.text for u in group]), strict=True
        ):
            words = [t for t in doc if not t.is_space]
            tokens[unit.id] = (
                [t.text for t in words],
                [t.norm_ for t in words],
                [t.is_alpha and not t.is_stop and len(t.text) > 1 for t in words],
            )
    rows, misses = [], {}
    for code in codes:
        missed = [u for u in units if code in u.expected and code not in u.given]
        misses[code] = len(missed)
        for language in sorted({u.language for u in missed}):
            target = [u for u in missed if u.language == language]
            reference = [u for u in units if u.language == language and code not in u.expected]
            rows.extend(_code_terms(code, language, target, reference, tokens, limit, min_docs))
    return Suggestions(
        pd.DataFrame(rows, columns=TERM_COLUMNS), _false_positive_patterns(units, codes), misses
    )


def _code_terms(code, language, target, reference, tokens, limit, min_docs) -> list[dict]:
    def counts(unit: Unit) -> Counter[str]:
        _, lemmas, content = tokens[unit.id]
        return passage_terms(lemmas, content)

    size = sum(len(tokens[u.id][0]) for u in target)
    reference_size = sum(len(tokens[u.id][0]) for u in reference)
    found = key_terms(
        [counts(u) for u in target],
        [counts(u) for u in reference],
        size,
        reference_size,
        min_docs=min_docs,
    )[:limit]
    rows = []
    for key in found:
        surface, contexts = _occurrences(key.term, target, tokens)
        rows.append(
            {
                "code": code,
                "language": language,
                "term": key.term,
                "pattern": f"{language}: - {json.dumps(surface, ensure_ascii=False)}",
                "target_freq": key.target_freq,
                "target_docs": key.target_docs,
                "reference_freq": key.reference_freq,
                "g2": round(key.g2, 3),
                "log_ratio": round(key.log_ratio, 3),
                "contexts": contexts,
            }
        )
    return rows


def _occurrences(term: str, target: Sequence[Unit], tokens) -> tuple[str, list[str]]:
    """The most common surface form of `term` in the target, and up to two contexts."""
    wanted = term.split()
    forms: Counter[str] = Counter()
    contexts: list[str] = []
    for unit in target:
        words, lemmas, _ = tokens[unit.id]
        for i in range(len(lemmas) - len(wanted) + 1):
            if lemmas[i : i + len(wanted)] != wanted:
                continue
            forms[" ".join(w.lower() for w in words[i : i + len(wanted)])] += 1
            if len(contexts) < 2 and not any(c.startswith(f"{unit.id}:") for c in contexts):
                left = " ".join(words[max(0, i - CONTEXT_WORDS) : i])
                match = " ".join(words[i : i + len(wanted)])
                right = " ".join(words[i + len(wanted) : i + len(wanted) + CONTEXT_WORDS])
                contexts.append(f"{unit.id}: … {left} [{match}] {right} …")
    surface = min(forms, key=lambda f: (-forms[f], f)) if forms else term
    return surface, contexts


def _false_positive_patterns(units: Sequence[Unit], codes: Sequence[str]) -> pd.DataFrame:
    false_hits: Counter[tuple[str, str, int | None]] = Counter()
    true_hits: Counter[str] = Counter()
    for unit in units:
        for pattern_id, code, line in {(h.pattern_id, h.code, h.line) for h in unit.hits}:
            if code not in codes:
                continue
            if code in unit.expected:
                true_hits[pattern_id] += 1
            else:
                false_hits[(code, pattern_id, line)] += 1
    rows = [
        {
            "code": code,
            "pattern_id": pid,
            "line": line,
            "false_positives": n,
            "true_positives": true_hits[pid],
        }
        for (code, pid, line), n in false_hits.items()
    ]
    table = pd.DataFrame(rows, columns=FALSE_POSITIVE_COLUMNS)
    return table.sort_values(
        ["false_positives", "true_positives", "pattern_id"],
        ascending=[False, True, True],
        ignore_index=True,
    )


def units_from_output(folder, coder: str) -> tuple[Codebook, list[Unit]]:
    """The participant segments of the transcripts `coder` covered in an output folder, with the
    coder's codes (expected) and the automatic coding's (given); and the run's codebook copy."""
    from pathlib import Path

    from qualcode import models as m
    from qualcode.codebook import load_codebook
    from qualcode.errors import GoldError
    from qualcode.output import load_output
    from qualcode.reliability.units import coders_from_output

    out = load_output(folder)
    book = load_codebook(Path(folder) / m.CODEBOOK_COPY)
    coders = coders_from_output(out)
    if coder not in coders or coder == m.AUTO_CODER:
        humans = sorted(c for c in coders if c != m.AUTO_CODER)
        raise GoldError(
            f"no coder '{coder}' in this output (coders: {', '.join(humans) or 'none'})"
        )
    human = coders[coder]
    segments = out.segments[
        out.segments[m.TRANSCRIPT_ID].isin(human.coverage)
        & ~out.segments[m.IS_INTERVIEWER].astype(bool)
    ]
    expected = human.passages.groupby(m.SEGMENT_ID)[m.CODE].agg(frozenset).to_dict()
    auto = coders[m.AUTO_CODER].passages.groupby(m.SEGMENT_ID)[m.CODE].agg(frozenset).to_dict()
    lines = {p.id: p.line for c in book.codes for p in c.patterns}
    hits = _output_hits(out.codings, lines)
    units = [
        Unit(
            str(row[m.SEGMENT_ID]),
            str(row[m.LANGUAGE]),
            str(row[m.TEXT]),
            expected.get(row[m.SEGMENT_ID], frozenset()),
            auto.get(row[m.SEGMENT_ID], frozenset()),
            hits.get(row[m.SEGMENT_ID], ()),
        )
        for row in segments.to_dict("records")
    ]
    return book, units


def _output_hits(codings: pd.DataFrame, lines: dict) -> dict[str, tuple[Hit, ...]]:
    from qualcode import models as m

    found: dict[str, list[Hit]] = {}
    auto = codings[codings[m.SOURCE] == m.SOURCE_AUTO]
    for row in auto.to_dict("records"):
        for pattern_id in str(row[m.PATTERN_ID] or "").split(";"):
            if pattern_id:
                found.setdefault(row[m.SEGMENT_ID], []).append(
                    Hit(row[m.CODE], pattern_id, 0, 0, "", lines.get(pattern_id))
                )
    return {k: tuple(v) for k, v in found.items()}


def suggestions_markdown(found: Suggestions) -> str:
    """A Markdown page: per code, the key terms with their pattern and contexts, then the
    patterns behind most false positives."""
    lines = []
    for code, group in found.terms.groupby("code", sort=False):
        lines += [
            f"## {code} ({found.misses.get(code, 0)} missed passages)",
            "",
            "| language | term | G² | log ratio | in misses | elsewhere | pattern | contexts |",
            "|---|---|---:|---:|---:|---:|---|---|",
        ]
        for r in group.to_dict("records"):
            contexts = "<br>".join(escape_inline(c) for c in r["contexts"])
            lines.append(
                f"| {r['language']} | {escape_inline(r['term'])} | {r['g2']:.1f} | {r['log_ratio']:.2f} | "
                f"{r['target_freq']} ({r['target_docs']} passages) | {r['reference_freq']} | "
                f"`{_code_cell(r['pattern'])}` | {contexts} |"
            )
        lines.append("")
    if len(found.false_positives):
        lines += [
            "## Patterns behind false positives",
            "",
            "| code | pattern | line | false positives | true positives |",
            "|---|---|---:|---:|---:|",
        ]
        for r in found.false_positives.to_dict("records"):
            lines.append(
                f"| {r['code']} | {r['pattern_id']} | {r['line']} | {r['false_positives']} | {r['true_positives']} |"
            )
    return "\n".join(lines) + "\n"


def _code_cell(text: str) -> str:
    """A ready-to-paste pattern inside a code span of a table cell: shown as written (a code
    span shows backslashes), one line, its | escaped for the table."""
    return " ".join(str(text).split()).replace("|", "\\|")
