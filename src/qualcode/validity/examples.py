"""Executable examples: each code's `examples:` must get the code, its `counterexamples:` must not.

They are run through the same matchers as transcripts, so a codebook edit that breaks an example
is caught by `qualcode codebook check` (a warning; an error with --strict) before any coding run.
"""

from __future__ import annotations

from qualcode.codebook.schema import Codebook, Example
from qualcode.errors import Problem
from qualcode.transcripts.language import guess_language
from qualcode.validity.autocode import Hit, code_texts, codes_of


def check_examples(codebook: Codebook, matchers: dict | None = None) -> list[Problem]:
    """One problem per example without its code or counterexample with it (with the YAML line
    and, for a counterexample, the pattern that fired); empty when all pass."""
    checks = [e for c in codebook.codes for e in c.checks]
    if not checks:
        return []
    source = str(codebook.path) if codebook.path is not None else None
    problems: list[Problem] = []
    runnable: list[tuple[Example, str]] = []
    for example in checks:
        language = example.language or guess_language(example.text, codebook.languages)
        if language is None or language not in codebook.languages:
            problems.append(
                Problem(
                    f"code '{example.code}': cannot tell the language of this example; "
                    f"write it as {{text: ..., language: ...}} ({', '.join(codebook.languages)})",
                    source,
                    example.line,
                )
            )
            continue
        runnable.append((example, language))
    parents = dict(codebook.code_order())
    found = code_texts(
        codebook, [e.text for e, _ in runnable], [lang for _, lang in runnable], matchers
    )
    for (example, language), hits in zip(runnable, found, strict=True):
        given = example.code in codes_of(hits, parents)
        if given == example.expected:
            continue
        problems.append(Problem(_message(example, language, hits, parents), source, example.line))
    return problems


def _message(
    example: Example, language: str, hits: list[Hit], parents: dict[str, str | None]
) -> str:
    if example.expected:
        return f"code '{example.code}': example ({language}) does not get the code"
    fired = sorted(
        {f"{h.pattern_id} (line {h.line})" for h in hits if example.code in codes_of([h], parents)}
    )
    return (
        f"code '{example.code}': counterexample ({language}) gets the code from {', '.join(fired)}"
    )
