"""Inter-coder agreement: how far coders agree when they code the same transcripts.

``agreement()`` reads the output folder of `qualcode code` (and optionally codings made in other
software, ``codings_csv``), reconstructs each coder's coding (see `units.coders_from_output`),
builds units of comparison -- segments, characters or spans -- and returns per-code and pooled
statistics from `stats`, the disagreements, and the transcripts left out. See docs/agreement.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.decisions.coverage import coverage
from qualcode.errors import AgreementError
from qualcode.reliability.levels import char_level, segment_level
from qualcode.reliability.span_level import span_level
from qualcode.reliability.tables import LevelContext, LevelTables
from qualcode.reliability.units import (
    CoderCoding,
    coders_from_output,
    compared_transcripts,
)

UNIT_CHOICES = ("segment", "char", "span")
ALL_CODERS = "all"

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.output.folder import CodedOutput


@dataclass
class AgreementResult:
    """What `agreement` returns. Every table is a plain DataFrame.

    * ``table``: one row per code (codebook order), then the macro average over codes and the
      statistics pooled over every code x unit decision. ``undefined`` says why a statistic is NaN.
    * ``disagreements``: where the coders differ (segment, stretch of characters or unmatched
      passage) with the text; with a gold coder, ``kind`` is false positive / false negative.
    * ``exclusions``: transcripts not coded by every compared coder (``compared`` is False when
      fewer than two coded them, so they are left out).
    * ``gold_scores``: precision, recall and F1 of each coder against ``gold`` (None without gold).
    * ``summary``: unit, coders, counts of units, transcripts and agreed-absent units, options.
    """

    unit: str
    coders: list[str]
    gold: str | None
    table: pd.DataFrame
    disagreements: pd.DataFrame
    exclusions: pd.DataFrame
    gold_scores: pd.DataFrame | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def tables(self, disagreements: bool = False) -> dict[str, pd.DataFrame]:
        """The tables to export, by name: agreement, [gold], exclusions, [disagreements], summary."""
        import pandas as pd

        out = {"agreement": self.table}
        if self.gold_scores is not None:
            out["gold"] = self.gold_scores
        out["exclusions"] = self.exclusions
        if disagreements:
            out["disagreements"] = self.disagreements
        out["summary"] = pd.DataFrame(
            [
                {"key": k, "value": ", ".join(map(str, v)) if isinstance(v, list) else v}
                for k, v in self.summary.items()
            ],
            columns=["key", "value"],
        ).astype({"value": "string"})
        return out


# --------------------------------------------------------------------------- public function


def agreement(
    source: str | Path | CodedOutput,
    coders: Sequence[str] | str | None = None,
    *,
    gold: str | None = None,
    unit: str = "segment",
    codes: Sequence[str] | None = None,
    codings_csv: Sequence[str | Path] | str | Path | None = None,
    include_interviewer: bool = False,
    min_overlap: float = 0.9,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.95,
    reviewers: Sequence[str] = (),
) -> AgreementResult:
    """Agreement between coders of the same transcripts, per code and pooled.

    `source` is an output folder of `qualcode code` (or its loaded `CodedOutput`). `coders`
    names the coders ("coder_a,coder_b" or a list); "all" means every human coder but the
    `reviewers` (who adjudicate, they do not code) and may be combined with "auto"; default
    "all", or "auto" when `gold` is given. `gold` is compared with
    every other coder and also yields precision/recall/F1. `unit` is "segment", "char" or "span"
    (`min_overlap` is the span matching threshold). `codings_csv` adds coders from CSV files
    (transcript_id, coder, code, start, end). `bootstrap` > 0 adds percentile CIs for kappa and
    alpha per code from that many resamples with `seed` (segment and char units).

    Raises AgreementError for fewer than two coders, an unknown coder or code, malformed
    external codings (each with file:line) or invalid options; OutputError for a bad folder.
    """
    from qualcode.output.folder import CodedOutput, load_output

    _check_options(unit, min_overlap, bootstrap)
    out = source if isinstance(source, CodedOutput) else load_output(source)
    texts_df = out.transcripts([m.TRANSCRIPT_ID, m.TEXT])
    texts = {
        str(t): str(x) for t, x in zip(texts_df[m.TRANSCRIPT_ID], texts_df[m.TEXT], strict=True)
    }
    order, leaves = _codebook_codes(out)
    available = coders_from_output(out)
    if codings_csv is not None:
        available.update(_external_coders(codings_csv, texts, order, available))
    names = _select_coders(coders, gold, available, reviewers)
    _check_span_pair(unit, names)
    chosen = [available[n] for n in names]
    code_list = _select_codes(codes, order, leaves, chosen)
    segments = out.segments.sort_values([m.TRANSCRIPT_ID, m.SEGMENT_INDEX], kind="stable")
    all_ids = sorted(set(texts) | set(segments[m.TRANSCRIPT_ID].dropna()))
    compared = compared_transcripts(chosen, all_ids)
    context = LevelContext(names, gold, code_list, bootstrap, seed, level, texts, segments)
    table, disagreements, scores, counts = _compare(
        unit, context, chosen, compared, include_interviewer, min_overlap
    )
    segmentation = out.manifest.get("options", {}).get("unit", "turn")
    options = {"include_interviewer": include_interviewer, "min_overlap": min_overlap}
    summary = _summary(unit, segmentation, context, compared, all_ids, counts, options)
    found = coverage(out.overrides, out.codings)
    summary["coverage"] = found.rule()
    summary["coverage_warnings"] = found.few_warnings(names)
    exclusions = _exclusions(chosen, all_ids)
    return AgreementResult(unit, names, gold, table, disagreements, exclusions, scores, summary)


def _check_options(unit: str, min_overlap: float, bootstrap: int) -> None:
    if unit not in UNIT_CHOICES:
        raise AgreementError(f"unit must be one of {', '.join(UNIT_CHOICES)}, not '{unit}'")
    if not 0 < min_overlap <= 1:
        raise AgreementError(f"min_overlap must be in (0, 1], got {min_overlap}")
    if bootstrap < 0:
        raise AgreementError(f"bootstrap must be 0 (off) or a number of resamples, got {bootstrap}")


def _summary(
    unit: str,
    segmentation: str,
    context: LevelContext,
    compared: list[str],
    transcripts: list[str],
    counts: dict[str, Any],
    options: dict[str, Any],
) -> dict[str, Any]:
    """The result's summary: unit, coders, codes, counts and the options of the comparison."""
    summary = {
        "unit": unit,
        "segmentation": segmentation,
        "coders": context.coders,
        "gold": context.gold,
        "codes": context.codes,
        "transcripts_compared": len(compared),
        "transcripts_excluded": [t for t in transcripts if t not in compared],
        **counts,
        "include_interviewer": options["include_interviewer"],
        "bootstrap": context.bootstrap,
        "seed": context.seed,
        "level": context.level,
    }
    if unit == "span":
        summary["min_overlap"] = options["min_overlap"]
    return summary


def _check_span_pair(unit: str, names: list[str]) -> None:
    if unit == "span" and len(names) != 2:
        raise AgreementError(
            f"--unit span compares exactly two coders (got {len(names)}: {', '.join(names)}); "
            "use segment or char units for more"
        )


def _compare(
    unit: str,
    context: LevelContext,
    coders: list[CoderCoding],
    compared: list[str],
    include_interviewer: bool,
    min_overlap: float,
) -> LevelTables:
    """The tables of one unit level, with interviewer turns left out unless included."""
    segments = context.segments
    interviewer = segments[m.IS_INTERVIEWER].astype(bool)
    if unit == "segment":
        units_segments = segments if include_interviewer else segments.loc[~interviewer]
        return segment_level(context, coders, units_segments)
    if unit == "char":
        excluded = segments.iloc[0:0] if include_interviewer else segments.loc[interviewer]
        lengths = {t: len(context.texts.get(t, "")) for t in compared}
        return char_level(context, coders, compared, lengths, excluded)
    kept = _drop_interviewer_passages(coders, segments, interviewer, include_interviewer)
    return span_level(context, kept, compared, min_overlap)


# --------------------------------------------------------------------------- inputs


def _codebook_codes(out: CodedOutput) -> tuple[list[str], set[str]]:
    """All codes in codebook order, and the leaves (codes nobody names as parent)."""
    pairs = out.code_order
    if not pairs:
        names = sorted(str(c) for c in out.codings[m.CODE].dropna().unique())
        return names, set(names)
    parents = {p for _, p in pairs if p}
    return [c for c, _ in pairs], {c for c, _ in pairs if c not in parents}


def _external_coders(
    paths: Sequence[str | Path] | str | Path,
    texts: dict[str, str],
    codes: list[str],
    available: dict[str, CoderCoding],
) -> dict[str, CoderCoding]:
    import pandas as pd

    from qualcode.errors import Problem
    from qualcode.reliability.external import read_codings_csv
    from qualcode.reliability.units import PASSAGE_COLUMNS

    rows = read_codings_csv(paths, texts, codes)
    problems = []
    coders: dict[str, CoderCoding] = {}
    for name, group in rows.groupby(m.CODER, sort=True):
        first = group.iloc[0]
        if name in available:
            problems.append(
                Problem(
                    f"coder '{name}' also has codings in the output folder; rename one of them",
                    str(first["file"]),
                    int(first["line"]),
                )
            )
            continue
        passages = group.loc[group[m.CODE].notna()].assign(**{m.SEGMENT_ID: pd.NA})
        passages = passages[PASSAGE_COLUMNS].astype(
            {m.START: "int64", m.END: "int64", m.SEGMENT_ID: "string"}
        )
        coverage = frozenset(str(t) for t in group[m.TRANSCRIPT_ID])
        coders[str(name)] = CoderCoding(
            str(name), passages.reset_index(drop=True), coverage, str(first["file"])
        )
    if problems:
        raise AgreementError(problems=problems)
    return coders


def _select_coders(
    requested: Sequence[str] | str | None,
    gold: str | None,
    available: dict[str, CoderCoding],
    reviewers: Sequence[str] = (),
) -> list[str]:
    if requested is None:
        requested = [m.AUTO_CODER] if gold else [ALL_CODERS]
    if isinstance(requested, str):
        requested = [part.strip() for part in requested.split(",") if part.strip()]
    humans = [c for c in available if c != m.AUTO_CODER and c not in reviewers]
    names: list[str] = [gold] if gold else []
    for name in requested:
        names.extend(humans if name == ALL_CODERS else [name])
    names = list(dict.fromkeys(names))
    known = ", ".join(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise AgreementError(
            f"unknown coder{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"known coders: {known}"
        )
    if len(names) < 2:
        got = f"only '{names[0]}'" if names else "none"
        raise AgreementError(
            f"agreement needs at least two coders, got {got} (known coders: {known})"
        )
    return names


def _select_codes(
    requested: Sequence[str] | None,
    order: list[str],
    leaves: set[str],
    coders: Sequence[CoderCoding],
) -> list[str]:
    if requested:
        unknown = [c for c in requested if c not in order]
        if unknown:
            raise AgreementError(
                f"unknown code(s) {', '.join(unknown)}; codebook codes: {', '.join(order)}"
            )
        wanted = set(requested)
    else:
        used = set().union(*(set(c.passages[m.CODE].dropna()) for c in coders))
        wanted = leaves | (used & set(order))
    return [c for c in order if c in wanted]


def _drop_interviewer_passages(
    coders: Sequence[CoderCoding],
    segments: pd.DataFrame,
    interviewer: pd.Series,
    include: bool,
) -> list[CoderCoding]:
    """For spans: drop passages that touch no participant segment (unless included)."""
    if include or not interviewer.any():
        return list(coders)
    from dataclasses import replace

    from qualcode.reliability.units import overlapping_segments

    participant = segments.loc[~interviewer]
    kept = []
    for coder in coders:
        hits = overlapping_segments(coder.passages, participant)
        keep = coder.passages.index.isin(hits["passage"])
        kept.append(replace(coder, passages=coder.passages.loc[keep].reset_index(drop=True)))
    return kept


def _exclusions(coders: Sequence[CoderCoding], transcripts: list[str]) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for t in transcripts:
        by = [c.name for c in coders if t in c.coverage]
        if len(by) == len(coders):
            continue
        rows.append(
            {
                m.TRANSCRIPT_ID: t,
                "coded_by": ", ".join(by),
                "missing_for": ", ".join(c.name for c in coders if t not in c.coverage),
                "compared": len(by) >= 2,
            }
        )
    return pd.DataFrame(rows, columns=[m.TRANSCRIPT_ID, "coded_by", "missing_for", "compared"])
