"""Heatmaps of the analysis tables: codes x groups (`frequency_heatmap`), codes x codes
(`cooccurrence_heatmap`). Vector cells with their values written in, viridis, a colour bar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from qualcode.report.drawing import (
    COUNT_LABELS,
    HEATMAP_CMAP,
    MISSING_CELL,
    bold_parents,
    cell_text,
    figure_style,
    group_columns,
    group_label,
    new_figure,
    text_width,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from qualcode.analysis.frequencies import FrequencyTable


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
        hidden = hidden | np.eye(*values.shape).astype(bool)
    shown = np.ma.masked_array(values, mask=hidden)
    top = float(shown.max()) if shown.count() else 0.0
    norm = mpl.colors.Normalize(vmin=0.0, vmax=top if top > 0 else 1.0)
    cmap = mpl.colormaps[HEATMAP_CMAP]
    ax.set_facecolor(MISSING_CELL)
    mesh = ax.pcolormesh(shown, cmap=cmap, norm=norm, edgecolors="white", linewidth=0.6)
    _write_cells(ax, values, hidden, cmap, norm, (percent, decimals), bold_diagonal=masked_diagonal)
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
    if bar.solids is not None:  # vector, like the cells: no embedded bitmap in SVG/PDF
        bar.solids.set_rasterized(False)
    bar.set_label(colorbar_label)
    bar.outline.set_visible(False)
    bar.ax.tick_params(length=2, width=0.5)
    return mesh


def _write_cells(
    ax: Axes, values, hidden, cmap, norm, text: tuple[bool, int], *, bold_diagonal: bool
) -> None:
    """Each cell's value in it, dark on light cells and white on dark ones (`text`: percent,
    decimals); hidden cells are grey, with a bold value on the diagonal when it is masked."""
    percent, decimals = text
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            value = values[i, j]
            if hidden[i, j]:
                colour, weight = "#1a1a1a", "bold" if bold_diagonal and i == j else "normal"
            else:
                r, g, b, _ = cmap(norm(value))
                light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45
                colour, weight = ("#1a1a1a" if light else "white"), "normal"
            ax.text(
                j + 0.5,
                i + 0.5,
                cell_text(value, percent, decimals),
                ha="center",
                va="center",
                fontsize=6.5,
                color=colour,
                fontweight=weight,
                in_layout=False,  # inside its cell: the layout need not measure ~100 labels
            )


def _heatmap_size(
    rows: Sequence[str], columns: Sequence[str], cell: float, extra_top: float
) -> tuple[float, float]:
    left = max((text_width(r, 7.5) for r in rows), default=0.5) + 0.25
    bottom = max((text_width(c, 7.5) for c in columns), default=0.3) * 0.72 + 0.35
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
    groups = group_columns(table)
    rows = [str(c) for c in table.index]
    nested = all(isinstance(g, tuple) and len(g) == 2 for g in groups) and len(groups) > 0
    columns = [str(g[1]) if nested else group_label(g) for g in groups]
    values = table[groups].to_numpy(dtype="float64")
    longest = max((len(cell_text(v, freq.percent)) for v in values.ravel()), default=1)
    cell = max(0.3, 0.07 * longest + 0.08)
    size = _heatmap_size(rows, columns, cell, 0.2 if nested else 0.0)
    with figure_style():
        figure = new_figure(width or size[0], size[1] + (0.2 if title else 0))
        ax = figure.add_subplot()
        _heatmap(
            ax,
            values,
            rows,
            columns,
            percent=freq.percent,
            colorbar_label=COUNT_LABELS[(freq.count, freq.percent)],
        )
        bold_parents(ax.get_yticklabels(), parents)
        if nested:
            _label_outer_groups(ax, [g[0] for g in groups])
        if title:
            ax.set_title(title, loc="left")
        ax.set_xlabel(" · ".join(str(n) for n in table.columns.names if n))
        ax.xaxis.label.set_visible(not nested and any(table.columns.names))
    return figure


def _label_outer_groups(ax: Axes, outer: Sequence[Any]) -> None:
    """Blocks of columns with the same outer group (country): white rules between them, the
    group's name in bold along the top."""
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
    longest = max((len(cell_text(v, False, decimals)) for v in table.to_numpy().ravel()), default=1)
    cell = max(0.3, 0.07 * longest + 0.08)
    size = _heatmap_size(codes, codes, cell, 0.0)
    with figure_style():
        figure = new_figure(width or size[0], size[1] + (0.2 if title else 0))
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
