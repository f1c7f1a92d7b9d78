"""The review report: one self-contained HTML page of a coded output, for a coding meeting.

`build_report` reads the output folder of `qualcode code` and returns the page as a string:
overview and provenance, the country x role frequency tables with a heatmap, bars by country,
the co-occurrence heatmap, each code with its codebook rules, counts and example passages,
inter-coder agreement and disagreements, and the run's warnings. Every number comes from
`qualcode.analysis` (the same as `qualcode freq`) or `qualcode.agreement`.

The page loads nothing: CSS is inline, figures are inline SVG, there is no script, and a
Content-Security-Policy forbids every request. All text is escaped. With ``quotes=False`` no
transcript text (passages, disagreement texts, coders' notes) is written at all. The same
folder gives the same bytes: no dates, fixed SVG ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.analysis import MISSING, N_CASES, N_SEGMENTS, N_WORDS_ROW, TOTAL
from qualcode.report_style import CSS as _CSS

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.analysis import FrequencyTable
    from qualcode.output import CodedOutput

DEFAULT_MAX_QUOTES = 5
_DENOMINATORS = {
    N_SEGMENTS: "n segments",
    N_CASES: "n transcripts",
    N_WORDS_ROW: "n words",
}
_STAT_LABELS = {
    "units": "Units",
    "both": "Both coded",
    "neither": "Neither",
    "any_coded": "Coded by any",
    "all_coded": "Coded by all",
    "none_coded": "Coded by none",
    "percent_agreement": "Agreement",
    "cohen_kappa": "Cohen κ",
    "fleiss_kappa": "Fleiss κ",
    "krippendorff_alpha": "Krippendorff α",
    "gwet_ac1": "Gwet AC1",
    "brennan_prediger": "Brennan–Prediger κ",
    "kappa_low": "κ low",
    "kappa_high": "κ high",
    "alpha_low": "α low",
    "alpha_high": "α high",
    "undefined": "Why undefined",
}
_OVERRIDE_STATUS = {
    "redundant": "had no effect (the segment already had, or lacked, the code)",
    "orphan_segment": "not applied: the segment no longer exists",
    "orphan_code": "not applied: the code is not in the codebook",
}


@dataclass
class _Rules:
    """A code's definition and rules, as the codebook states them."""

    definition: str = ""
    include: str = ""
    exclude: str = ""


@dataclass
class _Run:
    """Everything the sections share: the tables, the code selection and the options."""

    out: CodedOutput
    order: list[tuple[str, str | None]]
    parents: set[str]
    selected: list[str] | None
    rows: list[str]  # codes shown, tree order (the selection and its children)
    anchors: dict[str, str]  # code -> unique id of its section, codebook order
    rules: dict[str, _Rules]
    codebook_note: str | None
    max_quotes: int
    quotes: bool

    def frequencies(self, **options: Any) -> FrequencyTable:
        from qualcode.analysis import code_frequencies

        options.setdefault("codes", self.selected)
        return code_frequencies(self.out.segments, self.out.codings, self.order, **options)


# --- public --------------------------------------------------------------------------------------


def build_report(
    source: str | Path | CodedOutput,
    *,
    codes: str | Sequence[str] | None = None,
    max_quotes: int = DEFAULT_MAX_QUOTES,
    quotes: bool = True,
    title: str | None = None,
) -> str:
    """The review report of an output folder of `qualcode code`, as one HTML string.

    ``codes`` limits the code sections, tables and figures to these codes and their children
    (denominators stay those of the whole corpus). ``max_quotes`` is the most example passages
    shown per code; ``quotes=False`` leaves out every piece of transcript text, for sharing
    outside the team. Raises OutputError for a bad folder, AnalysisError for an unknown code,
    ExportError when matplotlib is missing.
    """
    from qualcode.analysis import code_frequencies
    from qualcode.errors import AnalysisError
    from qualcode.output import CodedOutput, load_output
    from qualcode.plots import require_matplotlib

    if max_quotes < 0:
        raise AnalysisError(f"max_quotes must be zero or more, not {max_quotes}")
    require_matplotlib()
    out = source if isinstance(source, CodedOutput) else load_output(source)
    selected = [codes] if isinstance(codes, str) else list(codes) if codes else None
    order = out.code_order
    shown = code_frequencies(out.segments, out.codings, order, codes=selected)  # checks codes
    rules, note = _codebook(out)
    run = _Run(
        out=out,
        order=order,
        parents={p for _, p in order if p},
        selected=selected,
        rows=[str(c) for c in shown.table.index],
        anchors=_anchors([c for c, _ in order] + list(map(str, shown.table.index))),
        rules=rules,
        codebook_note=note,
        max_quotes=max_quotes,
        quotes=quotes,
    )
    book = out.manifest.get("codebook", {})
    heading = title or f"Coding review: {book.get('name') or 'qualcode output'}"
    sections = [
        ("overview", "Overview", _overview(run)),
        ("frequencies", "Frequencies by country and role", _frequencies(run)),
        ("figures", "Codes by country and co-occurrence", _figures(run)),
        ("codes", "Codes", _codes(run)),
        ("agreement", "Inter-coder agreement", _agreement(run)),
        ("warnings", "Warnings from the coding run", _warnings(run)),
    ]
    return _page(run, heading, sections)


def write_report(source: str | Path | CodedOutput, path: str | Path, **options: Any) -> Path:
    """Build the report (options as in `build_report`) and write it to `path` atomically."""
    from qualcode.output import atomic_write_file

    text = build_report(source, **options)
    path = Path(path)
    atomic_write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))
    return path


# --- small HTML helpers --------------------------------------------------------------------------


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _missing(value: object) -> bool:
    """None, NaN, pd.NA or blank (pd.NA cannot be compared, so look at its text)."""
    return value is None or str(value).strip() in ("", "nan", "NaN", "<NA>", "None")


def _num(value: object, decimals: int = 3) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.{decimals}f}"
    return f"{int(value):,}"


def _wrap(value: object) -> str:
    """Escaped text that may break after an underscore (cultural_mediator in a narrow header)."""
    return _e(value).replace("_", "_<wbr>")


def _anchors(codes: Iterable[object]) -> dict[str, str]:
    """A unique, URL-safe id per code: code-<name>, with -2, -3 when two names collide."""
    anchors: dict[str, str] = {}
    for code in dict.fromkeys(map(str, codes)):
        base = "code-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", code).strip("-") or "x")
        anchor, n = base, 1
        while anchor in anchors.values():
            n += 1
            anchor = f"{base}-{n}"
        anchors[code] = anchor
    return anchors


def _label(value: object) -> str:
    return " · ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _scroll(table: str, label: str) -> str:
    """A wide table in a keyboard-scrollable region (WCAG 2.1.1: reachable without a mouse)."""
    return f'<div class="scroll" role="region" tabindex="0" aria-label="{_e(label)}">{table}</div>'


def _simple_table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[Any]], numeric_from: int = 1
) -> str:
    """A table whose first column holds row headers; columns from `numeric_from` are numbers."""
    head = "".join(
        f'<th scope="col"{" class=num" if i >= numeric_from else ""}>{_e(h)}</th>'
        for i, h in enumerate(header)
    )
    body = []
    for row in rows:
        cells = [f'<th scope="row">{_e(row[0])}</th>']
        for i, value in enumerate(row[1:], start=1):
            text = _num(value) if i >= numeric_from else _e(value)
            cells.append(
                f'<td class="num">{text}</td>' if i >= numeric_from else f"<td>{text}</td>"
            )
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _figure(key: str, figure: Any, title: str, description: str, caption: str) -> str:
    from qualcode.plots import svg_markup

    svg = svg_markup(figure, key=key, title=title, description=description)
    return f'<figure id="{key}">{svg}<figcaption>{caption}</figcaption></figure>'


# --- sections ------------------------------------------------------------------------------------


def _codebook(out: CodedOutput) -> tuple[dict[str, _Rules], str | None]:
    """Each code's definition and rules from the folder's codebook copy, or why they are missing.

    The copy is the file `qualcode code` validated; its SHA-256 is checked against run.json and
    only the text fields are read, so the report never loads spaCy (load_codebook would, to
    validate the patterns again: seconds for nothing).
    """
    import hashlib

    import yaml

    path = out.folder / m.CODEBOOK_COPY
    if not path.exists():
        return {}, f"The output folder has no {m.CODEBOOK_COPY}: definitions are not shown."
    raw = path.read_bytes()
    expected = out.manifest.get("codebook", {}).get("sha256")
    if expected and hashlib.sha256(raw).hexdigest() != expected:
        return {}, f"{m.CODEBOOK_COPY} differs from the codebook of this run: rules not shown."
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when built
        data = yaml.load(raw.decode("utf-8-sig"), Loader=loader)  # noqa: S506 - a safe loader
    except (UnicodeDecodeError, yaml.YAMLError):
        return {}, f"{m.CODEBOOK_COPY} cannot be read: definitions are not shown."
    codes = data.get("codes") if isinstance(data, dict) else None
    rules = {}
    for code in codes if isinstance(codes, list) else []:
        if isinstance(code, dict) and "name" in code:
            texts = {k: code.get(k) for k in ("definition", "include", "exclude")}
            texts = {
                k: str(v).strip() if isinstance(v, (str, int, float)) else ""
                for k, v in texts.items()
            }
            rules[str(code["name"])] = _Rules(**texts)
    return rules, None


def _human_coders(out: CodedOutput) -> list[str]:
    """Coders other than the automatic one, in the codings or (all orphaned) in the overrides."""
    found = set(out.codings[m.CODER].dropna()) | set(out.overrides.get(m.CODER, []))
    return sorted(str(c) for c in found - {m.AUTO_CODER})


def _overview(run: _Run) -> str:
    import qualcode

    summary = run.out.manifest.get("summary", {})
    segments = run.out.segments
    interviewer = int(segments[m.IS_INTERVIEWER].fillna(False).astype(bool).sum())
    human = _human_coders(run.out)
    facts = [
        ("Transcripts", segments[m.TRANSCRIPT_ID].nunique()),
        ("Segments", len(segments)),
        ("Interviewer segments", interviewer),
        ("Words", int(segments[m.N_WORDS].sum())),
        ("Coded segments", summary.get("coded_segments", "–")),
        ("Human coders", len(human)),
    ]
    facts_html = "".join(f"<div><dt>{_e(k)}</dt><dd>{_num(v)}</dd></div>" for k, v in facts)
    tables = []
    for column in (m.COUNTRY, m.ROLE, m.LANGUAGE):
        every = run.frequencies(by=column, include_interviewer=True, codes=None).denominators
        participant = run.frequencies(by=column, codes=None).denominators
        rows = [
            (_label(group), every.at[N_CASES, group], every.at[N_SEGMENTS, group],
             participant.at[N_SEGMENTS, group], every.at[N_WORDS_ROW, group])
            for group in every.columns
        ]  # fmt: skip
        header = [column.capitalize(), "Transcripts", "Segments", "Participant segments", "Words"]
        tables.append(_simple_table(f"By {column}", header, rows))
    book = run.out.manifest.get("codebook", {})
    options = run.out.manifest.get("options", {})
    provenance = [
        ("Codebook", f"{book.get('name', '–')} (version {book.get('version', '–')})"),
        ("Codebook file", book.get("file") or "–"),
        ("Codebook SHA-256", book.get("sha256") or "–"),
        ("Coded with", f"qualcode {run.out.manifest.get('qualcode_version', '–')}"),
        ("Segmentation", options.get("unit", "–")),
        ("Participant sheet", options.get("meta") or "none"),
        ("Override folders", ", ".join(options.get("overrides") or []) or "none"),
        ("Coders", ", ".join(summary.get("coders", [])) or "–"),
        ("Overrides read", ", ".join(f"{v} {k}" for k, v in summary.get("overrides", {}).items())
         or "none"),
    ]  # fmt: skip
    rows = "".join(
        f'<tr><th scope="row">{_e(k)}</th><td{" class=mono" if "SHA" in k else ""}>{_e(v)}</td></tr>'
        for k, v in provenance
    )
    command = run.out.manifest.get("command") or "(not recorded)"
    shown = ", ".join(run.selected) if run.selected else "all"
    passages = f"up to {run.max_quotes} per code" if run.quotes else "none (--no-quotes)"
    return (
        f'<dl class="facts">{facts_html}</dl>'
        "<p>Segments and words count every turn; the frequency tables below count participant "
        "segments only, as <code>qualcode freq</code> does.</p>"
        f'<div class="tables-row">{"".join(tables)}</div>'
        "<h3>Reproduce this output</h3>"
        f"<pre><code>{_e(command)}</code></pre>"
        f"<table class=provenance><caption>Provenance</caption><tbody>{rows}</tbody></table>"
        f"<p class=muted>This report: qualcode {_e(qualcode.__version__)}; codes shown: "
        f"{_e(shown)}; example passages: {_e(passages)}.</p>"
    )


def _freq_table(freq: FrequencyTable, key: str, caption: str, parents: set[str]) -> str:
    """A frequency table as `qualcode freq` prints it: codes x groups, Total, denominators."""
    table = freq.table
    groups = list(table.columns)[:-1]  # code_frequencies puts Total last
    nested = bool(groups) and all(isinstance(g, tuple) and len(g) == 2 for g in groups)
    cols = ["<colgroup><col></colgroup>"]
    if nested:
        outer: list[tuple[str, int]] = []
        for group in groups:
            if outer and outer[-1][0] == group[0]:
                outer[-1] = (group[0], outer[-1][1] + 1)
            else:
                outer.append((group[0], 1))
        cols += [f'<colgroup span="{n}"></colgroup>' for _, n in outer]
        top = "".join(f'<th scope="colgroup" colspan="{n}">{_e(g)}</th>' for g, n in outer)
        inner = "".join(
            f'<th scope="col" class="vertical"><span>{_e(g[1])}</span></th>' for g in groups
        )
        head = (
            f'<tr><th scope="col" rowspan="2">Code</th>{top}'
            f'<th scope="col" rowspan="2" class="num">{TOTAL}</th></tr><tr>{inner}</tr>'
        )
    else:
        cells = "".join(f'<th scope="col" class="num">{_wrap(_label(g))}</th>' for g in groups)
        head = f'<tr><th scope="col">Code</th>{cells}<th scope="col" class="num">{TOTAL}</th></tr>'
    cols.append("<colgroup><col></colgroup>")
    body = []
    for code, values in zip(table.index, table.to_numpy().tolist(), strict=True):
        kind = "parent" if code in parents else "child"
        cells = "".join(f'<td class="num">{_num(v, 1)}</td>' for v in values)
        body.append(f'<tr class="{kind}"><th scope="row">{_e(code)}</th>{cells}</tr>')
    foot = []
    for name, values in zip(
        freq.denominators.index, freq.denominators.to_numpy().tolist(), strict=True
    ):
        cells = "".join(f'<td class="num">{_num(v)}</td>' for v in values)
        foot.append(f'<tr><th scope="row">{_e(_DENOMINATORS.get(name, name))}</th>{cells}</tr>')
    html = (
        f'<table id="{key}" class="freq">{"".join(cols)}<caption>{_e(caption)}</caption>'
        f"<thead>{head}</thead><tbody>{''.join(body)}</tbody><tfoot>{''.join(foot)}</tfoot></table>"
    )
    return _scroll(html, caption)


def _frequencies(run: _Run) -> str:
    from qualcode.plots import frequency_heatmap

    by = [m.COUNTRY, m.ROLE]
    segments = run.frequencies(by=by)
    cases = run.frequencies(by=by, count="cases")
    percent = run.frequencies(by=by, percent=True)
    figure = frequency_heatmap(percent, parents=run.parents, width=None)
    description = (
        "Heatmap of the share of each country and role group's participant segments coded with "
        "each code; rows are codes, columns are roles grouped by country. The counts are in the "
        "table 'Coded segments' above."
    )
    return (
        "<p>Rows are codes in codebook order; a parent code counts a segment once, however many "
        "of its children coded it. The numbers are those of <code>qualcode freq --by country "
        "--by role</code> (and <code>--count cases</code>); the last rows are the denominators."
        "</p>"
        + _freq_table(segments, "freq-segments", "Coded segments", run.parents)
        + _freq_table(cases, "freq-cases", "Transcripts (cases) with the code", run.parents)
        + _figure(
            "fig-country-role",
            figure,
            "Share of segments coded, by country and role",
            description,
            "Percent of each group's participant segments coded with each code "
            "(<code>qualcode plot matrix --by country --by role --percent</code>). "
            "Colour scale: viridis.",
        )
    )


def _figures(run: _Run) -> str:
    from qualcode.analysis import cooccurrence
    from qualcode.plots import cooccurrence_heatmap, frequency_bars

    freq = run.frequencies(by=m.COUNTRY, percent=True)
    bars = frequency_bars(freq, parents=run.parents, width=6.0)
    parts = []
    for group in freq.table.columns[:-1] if len(freq.table.columns) > 1 else freq.table.columns:
        n = int(freq.denominators.at[N_SEGMENTS, group])
        values = ", ".join(f"{c} {_num(v, 0)}%" for c, v in freq.table[group].items())
        parts.append(f"{_label(group)} (n = {n} segments): {values}")
    table = cooccurrence(
        run.out.segments, run.out.codings, run.order, codes=run.selected, within="segment"
    )
    heat = cooccurrence_heatmap(table, measure="count", within="segment")
    pairs = [
        (int(table.iat[i, j]), table.index[i], table.columns[j])
        for i in range(len(table))
        for j in range(i + 1, len(table))
    ]
    pairs.sort(key=lambda p: -p[0])
    top = "; ".join(f"{a} and {b}: {n}" for n, a, b in pairs[:5] if n > 0) or "none"
    return _figure(
        "fig-country",
        bars,
        "Code frequencies by country",
        "Grouped bar chart, percent of each country's participant segments coded with each "
        "code. " + "; ".join(parts) + ".",
        "Percent of each country's participant segments coded with each code; n = participant "
        "segments (<code>qualcode plot freq --by country --percent</code>). Okabe–Ito colours.",
    ) + _figure(
        "fig-cooccurrence",
        heat,
        "Code co-occurrence within segments",
        "Heatmap of the number of segments coded with both codes, for each pair of leaf codes; "
        f"the grey diagonal is the number of segments with the code. Most frequent pairs: {top}.",
        "Segments coded with both codes (<code>qualcode cooccur</code>); the grey diagonal "
        "counts the segments with each code.",
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
        parts.append(_e(text[at:start]) + f"<mark>{_e(text[start:end])}</mark>")
        at = end
    return "".join(parts) + _e(text[at:])


def _quote(row: dict, language: str | None, others: str) -> str:
    from qualcode.analysis import HIGHLIGHTS

    sources = str(row.get(m.SOURCE) or "")
    manual = [c.strip() for c in str(row.get(m.CODER) or "").split(",")]
    manual = [c for c in manual if c and c != m.AUTO_CODER]
    badges = []
    if m.SOURCE_AUTO in sources:
        badges.append('<span class="badge auto">auto</span>')
    if manual:
        badges.append(f'<span class="badge manual">manual: {_e(", ".join(manual))}</span>')
    who = [row.get(c) for c in (m.TRANSCRIPT_ID, m.SPEAKER, m.COUNTRY, m.ROLE)]
    labels = ["transcript", "speaker", "country", "role"]
    cite = " · ".join(
        f'<span class="{k}">{_e(v)}</span>'
        for k, v in zip(labels, who, strict=True)
        if not _missing(v)
    )
    lang = f' lang="{_e(language)}"' if language else ""
    also = f" · also coded: {_e(others)}" if others else ""
    return (
        f'<li class="quote"><blockquote{lang}>{_highlighted(str(row[m.TEXT]), row[HIGHLIGHTS])}'
        f'</blockquote><p class="cite">{cite} · {" ".join(badges)}{also} · '
        f'<code class="segment">{_e(row[m.SEGMENT_ID])}</code></p></li>'
    )


def _languages(run: _Run) -> dict[str, str]:
    """segment_id -> language code (for the lang attribute that screen readers follow)."""
    segments = run.out.segments
    return segments.set_index(m.SEGMENT_ID)[m.LANGUAGE].dropna().astype(str).to_dict()


def _rules_html(rules: _Rules | None) -> str:
    if rules is None:
        return ""
    items = [
        f"<dt>{name}</dt><dd>{_e(text)}</dd>"
        for name, text in (
            ("Definition", rules.definition),
            ("Include", rules.include),
            ("Exclude", rules.exclude),
        )
        if text
    ]
    return f'<dl class="rules">{"".join(items)}</dl>' if items else ""


def _passages_html(run: _Run, code: str, has_children: bool, context: dict[str, Any]) -> str:
    """Up to max_quotes passages coded with `code` itself (a parent's children show their own)."""
    from qualcode.analysis import quotes

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


def _codes(run: _Run) -> str:
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
        manual = ", ".join(f"{c} {_num(by_coder[c][code])}" for c in coders) or "none"
        body = [
            _rules_html(run.rules.get(code)),
            f'<p class="counts"><strong>{_num(total[code])}</strong> segments in '
            f"<strong>{_num(cases[code])}</strong> of {n_transcripts} transcripts · "
            f"auto-coded {_num(auto[code])} · by coder: {_e(manual)}</p>",
        ]
        if children:
            links = ", ".join(f'<a href="#{run.anchors[c]}">{_e(c)}</a>' for c in children)
            body.append(f"<p>Counts include its child codes: {links}.</p>")
        if run.quotes and run.max_quotes:
            body.append(_passages_html(run, code, bool(children), context))
        parent = parent_of.get(code)
        heading = _e(code) + (f' <span class="muted">in {_e(parent)}</span>' if parent else "")
        articles.append(
            f'<article class="code {"parent" if children else "leaf"}" id="{run.anchors[code]}"'
            f' data-code="{_e(code)}"><h3>{heading}</h3>{"".join(body)}</article>'
        )
    intro = (
        "<p>Matched words are <mark>highlighted</mark>; a passage coded by hand has no "
        "highlight. <span class='badge auto'>auto</span> marks an automatic coding, "
        "<span class='badge manual'>manual</span> a coder's decision. The segment id at the end "
        "of each passage is the one <code>qualcode override add|remove</code> takes.</p>"
        if run.quotes
        else "<p>Transcript passages are left out of this report (<code>--no-quotes</code>).</p>"
    )
    note = f'<p class="notice">{_e(run.codebook_note)}</p>' if run.codebook_note else ""
    return note + intro + "".join(articles)


# --- agreement and warnings ----------------------------------------------------------------------


def _agreement(run: _Run) -> str:
    from qualcode.agreement import agreement
    from qualcode.errors import QualcodeError

    out = run.out
    human = _human_coders(out)
    if len(human) < 2:
        names = ", ".join(human) or "none"
        return f"<p>Agreement needs two or more human coders; this run has: {_e(names)}.</p>"
    leaves = [c for c in run.rows if c not in run.parents]
    try:
        result = agreement(out, "all", codes=leaves if run.selected else None)
    except QualcodeError as exc:
        return f'<p class="notice">Agreement could not be computed: {_e(exc)}</p>'
    coders = result.coders
    labels = dict(_STAT_LABELS)
    if len(coders) == 2:
        labels.update(only_a=f"Only {coders[0]}", only_b=f"Only {coders[1]}")
    table = result.table
    columns = [c for c in table.columns if c != m.CODE]
    if "undefined" in columns and table["undefined"].isna().all():
        columns.remove("undefined")
    head = "".join(
        f'<th scope="col" class="{"" if c == "undefined" else "num"}">{_e(labels.get(c, c))}</th>'
        for c in columns
    )
    body = []
    for row in table.to_dict("records"):
        cells = "".join(
            f"<td>{_e(row[c] or '')}</td>"
            if c == "undefined"
            else f'<td class="num">{_num(row[c])}</td>'
            for c in columns
        )
        body.append(f'<tr><th scope="row">{_e(row[m.CODE])}</th>{cells}</tr>')
    summary = result.summary
    excluded = summary.get("transcripts_excluded") or []
    left_out = (
        f" Left out (not coded by every coder): {_e(', '.join(excluded))}." if excluded else ""
    )
    html = [
        f"<p>Coders {_e(', '.join(coders))} compared on {_num(summary.get('units', 0))} "
        f"participant segments of {_num(summary.get('transcripts_compared', 0))} transcripts "
        f"that each of them coded (<code>qualcode agree --coders all</code>).{left_out}</p>",
        _scroll(
            f'<table id="agreement-table"><caption>Agreement per code</caption><thead><tr>'
            f'<th scope="col">Code</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>',
            "Agreement per code",
        ),
    ]
    html.append(_disagreements(run, result.disagreements))
    return "".join(html)


def _disagreements(run: _Run, frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>No disagreements.</p>"
    rows = []
    languages = _languages(run)
    for segment, group in frame.groupby(m.SEGMENT_ID, sort=False):
        first = group.iloc[0]
        items = "".join(
            f"<li><strong>{_e(r[m.CODE])}</strong>: coded by {_e(r['coded_by'])}; "
            f"not by {_e(r['not_coded_by'])}</li>"
            for r in group.to_dict("records")
        )
        cells = [
            f'<th scope="row">{_e(first[m.TRANSCRIPT_ID])}<br><code class="segment">'
            f"{_e(segment)}</code></th>",
            f"<td><ul>{items}</ul></td>",
        ]
        if run.quotes:
            lang = languages.get(segment)
            attr = f' lang="{_e(lang)}"' if not _missing(lang) else ""
            cells.append(f'<td class="passage"{attr}>{_e(first[m.TEXT])}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    passage = '<th scope="col">Passage</th>' if run.quotes else ""
    caption = f"Disagreements ({len(frame)} in {len(rows)} segments)"
    return (
        f'<table id="disagreements"><caption>{caption}</caption><thead><tr>'
        f'<th scope="col">Transcript / segment</th><th scope="col">Codes in dispute</th>'
        f"{passage}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _warnings(run: _Run) -> str:
    summary = run.out.manifest.get("summary", {})
    items = []
    missing = summary.get("missing_metadata") or []
    if missing:
        items.append(
            f"<li>{len(missing)} transcript(s) without country or role (counted as "
            f"“{MISSING}”): {_e(', '.join(map(str, missing)))}</li>"
        )
    items += [f"<li>{_e(w)}</li>" for w in summary.get("warnings") or []]
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
                    _OVERRIDE_STATUS.get(str(r.get(m.STATUS)), r.get(m.STATUS)),
                )
                for r in odd.to_dict("records")
            ]
            header = ["Override (file:line)", "Coder", "Action", "Segment", "Code", "Status"]
            html += _scroll(
                _simple_table("Overrides not applied", header, rows, numeric_from=99),
                "Overrides not applied",
            )
    return html or (
        "<p>No warnings: every override was applied and every transcript has a country and a "
        "role.</p>"
    )


# --- the page ------------------------------------------------------------------------------------


def _page(run: _Run, heading: str, sections: list[tuple[str, str, str]]) -> str:
    import qualcode

    summary = run.out.manifest.get("summary", {})
    book = run.out.manifest.get("codebook", {})
    nav = []
    for key, title, _ in sections:
        sub = ""
        if key == "codes":
            links = "".join(
                f'<li class="{"parent" if c in run.parents else "child"}">'
                f'<a href="#{run.anchors[c]}">{_e(c)}</a></li>'
                for c in run.rows
            )
            sub = f"<ol>{links}</ol>"
        nav.append(f'<li><a href="#{key}">{_e(title)}</a>{sub}</li>')
    body = "".join(
        f'<section id="{key}" aria-labelledby="{key}-h"><h2 id="{key}-h">{_e(title)}</h2>'
        f"{content}</section>"
        for key, title, content in sections
    )
    notice = (
        '<p class="notice private"><strong>Contains interview passages.</strong> Share inside '
        "the research team only; <code>qualcode report --no-quotes</code> makes a version with "
        "figures and tables only.</p>"
        if run.quotes
        else '<p class="notice shareable"><strong>No transcript text.</strong> Figures and '
        "tables only (<code>--no-quotes</code>).</p>"
    )
    lede = (
        f"Codebook {_e(book.get('name', ''))} {_e(book.get('version', ''))} · "
        f"{_num(summary.get('transcripts', 0))} transcripts · "
        f"{_num(summary.get('segments', 0))} segments · coders: "
        f"{_e(', '.join(summary.get('coders', [])) or '–')}"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta name="generator" content="qualcode {_e(qualcode.__version__)}">\n'
        f"<title>{_e(heading)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to the report</a>\n'
        '<div class="layout">\n'
        f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{"".join(nav)}</ol></nav>\n'
        f'<main id="main">\n<header><h1>{_e(heading)}</h1><p class="lede">{lede}</p>{notice}'
        f"</header>\n{body}\n"
        f"<footer><p>Made by qualcode {_e(qualcode.__version__)} from the output folder of "
        "<code>qualcode code</code>; the same folder always gives this same file.</p></footer>\n"
        "</main>\n</div>\n</body>\n</html>\n"
    )
