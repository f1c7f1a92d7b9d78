"""The review report's sections on codes (rules, counts, passages), agreement and warnings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.analysis.frequencies import MISSING, TOTAL

if TYPE_CHECKING:
    import pandas as pd


from qualcode.report.parts import (
    OVERRIDE_STATUS,
    STAT_LABELS,
    ReportRun,
    Rules,
    escape_html,
    format_number,
    human_coders,
    is_missing,
    scrolling,
    simple_table,
)

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


def _highlighted(text: str, marks: Sequence[tuple[int, int]]) -> str:
    parts, at = [], 0
    for start, end in sorted(marks):
        start, end = max(start, at), min(end, len(text))
        if end <= start:
            continue
        parts.append(escape_html(text[at:start]) + f"<mark>{escape_html(text[start:end])}</mark>")
        at = end
    return "".join(parts) + escape_html(text[at:])


def _quote(row: dict, language: str | None, others: str) -> str:
    from qualcode.analysis.frequencies import HIGHLIGHTS

    sources = str(row.get(m.SOURCE) or "")
    manual = [c.strip() for c in str(row.get(m.CODER) or "").split(",")]
    manual = [c for c in manual if c and c != m.AUTO_CODER]
    badges = []
    if m.SOURCE_AUTO in sources:
        badges.append('<span class="badge auto">auto</span>')
    if manual:
        badges.append(f'<span class="badge manual">manual: {escape_html(", ".join(manual))}</span>')
    who = [row.get(c) for c in (m.TRANSCRIPT_ID, m.SPEAKER, m.COUNTRY, m.ROLE)]
    labels = ["transcript", "speaker", "country", "role"]
    cite = " · ".join(
        f'<span class="{k}">{escape_html(v)}</span>'
        for k, v in zip(labels, who, strict=True)
        if not is_missing(v)
    )
    lang = f' lang="{escape_html(language)}"' if language else ""
    also = f" · also coded: {escape_html(others)}" if others else ""
    return (
        f'<li class="quote"><blockquote{lang}>{_highlighted(str(row[m.TEXT]), row[HIGHLIGHTS])}'
        f'</blockquote><p class="cite">{cite} · {" ".join(badges)}{also} · '
        f'<code class="segment">{escape_html(row[m.SEGMENT_ID])}</code></p></li>'
    )


def _languages(run: ReportRun) -> dict[str, str]:
    """segment_id -> language code (for the lang attribute that screen readers follow)."""
    segments = run.out.segments
    return segments.set_index(m.SEGMENT_ID)[m.LANGUAGE].dropna().astype(str).to_dict()


def _rules_html(rules: Rules | None) -> str:
    if rules is None:
        return ""
    items = [
        f"<dt>{name}</dt><dd>{escape_html(text)}</dd>"
        for name, text in (
            ("Definition", rules.definition),
            ("Include", rules.include),
            ("Exclude", rules.exclude),
        )
        if text
    ]
    return f'<dl class="rules">{"".join(items)}</dl>' if items else ""


def _passages_html(run: ReportRun, code: str, has_children: bool, context: dict[str, Any]) -> str:
    """Up to max_quotes passages coded with `code` itself (a parent's children show their own)."""
    from qualcode.analysis.quotes import quotes

    codings = run.out.codings
    direct = codings[codings[m.CODE] == code]
    found = quotes(run.out.segments, direct, run.order, code=code) if len(direct) else None
    if found is None or found.empty:
        note = "Passages are listed under its child codes." if has_children else "No passages."
        return f'<p class="muted">{note}</p>'
    shown = _spread(found, run.max_quotes)
    items = []
    for row in shown.to_dict("records"):
        others = [c for c in context["codes_of"].get(row[m.SEGMENT_ID], []) if c != code]
        language = context["languages"].get(row[m.SEGMENT_ID])
        items.append(_quote(row, language, ", ".join(others)))
    return (
        f"<h4>Example passages ({len(shown)} of {len(found)})</h4>"
        f'<ol class="quotes">{"".join(items)}</ol>'
    )


def codes_section(run: ReportRun) -> str:
    codings = run.out.codings
    total = run.frequencies().table[TOTAL]
    cases = run.frequencies(count="cases").table[TOTAL]
    auto = run.frequencies(source=m.SOURCE_AUTO).table[TOTAL]
    coders = sorted(set(codings[m.CODER].dropna()) - {m.AUTO_CODER})
    by_coder = {c: run.frequencies(coder=c).table[TOTAL] for c in coders}
    n_transcripts = run.out.segments[m.TRANSCRIPT_ID].nunique()
    parent_of = dict(run.order)
    rank = {c: i for i, c in enumerate(run.anchors)}
    pairs = codings[[m.SEGMENT_ID, m.CODE]].drop_duplicates()
    pairs = pairs.assign(_rank=pairs[m.CODE].map(rank)).sort_values("_rank", kind="stable")
    context = {
        "codes_of": pairs.groupby(m.SEGMENT_ID, sort=False)[m.CODE].agg(list).to_dict(),
        "languages": _languages(run),
    }
    articles = []
    for code in run.rows:
        children = [c for c, parent in run.order if parent == code]
        manual = ", ".join(f"{c} {format_number(by_coder[c][code])}" for c in coders) or "none"
        body = [
            _rules_html(run.rules.get(code)),
            f'<p class="counts"><strong>{format_number(total[code])}</strong> segments in '
            f"<strong>{format_number(cases[code])}</strong> of {n_transcripts} transcripts · "
            f"auto-coded {format_number(auto[code])} · by coder: {escape_html(manual)}</p>",
        ]
        if children:
            links = ", ".join(f'<a href="#{run.anchors[c]}">{escape_html(c)}</a>' for c in children)
            body.append(f"<p>Counts include its child codes: {links}.</p>")
        if run.quotes and run.max_quotes:
            body.append(_passages_html(run, code, bool(children), context))
        parent = parent_of.get(code)
        heading = escape_html(code) + (
            f' <span class="muted">in {escape_html(parent)}</span>' if parent else ""
        )
        articles.append(
            f'<article class="code {"parent" if children else "leaf"}" id="{run.anchors[code]}"'
            f' data-code="{escape_html(code)}"><h3>{heading}</h3>{"".join(body)}</article>'
        )
    intro = (
        "<p>Matched words are <mark>highlighted</mark>; a passage coded by hand has no "
        "highlight. <span class='badge auto'>auto</span> marks an automatic coding, "
        "<span class='badge manual'>manual</span> a coder's decision. The segment id at the end "
        "of each passage is the one <code>qualcode override add|remove</code> takes.</p>"
        if run.quotes
        else "<p>Transcript passages are left out of this report (<code>--no-quotes</code>).</p>"
    )
    note = f'<p class="notice">{escape_html(run.codebook_note)}</p>' if run.codebook_note else ""
    return note + intro + "".join(articles)


# --- agreement and warnings ----------------------------------------------------------------------


def agreement_section(run: ReportRun) -> str:
    from qualcode.errors import QualcodeError
    from qualcode.reliability.agreement import agreement

    out = run.out
    human = human_coders(out)
    if len(human) < 2:
        names = ", ".join(human) or "none"
        return (
            f"<p>Agreement needs two or more human coders; this run has: {escape_html(names)}.</p>"
        )
    leaves = [c for c in run.rows if c not in run.parents]
    try:
        result = agreement(out, "all", codes=leaves if run.selected else None)
    except QualcodeError as exc:
        return f'<p class="notice">Agreement could not be computed: {escape_html(exc)}</p>'
    coders = result.coders
    labels = dict(STAT_LABELS)
    if len(coders) == 2:
        labels.update(only_a=f"Only {coders[0]}", only_b=f"Only {coders[1]}")
    table = result.table
    columns = [c for c in table.columns if c != m.CODE]
    if "undefined" in columns and table["undefined"].isna().all():
        columns.remove("undefined")
    head = "".join(
        f'<th scope="col" class="{"" if c == "undefined" else "num"}">{escape_html(labels.get(c, c))}</th>'
        for c in columns
    )
    body = []
    for row in table.to_dict("records"):
        cells = "".join(
            f"<td>{escape_html(row[c] or '')}</td>"
            if c == "undefined"
            else f'<td class="num">{format_number(row[c])}</td>'
            for c in columns
        )
        body.append(f'<tr><th scope="row">{escape_html(row[m.CODE])}</th>{cells}</tr>')
    summary = result.summary
    excluded = summary.get("transcripts_excluded") or []
    left_out = (
        f" Left out (not coded by every coder): {escape_html(', '.join(excluded))}."
        if excluded
        else ""
    )
    html = [
        f"<p>Coders {escape_html(', '.join(coders))} compared on {format_number(summary.get('units', 0))} "
        f"participant segments of {format_number(summary.get('transcripts_compared', 0))} transcripts "
        f"that each of them coded (<code>qualcode agree --coders all</code>).{left_out}</p>",
        scrolling(
            f'<table id="agreement-table"><caption>Agreement per code</caption><thead><tr>'
            f'<th scope="col">Code</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>',
            "Agreement per code",
        ),
    ]
    html.append(_disagreements(run, result.disagreements))
    return "".join(html)


def _disagreements(run: ReportRun, frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>No disagreements.</p>"
    rows = []
    languages = _languages(run)
    for segment, group in frame.groupby(m.SEGMENT_ID, sort=False):
        first = group.iloc[0]
        items = "".join(
            f"<li><strong>{escape_html(r[m.CODE])}</strong>: coded by {escape_html(r['coded_by'])}; "
            f"not by {escape_html(r['not_coded_by'])}</li>"
            for r in group.to_dict("records")
        )
        cells = [
            f'<th scope="row">{escape_html(first[m.TRANSCRIPT_ID])}<br><code class="segment">'
            f"{escape_html(segment)}</code></th>",
            f"<td><ul>{items}</ul></td>",
        ]
        if run.quotes:
            lang = languages.get(segment)
            attr = f' lang="{escape_html(lang)}"' if not is_missing(lang) else ""
            cells.append(f'<td class="passage"{attr}>{escape_html(first[m.TEXT])}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    passage = '<th scope="col">Passage</th>' if run.quotes else ""
    caption = f"Disagreements ({len(frame)} in {len(rows)} segments)"
    return (
        f'<table id="disagreements"><caption>{caption}</caption><thead><tr>'
        f'<th scope="col">Transcript / segment</th><th scope="col">Codes in dispute</th>'
        f"{passage}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def warnings_section(run: ReportRun) -> str:
    summary = run.out.manifest.get("summary", {})
    items = []
    missing = summary.get("missing_metadata") or []
    if missing:
        items.append(
            f"<li>{len(missing)} transcript(s) without country or role (counted as "
            f"“{MISSING}”): {escape_html(', '.join(map(str, missing)))}</li>"
        )
    items += [f"<li>{escape_html(w)}</li>" for w in summary.get("warnings") or []]
    overrides = run.out.overrides
    html = f"<ul class=warnings>{''.join(items)}</ul>" if items else ""
    if len(overrides) and m.STATUS in overrides:
        odd = overrides[overrides[m.STATUS].astype("string") != "applied"]
        if len(odd):
            rows = [
                (
                    f"{r.get(m.OVERRIDE_FILE)}:{r.get(m.OVERRIDE_LINE)}",
                    r.get(m.CODER),
                    r.get(m.ACTION),
                    r.get(m.SEGMENT_ID),
                    r.get(m.CODE),
                    OVERRIDE_STATUS.get(str(r.get(m.STATUS)), r.get(m.STATUS)),
                )
                for r in odd.to_dict("records")
            ]
            header = ["Override (file:line)", "Coder", "Action", "Segment", "Code", "Status"]
            html += scrolling(
                simple_table("Overrides not applied", header, rows, numeric_from=99),
                "Overrides not applied",
            )
    return html or (
        "<p>No warnings: every override was applied and every transcript has a country and a "
        "role.</p>"
    )
