"""The review report: one self-contained HTML page of a coded output, for a coding meeting.

`build_report` reads the output folder of `qualcode code` and returns the page as a string:
overview and provenance, the country x role frequency tables with a heatmap, bars by country,
the co-occurrence heatmap, each code with its codebook rules, counts and example passages,
inter-coder agreement and disagreements, and the run's warnings. Every number comes from
`qualcode.analysis.frequencies` (the same as `qualcode freq`) or `qualcode.reliability.agreement`.

The page loads nothing: CSS is inline, figures are inline SVG, there is no script, and a
Content-Security-Policy forbids every request. All text is escaped. With ``quotes=False`` no
transcript text (passages, disagreement texts, coders' notes) is written at all. The same
folder gives the same bytes: no dates, fixed SVG ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.analysis.frequencies import N_CASES, N_SEGMENTS, N_WORDS_ROW, TOTAL
from qualcode.report.codes import agreement_section, codes_section, warnings_section
from qualcode.report.parts import (
    ReportRun,
    Rules,
    anchor_ids,
    escape_html,
    figure_html,
    format_number,
    human_coders,
    label_text,
    scrolling,
    simple_table,
    wrap_section,
)
from qualcode.report.style import CSS as _CSS

if TYPE_CHECKING:
    from qualcode.analysis.frequencies import FrequencyTable
    from qualcode.output.folder import CodedOutput

DEFAULT_MAX_QUOTES = 5
_DENOMINATORS = {
    N_SEGMENTS: "n segments",
    N_CASES: "n transcripts",
    N_WORDS_ROW: "n words",
}
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
    from qualcode.analysis.frequencies import code_frequencies
    from qualcode.errors import AnalysisError
    from qualcode.output.folder import CodedOutput, load_output
    from qualcode.report.figures import require_matplotlib

    if max_quotes < 0:
        raise AnalysisError(f"max_quotes must be zero or more, not {max_quotes}")
    require_matplotlib()
    out = source if isinstance(source, CodedOutput) else load_output(source)
    selected = [codes] if isinstance(codes, str) else list(codes) if codes else None
    order = out.code_order
    shown = code_frequencies(out.segments, out.codings, order, codes=selected)  # checks codes
    rules, note = _codebook(out)
    run = ReportRun(
        out=out,
        order=order,
        parents={p for _, p in order if p},
        selected=selected,
        rows=[str(c) for c in shown.table.index],
        anchors=anchor_ids([c for c, _ in order] + list(map(str, shown.table.index))),
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
        ("codes", "Codes", codes_section(run)),
        ("agreement", "Inter-coder agreement", agreement_section(run)),
        ("warnings", "Warnings from the coding run", warnings_section(run)),
    ]
    return _page(run, heading, sections)


def write_report(source: str | Path | CodedOutput, path: str | Path, **options: Any) -> Path:
    """Build the report (options as in `build_report`) and write it to `path` atomically."""
    from qualcode.output.folder import atomic_write_file

    text = build_report(source, **options)
    path = Path(path)
    atomic_write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))
    return path


# --- sections ------------------------------------------------------------------------------------


def _codebook(out: CodedOutput) -> tuple[dict[str, Rules], str | None]:
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
            rules[str(code["name"])] = Rules(**texts)
    return rules, None


def _overview(run: ReportRun) -> str:
    import qualcode

    summary = run.out.manifest.get("summary", {})
    segments = run.out.segments
    interviewer = int(segments[m.IS_INTERVIEWER].fillna(False).astype(bool).sum())
    human = human_coders(run.out)
    facts = [
        ("Transcripts", segments[m.TRANSCRIPT_ID].nunique()),
        ("Segments", len(segments)),
        ("Interviewer segments", interviewer),
        ("Words", int(segments[m.N_WORDS].sum())),
        ("Coded segments", summary.get("coded_segments", "–")),
        ("Human coders", len(human)),
    ]
    facts_html = "".join(
        f"<div><dt>{escape_html(k)}</dt><dd>{format_number(v)}</dd></div>" for k, v in facts
    )
    tables = []
    for column in (m.COUNTRY, m.ROLE, m.LANGUAGE):
        every = run.frequencies(by=column, include_interviewer=True, codes=None).denominators
        participant = run.frequencies(by=column, codes=None).denominators
        rows = [
            (label_text(group), every.at[N_CASES, group], every.at[N_SEGMENTS, group],
             participant.at[N_SEGMENTS, group], every.at[N_WORDS_ROW, group])
            for group in every.columns
        ]  # fmt: skip
        header = [column.capitalize(), "Transcripts", "Segments", "Participant segments", "Words"]
        tables.append(simple_table(f"By {column}", header, rows))
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
        f'<tr><th scope="row">{escape_html(k)}</th><td{" class=mono" if "SHA" in k else ""}>{escape_html(v)}</td></tr>'
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
        f"<pre><code>{escape_html(command)}</code></pre>"
        f"<table class=provenance><caption>Provenance</caption><tbody>{rows}</tbody></table>"
        f"<p class=muted>This report: qualcode {escape_html(qualcode.__version__)}; codes shown: "
        f"{escape_html(shown)}; example passages: {escape_html(passages)}.</p>"
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
        top = "".join(f'<th scope="colgroup" colspan="{n}">{escape_html(g)}</th>' for g, n in outer)
        inner = "".join(
            f'<th scope="col" class="vertical"><span>{escape_html(g[1])}</span></th>'
            for g in groups
        )
        head = (
            f'<tr><th scope="col" rowspan="2">Code</th>{top}'
            f'<th scope="col" rowspan="2" class="num">{TOTAL}</th></tr><tr>{inner}</tr>'
        )
    else:
        cells = "".join(
            f'<th scope="col" class="num">{wrap_section(label_text(g))}</th>' for g in groups
        )
        head = f'<tr><th scope="col">Code</th>{cells}<th scope="col" class="num">{TOTAL}</th></tr>'
    cols.append("<colgroup><col></colgroup>")
    body = []
    for code, values in zip(table.index, table.to_numpy().tolist(), strict=True):
        kind = "parent" if code in parents else "child"
        cells = "".join(f'<td class="num">{format_number(v, 1)}</td>' for v in values)
        body.append(f'<tr class="{kind}"><th scope="row">{escape_html(code)}</th>{cells}</tr>')
    foot = []
    for name, values in zip(
        freq.denominators.index, freq.denominators.to_numpy().tolist(), strict=True
    ):
        cells = "".join(f'<td class="num">{format_number(v)}</td>' for v in values)
        foot.append(
            f'<tr><th scope="row">{escape_html(_DENOMINATORS.get(name, name))}</th>{cells}</tr>'
        )
    html = (
        f'<table id="{key}" class="freq">{"".join(cols)}<caption>{escape_html(caption)}</caption>'
        f"<thead>{head}</thead><tbody>{''.join(body)}</tbody><tfoot>{''.join(foot)}</tfoot></table>"
    )
    return scrolling(html, caption)


def _frequencies(run: ReportRun) -> str:
    from qualcode.report.figures import frequency_heatmap

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
        + figure_html(
            "fig-country-role",
            figure,
            "Share of segments coded, by country and role",
            description,
            "Percent of each group's participant segments coded with each code "
            "(<code>qualcode plot matrix --by country --by role --percent</code>). "
            "Colour scale: viridis.",
        )
    )


def _figures(run: ReportRun) -> str:
    from qualcode.analysis.cooccurrence import cooccurrence
    from qualcode.report.figures import cooccurrence_heatmap, frequency_bars

    freq = run.frequencies(by=m.COUNTRY, percent=True)
    bars = frequency_bars(freq, parents=run.parents, width=6.0)
    parts = []
    for group in freq.table.columns[:-1] if len(freq.table.columns) > 1 else freq.table.columns:
        n = int(freq.denominators.at[N_SEGMENTS, group])
        values = ", ".join(f"{c} {format_number(v, 0)}%" for c, v in freq.table[group].items())
        parts.append(f"{label_text(group)} (n = {n} segments): {values}")
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
    return figure_html(
        "fig-country",
        bars,
        "Code frequencies by country",
        "Grouped bar chart, percent of each country's participant segments coded with each "
        "code. " + "; ".join(parts) + ".",
        "Percent of each country's participant segments coded with each code; n = participant "
        "segments (<code>qualcode plot freq --by country --percent</code>). Okabe–Ito colours.",
    ) + figure_html(
        "fig-cooccurrence",
        heat,
        "Code co-occurrence within segments",
        "Heatmap of the number of segments coded with both codes, for each pair of leaf codes; "
        f"the grey diagonal is the number of segments with the code. Most frequent pairs: {top}.",
        "Segments coded with both codes (<code>qualcode cooccur</code>); the grey diagonal "
        "counts the segments with each code.",
    )


# --- the page ------------------------------------------------------------------------------------


def _page(run: ReportRun, heading: str, sections: list[tuple[str, str, str]]) -> str:
    import qualcode

    summary = run.out.manifest.get("summary", {})
    book = run.out.manifest.get("codebook", {})
    nav = []
    for key, title, _ in sections:
        sub = ""
        if key == "codes":
            links = "".join(
                f'<li class="{"parent" if c in run.parents else "child"}">'
                f'<a href="#{run.anchors[c]}">{escape_html(c)}</a></li>'
                for c in run.rows
            )
            sub = f"<ol>{links}</ol>"
        nav.append(f'<li><a href="#{key}">{escape_html(title)}</a>{sub}</li>')
    body = "".join(
        f'<section id="{key}" aria-labelledby="{key}-h"><h2 id="{key}-h">{escape_html(title)}</h2>'
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
        f"Codebook {escape_html(book.get('name', ''))} {escape_html(book.get('version', ''))} · "
        f"{format_number(summary.get('transcripts', 0))} transcripts · "
        f"{format_number(summary.get('segments', 0))} segments · coders: "
        f"{escape_html(', '.join(summary.get('coders', [])) or '–')}"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta name="generator" content="qualcode {escape_html(qualcode.__version__)}">\n'
        f"<title>{escape_html(heading)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to the report</a>\n'
        '<div class="layout">\n'
        f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{"".join(nav)}</ol></nav>\n'
        f'<main id="main">\n<header><h1>{escape_html(heading)}</h1><p class="lede">{lede}</p>{notice}'
        f"</header>\n{body}\n"
        f"<footer><p>Made by qualcode {escape_html(qualcode.__version__)} from the output folder of "
        "<code>qualcode code</code>; the same folder always gives this same file.</p></footer>\n"
        "</main>\n</div>\n</body>\n</html>\n"
    )
