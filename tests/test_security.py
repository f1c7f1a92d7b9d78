"""Issue 16: rich markup in data, regexes that backtrack, coder names, Ctrl-C and write failures.

Each test reproduces a finding of the adversarial review on main: a code or metadata value "[/]"
crashed `codebook check`, `code` and `freq --by country` with a traceback and a link markup
made a link; `(a+)+$` passed `codebook check` and could stall a run; coder names `.maria`, `.`,
`..` and "anna\\n" were accepted and their files skipped; Ctrl-C exited 0 silently and a write
failure gave a traceback.
"""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli, write
from hostile import CLOSING, LINK, hostile_corpus
from qualcode.coding.sinks import FolderSink
from qualcode.matching import matcher

# --- rich markup in data --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("hostile")
    transcripts, codebook = hostile_corpus(root)
    return transcripts, codebook, root / "out"


def _ok(args: list[str]):
    result = run_cli(args)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _flat(text: str) -> str:
    """Terminal output without table borders and line breaks (a long cell may wrap)."""
    return "".join(ch for ch in text if ch not in "│┃║ \n")


def test_data_that_looks_like_markup_is_printed_as_it_is(hostile):
    transcripts, codebook, out = hostile
    checked = _ok(["codebook", "check", str(codebook)])
    assert "│ [/]  │ A closing tag." in checked  # the code's name, not a closing tag
    coded = _ok(["code", str(transcripts), "--codebook", str(codebook), "--out", str(out)])
    assert "[/]" in coded  # the summary's code table, printed after writing
    coded = _ok(
        ["code", str(transcripts), "-c", str(codebook), "--out", str(out), "--by", "country"]
    )
    assert _flat(LINK) in _flat(coded) and "│ [/] " in coded
    by_country = _ok(["freq", "--from", str(out), "--by", "country"])
    # countries: "[/]" (it_lawyer_01, 2 segments with [/]) and the link (it_doctor_02)
    assert _flat(CLOSING) in _flat(by_country) and _flat(LINK) in _flat(by_country)
    for args, shown in (
        (["matrix", "--from", str(out), "--rows", "country"], LINK),  # a row label
        (["cooccur", "--from", str(out)], CLOSING),  # a code
        (["quotes", "--from", str(out), "--code", "[/]"], LINK),  # an attribution
    ):
        assert _flat(shown) in _flat(_ok(args))
    _ok(["plot", "freq", "--from", str(out), "--by", "country", "-o", str(out.parent / "f.svg")])


def test_a_recorded_decision_prints_its_code_as_it_is(tmp_path):
    args = ["override", "add", "s.t.1", LINK, "--coder", "anna", "--dir", str(tmp_path), "--force"]
    printed = _ok(args)
    assert printed.startswith(f"Recorded: add {LINK} on s.t.1 by anna ->")


# --- regexes that backtrack -----------------------------------------------------------------------


def _regex_codebook(path: Path, regex: str) -> Path:
    return write(
        path,
        f"""
        name: slow
        codes:
          - name: x
            definition: A regex.
            patterns:
              en:
                - {{regex: '{regex}', id: slow}}
        """,
    )


@pytest.mark.parametrize("regex", ["(a+)+$", "(a*)*b", "(a|aa)+c", "\\\\b(\\\\w+\\\\s?)+!"])
def test_codebook_check_reports_a_regex_that_backtracks_with_its_line(tmp_path, regex):
    book = _regex_codebook(tmp_path / "slow.yaml", regex)
    result = run_cli(["codebook", "check", str(book)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {book}:7: code 'x', patterns.en[1]: regex can backtrack catastrophically ("
    )
    assert "Traceback" not in result.stderr


def test_a_regex_past_its_time_limit_stops_the_run_naming_pattern_and_segment(
    tmp_path, monkeypatch
):
    # (?:a|[a])+b escapes the check (its alternatives differ as text) but backtracks: on 24 a's
    # Python's re tries about 2**24 ways (seconds); the regex module stops at the time limit.
    monkeypatch.setattr(matcher, "REGEX_TIMEOUT", 0.05)
    book = _regex_codebook(tmp_path / "slow.yaml", "(?:a|[a])+b")
    turn = "a" * 24 + " xb"  # the b lets the locator run the regex (every match holds a b)
    write(tmp_path / "t" / "en_slow_01.md", f"---\nlanguage: en\n---\nAna: {turn}\n")
    out = tmp_path / "out"
    result = run_cli(["code", str(tmp_path / "t"), "--codebook", str(book), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {book}:7: pattern x:en:slow took more than 0.05 s on segment en_slow_01.t."
    )
    assert "rewrite it" in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()


def test_matching_with_the_regex_module_keeps_the_sample_codings(tmp_path):
    # The shipped codebook's regexes (e.g. "\b(?:rdl?|real\s+decreto...)\s*7/2018\b") match as
    # with Python's re: the same matched text for a Spanish decree, case folded.
    book = write(
        tmp_path / "b.yaml",
        r"""
        name: decrees
        codes:
          - name: decree
            definition: A decree.
            patterns:
              es:
                - {regex: "\\b(?:rdl?|real\\s+decreto(?:[- ]?ley)?)\\s*7/2018\\b"}
        """,
    )
    write(
        tmp_path / "t" / "es_a_01.md",
        "---\nlanguage: es\n---\nAna: Con el Real Decreto 7/2018 y el RDL 7/2018.\n",
    )
    _ok(["code", str(tmp_path / "t"), "--codebook", str(book), "--out", str(tmp_path / "out")])
    codings = (tmp_path / "out" / "codings.csv").read_text(encoding="utf-8")
    assert "Real Decreto 7/2018 | RDL 7/2018" in codings


# --- coder names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("coder", [".maria", ".", "..", "anna\n", "-x", "a/b", ""])
def test_override_add_refuses_a_name_that_is_no_coder_name(tmp_path, coder):
    args = ["override", "add", "s.t.1", "c", "--coder", coder, "--dir", str(tmp_path / "ov")]
    result = run_cli([*args, "--force"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: coder {coder!r} is not a coder name: a coder name starts with a letter, digit "
        "or _ and holds only those, '.' and '-'\n"
    )
    assert not (tmp_path / "ov").exists()


HEADER = "segment_id,code,action,coder,note,timestamp\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (".maria.csv", HEADER + "s.t.1,c,add,,,\n", "file name '.maria.csv' does not name a coder"),
        ("..csv", HEADER, "file name '..csv' does not name a coder"),
        (".empty.csv", "", "file name '.empty.csv' does not name a coder"),
        ("anna.csv", HEADER + "s.t.1,c,add,.anna,,\n", ":2: coder '.anna' is not a coder name"),
        ("bad.csv", b"segment_id,code\n\xff\xfe\n", "overrides file is not valid UTF-8"),
        ("dir.csv", None, "cannot read overrides file"),
    ],
)
def test_a_decision_file_that_does_not_load_is_an_error_not_skipped(
    tmp_path, mini_corpus, mini_codebook, name, content, message
):
    folder = tmp_path / "ov"
    folder.mkdir()
    if content is None:
        (folder / name).mkdir()
    elif isinstance(content, bytes):
        (folder / name).write_bytes(content)
    else:
        (folder / name).write_text(content, encoding="utf-8")
    args = ["code", str(mini_corpus), "-c", str(mini_codebook), "--overrides", str(folder)]
    result = run_cli([*args, "--out", str(tmp_path / "out")])  # not even --strict is needed
    assert result.exit_code == 2, result.stdout
    assert f"error: {folder / name}" in result.stderr and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_explicit_file_may_have_any_name_when_its_rows_name_the_coder(
    tmp_path, mini_corpus, mini_codebook
):
    named = write(tmp_path / "round 1.csv", HEADER + "s.t.1,litigation,add,anna,,\n")
    unnamed = write(tmp_path / "round 2.csv", HEADER + "s.t.1,litigation,add,,,\n")
    base = ["code", str(mini_corpus), "-c", str(mini_codebook), "--out", str(tmp_path / "out")]
    assert run_cli([*base, "--overrides", str(named)]).exit_code == 0
    result = run_cli([*base, "--overrides", str(unnamed)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {unnamed}:2: no coder in this row, and the file name 'round 2.csv' names none\n"
    )


# --- Ctrl-C and write failures --------------------------------------------------------------------


@pytest.fixture
def previous(tmp_path, mini_corpus, mini_codebook) -> tuple[list[str], Path, dict[str, bytes]]:
    """A finished output folder, its files' bytes, and the command that rewrites it."""
    out = tmp_path / "out"
    args = ["code", str(mini_corpus), "--codebook", str(mini_codebook), "--out", str(out), "-q"]
    _ok(args)
    return args, out, {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def _kept(out: Path, files: dict[str, bytes]) -> None:
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == files
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out.")] == []


def test_ctrl_c_exits_130_and_keeps_the_previous_output(previous, monkeypatch):
    args, out, files = previous

    def interrupted(self, name, rows):
        raise KeyboardInterrupt

    monkeypatch.setattr(FolderSink, "add", interrupted)
    result = run_cli(args)
    assert result.exit_code == 130  # so `qualcode code ... && qualcode report ...` stops
    assert result.stderr == "qualcode: interrupted; previous output kept\n"
    _kept(out, files)


def test_a_full_disk_is_one_line_naming_the_folder_exit_2(previous, monkeypatch):
    args, out, files = previous

    def full(self, name):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(FolderSink, "_flush", full)
    result = run_cli(args)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {out}: cannot write it: No space left on device; the previous version is kept\n"
    )
    _kept(out, files)


def test_a_file_too_large_for_the_limit_is_one_line_exit_2(previous):
    args, out, files = previous

    largest = max(len(data) for data in files.values())
    assert largest > 2_000

    def limit() -> None:  # files of at most 2 kB: too small for the largest table
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000, 2_000))

    result = subprocess.run(
        [sys.executable, "-m", "qualcode", *args],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {out}: cannot write it: File too large; the previous version is kept\n"
    )
    _kept(out, files)


def test_terminal_tables_never_pass_control_characters(tmp_path: Path) -> None:
    """A metadata value carrying an escape sequence (clear screen, recolour) or a bidi override
    is shown with U+FFFD in its place: user text never drives the terminal."""
    book = write(
        tmp_path / "book.yaml",
        """
        version: 1
        codes:
          - name: litigation
            definition: Going to court.
            patterns:
              en: [lawsuit]
        """,
    )
    write(
        tmp_path / "corpus" / "one.md",
        '---\nlanguage: en\nrole: "nurse\\e[2J\\e[31m\\u202e"\n---\nINT: And?\nP: We filed a lawsuit.\n',
    )
    out = tmp_path / "out"
    result = run_cli(["code", str(tmp_path / "corpus"), "--codebook", str(book), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    for args in (["freq", "--by", "role"], ["matrix"], ["quotes", "--code", "litigation"]):
        shown = run_cli([*args, "--from", str(out)])
        assert shown.exit_code == 0, shown.stderr
        assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout, args
    assert "nurse\ufffd[2J" in run_cli(["freq", "--by", "role", "--from", str(out)]).stdout
