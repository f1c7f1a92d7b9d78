"""Markdown quotes: matched words in **bold**, user text escaped so it never becomes formatting.

Expected Markdown is written by hand from the rules in `qualcode.markdown_text`; the
rendering checks parse it with markdown-it-py (CommonMark, the parser rich itself uses) to show
that a reader sees the text as written.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from conftest import run_cli
from qualcode import models as m
from qualcode.analysis.quotes import HIGHLIGHTS
from qualcode.exchange.tabular import quotes_markdown
from qualcode.markdown_text import escape_inline, markdown_lines


def _quote(text: str, highlights: list[tuple[int, int]], **columns: str) -> pd.DataFrame:
    row = {
        m.TRANSCRIPT_ID: "it_lawyer_01",
        m.SPEAKER: "P",
        m.COUNTRY: "Italy",
        m.ROLE: "lawyer",
        **columns,
        m.TEXT: text,
        HIGHLIGHTS: highlights,
    }
    return pd.DataFrame([row])


@pytest.mark.parametrize(
    ("text", "highlights", "expected"),
    [
        # "court" is characters 9-14 of "We go to court ..."
        ("We go to court today.", [(9, 14)], ["We go to **court** today."]),
        # 0-5 "lobby" and 3-9 "by the" overlap; 9-10 " " and 10-19 "ministers" touch: one run.
        ("lobby the ministers", [(0, 5), (3, 9), (9, 10), (10, 19)], ["**lobby the ministers**"]),
        # touching single letters merge too
        ("ab", [(0, 1), (1, 2)], ["**ab**"]),
        # whitespace at a run's ends stays outside the bold (" court " is 2-9)
        ("a  court  b", [(2, 9)], ["a  **court**  b"]),
        # a run over a line break is closed and reopened: "one\ntwo" is 5-12
        ("line one\nline two", [(5, 13)], ["line **one**", "**line** two"]),
        # "court." then a letter: **court.**Then would not be bold, so the dot is left out
        ("court.Then", [(0, 6)], ["**court**.Then"]),
        # the dot before a space may stay inside
        ("To court. Then", [(3, 9)], ["To **court.** Then"]),
        # a quote mark right after a letter cannot open the run: it starts at q
        ('x"quote"', [(1, 8)], ['x"**quote"**']),
        # ranges past the text are clipped; a range of only whitespace gives no run
        ("sue", [(0, 99), (-5, 1)], ["**sue**"]),
        ("a b", [(1, 2)], ["a b"]),
        # leading and trailing blank lines and indentation are dropped; offsets still count them
        ("\n\n    text here  \n\n", [(6, 10)], ["**text** here"]),
        ("", [], []),
    ],
)
def test_highlights_become_bold_runs(text, highlights, expected):
    assert markdown_lines(text, highlights) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # emphasis, code, strikethrough, math and table cells: backslash-escaped anywhere
        ("*not* _italic_ `code`", r"\*not\* \_italic\_ \`code\`"),
        # except an underscore inside a word, which is never emphasis; doubled ones are escaped
        ("it_lawyer_01 a__b _x", r"it_lawyer_01 a\_\_b \_x"),
        ("~~gone~~ $x$ a|b", r"\~\~gone\~\~ \$x\$ a\|b"),
        # a link or an image never forms: both brackets escaped
        ("[link](http://x) ![img](y)", r"\[link\](http://x) !\[img\](y)"),
        # HTML and entities show as typed
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("Tom & Jerry &copy;", "Tom &amp; Jerry &amp;copy;"),
        # a backslash is itself escaped
        (r"C:\path", r"C:\\path"),
        # what would open a block at the start of a line
        ("# Heading", r"\# Heading"),
        ("- item", r"\- item"),
        ("+ item", r"\+ item"),
        ("=====", r"\====="),
        ("1986. A year", r"1986\. A year"),
        ("2) second", r"2\) second"),
        ("> nested", "&gt; nested"),
        # the same characters mid-line are plain text and stay as they are
        ("pro-bono 3. item + more = less", "pro-bono 3. item + more = less"),
    ],
)
def test_user_text_is_escaped(text, expected):
    assert markdown_lines(text) == [expected]


def test_a_highlighted_quote_is_bold_and_escaped_in_its_blockquote():
    text = "We *won* the <appeal> at court_1.\n# Then we lobbied."
    # "court_1" is characters 25-32; "lobbied" 44-51 (the line break is 33)
    quotes = _quote(text, [(25, 32), (44, 51)], speaker="P [1]")
    assert quotes_markdown(quotes) == (
        r"> We \*won\* the &lt;appeal&gt; at **court_1**." + "\n"
        r"> \# Then we **lobbied**." + "\n"
        ">\n"
        r"> — it_lawyer_01, P \[1\], Italy, lawyer" + "\n"
    )


def test_group_headings_are_escaped():
    quotes = _quote("Yes.", [], country="<b>Italy</b> #1")
    assert quotes_markdown(quotes, ["country"]).splitlines()[0] == (
        "## &lt;b&gt;Italy&lt;/b&gt; \\#1"
    )


def test_escape_inline_is_one_line():
    assert escape_inline("a\n\n*b*\tc") == r"a \*b\* c"


HOSTILE = [
    "*a* _b_ **c** __d__ `e` ```f```",
    "# h1\n## h2\n===\n---\n***",
    "- x\n+ y\n* z\n1. one\n2) two",
    "[link](javascript:alert(1)) ![i](x.png) <http://x.org>",
    "<script>alert(1)</script> <img src=x onerror=alert(1)> &lt; &amp;",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "~~s~~ $x^2$ \\*not\\* trailing\\",
    "    indented code\n\n> quote\n>> nested",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_plain_text_with_only_the_bold_runs(text):
    from markdown_it import MarkdownIt

    words = [match.span() for match in re.finditer(r"\w+", text)]
    document = "\n".join(f"> {line}" for line in markdown_lines(text, words[::2]))
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(document)
    tags = set(re.findall(r"</?([a-z0-9]+)", rendered))
    assert tags <= {"blockquote", "p", "strong"}
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert " ".join(shown.split()) == " ".join(text.split())
    # every other word is bold: as many bold runs as highlighted words on separate lines
    assert rendered.count("<strong>") == len(words[::2])


def test_quotes_command_writes_highlighted_markdown(tmp_path, mini_corpus, mini_codebook):
    out = tmp_path / "out"
    args = ["code", str(mini_corpus), "--codebook", str(mini_codebook), "--out", str(out), "-q"]
    assert run_cli(args).exit_code == 0
    result = run_cli(["quotes", "--from", str(out), "--code", "litigation", "--format", "md"])
    assert result.exit_code == 0, result.stderr
    # The mini codebook's litigation patterns: "file * lawsuit" (en), "presentar * recurso" and
    # "interponer * demanda" (es), "presentare * ricorso" and TAR (it); each match is one run.
    assert result.stdout == (
        "> Yes. We **filed a lawsuit** against the region.\n"
        "> It took two years.\n"
        ">\n"
        "> We also held a press conference.\n"
        ">\n"
        "> — en_one, P, Spain, lawyer\n"
        "\n"
        "> **Presentamos un recurso**. **Interpusimos una demanda** contra la consejería.\n"
        ">\n"
        "> — es_three, P\n"
        "\n"
        "> Abbiamo **presentato un ricorso** al **TAR**. Poi una conferenza stampa.\n"
        ">\n"
        "> — it_two, P, Italy, coordinator\n"
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        # code names and metadata are user text: they render as written in --format md tables
        ("a*b", "a\\*b"),
        ("<x>", "&lt;x&gt;"),
        ("[l](u)", "\\[l\\](u)"),
        ("p|q", "p\\|q"),
        ("two\nlines", "two lines"),
        ("it_lawyer_01", "it_lawyer_01"),
    ],
)
def test_markdown_table_cells_are_escaped(cell: str, expected: str) -> None:
    from qualcode.exchange.tabular import markdown_table

    table = markdown_table(pd.DataFrame({"code": [cell], "n": [1]}))
    body = table.splitlines()[2]
    assert body.split(" | ")[0].removeprefix("| ").strip() == expected
