"""A figure as an ``<svg>`` element inlined in the review report, edited with lxml.

matplotlib's SVG is parsed (no DTD, no entities, no network), its metadata dropped, every id and
every reference to one prefixed so that several figures live in one page, the size made
responsive and a title and description added; then it is written out without namespace
declarations, the way the HTML parser reads inline SVG.
"""

from __future__ import annotations

import copy
import io
import re
from typing import TYPE_CHECKING

from qualcode.report.drawing import figure_style

if TYPE_CHECKING:
    from lxml import etree
    from matplotlib.figure import Figure

_SVG = "http://www.w3.org/2000/svg"
_XML = "http://www.w3.org/XML/1998/namespace"
_URL_REFERENCE = re.compile(r"url\(#([^\")]+)")
_POINTS = re.compile(r"([\d.]+)pt")
# html.escape spells the quotes this way; the rest of the page does too.
_QUOTES = re.compile(r"([\"'])")
_QUOTE_REFERENCES = {'"': "quot", "'": "#x27"}


def svg_markup(
    figure: Figure, *, key: str, title: str, description: str, scale: float = 1.35
) -> str:
    """The figure as an ``<svg>`` element to inline in HTML: text as text, accessible, unique ids.

    Text stays ``<text>`` (selectable, read by screen readers, no embedded glyphs); ``title``
    and ``description`` become ``<title>``/``<desc>`` named by ``aria-labelledby``; every id is
    prefixed with ``key`` so several figures live in one page; no XML prolog, metadata or
    namespace URLs (the HTML parser supplies the SVG namespace). The figure scales to its
    container, at most ``scale`` times its natural size. Deterministic for the same figure.
    Line breaks inside attribute values (matplotlib's path data) come out as spaces, as XML
    reads them.
    """
    from lxml import etree

    buffer = io.BytesIO()
    with figure_style({"svg.fonttype": "none", "svg.hashsalt": f"qualcode-{key}"}):
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    svg = etree.fromstring(buffer.getvalue(), parser)
    for metadata in list(svg.iter(f"{{{_SVG}}}metadata")):
        metadata.getparent().remove(metadata)  # with its tail, the line break after it
    _prefix_ids(svg, key)
    points = {}
    for name in ("width", "height"):
        found = _POINTS.fullmatch(svg.get(name, ""))
        if found:
            del svg.attrib[name]
            points[name] = float(found.group(1))
    natural = points.get("width", 0.0) * 96 / 72  # CSS pixels
    element = etree.HTMLParser().makeelement("svg")
    _copy_without_namespaces(svg, element)
    element.attrib.update(
        {
            "width": "100%",
            "style": f"max-width: {natural * scale:.0f}px; height: auto",
            "role": "img",
            "aria-labelledby": f"{key}-title {key}-desc",
        }
    )
    named = []
    for name, text in (("title", title), ("desc", description)):
        named.append(element.makeelement(name, {"id": f"{key}-{name}"}))
        _set_text(named[-1], text)
    named[-1].tail, element.text = element.text, None  # right after <svg>, then the line break
    element[:0] = named
    return etree.tostring(element, encoding="unicode").strip() + "\n"


def _prefix_ids(svg: etree._Element, key: str) -> None:
    """``key-`` before every id and every reference to one (``url(#…)``, ``href="#…"``)."""
    for element in svg.iter():
        for name, value in element.attrib.items():
            local = name.rpartition("}")[2]
            if local == "id":
                value = f"{key}-{value}"
            elif local == "href" and value.startswith("#"):
                value = f"#{key}-{value[1:]}"
            else:
                value = _URL_REFERENCE.sub(lambda found: f"url(#{key}-{found.group(1)}", value)
            if value != element.get(name):
                element.set(name, value)


def _copy_without_namespaces(source: etree._Element, target: etree._Element) -> None:
    """Copy the attributes, text and children of `source` into `target`, names made plain
    (``g``, ``xlink:href``).

    `target` belongs to an HTML document, where a name may hold a prefix, as the HTML parser
    reads inline SVG; in an XML document the namespace declarations would come back.
    """
    from lxml import etree

    prefixes = {uri: prefix for prefix, uri in source.nsmap.items() if prefix}
    prefixes[_XML] = "xml"
    for name, value in source.attrib.items():
        uri, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        target.set(f"{prefixes[uri]}:{local}" if uri else local, value)
    target.text = source.text
    for child in source:
        if isinstance(child.tag, str):
            made = etree.SubElement(target, child.tag.rpartition("}")[2])
            _copy_without_namespaces(child, made)
        else:  # a comment or processing instruction: no names to change
            made = copy.copy(child)
            target.append(made)
        made.tail = child.tail


def _set_text(element: etree._Element, text: str) -> None:
    """`text` as the element's content, quotes as character references (lxml escapes <, >, &)."""
    from lxml import etree

    pieces = _QUOTES.split(text)
    element.text = pieces[0]
    for quote, after in zip(pieces[1::2], pieces[2::2], strict=True):
        reference = etree.Entity(_QUOTE_REFERENCES[quote])
        reference.tail = after
        element.append(reference)
