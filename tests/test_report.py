"""`qualcode report` and `qualcode plot`, checked the way a reader meets them.

The sample corpus is coded as the README says (`qualcode code transcripts_sample --codebook
codebooks/cso_dilemmas.yaml --out OUT`, run from the repository root so ./overrides brings
coders coder_b and coder_c), the report is written with the CLI, and the HTML is parsed into a
small tree: tables are read cell by cell, passages quote by quote. Numbers are compared with
what `qualcode freq` prints; the no-quotes report is searched for every sentence of every
transcript.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, SAMPLE_CODEBOOK, run_cli, write
from qualcode import models as m
from qualcode.output.folder import load_output

pytest.importorskip("matplotlib", reason="qualcode report and plot need matplotlib")

MAX_QUOTES = 3
SECTIONS = ["overview", "frequencies", "figures", "codes", "agreement", "warnings"]
CODES = [
    "dilemma",
    "humanitarianism",
    "equity",
    "dimension",
    "sustainability",
    "entitlement",
    "strategy",
    "lobbying",
    "advocacy",
    "litigation",
]


# --- a tiny HTML tree (stdlib only) ---------------------------------------------------------------

VOID = {"meta", "br", "wbr", "col", "img", "input", "link", "hr", "source", "area", "base"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)  # Node or str

    def text(self) -> str:
        """The text a reader sees, whitespace collapsed."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join("".join(parts).split())

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                wanted = (tag is None or child.tag == tag) and all(
                    child.has(key.rstrip("_"), value) for key, value in attrs.items()
                )
                if wanted:
                    found.append(child)
                found.extend(child.find_all(tag, **attrs))
        return found

    def has(self, attribute: str, value: str) -> bool:
        if attribute == "class":
            return value in self.attrs.get("class", "").split()
        return self.attrs.get(attribute) == value

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(text: str) -> Node:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root


def table_cells(table: Node) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """(column labels, body rows, footer rows); a column under a colgroup is "group / label"."""
    head = table.find("thead").find_all("tr")
    labels: list[str] = []
    inner = iter(th.text() for th in head[1].find_all("th")) if len(head) == 2 else iter(())
    for th in head[0].find_all("th"):
        if th.attrs.get("scope") == "colgroup":
            labels += [f"{th.text()} / {next(inner)}" for _ in range(int(th.attrs["colspan"]))]
        else:
            labels.append(th.text())

    def rows(part: str) -> list[list[str]]:
        found = table.find_all(part)
        trs = found[0].find_all("tr") if found else []
        return [[c.text() for c in tr.children if isinstance(c, Node)] for tr in trs]

    return labels, rows("tbody"), rows("tfoot")


def number(text: str) -> int:
    return int(text.replace(",", ""))


# --- fixtures --------------------------------------------------------------------------------------


def code_sample(out: Path) -> Path:
    """`qualcode code` on the sample corpus from the repository root, as the README runs it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        result = run_cli(
            [
                "code",
                "transcripts_sample",
                "--codebook",
                "codebooks/cso_dilemmas.yaml",
                "--out",
                str(out),
            ]
        )
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return code_sample(tmp_path_factory.mktemp("sample") / "out")


def report(out: Path, path: Path, *options: str) -> str:
    result = run_cli(["report", "--from", str(out), "-o", str(path), *options])
    assert result.exit_code == 0, result.stderr
    assert f"wrote {path}" in " ".join(result.stderr.split())
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page_text(sample, tmp_path_factory) -> str:
    return report(
        sample, tmp_path_factory.mktemp("report") / "report.html", "--max-quotes", str(MAX_QUOTES)
    )


@pytest.fixture(scope="module")
def page(page_text) -> Node:
    return parse(page_text)


@pytest.fixture(scope="module")
def no_quotes_text(sample, tmp_path_factory) -> str:
    return report(sample, tmp_path_factory.mktemp("private") / "shareable.html", "--no-quotes")


def freq_csv(out: Path, *options: str) -> dict[str, tuple[list[str], dict[str, list[str]]]]:
    """`qualcode freq --by country --by role --format csv` as {table: (header, {label: cells})}."""
    args = ["freq", "--from", str(out), "--by", "country", "--by", "role", "--format", "csv"]
    result = run_cli([*args, *options])
    assert result.exit_code == 0, result.stderr
    tables = {}
    for block in result.stdout.split("# ")[1:]:
        name, _, body = block.partition("\n")
        header, *rows = list(csv.reader(io.StringIO(body)))
        tables[name.strip()] = (header, {row[0]: row[1:] for row in rows if row})
    return tables


# --- the report ------------------------------------------------------------------------------------


def test_report_has_every_section_in_order_with_a_contents_list(page):
    main = page.find("main")
    assert [s.attrs["id"] for s in main.find_all("section")] == SECTIONS
    links = [a.attrs["href"] for a in page.find("nav").find_all("a")]
    assert links[:4] == ["#overview", "#frequencies", "#figures", "#codes"]
    assert [f"#code-{c}" for c in CODES] == [h for h in links if h.startswith("#code-")]
    assert page.find("title").text() == "Coding review: CSO dilemmas in migrant healthcare"


def test_overview_gives_corpus_size_codebook_hash_and_the_command_to_reproduce(page, sample):
    overview = page.find("section", id="overview")
    facts = {
        div.find("dt").text(): div.find("dd").text() for div in overview.find("dl").find_all("div")
    }
    # The README: 13 sample interviews; the coding summary: 266 segments, 133 interviewer, 14,877 words.
    assert facts["Transcripts"] == "13"
    assert facts["Segments"] == "266"
    assert facts["Interviewer segments"] == "133"
    assert facts["Words"] == "14,877"
    assert facts["Human coders"] == "2"
    digest = hashlib.sha256(SAMPLE_CODEBOOK.read_bytes()).hexdigest()
    assert digest in overview.text()
    command = json.loads((sample / m.MANIFEST_FILE).read_text())["command"]
    assert overview.find("pre").text() == command
    assert command.startswith(
        "qualcode code transcripts_sample --codebook codebooks/cso_dilemmas.yaml"
    )


@pytest.mark.parametrize("column", ["country", "role", "language"])
def test_overview_counts_transcripts_per_group(page, sample, column):
    segments = load_output(sample).segments
    expected = segments.groupby(column)[m.TRANSCRIPT_ID].nunique().to_dict()
    table = next(
        t
        for t in page.find("section", id="overview").find_all("table")
        if t.find("caption").text() == f"By {column}"
    )
    _, body, _ = table_cells(table)
    shown = {row[0]: number(row[1]) for row in body if row[0] != "Total"}
    assert shown == expected
    assert number(next(row for row in body if row[0] == "Total")[1]) == 13


@pytest.mark.parametrize(
    ("table_id", "count"), [("freq-segments", "segments"), ("freq-cases", "cases")]
)
def test_country_by_role_table_equals_qualcode_freq(page, sample, table_id, count):
    (header, frequencies), (_, denominators) = freq_csv(sample, "--count", count).values()
    labels, body, foot = table_cells(page.find("table", id=table_id))
    assert labels[1:] == header[1:]
    assert labels[1] == "Italy / coordinator" and labels[-1] == "Total"
    assert [row[0] for row in body] == list(frequencies) == CODES
    for row in body:
        assert [number(v) for v in row[1:]] == [int(v) for v in frequencies[row[0]]], row[0]
    shown = {row[0]: [number(v) for v in row[1:]] for row in foot}
    assert shown["n segments"] == [int(v) for v in denominators["n_segments"]]
    assert shown["n transcripts"] == [int(v) for v in denominators["n_cases"]]
    assert shown["n words"] == [int(v) for v in denominators["n_words"]]


def test_every_code_shows_its_definition_rules_and_counts(page, sample):
    import yaml

    book = {
        c["name"]: c for c in yaml.safe_load(SAMPLE_CODEBOOK.read_text(encoding="utf-8"))["codes"]
    }
    totals = freq_csv(sample)["frequencies"][1]
    articles = page.find("section", id="codes").find_all("article")
    assert [a.attrs["data-code"] for a in articles] == CODES
    for article in articles:
        code = article.attrs["data-code"]
        rules = article.find("dl", class_="rules")
        terms = [dt.text() for dt in rules.find_all("dt")]
        texts = [dd.text() for dd in rules.find_all("dd")]
        for key in ("definition", "include", "exclude"):
            if book[code].get(key):
                assert " ".join(book[code][key].split()) == texts[terms.index(key.capitalize())]
        counts = article.find("p", class_="counts").text()
        assert counts.startswith(f"{totals[code][-1]} segments in"), code


def test_at_most_max_quotes_per_code_each_attributed_and_marked_auto_or_manual(page, sample):
    out = load_output(sample)
    segments = out.segments.set_index(m.SEGMENT_ID)
    for article in page.find("section", id="codes").find_all("article"):
        code = article.attrs["data-code"]
        quotes = article.find_all("li", class_="quote")
        assert len(quotes) <= MAX_QUOTES
        if code not in ("dilemma", "dimension", "strategy"):
            assert quotes, f"{code} has coded segments but no example passage"
        for quote in quotes:
            segment_id = quote.find("code", class_="segment").text()
            row = segments.loc[segment_id]
            assert quote.find("blockquote").text() == " ".join(row[m.TEXT].split())
            assert quote.find("blockquote").attrs["lang"] == row[m.LANGUAGE]
            assert quote.find("span", class_="transcript").text() == row[m.TRANSCRIPT_ID]
            assert quote.find("span", class_="country").text() == row[m.COUNTRY]
            assert quote.find("span", class_="role").text() == row[m.ROLE]
            badges = [b.text() for b in quote.find_all("span", class_="badge")]
            codings = out.codings[
                (out.codings[m.SEGMENT_ID] == segment_id) & (out.codings[m.CODE] == code)
            ]
            assert ("auto" in badges) == (codings[m.SOURCE] == m.SOURCE_AUTO).any()
            manual = sorted(set(codings.loc[codings[m.SOURCE] == m.SOURCE_MANUAL, m.CODER]))
            assert (f"manual: {', '.join(manual)}" in badges) == bool(manual)
            marks = [mk.text() for mk in quote.find_all("mark")]
            assert bool(marks) == (codings[m.SOURCE] == m.SOURCE_AUTO).any()
            matched = " ".join(codings[m.MATCHED_TEXT].dropna())
            assert all(mark in row[m.TEXT] and mark in matched for mark in marks)


def test_agreement_per_code_and_every_disagreement_for_two_coders(page, sample):
    from qualcode.reliability.agreement import agreement

    expected = agreement(sample, "all")
    section = page.find("section", id="agreement")
    labels, body, _ = table_cells(section.find("table", id="agreement-table"))
    assert [row[0] for row in body] == list(expected.table[m.CODE])
    kappa = labels.index("Cohen κ")
    for row, value in zip(body, expected.table["cohen_kappa"], strict=True):
        assert row[kappa] == f"{value:.3f}"
    assert "Only coder_b" in labels and "Only coder_c" in labels
    disagreements = section.find("table", id="disagreements")
    assert (
        disagreements.find("caption")
        .text()
        .startswith(f"Disagreements ({len(expected.disagreements)} in")
    )
    listed = [li.text() for li in disagreements.find("tbody").find_all("li")]
    assert len(listed) == len(expected.disagreements)
    first = expected.disagreements.iloc[0]
    assert (
        listed[0]
        == f"{first[m.CODE]}: coded by {first['coded_by']}; not by {first['not_coded_by']}"
    )


def test_warnings_section_lists_overrides_that_were_not_applied(page, sample):
    overrides = load_output(sample).overrides
    odd = overrides[overrides[m.STATUS] != "applied"]
    _, body, _ = table_cells(page.find("section", id="warnings").find("table"))
    assert [row[0] for row in body] == [
        f"{r[m.OVERRIDE_FILE]}:{r[m.OVERRIDE_LINE]}" for _, r in odd.iterrows()
    ]


RESOURCE = re.compile(
    r"""(?:\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?|url\(\s*["']?)([^"')\s>]*)""",
    re.I,
)


@pytest.mark.parametrize("which", ["page_text", "no_quotes_text"])
def test_report_loads_nothing_from_outside(which, request):
    text = request.getfixturevalue(which)
    references = RESOURCE.findall(text)
    assert references, "the page has in-page links"
    for reference in references:
        assert reference.startswith("#"), reference
    lowered = text.lower()
    for forbidden in (
        "http://",
        "https://",
        "<script",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "<image",
        "srcset",
    ):
        assert forbidden not in lowered, forbidden
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'\"" in text


def _sentences(text: str) -> list[str]:
    """Sentences and lines of a transcript of four words or more, whitespace collapsed."""
    pieces = re.split(r"(?<=[.!?…])\s+|\n+", text)
    return [" ".join(p.split()) for p in pieces if len(p.split()) >= 4]


def _windows(text: str, size: int = 6) -> set[str]:
    words = text.split()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def test_no_quotes_report_contains_no_transcript_text(sample, no_quotes_text, page_text):
    transcripts = load_output(sample).transcripts([m.TRANSCRIPT_ID, m.TEXT])
    visible = {
        name: " ".join(parse(text).text().split()) + " " + " ".join(html.unescape(text).split())
        for name, text in (("no quotes", no_quotes_text), ("with quotes", page_text))
    }
    leaks = {name: [] for name in visible}
    for text in transcripts[m.TEXT]:
        for sentence in _sentences(text):
            for name, seen in visible.items():
                if sentence in seen:
                    leaks[name].append(sentence)
    assert leaks["with quotes"], "the check finds passages in the full report"
    assert leaks["no quotes"] == []
    body_windows = set().union(*(_windows(" ".join(t.split())) for t in transcripts[m.TEXT]))
    assert not [w for w in _windows(visible["no quotes"]) if w in body_windows]
    shareable = parse(no_quotes_text)
    assert shareable.find_all("blockquote") == []
    assert "Passage" not in [
        th.text() for th in shareable.find("table", id="disagreements").find_all("th")
    ]
    assert "No transcript text" in shareable.find("header").text()


def test_same_output_folder_gives_a_byte_identical_report(sample, page_text, tmp_path):
    from qualcode.report.page import build_report

    again = report(sample, tmp_path / "again.html", "--max-quotes", str(MAX_QUOTES))
    assert again == page_text
    assert build_report(load_output(sample), max_quotes=MAX_QUOTES) == page_text


def test_codes_option_keeps_those_codes_and_their_children(sample, tmp_path):
    page = parse(
        report(sample, tmp_path / "r.html", "--codes", "strategy,equity", "--max-quotes", "1")
    )
    articles = [a.attrs["data-code"] for a in page.find_all("article")]
    assert articles == ["equity", "strategy", "lobbying", "advocacy", "litigation"]
    _, body, _ = table_cells(page.find("table", id="freq-segments"))
    assert [row[0] for row in body] == articles
    assert all(len(a.find_all("li", class_="quote")) <= 1 for a in page.find_all("article"))
    codes = [r[0] for r in table_cells(page.find("table", id="agreement-table"))[1]]
    assert codes[:4] == ["equity", "lobbying", "advocacy", "litigation"]


def test_unknown_code_is_a_one_line_error(sample, tmp_path):
    result = run_cli(
        ["report", "--from", str(sample), "-o", str(tmp_path / "r.html"), "--codes", "nope"]
    )
    assert result.exit_code == 2
    assert "unknown code(s) nope" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_missing_matplotlib_is_a_one_line_error_saying_how_to_install_it(
    sample, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for args in (
        ["report", "-o", str(tmp_path / "r.html")],
        ["plot", "freq", "-o", str(tmp_path / "f.svg")],
    ):
        result = run_cli([*args, "--from", str(sample)])
        assert result.exit_code == 2
        assert (
            "figures need matplotlib, which is not installed: pip install matplotlib"
            in result.stderr
        )
    assert list(tmp_path.iterdir()) == []


def test_figures_are_inline_svg_with_title_description_and_unique_ids(page, page_text):
    figures = page.find("main").find_all("figure")
    assert [f.attrs["id"] for f in figures] == [
        "fig-country-role",
        "fig-country",
        "fig-cooccurrence",
    ]
    for figure in figures:
        svg = figure.find("svg")
        assert svg.attrs["role"] == "img"
        title_id, desc_id = svg.attrs["aria-labelledby"].split()
        assert svg.find("title", id=title_id).text()
        assert svg.find("desc", id=desc_id).text()
        assert figure.find("figcaption").text()
        assert "humanitarianism" in [t.text() for t in svg.find_all("text")]
    ids = re.findall(r'\bid="([^"]+)"', page_text)
    assert len(ids) == len(set(ids))


def test_every_figure_reference_points_to_an_id_of_its_own_figure(page_text):
    figures = re.findall(r'<figure id="([^"]+)">(.*?)</figure>', page_text, flags=re.S)
    assert len(figures) == 3
    for key, svg in figures:
        ids = set(re.findall(r'\bid="([^"]+)"', svg))
        references = re.findall(r'(?:url\(#|href="#)([^")]+)', svg)
        assert references, key  # clip paths and markers
        assert all(r in ids and r.startswith(f"{key}-") for r in references), key
        assert "xmlns" not in svg and "<metadata" not in svg and "<?xml" not in svg


def test_tables_have_header_scopes_and_the_page_has_a_print_stylesheet(page, page_text):
    for table in page.find_all("table"):
        for th in table.find_all("th"):
            assert th.attrs.get("scope") in ("col", "colgroup", "row"), th.text()
        assert table.find("caption").text()
    assert "@media print" in page_text
    assert page.find("html").attrs["lang"] == "en"


# --- a corpus with awkward text ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def awkward(tmp_path_factory) -> tuple[Path, str]:
    """One transcript with markup-like text, one without metadata, one coder, one orphan override."""
    root = tmp_path_factory.mktemp("awkward")
    corpus = root / "corpus"
    write(
        corpus / "en_one.md",
        """
        ---
        country: Spain
        role: lawyer
        language: en
        ---
        INT: Did you go to court?
        P: We filed a lawsuit <script>alert("x")</script> & won. We also held a press conference.
        """,
    )
    write(
        corpus / "en_two.md",
        """
        ---
        language: en
        ---
        INT: And the clinic?
        P: We fill the gap, honestly, for <b>everyone</b>.
        """,
    )
    codebook = root / "mini.yaml"
    codebook.write_text(
        "name: mini\nversion: '0.1'\ncodes:\n"
        "  - name: litigation\n    definition: Going to <court> & appeals.\n"
        "    patterns:\n      en: ['file * lawsuit']\n"
        "  - name: humanitarianism\n    definition: Filling gaps.\n"
        "    patterns:\n      en: ['fill * gap']\n",
        encoding="utf-8",
    )
    write(
        root / "overrides" / "anna.csv",
        "segment_id,code,action,coder,note,timestamp\n"
        "en_one.t.0000000000,litigation,add,anna,gone,2025-01-01T00:00:00\n",
    )
    out = root / "out"
    result = run_cli(
        [
            "code",
            str(corpus),
            "--codebook",
            str(codebook),
            "--out",
            str(out),
            "--overrides",
            str(root / "overrides"),
        ]
    )
    assert result.exit_code == 0, result.stderr
    return out, report(out, root / "report.html")


def test_transcript_and_codebook_text_is_escaped(awkward):
    _, text = awkward
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; won" in text
    assert "Going to &lt;court&gt; &amp; appeals." in text
    quote = parse(text).find("article", id="code-litigation").find("blockquote")
    assert (
        quote.text()
        == 'We filed a lawsuit <script>alert("x")</script> & won. We also held a press conference.'
    )
    assert [mk.text() for mk in quote.find_all("mark")] == ["filed a lawsuit"]


def test_warnings_name_transcripts_without_metadata_and_orphan_overrides(awkward):
    _, text = awkward
    warnings = parse(text).find("section", id="warnings")
    assert "1 transcript(s) without country or role" in warnings.text()
    assert "en_two" in warnings.text()
    _, body, _ = table_cells(warnings.find("table"))
    assert body[0][1:] == [
        "anna",
        "add",
        "en_one.t.0000000000",
        "litigation",
        "not applied: the segment no longer exists",
    ]
    assert "gone" not in warnings.text()  # coders' notes may quote transcripts: never shown


def test_agreement_needs_two_human_coders(awkward):
    _, text = awkward
    agreement = parse(text).find("section", id="agreement")
    assert (
        agreement.find("p").text()
        == "Agreement needs two or more human coders; this run has: anna."
    )


def test_report_title_is_escaped_in_title_and_heading(awkward):
    from qualcode.report.page import build_report

    out, _ = awkward
    text = build_report(out, title="<b>\"Review\"</b> & 'more'")
    assert "<b>" not in text
    title = "&lt;b&gt;&quot;Review&quot;&lt;/b&gt; &amp; &#x27;more&#x27;"
    assert f"<title>{title}</title>" in text and f"<h1>{title}</h1>" in text
    assert parse(text).find("h1").text() == "<b>\"Review\"</b> & 'more'"


def test_figure_title_and_description_are_escaped_text(sample):
    from qualcode.report.figures import plot_output
    from qualcode.report.svg import svg_markup

    figure = plot_output(sample, "freq", by="country")
    svg = svg_markup(figure, key="k", title="<i>A</i> & B", description="C \"<script>\" 'D'")
    assert "<i>" not in svg and "<script>" not in svg
    assert '<title id="k-title">&lt;i&gt;A&lt;/i&gt; &amp; B</title>' in svg
    node = parse(svg).find("svg")
    assert node.attrs["aria-labelledby"] == "k-title k-desc"
    assert node.find("desc", id="k-desc").text() == "C \"<script>\" 'D'"


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        (None, True),
        (float("nan"), True),
        (pd.NA, True),
        (pd.NaT, True),
        ("", True),
        ("  ", True),
        ("None", False),  # a country or role may be named so: it is text, not a missing value
        ("nan", False),
        ("<NA>", False),
        (0, False),
        (("Italy", "lawyer"), False),
        ([float("nan")], False),
    ],
)
def test_missing_values_are_none_nan_or_blank_never_text_that_reads_so(value, missing):
    from qualcode.report.parts import format_number, is_missing

    assert is_missing(value) is missing
    if missing:
        assert format_number(value) == "–"


# --- plots ------------------------------------------------------------------------------------------

MAGIC = {"svg": b"<?xml", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("freq", ["--by", "country"]),
        ("matrix", ["--by", "country", "--by", "role", "--percent"]),
        ("cooccur", ["--measure", "jaccard"]),
    ],
)
def test_plot_writes_each_kind_in_each_format_identically_twice(
    sample, tmp_path, kind, options, fmt
):
    paths = [tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"]
    for path in paths:
        result = run_cli(["plot", kind, "--from", str(sample), "-o", str(path), *options])
        assert result.exit_code == 0, result.stderr
        assert f"wrote {path}" in " ".join(result.stderr.split())
    first = paths[0].read_bytes()
    assert first.startswith(MAGIC[fmt])
    assert len(first) > 5_000
    assert first == paths[1].read_bytes()


def test_freq_figure_shows_every_code_and_each_country_with_its_denominator(sample):
    from qualcode.report.figures import plot_output

    figure = plot_output(sample, "freq", by="country")
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == CODES
    denominators = freq_csv(sample)["denominators"][1]["n_segments"]  # by country and role
    italy = sum(int(v) for v in denominators[:6])
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == [f"Italy (n = {italy})", f"Spain (n = {133 - italy})"]
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["dilemma", "dimension", "strategy"]


def test_matrix_heatmap_cells_show_the_frequency_table(sample):
    from qualcode.report.figures import plot_output

    figure = plot_output(sample, "matrix", by=["country", "role"])
    cells = [t.get_text() for t in figure.axes[0].texts]
    frequencies = freq_csv(sample)["frequencies"][1]
    assert cells == [v for code in CODES for v in frequencies[code][:-1]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["freq", "-o", "fig.jpg"], "cannot write a figure as 'jpg'"),
        (["cooccur", "-o", "fig.svg", "--by", "country"], "the cooccur plot takes no by"),
        (["freq", "-o", "fig.svg", "--measure", "jaccard"], "the freq plot takes no measure"),
        (["matrix", "-o", "fig.svg", "--by", "nope"], "unknown by column(s) nope"),
    ],
)
def test_plot_bad_request_is_a_one_line_error(sample, tmp_path, args, message):
    result = run_cli(
        [
            "plot",
            args[0],
            "--from",
            str(sample),
            *[str(tmp_path / a) if a.startswith("fig.") else a for a in args[1:]],
        ]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
