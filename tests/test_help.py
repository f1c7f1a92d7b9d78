"""`--help` reads cleanly at 80 and 120 columns and ends with a real example (issue 18, item 6).

Help paragraphs are hard-wrapped in the source; `qualcode.cli.helptext` joins them so that the
terminal wraps them. A rendered paragraph is *ragged* when a line ends although the next word
would have fitted on it: that is what the source's own line breaks used to produce.
"""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.cli.helptext import short, unwrap


def _commands(command, path=()):
    if hasattr(command, "commands"):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))
    else:
        yield path, command


COMMANDS = dict(_commands(typer.main.get_command(app)))
WIDTHS = (80, 120)
BOX = re.compile(r"^[╭│╰]")


def _help(path: tuple[str, ...], width: int) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


def _ragged_lines(output: str, width: int) -> list[str]:
    """Lines of the description (before the option boxes) after which the next word fitted."""
    text = output.split("\n╭", 1)[0]
    lines = [line.rstrip() for line in text.splitlines()]
    ragged = []
    for line, following in zip(lines, lines[1:], strict=False):
        if not line.strip() or not following.strip() or BOX.match(line):
            continue
        nxt = following.strip()
        if re.match(r"^(?:[-*] |\d+[.)] |Examples?:|qualcode |Usage:)", nxt):
            continue
        first_word = nxt.split()[0]
        # rich pads the description by one column on each side
        if len(line) + 1 + len(first_word) <= width - 1:
            ragged.append(line)
    return ragged


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help_has_no_ragged_lines(path: tuple[str, ...], width: int) -> None:
    assert _ragged_lines(_help(path, width), width) == []


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help_ends_with_a_real_example(path: tuple[str, ...]) -> None:
    command = COMMANDS[path]
    text = (command.epilog or command.help or "").strip()
    last = re.split(r"\n\s*\n", text)[-1] if not command.epilog else text
    assert re.match(r"^Examples?:", last), last
    assert f"qualcode {' '.join(path)}" in last


def test_the_command_list_is_not_ragged() -> None:
    for width in WIDTHS:
        output = _help((), width)
        assert "applies the codebook's\n" not in output
        assert _ragged_lines(output, width) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # a hard-wrapped paragraph becomes one line
        ("One two\n    three four.\n", "One two three four."),
        # paragraphs stay apart
        ("First line\ngoes on.\n\nSecond.", "First line goes on.\n\nSecond."),
        # list items and examples keep their own lines; an item's continuation joins it
        (
            "Modes:\n- a: the first\n  one\n- b\n\nExample: qualcode x\nqualcode y",
            "Modes:\n- a: the first one\n- b\n\nExample: qualcode x\nqualcode y",
        ),
        ("", ""),
    ],
)
def test_unwrap(source: str, expected: str) -> None:
    assert unwrap(source) == expected


@pytest.mark.parametrize(
    ("help_text", "expected"),
    [
        ("Count codes. Then more.", "Count codes."),
        # a long first sentence is cut at its colon
        ("Explain a segment's codes: " + "x " * 60 + "end.", "Explain a segment's codes."),
        ("Short: with a colon.", "Short: with a colon."),
    ],
)
def test_short_help(help_text: str, expected: str) -> None:
    assert short(help_text) == expected
