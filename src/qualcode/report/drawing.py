"""What every figure shares: the style (sizes, fonts, colours), a bare figure, labels, cell text.

Sizes and fonts are set for a journal column (3.5 in, 7-8 pt) and the colours are colour-blind
safe: Okabe-Ito for groups, viridis for heatmaps. Figures are plain matplotlib ``Figure``s on
the Agg canvas: pyplot and its global state are never touched. matplotlib is imported inside
the functions, so importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

from qualcode.analysis.frequencies import N_CASES, N_SEGMENTS, N_WORDS_ROW
from qualcode.errors import ExportError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

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
MISSING_CELL = "#e6e6e6"  # undefined cells and the co-occurrence diagonal

FIGURE_RC: dict[str, Any] = {
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

COUNT_LABELS = {
    ("segments", False): "Coded segments",
    ("segments", True): "% of the group's segments",
    ("cases", False): "Transcripts with the code",
    ("cases", True): "% of the group's transcripts",
    ("words", False): "Words in coded segments",
    ("words", True): "% of the group's words",
}
DENOMINATOR_ROWS = {"segments": N_SEGMENTS, "cases": N_CASES, "words": N_WORDS_ROW}


def require_matplotlib() -> ModuleType:
    """matplotlib, or ExportError saying how to install it."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise ExportError(
            "figures need matplotlib, which is not installed: pip install matplotlib"
        ) from None
    return matplotlib


@contextmanager
def figure_style(extra: dict[str, Any] | None = None) -> Iterator[None]:
    """qualcode's figure style, for drawing and saving only (the caller's rcParams are kept)."""
    matplotlib = require_matplotlib()
    with matplotlib.rc_context({**FIGURE_RC, **(extra or {})}):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A blank figure of this size in inches, constrained layout, on its own Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


# --- labels ------------------------------------------------------------------------------------


def group_label(group: object) -> str:
    """A group of one or more ``by`` columns as one label: ``Italy · lawyer``."""
    return " · ".join(str(g) for g in group) if isinstance(group, tuple) else str(group)


def group_columns(table: pd.DataFrame) -> list:
    """The group columns of a frequency table: all but the last, Total (Total alone without by)."""
    columns = list(table.columns)
    return columns[:-1] or columns


def bold_parents(labels: Iterable, parents: Iterable[str]) -> None:
    """Set the tick labels of parent codes in bold."""
    parents = set(parents)
    for label in labels:
        if label.get_text() in parents:
            label.set_fontweight("bold")


def text_width(text: str, size: float) -> float:
    """Rough width in inches of `text` at `size` points (DejaVu Sans averages ~0.6 em)."""
    return len(text) * size * 0.6 / 72


def cell_text(value: float, percent: bool, decimals: int = 0) -> str:
    """A value as a bar or cell shows it: a dash for NaN, 12k for large counts."""
    if value != value:  # NaN: a share of an empty group, a Jaccard of codes never coded
        return "–"
    if decimals:
        return f"{value:.{decimals}f}"
    if percent or abs(value) < 10_000:
        return f"{value:.0f}"
    return f"{value / 1000:.0f}k"
