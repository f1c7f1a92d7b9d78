"""The review report: one self-contained HTML page of a coded output, for a coding meeting.

`build_report` reads the output folder of `qualcode code` and returns the page as a string:
overview and provenance, the country x role frequency tables with a heatmap, bars by country,
the co-occurrence heatmap, each code with its codebook rules, counts and example passages,
inter-coder agreement and disagreements, and the run's warnings. Every number comes from
`qualcode.analysis.frequencies` (the same as `qualcode freq`) or `qualcode.reliability.agreement`.

The page loads nothing: CSS is inline, figures are inline SVG, there is no script, and a
Content-Security-Policy forbids every request. The markup is in Jinja2 templates
(``templates/``, autoescape on): this module and `codes` prepare plain data, so all text is
escaped. With ``quotes=False`` no transcript text (passages, disagreement texts, coders' notes)
is written at all. The same folder gives the same bytes: no dates, fixed SVG ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.analysis.frequencies import N_CASES, N_SEGMENTS, N_WORDS_ROW, TOTAL
from qualcode.decisions.layers import DEFAULT_LAYER
from qualcode.report.codes import agreement_section, codes_section, warnings_section
from qualcode.report.parts import (
    FIGURE_TOP_CODES,
    ReportRun,
    Rules,
    anchor_ids,
    figure_rows,
    format_number,
    human_coders,
    inline_figure,
    label_text,
    layered,
    simple_table,
)
from qualcode.report.render import render_page

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
    layer: str = DEFAULT_LAYER,
    reviewers: Sequence[str] = (),
) -> str:
    """The review report of an output folder of `qualcode code`, as one HTML string.

    ``codes`` limits the code sections, tables and figures to these codes and their children
    (denominators stay those of the whole corpus). ``max_quotes`` is the most example passages
    shown per code; ``quotes=False`` leaves out every piece of transcript text, for sharing
    outside the team. ``layer`` and ``reviewers``: the coding counted and quoted (see
    `parts.layered`), named in the header. Raises OutputError for a bad folder, AnalysisError
    for an unknown code or layer, ExportError when matplotlib is missing.
    """
    from qualcode.analysis.frequencies import code_frequencies
    from qualcode.errors import AnalysisError
    from qualcode.output.folder import CodedOutput, load_output
    from qualcode.report.drawing import require_matplotlib

    if max_quotes < 0:
        raise AnalysisError(f"max_quotes must be zero or more, not {max_quotes}")
    require_matplotlib()
    written = source if isinstance(source, CodedOutput) else load_output(source)
    out, caption = layered(written, layer, reviewers)
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
        layer=caption,
        written=written,
        reviewers=tuple(reviewers),
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

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8", newline="\n")

    atomic_write_file(path, write)
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
            texts = {
                k: str(v).strip() if isinstance(v, (str, int, float)) else ""
                for k, v in ((k, code.get(k)) for k in ("definition", "include", "exclude"))
            }
            rules[str(code["name"])] = Rules(**texts)
    return rules, None


def _overview(run: ReportRun) -> dict[str, Any]:
    import qualcode

    summary = run.out.manifest.get("summary", {})
    segments = run.out.segments
    interviewer = int(segments[m.IS_INTERVIEWER].fillna(False).astype(bool).sum())
    facts = [
        ("Transcripts", segments[m.TRANSCRIPT_ID].nunique()),
        ("Segments", len(segments)),
        ("Interviewer segments", interviewer),
        ("Words", int(segments[m.N_WORDS].sum())),
        ("Coded segments", summary.get("coded_segments", "–")),
        ("Human coders", len(human_coders(run.out))),
    ]
    tables = []
    for column in (m.COUNTRY, m.ROLE, m.LANGUAGE):
        every = run.frequencies(by=column, include_interviewer=True, codes=None).denominators
        # A group with interviewer segments only has no participant column: 0 of them.
        participant = run.frequencies(by=column, codes=None).denominators.loc[N_SEGMENTS]
        rows = [
            (label_text(group), every.at[N_CASES, group], every.at[N_SEGMENTS, group],
             participant.get(group, 0), every.at[N_WORDS_ROW, group])
            for group in every.columns
        ]  # fmt: skip
        header = [column.capitalize(), "Transcripts", "Segments", "Participant segments", "Words"]
        tables.append(simple_table(f"By {column}", header, rows))
    return {
        "facts": [(label, format_number(value)) for label, value in facts],
        "tables": tables,
        "command": run.out.manifest.get("command") or "(not recorded)",
        "provenance": _provenance(run.out.manifest),
        "version": qualcode.__version__,
        "shown": ", ".join(run.selected) if run.selected else "all",
        "passages": f"up to {run.max_quotes} per code" if run.quotes else "none (--no-quotes)",
    }


def _provenance(manifest: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """(label, value, is a hash) for the provenance table, from run.json."""
    summary = manifest.get("summary", {})
    book = manifest.get("codebook", {})
    options = manifest.get("options", {})
    rows = [
        ("Codebook", f"{book.get('name', '–')} (version {book.get('version', '–')})"),
        ("Codebook file", book.get("file") or "–"),
        ("Codebook SHA-256", book.get("sha256") or "–"),
        ("Coded with", f"qualcode {manifest.get('qualcode_version', '–')}"),
        ("Segmentation", options.get("unit", "–")),
        ("Participant sheet", options.get("meta") or "none"),
        ("Override folders", ", ".join(options.get("overrides") or []) or "none"),
        ("Coders", ", ".join(summary.get("coders", [])) or "–"),
        ("Overrides read", ", ".join(f"{v} {k}" for k, v in summary.get("overrides", {}).items())
         or "none"),
    ]  # fmt: skip
    return [(label, value, "SHA" in label) for label, value in rows]


def _frequency_table(
    freq: FrequencyTable, key: str, caption: str, parents: set[str]
) -> dict[str, Any]:
    """A frequency table as `qualcode freq` prints it: codes x groups, Total, denominators.

    With two ``by`` columns, ``outer`` holds (outer group, number of its columns) and
    ``columns`` the inner groups; with one, ``outer`` is empty.
    """
    table = freq.table
    groups = list(table.columns)[:-1]  # code_frequencies puts Total last
    nested = bool(groups) and all(isinstance(g, tuple) and len(g) == 2 for g in groups)
    outer: list[tuple[Any, int]] = []
    for group in groups if nested else []:
        if outer and outer[-1][0] == group[0]:
            outer[-1] = (group[0], outer[-1][1] + 1)
        else:
            outer.append((group[0], 1))
    denominators = freq.denominators
    return {
        "key": key,
        "caption": caption,
        "total": TOTAL,
        "outer": outer,
        "columns": [g[1] for g in groups] if nested else [label_text(g) for g in groups],
        "rows": [
            ("parent" if code in parents else "child", code, [format_number(v, 1) for v in values])
            for code, values in zip(table.index, table.to_numpy().tolist(), strict=True)
        ],
        "foot": [
            (_DENOMINATORS.get(name, name), [format_number(v) for v in values])
            for name, values in zip(
                denominators.index, denominators.to_numpy().tolist(), strict=True
            )
        ],
    }


def _frequencies(run: ReportRun) -> dict[str, Any]:
    from qualcode.report.heatmaps import frequency_heatmap

    by = [m.COUNTRY, m.ROLE]
    segments = run.frequencies(by=by)
    cases = run.frequencies(by=by, count="cases")
    percent, drawn = figure_rows(run.frequencies(by=by, percent=True))
    description = (
        "Heatmap of the share of each country and role group's participant segments coded with "
        "each code; rows are codes, columns are roles grouped by country. The counts are in the "
        "table 'Coded segments' above." + drawn
    )
    return {
        "segments": _frequency_table(segments, "freq-segments", "Coded segments", run.parents),
        "cases": _frequency_table(
            cases, "freq-cases", "Transcripts (cases) with the code", run.parents
        ),
        "heatmap": inline_figure(
            "fig-country-role",
            frequency_heatmap(percent, parents=run.parents, width=None),
            "Share of segments coded, by country and role",
            description,
        ),
    }


def _figures(run: ReportRun) -> dict[str, Any]:
    from qualcode.analysis.cooccurrence import cooccurrence
    from qualcode.report.figures import frequency_bars
    from qualcode.report.heatmaps import cooccurrence_heatmap

    freq, drawn = figure_rows(run.frequencies(by=m.COUNTRY, percent=True))
    bars = frequency_bars(freq, parents=run.parents, width=6.0)
    parts = []
    for group in freq.table.columns[:-1] if len(freq.table.columns) > 1 else freq.table.columns:
        n = int(freq.denominators.at[N_SEGMENTS, group])
        values = ", ".join(f"{c} {format_number(v, 0)}%" for c, v in freq.table[group].items())
        parts.append(f"{label_text(group)} (n = {n} segments): {values}")
    table = cooccurrence(
        run.out.segments, run.out.codings, run.order, codes=run.selected, within="segment",
        top=FIGURE_TOP_CODES,
    )  # fmt: skip
    heat = cooccurrence_heatmap(table, measure="count", within="segment")
    shown = ""
    if len(table) < table.attrs["leaf_codes"]:
        shown = (
            f" Only the {len(table)} leaf codes coded in the most segments are shown, of "
            f"{table.attrs['leaf_codes']:,}; `qualcode cooccur --code ...` counts any others."
        )
    pairs = [
        (int(table.iat[i, j]), table.index[i], table.columns[j])
        for i in range(len(table))
        for j in range(i + 1, len(table))
    ]
    pairs.sort(key=lambda p: -p[0])
    top = "; ".join(f"{a} and {b}: {n}" for n, a, b in pairs[:5] if n > 0) or "none"
    return {
        "bars": inline_figure(
            "fig-country",
            bars,
            "Code frequencies by country",
            "Grouped bar chart, percent of each country's participant segments coded with each "
            "code. " + "; ".join(parts) + "." + drawn,
        ),
        "cooccurrence": inline_figure(
            "fig-cooccurrence",
            heat,
            "Code co-occurrence within segments",
            "Heatmap of the number of segments coded with both codes, for each pair of leaf "
            "codes; the grey diagonal is the number of segments with the code. Most frequent "
            f"pairs: {top}.{shown}",
        ),
    }


# --- the page ------------------------------------------------------------------------------------


def _page(run: ReportRun, heading: str, sections: list[tuple[str, str, Any]]) -> str:
    import qualcode

    summary = run.out.manifest.get("summary", {})
    book = run.out.manifest.get("codebook", {})
    return render_page(
        version=qualcode.__version__,
        heading=heading,
        sections=[{"key": key, "title": title, "data": data} for key, title, data in sections],
        nav_codes=[
            {
                "kind": "parent" if code in run.parents else "child",
                "anchor": run.anchors[code],
                "name": code,
            }
            for code in run.rows
        ],
        book_name=book.get("name", ""),
        book_version=book.get("version", ""),
        transcripts=format_number(summary.get("transcripts", 0)),
        segments=format_number(summary.get("segments", 0)),
        coders=", ".join(summary.get("coders", [])) or "–",
        layer=run.layer,
        quotes=run.quotes,
    )
