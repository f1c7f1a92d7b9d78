"""Figures for papers and for the review report: grouped bars and heatmaps of the analysis tables.

Every figure is drawn from a table of `qualcode.analysis.frequencies` (so its numbers are those of
`qualcode freq`, `matrix` and `cooccur`) on a plain matplotlib ``Figure`` with the Agg canvas:
pyplot and its global state are never touched, so a notebook's own backend is left alone.
Sizes and fonts are set for a journal column (3.5 in, 7-8 pt) and the colours are colour-blind
safe: Okabe-Ito for groups, viridis for heatmaps. Saving fixes every source of variation
(SVG hash salt, no dates in SVG/PDF metadata), so the same tables give byte-identical files.
matplotlib is imported inside the functions: ``import qualcode`` stays light.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.analysis.frequencies import N_CASES, N_SEGMENTS, N_WORDS_ROW, FrequencyTable
from qualcode.errors import AnalysisError, ExportError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from qualcode.output.folder import CodedOutput

PLOT_KINDS = ("freq", "cooccur", "matrix")
FIGURE_FORMATS = ("svg", "png", "pdf")
COLUMN_WIDTH = 3.5  # inches: one column of a two-column journal page

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour vision
# deficiency. Strong colours first; the pale yellow last but one, black last.
OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#000000",
)
HEATMAP_CMAP = "viridis"
_MISSING_CELL = "#e6e6e6"  # undefined cells and the co-occurrence diagonal

_RC: dict[str, Any] = {
    # DejaVu Sans ships with matplotlib, so the layout is the same on every machine.
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"],
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "text.parse_math": False,  # a '$' in a code or country name is text, not mathtext
    "svg.fonttype": "path",  # paper figures look the same without the font installed
    "svg.hashsalt": "qualcode",  # fixed ids: identical SVG bytes on every run
    "pdf.fonttype": 42,  # TrueType, editable text (Type 3 fonts are refused by some journals)
    "ps.fonttype": 42,
}

_SAVE_METADATA: dict[str, dict[str, None]] = {
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
    "png": {},
}

_COUNT_LABELS = {
    ("segments", False): "Coded segments",
    ("segments", True): "% of the group's segments",
    ("cases", False): "Transcripts with the code",
    ("cases", True): "% of the group's transcripts",
    ("words", False): "Words in coded segments",
    ("words", True): "% of the group's words",
}
_DENOMINATOR_ROWS = {"segments": N_SEGMENTS, "cases": N_CASES, "words": N_WORDS_ROW}


def require_matplotlib():
    """matplotlib, or ExportError saying how to install it."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise ExportError(
            "figures need matplotlib, which is not installed: pip install matplotlib"
        ) from None
    return matplotlib


@contextmanager
def _style(extra: dict[str, Any] | None = None) -> Iterator[None]:
    """qualcode's figure style, for drawing and saving only (the caller's rcParams are kept)."""
    matplotlib = require_matplotlib()
    with matplotlib.rc_context({**_RC, **(extra or {})}):
        yield


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


# --- labels ------------------------------------------------------------------------------------


def _label(group: object) -> str:
    return " · ".join(str(g) for g in group) if isinstance(group, tuple) else str(group)


def _groups(table: pd.DataFrame) -> list:
    """The group columns of a frequency table: all but the last, Total (Total alone without by)."""
    columns = list(table.columns)
    return columns[:-1] or columns


def _bold_parents(labels: Iterable, parents: Iterable[str]) -> None:
    parents = set(parents)
    for label in labels:
        if label.get_text() in parents:
            label.set_fontweight("bold")


def _text_width(text: str, size: float) -> float:
    """Rough width in inches of `text` at `size` points (DejaVu Sans averages ~0.6 em)."""
    return len(text) * size * 0.6 / 72


def _cell_text(value: float, percent: bool, decimals: int = 0) -> str:
    if value != value:  # NaN: a share of an empty group, a Jaccard of codes never coded
        return "–"
    if decimals:
        return f"{value:.{decimals}f}"
    if percent or abs(value) < 10_000:
        return f"{value:.0f}"
    return f"{value / 1000:.0f}k"


# --- bars ----------------------------------------------------------------------------------------


def frequency_bars(
    freq: FrequencyTable,
    *,
    parents: Iterable[str] = (),
    title: str | None = None,
    width: float | None = None,
) -> Figure:
    """Horizontal grouped bars: one band per code (table order), one bar per group of ``by``.

    Takes a `qualcode.analysis.frequencies.code_frequencies` result; without ``by`` it draws the Total.
    The legend gives each group's denominator (n segments, transcripts or words, as counted).
    ``parents`` are drawn in bold. Returns a matplotlib Figure (draw it, or `save_figure` it).
    """
    import numpy as np

    table = freq.table
    groups = _groups(table)
    codes = [str(c) for c in table.index]
    denominators = freq.denominators.loc[_DENOMINATOR_ROWS[freq.count]]
    labels = [f"{_label(g)} (n = {int(denominators[g]):,})" for g in groups]
    values = table[groups].to_numpy(dtype="float64")
    k, n = len(groups), len(codes)
    width = width or COLUMN_WIDTH
    longest = max(_text_width(label, 7.5) for label in labels)
    per_row = max(1, min(k, 3, int(width // (longest + 0.4))))
    legend_rows = -(-k // per_row) if k > 1 else 0
    band = 0.8
    with _style():
        figure = _new_figure(width, 0.75 + 0.16 * legend_rows + n * (0.1 + 0.075 * k))
        ax = figure.add_subplot()
        positions = np.arange(n)
        for j, colour in enumerate(_palette(k)):
            bars = ax.barh(
                positions - band / 2 + (j + 0.5) * band / k,
                np.nan_to_num(values[:, j]),
                height=band / k,
                color=colour,
                edgecolor="white",
                linewidth=0.3,
                label=labels[j],
            )
            if k <= 3:  # more groups than that: numbers would crowd the bars
                ax.bar_label(
                    bars,
                    labels=[_cell_text(v, freq.percent) for v in values[:, j]],
                    padding=1.5,
                    fontsize=6.5,
                )
        ax.set_yticks(positions, codes)
        ax.set_ylim(n - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        _bold_parents(ax.get_yticklabels(), parents)
        top = np.nanmax(values) if np.isfinite(values).any() else 0.0
        ax.set_xlim(0, max(top, 1.0) * (1.12 if k <= 3 else 1.04))
        ax.set_xlabel(_COUNT_LABELS[(freq.count, freq.percent)])
        ax.set_axisbelow(True)
        ax.xaxis.grid(True, color="#d9d9d9", linewidth=0.5)
        if k > 1:
            figure.legend(
                loc="outside upper center", ncols=per_row, frameon=False, handlelength=1.0
            )
        if title:
            ax.set_title(title, loc="left")
    return figure


def _palette(k: int) -> list:
    if k <= len(OKABE_ITO):
        return list(OKABE_ITO[:k])
    import matplotlib as mpl

    cmap = mpl.colormaps[HEATMAP_CMAP]
    return [cmap(i / max(k - 1, 1)) for i in range(k)]


# --- heatmaps ------------------------------------------------------------------------------------


def _heatmap(
    ax: Axes,
    values,
    rows: Sequence[str],
    columns: Sequence[str],
    *,
    percent: bool,
    decimals: int = 0,
    masked_diagonal: bool = False,
    colorbar_label: str,
):
    """Vector cells (pcolormesh, never an embedded bitmap), value in each cell, a colour bar."""
    import matplotlib as mpl
    import numpy as np

    values = np.asarray(values, dtype="float64")
    hidden = ~np.isfinite(values)
    if masked_diagonal:
        hidden = hidden | np.eye(*values.shape, dtype=bool)
    shown = np.ma.masked_array(values, mask=hidden)
    top = float(shown.max()) if shown.count() else 0.0
    norm = mpl.colors.Normalize(vmin=0.0, vmax=top if top > 0 else 1.0)
    cmap = mpl.colormaps[HEATMAP_CMAP]
    ax.set_facecolor(_MISSING_CELL)
    mesh = ax.pcolormesh(shown, cmap=cmap, norm=norm, edgecolors="white", linewidth=0.6)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            value = values[i, j]
            if hidden[i, j]:
                colour, weight = "#1a1a1a", "bold" if masked_diagonal and i == j else "normal"
            else:
                r, g, b, _ = cmap(norm(value))
                light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45
                colour, weight = ("#1a1a1a" if light else "white"), "normal"
            ax.text(
                j + 0.5,
                i + 0.5,
                _cell_text(value, percent, decimals),
                ha="center",
                va="center",
                fontsize=6.5,
                color=colour,
                fontweight=weight,
                in_layout=False,  # inside its cell: the layout need not measure ~100 labels
            )
    ax.set_xticks(np.arange(len(columns)) + 0.5, columns)
    ax.set_yticks(np.arange(len(rows)) + 0.5, rows)
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(rows), 0)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for label in ax.get_xticklabels():
        label.set_rotation(45)
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
    bar = ax.figure.colorbar(mesh, ax=ax, fraction=0.04, pad=0.02, aspect=25)
    bar.solids.set_rasterized(False)  # vector, like the cells: no embedded bitmap in SVG/PDF
    bar.set_label(colorbar_label)
    bar.outline.set_visible(False)
    bar.ax.tick_params(length=2, width=0.5)
    return mesh


def _heatmap_size(
    rows: Sequence[str], columns: Sequence[str], cell: float, extra_top: float
) -> tuple[float, float]:
    left = max((_text_width(r, 7.5) for r in rows), default=0.5) + 0.25
    bottom = max((_text_width(c, 7.5) for c in columns), default=0.3) * 0.72 + 0.35
    width = left + cell * len(columns) + 0.85
    height = 0.25 + extra_top + 0.24 * len(rows) + bottom
    return width, height


def frequency_heatmap(
    freq: FrequencyTable,
    *,
    parents: Iterable[str] = (),
    title: str | None = None,
    width: float | None = None,
) -> Figure:
    """A code x group heatmap of a `code_frequencies` table (the Total column left out).

    With two ``by`` columns the outer one (e.g. country) labels blocks of columns along the top
    and the inner one (e.g. role) each column. Each cell shows its value: a count, or a percent
    of the group's denominator when the table was computed with ``percent=True``.
    """
    table = freq.table
    groups = _groups(table)
    rows = [str(c) for c in table.index]
    nested = all(isinstance(g, tuple) and len(g) == 2 for g in groups) and len(groups) > 0
    columns = [str(g[1]) if nested else _label(g) for g in groups]
    values = table[groups].to_numpy(dtype="float64")
    longest = max((len(_cell_text(v, freq.percent)) for v in values.ravel()), default=1)
    cell = max(0.3, 0.07 * longest + 0.08)
    size = _heatmap_size(rows, columns, cell, 0.2 if nested else 0.0)
    with _style():
        figure = _new_figure(width or size[0], size[1] + (0.2 if title else 0))
        ax = figure.add_subplot()
        _heatmap(
            ax,
            values,
            rows,
            columns,
            percent=freq.percent,
            colorbar_label=_COUNT_LABELS[(freq.count, freq.percent)],
        )
        _bold_parents(ax.get_yticklabels(), parents)
        if nested:
            outer = [g[0] for g in groups]
            blocks: list[tuple[str, int, int]] = []
            for j, name in enumerate(outer):
                if blocks and blocks[-1][0] == name:
                    blocks[-1] = (name, blocks[-1][1], j + 1)
                else:
                    blocks.append((name, j, j + 1))
            for _, start, _ in blocks[1:]:
                ax.axvline(start, color="white", linewidth=2.5)
            top = ax.secondary_xaxis("top")
            top.set_xticks([(a + b) / 2 for _, a, b in blocks], [str(n) for n, _, _ in blocks])
            top.tick_params(length=0, labelsize=8)
            for label in top.get_xticklabels():
                label.set_fontweight("bold")
            top.spines["top"].set_visible(False)
        if title:
            ax.set_title(title, loc="left")
        ax.set_xlabel(" · ".join(str(n) for n in table.columns.names if n) or None)
        ax.xaxis.label.set_visible(not nested and any(table.columns.names))
    return figure


def cooccurrence_heatmap(
    table: pd.DataFrame,
    *,
    measure: str = "count",
    within: str = "segment",
    title: str | None = None,
    width: float | None = None,
) -> Figure:
    """A code x code heatmap of a `qualcode.analysis.frequencies.cooccurrence` table.

    The diagonal (how often each code occurs, or 1.0 for Jaccard) is shown in grey with its
    value in bold and is left out of the colour scale, so the pairs are what stands out.
    """
    codes = [str(c) for c in table.index]
    unit = {"segment": "segments", "transcript": "transcripts", "overlap": "passage pairs"}
    if measure == "jaccard":
        label = "Jaccard index" + (" (coded characters)" if within == "overlap" else "")
    else:
        label = f"{unit.get(within, within).capitalize()} with both codes"
    decimals = 2 if measure == "jaccard" else 0
    longest = max(
        (len(_cell_text(v, False, decimals)) for v in table.to_numpy().ravel()), default=1
    )
    cell = max(0.3, 0.07 * longest + 0.08)
    size = _heatmap_size(codes, codes, cell, 0.0)
    with _style():
        figure = _new_figure(width or size[0], size[1] + (0.2 if title else 0))
        ax = figure.add_subplot()
        _heatmap(
            ax,
            table.to_numpy(dtype="float64"),
            codes,
            codes,
            percent=False,
            decimals=decimals,
            masked_diagonal=True,
            colorbar_label=label,
        )
        if title:
            ax.set_title(title, loc="left")
    return figure


# --- from an output folder -----------------------------------------------------------------------


def plot_output(
    folder: str | Path | CodedOutput,
    kind: str,
    /,
    *,
    by: str | Sequence[str] | None = None,
    count: str | None = None,
    percent: bool | None = None,
    within: str | None = None,
    measure: str | None = None,
    title: str | None = None,
    width: float | None = None,
    **filters: Any,
) -> Figure:
    """The figure of one analysis of `folder`, an output folder of `qualcode code` (or loaded).

    ``kind``: ``freq`` = grouped bars of `code_frequencies` by ``by`` (default country);
    ``matrix`` = heatmap of the same table, codes x groups (default by transcript_id; use
    ``by=["country", "role"]`` for country x role); ``cooccur`` = heatmap of `cooccurrence`.
    ``count``/``percent`` apply to freq and matrix, ``within``/``measure`` to cooccur; filters
    as in `qualcode.analysis.frequencies.filter_codings`. Raises AnalysisError for an unknown kind, an
    option that does not apply to it, or a bad column, code or filter.
    """
    from qualcode.analysis.cooccurrence import cooccurrence
    from qualcode.analysis.frequencies import code_frequencies
    from qualcode.output.folder import CodedOutput, load_output

    if kind not in PLOT_KINDS:
        raise AnalysisError(f"unknown plot {kind!r}; use one of {', '.join(PLOT_KINDS)}")
    by = [by] if isinstance(by, str) else list(by or [])
    if kind == "cooccur":
        misplaced = [name for name, v in (("by", by), ("count", count), ("percent", percent)) if v]
    else:
        misplaced = [name for name, v in (("within", within), ("measure", measure)) if v]
    if misplaced:
        applies = "freq and matrix" if kind == "cooccur" else "cooccur"
        raise AnalysisError(
            f"the {kind} plot takes no {' or '.join(misplaced)} (that is for {applies})"
        )
    require_matplotlib()
    out = folder if isinstance(folder, CodedOutput) else load_output(folder)
    order = out.code_order
    parents = {p for _, p in order if p}
    if kind == "cooccur":
        within, measure = within or "segment", measure or "count"
        table = cooccurrence(
            out.segments, out.codings, order, within=within, measure=measure, **filters
        )
        return cooccurrence_heatmap(table, measure=measure, within=within, title=title, width=width)
    default = [m.COUNTRY] if kind == "freq" else [m.TRANSCRIPT_ID]
    freq = code_frequencies(
        out.segments,
        out.codings,
        order,
        by=by or default,
        count=count or "segments",
        percent=bool(percent),
        **filters,
    )
    draw = frequency_bars if kind == "freq" else frequency_heatmap
    return draw(freq, parents=parents, title=title, width=width)


# --- saving --------------------------------------------------------------------------------------


def figure_format(path: str | Path, fmt: str | None = None) -> str:
    """The figure format from `fmt` or the file suffix; ExportError when it is not svg/png/pdf."""
    chosen = (fmt or Path(path).suffix.lstrip(".")).lower()
    if chosen not in FIGURE_FORMATS:
        raise ExportError(
            f"cannot write a figure as {chosen or 'a file without suffix'!r}; "
            f"use one of {', '.join('.' + f for f in FIGURE_FORMATS)}",
            file=path,
        )
    return chosen


def save_figure(
    figure: Figure, path: str | Path, fmt: str | None = None, *, dpi: int = 300
) -> Path:
    """Write `figure` as svg, png or pdf (from `fmt` or the suffix), atomically.

    No dates in the metadata and a fixed SVG hash salt: the same figure gives the same bytes.
    ``dpi`` applies to png. Raises ExportError for another format.
    """
    from qualcode.output.folder import atomic_write_file

    path = Path(path)
    chosen = figure_format(path, fmt)
    with _style():
        atomic_write_file(
            path,
            lambda tmp: figure.savefig(
                tmp, format=chosen, dpi=dpi, metadata=_SAVE_METADATA[chosen]
            ),
        )
    return path


_TAG = re.compile(r"<[^>]+>")
_ID_REFERENCE = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')
_XMLNS = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_SIZE = re.compile(r'\s+(width|height)="([\d.]+)pt"')


def svg_markup(
    figure: Figure, *, key: str, title: str, description: str, scale: float = 1.35
) -> str:
    """The figure as an ``<svg>`` element to inline in HTML: text as text, accessible, unique ids.

    Text stays ``<text>`` (selectable, read by screen readers, no embedded glyphs); ``title``
    and ``description`` become ``<title>``/``<desc>`` named by ``aria-labelledby``; every id is
    prefixed with ``key`` so several figures live in one page; no XML prolog, metadata or
    namespace URLs (the HTML parser supplies the SVG namespace). The figure scales to its
    container, at most ``scale`` times its natural size. Deterministic for the same figure.
    """
    buffer = io.StringIO()
    with _style({"svg.fonttype": "none", "svg.hashsalt": f"qualcode-{key}"}):
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)

    def fix(tag: re.Match) -> str:
        return _ID_REFERENCE.sub(lambda g: f"{g.group(1)}{key}-{g.group(2)}", tag.group(0))

    text = _TAG.sub(fix, text)
    opening = text[: text.index(">") + 1]
    size = dict(_SIZE.findall(opening))
    natural = float(size.get("width", "0")) * 96 / 72  # points -> CSS pixels
    attributes = _SIZE.sub("", _XMLNS.sub("", opening[:-1]))
    attributes += (
        f' width="100%" style="max-width: {natural * scale:.0f}px; height: auto"'
        f' role="img" aria-labelledby="{key}-title {key}-desc">'
        f'<title id="{key}-title">{html.escape(title)}</title>'
        f'<desc id="{key}-desc">{html.escape(description)}</desc>'
    )
    return (attributes + text[len(opening) :]).strip() + "\n"


__all__ = [
    "COLUMN_WIDTH",
    "FIGURE_FORMATS",
    "OKABE_ITO",
    "PLOT_KINDS",
    "cooccurrence_heatmap",
    "figure_format",
    "frequency_bars",
    "frequency_heatmap",
    "plot_output",
    "require_matplotlib",
    "save_figure",
    "svg_markup",
]
