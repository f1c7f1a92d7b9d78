"""Figures for papers and for the review report: grouped bars and heatmaps of the analysis tables.

Every figure is drawn from a table of `qualcode.analysis.frequencies` (so its numbers are those of
`qualcode freq`, `matrix` and `cooccur`) on a plain matplotlib ``Figure`` with the Agg canvas:
pyplot and its global state are never touched, so a notebook's own backend is left alone.
The style (journal column sizes, colour-blind safe colours) is in `qualcode.report.drawing`,
the heatmaps in `qualcode.report.heatmaps`, the inline SVG of the report in
`qualcode.report.svg`; this module draws the bars, picks the figure of an output folder and
saves it. Saving fixes every source of variation (SVG hash salt, no dates in SVG/PDF
metadata), so the same tables give byte-identical files. matplotlib is imported inside the
functions: ``import qualcode`` stays light.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from qualcode import models as m
from qualcode.analysis.frequencies import FrequencyTable
from qualcode.errors import AnalysisError, ExportError
from qualcode.report.drawing import (
    COLUMN_WIDTH,
    COUNT_LABELS,
    DENOMINATOR_ROWS,
    HEATMAP_CMAP,
    OKABE_ITO,
    bold_parents,
    cell_text,
    figure_style,
    group_columns,
    group_label,
    new_figure,
    require_matplotlib,
    text_width,
)
from qualcode.report.heatmaps import cooccurrence_heatmap, frequency_heatmap
from qualcode.report.svg import svg_markup

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from qualcode.output.folder import CodedOutput

PLOT_KINDS = ("freq", "cooccur", "matrix")
FIGURE_FORMATS = ("svg", "png", "pdf")

_SAVE_METADATA: dict[str, dict[str, None]] = {
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
    "png": {},
}

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
    groups = group_columns(table)
    codes = [str(c) for c in table.index]
    denominators = freq.denominators.loc[DENOMINATOR_ROWS[freq.count]]
    labels = [f"{group_label(g)} (n = {int(denominators[g]):,})" for g in groups]
    values = table[groups].to_numpy(dtype="float64")
    k, n = len(groups), len(codes)
    width = width or COLUMN_WIDTH
    longest = max(text_width(label, 7.5) for label in labels)
    per_row = max(1, min(k, 3, int(width // (longest + 0.4))))
    legend_rows = -(-k // per_row) if k > 1 else 0
    with figure_style():
        figure = new_figure(width, 0.75 + 0.16 * legend_rows + n * (0.1 + 0.075 * k))
        ax = figure.add_subplot()
        positions = np.arange(n)
        _draw_bars(ax, positions, values, labels, percent=freq.percent)
        ax.set_yticks(positions, codes)
        ax.set_ylim(n - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        bold_parents(ax.get_yticklabels(), parents)
        top = np.nanmax(values) if np.isfinite(values).any() else 0.0
        ax.set_xlim(0, max(top, 1.0) * (1.12 if k <= 3 else 1.04))
        ax.set_xlabel(COUNT_LABELS[(freq.count, freq.percent)])
        ax.set_axisbelow(True)
        ax.xaxis.grid(True, color="#d9d9d9", linewidth=0.5)
        if k > 1:
            figure.legend(
                loc="outside upper center", ncols=per_row, frameon=False, handlelength=1.0
            )
        if title:
            ax.set_title(title, loc="left")
    return figure


def _draw_bars(ax: Axes, positions, values, labels: Sequence[str], *, percent: bool) -> None:
    """One bar per group in each code's band, with its value written after it (up to 3 groups)."""
    import numpy as np

    k = len(labels)
    band = 0.8
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
                labels=[cell_text(v, percent) for v in values[:, j]],
                padding=1.5,
                fontsize=6.5,
            )


def _palette(k: int) -> list:
    if k <= len(OKABE_ITO):
        return list(OKABE_ITO[:k])
    import matplotlib as mpl

    cmap = mpl.colormaps[HEATMAP_CMAP]
    return [cmap(i / max(k - 1, 1)) for i in range(k)]


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
    layer: str | None = "final",
    reviewers: Sequence[str] = (),
    **filters: Any,
) -> Figure:
    """The figure of one analysis of `folder`, an output folder of `qualcode code` (or loaded).

    ``kind``: ``freq`` = grouped bars of `code_frequencies` by ``by`` (default country);
    ``matrix`` = heatmap of the same table, codes x groups (default by transcript_id; use
    ``by=["country", "role"]`` for country x role); ``cooccur`` = heatmap of `cooccurrence`.
    ``count``/``percent`` apply to freq and matrix, ``within``/``measure`` to cooccur; filters
    as in `qualcode.analysis.frequencies.filter_codings`; ``layer``, ``reviewers``: the coding
    drawn (`report.parts.layered`; None: `folder`'s codings as they are). Raises AnalysisError
    for an unknown kind or layer, a misplaced option, a bad column, code or filter.
    """
    from qualcode.analysis.cooccurrence import cooccurrence
    from qualcode.analysis.frequencies import code_frequencies
    from qualcode.output.folder import CodedOutput, load_output

    by = [by] if isinstance(by, str) else list(by or [])
    _check_plot_options(kind, by=by, count=count, percent=percent, within=within, measure=measure)
    require_matplotlib()
    out = folder if isinstance(folder, CodedOutput) else load_output(folder)
    out = out if layer is None else _layered(out, layer, reviewers)
    order = out.code_order
    parents = {p for _, p in order if p}
    if kind == "cooccur":
        within, measure = within or "segment", measure or "count"
        table = cooccurrence(
            out.segments,
            out.codings,
            order,
            within=cast("Literal['segment', 'overlap', 'transcript']", within),
            measure=cast("Literal['count', 'jaccard']", measure),
            **filters,
        )
        return cooccurrence_heatmap(table, measure=measure, within=within, title=title, width=width)
    default = [m.COUNTRY] if kind == "freq" else [m.TRANSCRIPT_ID]
    freq = code_frequencies(
        out.segments,
        out.codings,
        order,
        by=by or default,
        count=cast("Literal['segments', 'cases', 'words']", count or "segments"),
        percent=bool(percent),
        **filters,
    )
    draw = frequency_bars if kind == "freq" else frequency_heatmap
    return draw(freq, parents=parents, title=title, width=width)


def _layered(out: CodedOutput, layer: str, reviewers: Sequence[str]) -> CodedOutput:
    from qualcode.report.parts import layered

    return layered(out, layer, reviewers)[0]


def _check_plot_options(kind: str, **options: Any) -> None:
    """AnalysisError for an unknown kind or an option that does not apply to it."""
    if kind not in PLOT_KINDS:
        raise AnalysisError(f"unknown plot {kind!r}; use one of {', '.join(PLOT_KINDS)}")
    names = ("by", "count", "percent") if kind == "cooccur" else ("within", "measure")
    misplaced = [name for name in names if options[name]]
    if misplaced:
        applies = "freq and matrix" if kind == "cooccur" else "cooccur"
        raise AnalysisError(
            f"the {kind} plot takes no {' or '.join(misplaced)} (that is for {applies})"
        )


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
    with figure_style():
        atomic_write_file(
            path,
            lambda tmp: figure.savefig(
                tmp, format=chosen, dpi=dpi, metadata=_SAVE_METADATA[chosen]
            ),
        )
    return path


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
