"""The report's Jinja2 environment: templates and stylesheet from the package, autoescape on.

Templates live in ``qualcode/report/templates`` (package data, read through the package
loader, so an installed wheel finds them). Every value a template writes is escaped; the only
markup handed in is the inline SVG of our own figure code (`qualcode.report.svg`).

Layout rule of the ``.html`` templates: a line break followed by indented lines is layout, not
output, and is removed before the template is compiled, so markup can be indented while the
page keeps the bytes it always had; a line that starts in the first column starts a new line
of the page. Whitespace inside an indented line is output as written.
"""

from __future__ import annotations

import functools
import re
from html import escape
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.ext import Extension
from markupsafe import Markup

# A line break and the blank or indented lines after it, up to the next line's first non-blank.
_LAYOUT = re.compile(r"\n(?:[ \t]*\n)*[ \t]+")


class IndentIsLayout(Extension):
    """Drops the line breaks before indented lines of ``.html`` templates (see the module)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _LAYOUT.sub("", source) if name and name.endswith(".html") else source


def escape_value(value: object) -> Markup:
    """A value as page text: ``None`` as nothing, anything else as its text, escaped.

    The quotes come out as ``&quot;`` and ``&#x27;`` (html.escape), the spelling the report had
    before templates, instead of MarkupSafe's ``&#34;``/``&#39;``; markup (the templates' own
    macros, our figures) passes through as it is.
    """
    if isinstance(value, Markup):
        return value
    return Markup(escape("" if value is None else str(value), quote=True))


@functools.cache
def environment() -> Environment:
    """The report's Jinja2 environment (made once): autoescape, strict undefined names."""
    return Environment(
        loader=PackageLoader("qualcode.report", "templates"),
        autoescape=True,
        finalize=escape_value,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=[IndentIsLayout],
    )


def render_page(**context: Any) -> str:
    """The report page (``page.html``) for this context, as a string."""
    return environment().get_template("page.html").render(**context)
