"""Codebook validation: every problem reported at once, with the code name and the YAML line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import MINI_CODEBOOK, SAMPLE_CODEBOOK, write
from qualcode.codebook import load_codebook
from qualcode.errors import CodebookError


def test_valid_codebook_loads_with_hierarchy_and_pattern_ids(mini_codebook: Path) -> None:
    book = load_codebook(mini_codebook)
    assert book.code_names == ["strategy", "litigation", "advocacy", "humanitarianism"]
    assert book.get("litigation").parent == "strategy"
    assert book.children("strategy") == ["litigation", "advocacy"]
    # Ids come from each pattern's content (8 hex digits of a SHA-256), never its position.
    ids = [p.id for p in book.get("litigation").patterns]
    assert [i.rsplit(":", 1)[0] for i in ids] == ["litigation:en"] * 2 + ["litigation:it"] * 2 + [
        "litigation:es"
    ] * 2
    assert all(re.fullmatch(r"[0-9a-f]{8}", i.rsplit(":", 1)[1]) for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids == [p.id for p in load_codebook(mini_codebook).get("litigation").patterns]
    (exclusion,) = [p.id for p in book.get("litigation").exclude_patterns]
    assert re.fullmatch(r"litigation:en:x[0-9a-f]{8}", exclusion)
    assert len(book.sha256) == 64


def test_shipped_codebook_validates_with_seven_codes_in_three_languages() -> None:
    book = load_codebook(SAMPLE_CODEBOOK)
    leaves = {
        "humanitarianism",
        "equity",
        "sustainability",
        "entitlement",
        "lobbying",
        "advocacy",
        "litigation",
    }
    assert leaves <= set(book.code_names)
    for name in leaves:
        code = book.get(name)
        assert code.definition and code.include and code.exclude and code.examples
        assert {p.language for p in code.patterns} == {"en", "it", "es"}


BAD_CASES = [
    # (yaml body of one code, expected message fragment, line of the problem)
    ("  - name: a\n    colour: red\n    patterns: {en: [x]}\n", "unknown key 'colour'", 4),
    ("  - name: a\n    patterns: {zz: [x]}\n", "'zz' is not supported", 4),
    ("  - name: a\n    patterns: {english: [x]}\n", "'english' is not a language code", 4),
    ("  - name: a\n    definition: nothing to match\n", "code 'a' is empty", 3),
    ("  - name: a\n    patterns:\n      en:\n        - {regex: '(unclosed'}\n", "invalid regex", 6),
    (
        "  - name: a\n    patterns:\n      en:\n        - {tokens: [{LEMA: x}]}\n",
        "invalid token pattern",
        6,
    ),
    (
        "  - name: a\n    patterns:\n      en:\n        - {tokens: [{POS: NOUN}]}\n",
        "need a trained pipeline",
        6,
    ),
    ("  - name: a\n    patterns:\n      en:\n        - {phrase: '* x'}\n", "wildcard", 6),
    (
        "  - name: a\n    patterns:\n      en:\n        - {phrase: x, match: fuzzy}\n",
        "match must be one of",
        6,
    ),
    ("  - name: a\n    parent: nowhere\n    patterns: {en: [x]}\n", "parent 'nowhere'", 3),
    (
        "  - name: a\n    patterns: {en: [x]}\n  - name: a\n    patterns: {en: [y]}\n",
        "defined twice",
        5,
    ),
    ("  - name: a\n    patterns:\n      en:\n        - {regex: 'x*'}\n", "empty string", 6),
]


@pytest.mark.parametrize(("body", "message", "line"), BAD_CASES)
def test_bad_codebook_reports_code_and_line(
    tmp_path: Path, body: str, message: str, line: int
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ncodes:\n" + body, encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    matching = [p for p in info.value.problems if message in p.message]
    assert matching, [str(p) for p in info.value.problems]
    assert matching[0].line == line
    assert matching[0].file == str(path)


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    body = "".join(
        case[0].replace("name: a", f"name: a{i}") for i, case in enumerate(BAD_CASES[:9])
    )
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nextra: 1\ncodes:\n" + body, encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert len(info.value.problems) >= 10  # the unknown top-level key + one per broken code


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "codebook is empty"),
        ("codes: [\n", "not valid YAML"),
        ("- just a list\n", "a codebook is a mapping"),
        ("name: x\ncodes: []\n", "non-empty list"),
    ],
)
def test_unusable_codebook_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError, match=message):
        load_codebook(path)


def test_codebook_check_cli_prints_table_or_located_errors(tmp_path: Path, cli) -> None:
    good = write(tmp_path / "good.yaml", MINI_CODEBOOK)
    result = cli(["codebook", "check", str(good)])
    assert result.exit_code == 0, result.stderr
    assert "litigation" in result.stdout and "OK" in result.stdout
    bad = write(
        tmp_path / "bad.yaml", "name: b\ncodes:\n  - name: a\n    patterns: {en: [{regex: '('}]}\n"
    )
    result = cli(["codebook", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:4" in result.stderr and "Traceback" not in result.stderr
