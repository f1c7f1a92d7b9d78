"""The filters every analysis shares: which segments and codings count.

Every analysis takes the segment table and the coding table of one `qualcode code` run (see
``qualcode.output.folder.load_output``) and the same filters (`filter_codings`):

* Interviewer segments are left out unless ``include_interviewer=True``.
* ``where`` is a condition on the segment table's columns in a small filter language (see
  ``qualcode.analysis.where``: comparisons, ``in``, ``and``/``or``/``not``; never run as code);
  it restricts the denominators and the numerators alike.
* ``codes`` (a parent brings its children), ``source`` and ``coder`` select codings only, so
  denominators do not change with them.
* ``transcripts`` keeps only these transcripts (the CLI passes the transcripts a ``--coder``
  covered, so a coder's percentages are of what they coded).

`Hierarchy` is the codebook's tree of codes as the analyses read it (codebook order, roll-ups).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from qualcode import models as m
from qualcode.analysis.where import apply_where
from qualcode.errors import AnalysisError

Source = Literal["all", "auto", "manual"]


CodeOrder = Sequence[tuple[str, "str | None"]]


_SOURCES = ("all", m.SOURCE_AUTO, m.SOURCE_MANUAL)


class Filtered(NamedTuple):
    """The segments and codings left after `filter_codings`."""

    segments: pd.DataFrame
    codings: pd.DataFrame


@dataclass
class Hierarchy:
    order: list[str]
    parent: dict[str, str | None]

    @classmethod
    def build(cls, code_order: CodeOrder, codings: pd.DataFrame) -> Hierarchy:
        order = [code for code, _ in code_order]
        parent = {code: par if isinstance(par, str) and par else None for code, par in code_order}
        # Codes coded but absent from the codebook order still show, after the codebook ones.
        extra = codings[[m.CODE, m.PARENT]] if m.PARENT in codings else codings[[m.CODE]]
        extra = extra.drop_duplicates(m.CODE)
        extra = extra[~extra[m.CODE].isin(list(parent))]
        for row in extra.sort_values(m.CODE).itertuples(index=False):
            par = getattr(row, m.PARENT, None)
            parent[row[0]] = par if isinstance(par, str) and par else None
            order.append(row[0])
        # Tree order: each code followed by its children, so roll-ups sit above their parts
        # even when the codebook lists all parents first.
        children: dict[str | None, list[str]] = {}
        for code in order:
            children.setdefault(parent[code] if parent[code] in parent else None, []).append(code)
        tree: list[str] = []
        stack = list(reversed(children.get(None, [])))
        while stack:
            code = stack.pop()
            if code not in tree:
                tree.append(code)
                stack.extend(reversed(children.get(code, [])))
        return cls(tree + [c for c in order if c not in tree], parent)

    def lineage(self, code: str) -> list[str]:
        """The code and its ancestors (a coding counts towards each of them)."""
        chain, seen = [code], {code}
        while (par := self.parent.get(chain[-1])) is not None and par not in seen:
            chain.append(par)
            seen.add(par)
        return chain

    def descendants(self, codes: Iterable[str]) -> list[str]:
        """The codes and every code below them, in codebook order."""
        wanted = set(codes)
        return [c for c in self.order if wanted.intersection(self.lineage(c))]

    def leaves(self) -> list[str]:
        parents = {p for p in self.parent.values() if p is not None}
        return [c for c in self.order if c not in parents]

    def check(self, codes: Iterable[str]) -> None:
        unknown = sorted(set(codes) - set(self.order))
        if unknown:
            raise AnalysisError(
                f"unknown code(s) {', '.join(unknown)}; known codes: {', '.join(self.order)}"
            )


def is_among(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """values.isin(allowed) as a boolean array -- several times faster on large string columns."""
    codes, _ = pd.factorize(pd.concat([allowed, values], ignore_index=True))
    return np.isin(codes[len(allowed) :], codes[: len(allowed)])


def as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def check_source(source: str) -> None:
    if source not in _SOURCES:
        raise AnalysisError(f"unknown source {source!r}; use one of {', '.join(_SOURCES)}")


def check_coders(coders: Sequence[str], known: Iterable[str]) -> None:
    known = sorted(known)
    unknown = sorted(set(coders) - set(known))
    if unknown:
        raise AnalysisError(
            f"unknown coder(s) {', '.join(unknown)}; coders: {', '.join(known) or 'none'}"
        )


def filter_codings(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    codes: str | Iterable[str] | None = None,
    source: Source = "all",
    coder: str | Iterable[str] | None = None,
    where: str | None = None,
    include_interviewer: bool = False,
    transcripts: Iterable[str] | None = None,
    code_order: CodeOrder = (),
) -> Filtered:
    """Apply the shared filters and return the remaining ``(segments, codings)``.

    ``where`` and ``include_interviewer`` select segments (and so the codings on them);
    ``codes`` (a code selects its descendants too), ``source`` and ``coder`` select codings only,
    so denominators do not change with them. ``transcripts`` (e.g. the transcripts a coder
    covered, `decisions.coverage`) keeps only those transcripts' segments: numerators and
    denominators alike. Codes are checked against ``code_order`` plus the
    codes in ``codings``. Raises AnalysisError for a bad expression, an unknown code, source or
    coder.
    """
    check_source(source)
    # Codes and coders are checked against the whole run: a filtered-out one is not "unknown".
    wanted_codes, coders, everything = as_list(codes), as_list(coder), codings
    if coders:
        check_coders(coders, codings[m.CODER].dropna().unique().tolist())
        codings = codings[codings[m.CODER].isin(coders)]
    if wanted_codes:
        hierarchy = Hierarchy.build(code_order, everything)
        hierarchy.check(wanted_codes)
        codings = codings[codings[m.CODE].isin(hierarchy.descendants(wanted_codes))]
    if source != "all":
        codings = codings[codings[m.SOURCE] == source]
    if not include_interviewer and m.IS_INTERVIEWER in segments:
        segments = segments[~segments[m.IS_INTERVIEWER].fillna(False).astype(bool)]
    if where:
        segments = apply_where(segments, where)
    if transcripts is not None:
        segments = segments[segments[m.TRANSCRIPT_ID].isin(list(transcripts))]
    codings = codings[is_among(codings[m.SEGMENT_ID], segments[m.SEGMENT_ID])]
    return Filtered(segments, codings)


def prepare(
    segments: pd.DataFrame, codings: pd.DataFrame, code_order: CodeOrder, filters: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, Hierarchy]:
    """The codebook hierarchy (of the whole run), then the filtered segments and codings."""
    hierarchy = Hierarchy.build(code_order, codings)
    segments, codings = filter_codings(segments, codings, code_order=code_order, **filters)
    return segments, codings, hierarchy


def check_columns(segments: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    unknown = [c for c in columns if c not in segments.columns or c == m.TEXT]
    if unknown:
        known = ", ".join(c for c in segments.columns if c != m.TEXT)
        raise AnalysisError(f"unknown {what} column(s) {', '.join(unknown)}; columns: {known}")
