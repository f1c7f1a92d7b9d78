"""Help text that reads well at any terminal width.

Command help is written as docstrings, whose paragraphs are hard-wrapped in the source. typer's
rich help keeps every line break it is given, so an 80-column terminal showed each source line
re-wrapped on its own (ragged lines). `unwrap` joins the lines of each paragraph and lets the
terminal wrap them; blank lines still separate paragraphs, and a line that starts a list item
("- ", "* ", "1. ") or an example ("Example:", "Examples:", a "qualcode ..." command) stays on a line of its own.
`unwrap_app` applies it to every command and group of the app, once, after registration.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

SHORT_MAX = 90  # characters of a command's line in a command list
_OWN_LINE = re.compile(r"^(?:[-*] |\d+[.)] |Examples?:|qualcode )")


def unwrap(text: str | None) -> str | None:
    """`text` with the line breaks inside each paragraph replaced by spaces (see the module)."""
    if not text:
        return text
    paragraphs = re.split(r"\n\s*\n", inspect.cleandoc(text))
    return "\n\n".join(_unwrap_paragraph(p) for p in paragraphs if p.strip())


def _unwrap_paragraph(paragraph: str) -> str:
    lines: list[str] = []
    for raw in paragraph.splitlines():
        line = raw.strip()
        if lines and not _OWN_LINE.match(line):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    return "\n".join(lines)


def _name_arguments(callback: Any) -> None:
    from typer.models import ArgumentInfo

    for name, parameter in inspect.signature(callback).parameters.items():
        info = parameter.default
        if isinstance(info, ArgumentInfo) and info.metavar is None:
            info.metavar = name.upper()


def short(help_text: str) -> str:
    """The line for a command list: the first sentence of the help (up to its first colon when
    that sentence is long)."""
    first = help_text.split("\n\n", 1)[0].split("\n", 1)[0]
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    if len(sentence) > SHORT_MAX and ": " in sentence:
        sentence = sentence.split(": ", 1)[0] + "."
    return sentence


def unwrap_app(app: Any) -> None:
    """Unwrap the help of every command and command group registered on a typer app, and name
    each positional argument in capitals in the usage line (FILE, not {file})."""
    app.info.help = unwrap(app.info.help)
    for command in app.registered_commands:
        _name_arguments(command.callback)
        command.help = unwrap(command.help or inspect.getdoc(command.callback))
        if command.short_help is None and command.help:
            command.short_help = short(command.help)
    for group in app.registered_groups:
        if group.help:
            group.help = unwrap(group.help)
        if group.typer_instance is not None:
            unwrap_app(group.typer_instance)
