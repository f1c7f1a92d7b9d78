"""The review report's sections on codes (rules, counts, passages), agreement and warnings.

Each section is returned as plain data for its macro in ``templates/codes.html``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.analysis.frequencies import MISSING, TOTAL
from qualcode.report.parts import (
    OVERRIDE_STATUS,
    STAT_LABELS,
    ReportRun,
    Rules,
    format_number,
    human_coders,
    is_missing,
    simple_table,
)

if TYPE_CHECKING:
    import pandas as pd

# --- codes ---------------------------------------------------------------------------------------


def _spread(found: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Up to `limit` passages, first one per transcript alternating countries, then the next."""
    if found.empty or limit == 0:
        return found.iloc[0:0]
    country = found[m.COUNTRY].astype("string").fillna(MISSING)
    firsts = found.assign(_country=country).drop_duplicates(m.TRANSCRIPT_ID)
    in_country = firsts.groupby("_country").cumcount().set_axis(firsts[m.TRANSCRIPT_ID])
    countries = {c: i for i, c in enumerate(sorted(set(country)))}
    keys = found.assign(
        _turn=found.groupby(m.TRANSCRIPT_ID, sort=False).cumcount(),
        _rank=found[m.TRANSCRIPT_ID].map(in_country),
        _country=country.map(countries),
        _position=range(len(found)),
    )
    chosen = keys.sort_values(["_turn", "_rank", "_country", "_position"]).head(limit)
    return found.loc[chosen.sort_values("_position").index]


def _passage(text: str, marks: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The passage as (text, matched) pieces: matched words are marked in the page."""
    pieces, at = [], 0
    for start, end in sorted(marks):
        start, end = max(start, at), min(end, len(text))
        if end <= start:
            continue
        pieces += [(text[at:start], False), (text[start:end], True)]
        at = end
    return [*pieces, (text[at:], False)]


def _quote(row: dict, language: str | None, others: str) -> dict[str, Any]:
    from qualcode.analysis.frequencies import HIGHLIGHTS

    manual = [c.strip() for c in str(row.get(m.CODER) or "").split(",")]
    manual = [c for c in manual if c and c != m.AUTO_CODER]
    labels = ["transcript", "speaker", "country", "role"]
    who = [row.get(c) for c in (m.TRANSCRIPT_ID, m.SPEAKER, m.COUNTRY, m.ROLE)]
    return {
        "language": language,
        "passage": _passage(str(row[m.TEXT]), row[HIGHLIGHTS]),
        "cite": [(k, v) for k, v in zip(labels, who, strict=True) if not is_missing(v)],
        "auto": m.SOURCE_AUTO in str(row.get(m.SOURCE) or ""),
        "manual": ", ".join(manual),
        "also": others,
        "segment": row[m.SEGMENT_ID],
    }


def _languages(run: ReportRun) -> dict[str, str]:
    """segment_id -> language code (for the lang attribute that screen readers follow)."""
    segments = run.out.segments
    return segments.set_index(m.SEGMENT_ID)[m.LANGUAGE].dropna().astype(str).to_dict()


def _rules(rules: Rules | None) -> list[tuple[str, str]]:
    """(name, text) of each rule the codebook states for a code."""
    if rules is None:
        return []
    named = {"Definition": rules.definition, "Include": rules.include, "Exclude": rules.exclude}
    return [(name, text) for name, text in named.items() if text]


def _passages(run: ReportRun, code: str, has_children: bool, context: dict[str, Any]) -> dict:
    """Up to max_quotes passages coded with `code` itself (a parent's children show their own)."""
    from qualcode.analysis.quotes import quotes

    codings = run.out.codings
    direct = codings[codings[m.CODE] == code]
    # Only this code's own codings: its own entry of the order is all `quotes` needs (the whole
    # order would be read again for every code: quadratic with thousands of codes).
    own = [(code, context["parent_of"].get(code))]
    found = quotes(run.out.segments, direct, own, code=code) if len(direct) else None
    if found is None or found.empty:
        note = "Passages are listed under its child codes." if has_children else "No passages."
        return {"note": note}
    items = []
    for row in _spread(found, run.max_quotes).to_dict("records"):
        others = [c for c in context["codes_of"].get(row[m.SEGMENT_ID], []) if c != code]
        language = context["languages"].get(row[m.SEGMENT_ID])
        items.append(_quote(row, language, ", ".join(others)))
    return {"note": None, "quotes": items, "found": len(found)}


def codes_section(run: ReportRun) -> dict[str, Any]:
    """Each code shown: its rules, counts (segments, transcripts, auto, by coder), passages."""
    codings = run.out.codings
    coders = sorted(set(codings[m.CODER].dropna()) - {m.AUTO_CODER})
    counts = {
        "total": run.frequencies().table[TOTAL],
        "cases": run.frequencies(count="cases").table[TOTAL],
        "auto": run.frequencies(source=m.SOURCE_AUTO).table[TOTAL],
        "by_coder": {c: run.frequencies(coder=c).table[TOTAL] for c in coders},
        "transcripts": run.out.segments[m.TRANSCRIPT_ID].nunique(),
    }
    rank = {c: i for i, c in enumerate(run.anchors)}
    pairs = codings[[m.SEGMENT_ID, m.CODE]].drop_duplicates()
    pairs = pairs.assign(_rank=pairs[m.CODE].map(rank)).sort_values("_rank", kind="stable")
    children: dict[str, list[str]] = {}
    for child, parent in run.order:
        if parent is not None:
            children.setdefault(parent, []).append(child)
    context = {
        "codes_of": pairs.groupby(m.SEGMENT_ID, sort=False)[m.CODE].agg(list).to_dict(),
        "languages": _languages(run),
        "parent_of": dict(run.order),
        "children": children,
    }
    return {
        "note": run.codebook_note,
        "quotes": run.quotes,
        "articles": [_article(run, code, counts, context) for code in run.rows],
    }


def _article(
    run: ReportRun, code: str, counts: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    children = context["children"].get(code, [])
    by_coder = counts["by_coder"]
    manual = ", ".join(f"{c} {format_number(by_coder[c][code])}" for c in by_coder) or "none"
    return {
        "kind": "parent" if children else "leaf",
        "anchor": run.anchors[code],
        "code": code,
        "parent": context["parent_of"].get(code),
        "rules": _rules(run.rules.get(code)),
        "total": format_number(counts["total"][code]),
        "cases": format_number(counts["cases"][code]),
        "transcripts": counts["transcripts"],
        "auto": format_number(counts["auto"][code]),
        "by_coder": manual,
        "children": [(c, run.anchors[c]) for c in children],
        "passages": (
            _passages(run, code, bool(children), context) if run.quotes and run.max_quotes else None
        ),
    }


# --- agreement and warnings ----------------------------------------------------------------------


def agreement_section(run: ReportRun) -> dict[str, Any]:
    """Agreement per code and every disagreement, or why there is none to show."""
    from qualcode.errors import QualcodeError
    from qualcode.reliability.agreement import agreement

    written = run.written or run.out  # coders' own codings, whatever the layer shown
    human = [c for c in human_coders(written) if c not in run.reviewers]
    if len(human) < 2:
        return {"kind": "too few coders", "coders": ", ".join(human) or "none"}
    leaves = [c for c in run.rows if c not in run.parents]
    try:
        asked = "all" if len(human) == len(human_coders(written)) else ",".join(human)
        result = agreement(written, asked, codes=leaves if run.selected else None)
    except QualcodeError as exc:
        return {"kind": "error", "error": str(exc)}
    coders = result.coders
    labels = dict(STAT_LABELS)
    if len(coders) == 2:
        labels.update(only_a=f"Only {coders[0]}", only_b=f"Only {coders[1]}")
    table = result.table
    columns = [c for c in table.columns if c != m.CODE]
    if "undefined" in columns and table["undefined"].isna().all():
        columns.remove("undefined")
    summary = result.summary
    return {
        "kind": "table",
        "coders": ", ".join(coders),
        "command": f"qualcode agree --coders {asked}",
        "units": format_number(summary.get("units", 0)),
        "transcripts": format_number(summary.get("transcripts_compared", 0)),
        "excluded": ", ".join(summary.get("transcripts_excluded") or []),
        "header": [(labels.get(c, c), c != "undefined") for c in columns],
        "rows": [
            (
                row[m.CODE],
                [
                    (row[c] or "", False) if c == "undefined" else (format_number(row[c]), True)
                    for c in columns
                ],
            )
            for row in table.to_dict("records")
        ],
        "disagreements": _disagreements(run, result.disagreements),
    }


def _disagreements(run: ReportRun, frame: pd.DataFrame) -> dict[str, Any]:
    rows = []
    languages = _languages(run)
    for segment, group in frame.groupby(m.SEGMENT_ID, sort=False):
        first = group.iloc[0]
        language = languages.get(segment)
        rows.append(
            {
                "transcript": first[m.TRANSCRIPT_ID],
                "segment": segment,
                "codes": [
                    (r[m.CODE], r["coded_by"], r["not_coded_by"]) for r in group.to_dict("records")
                ],
                "language": None if is_missing(language) else language,
                "text": first[m.TEXT],
            }
        )
    return {"rows": rows, "count": len(frame), "quotes": run.quotes}


def warnings_section(run: ReportRun) -> dict[str, Any]:
    """Transcripts without metadata, the run's warnings and the overrides not applied."""
    summary = run.out.manifest.get("summary", {})
    items = []
    missing = summary.get("missing_metadata") or []
    if missing:
        items.append(
            f"{len(missing)} transcript(s) without country or role (counted as "
            f"“{MISSING}”): {', '.join(map(str, missing))}"
        )
    items += list(summary.get("warnings") or [])
    overrides = run.out.overrides
    table = None
    if len(overrides) and m.STATUS in overrides:
        # coverage marks (done) and decisions on transcripts not in this run are summed up in
        # the warnings; the rest did not apply as recorded
        odd = overrides[overrides[m.STATUS].astype("string").isin(list(OVERRIDE_STATUS))]
        if len(odd):
            rows = [
                (
                    f"{r.get(m.OVERRIDE_FILE)}:{r.get(m.OVERRIDE_LINE)}",
                    r.get(m.CODER),
                    r.get(m.ACTION),
                    _moved(r),
                    r.get(m.CODE),
                    OVERRIDE_STATUS.get(str(r.get(m.STATUS)), r.get(m.STATUS)),
                )
                for r in odd.to_dict("records")
            ]
            header = ["Decision (file:line)", "Coder", "Action", "Segment", "Code", "Status"]
            table = simple_table("Decisions not applied as recorded", header, rows, numeric_from=99)
    return {"lines": items, "overrides": table}


def _moved(row: dict) -> str:
    """The decision's segment, and where a re-attached decision now applies."""
    moved = row.get(m.REATTACHED_TO)
    segment = str(row.get(m.SEGMENT_ID))
    return f"{segment} → {str(moved).replace(';', ', ')}" if moved else segment
