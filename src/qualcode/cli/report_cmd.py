"""`qualcode report` and `qualcode plot`: the review report (one HTML file) and paper figures.

Thin wrappers over `qualcode.report.page.write_report` and `qualcode.report.figures.plot_output`; pandas and
matplotlib load inside the commands so `qualcode --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

import typer

from qualcode.cli.layer_options import LayerOption, ReviewerOption, chosen_layer
from qualcode.cli.options import (
    CoderOption,
    CodesOption,
    FromOption,
    InterviewerOption,
    SourceOption,
    WhereOption,
)
from qualcode.cli.redaction import KEY_FILE_OPTION, PSEUDONYMISE_OPTION, redacted_folder
from qualcode.cli.table_output import filter_options

Kind = Literal["freq", "cooccur", "matrix"]
FigureFormat = Literal["svg", "png", "pdf"]
_FIGURE, _OPTIONS = "Figure", "Per kind"


def report(
    from_: FromOption = Path("out"),
    output: Path = typer.Option(
        Path("report.html"), "--output", "-o", help="The HTML file to write."
    ),
    codes: Optional[list[str]] = typer.Option(  # noqa: UP045 - typer reads annotations at runtime
        None,
        "--codes",
        "--code",
        help="Only these codes (repeatable or comma-separated; a parent brings its children).",
    ),
    max_quotes: int = typer.Option(
        5, "--max-quotes", min=0, help="At most N example passages per code."
    ),
    no_quotes: bool = typer.Option(
        False,
        "--no-quotes",
        help="Leave out every piece of transcript text (passages, disagreement texts): figures "
        "and tables only, for sharing outside the team.",
    ),
    title: Optional[str] = typer.Option(None, "--title", help="Page title."),  # noqa: UP045
    layer: LayerOption = "final",
    reviewer: ReviewerOption = None,
    pseudonymise: Optional[Path] = PSEUDONYMISE_OPTION,  # noqa: UP045
    key_file: Path = KEY_FILE_OPTION,
) -> None:
    """A review report: one self-contained HTML file to open in any browser, offline.

    Overview and provenance (codebook hash, the command that made the output), code frequencies
    by country and role with denominators, a heatmap, bars by country, code co-occurrence, each
    code's definition and rules with example passages (matched words highlighted, auto or
    manual), agreement and disagreements between coders, and the run's warnings. Nothing is
    loaded from the network; the same output folder always gives the same file.

    Frequencies, figures and passages are those of one layer (--layer, default final: the
    automatic coding with every decision applied, reviewers' last), named in the page header;
    with a coder's layer the report covers the transcripts that coder covered. Agreement always
    compares the coders' own codings (reviewers left out).

    Example: qualcode report --from out -o report.html --max-quotes 3
    """
    from qualcode.cli.render import err_console
    from qualcode.report.page import write_report

    selected = [c.strip() for item in codes or [] for c in item.split(",") if c.strip()]
    choice = chosen_layer(layer, reviewer)
    with redacted_folder(from_, pseudonymise, key_file) as folder:
        path = write_report(
            folder, output, codes=selected or None, max_quotes=max_quotes, quotes=not no_quotes,
            title=title, layer=choice.name, reviewers=choice.reviewers,
        )  # fmt: skip
    err_console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)
    if not no_quotes and max_quotes:
        err_console.print(
            "It contains interview passages: share it inside the team only "
            "(--no-quotes makes a version with figures and tables only).",
            style="yellow",
            highlight=False,
            soft_wrap=True,
        )


def plot(
    kind: Kind = typer.Argument(
        ...,
        help="freq: grouped bars by --by; matrix: codes x groups heatmap; cooccur: code x code "
        "heatmap.",
    ),
    from_: FromOption = Path("out"),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Figure file: .svg, .png or .pdf.", rich_help_panel=_FIGURE
    ),
    fmt: Optional[FigureFormat] = typer.Option(  # noqa: UP045
        None, "--format", "-f", help="svg | png | pdf (default: from -o).", rich_help_panel=_FIGURE
    ),
    width: Optional[float] = typer.Option(  # noqa: UP045
        None,
        "--width",
        min=1.0,
        max=20.0,
        help="Width in inches (freq: 3.5, one journal column; heatmaps: sized to the cells).",
        rich_help_panel=_FIGURE,
    ),
    dpi: int = typer.Option(
        300, "--dpi", min=50, max=1200, help="Resolution of a png.", rich_help_panel=_FIGURE
    ),
    title: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--title",
        help="Title above the plot (default none: papers use captions).",
        rich_help_panel=_FIGURE,
    ),  # fmt: skip
    by: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--by",
        help="freq, matrix: group by these segment columns (repeatable). Default: country "
        "(freq), transcript_id (matrix).",
        rich_help_panel=_OPTIONS,
    ),
    count: Optional[Literal["segments", "cases", "words"]] = typer.Option(  # noqa: UP045
        None,
        "--count",
        help="freq, matrix: count coded segments (default), cases or words.",
        rich_help_panel=_OPTIONS,
    ),
    percent: bool = typer.Option(
        False,
        "--percent",
        help="freq, matrix: percent of the group's segments/cases/words.",
        rich_help_panel=_OPTIONS,
    ),
    within: Optional[Literal["segment", "overlap", "transcript"]] = typer.Option(  # noqa: UP045
        None,
        "--within",
        help="cooccur: segment (default), overlap or transcript.",
        rich_help_panel=_OPTIONS,
    ),  # fmt: skip
    measure: Optional[Literal["count", "jaccard"]] = typer.Option(  # noqa: UP045
        None, "--measure", help="cooccur: count (default) or jaccard.", rich_help_panel=_OPTIONS
    ),
    codes: CodesOption = None,
    source: SourceOption = "all",
    coder: CoderOption = None,
    where: WhereOption = None,
    include_interviewer: InterviewerOption = False,
    layer: LayerOption = "final",
    reviewer: ReviewerOption = None,
) -> None:
    """A figure for a paper: code frequencies (bars), a codes x groups heatmap, co-occurrence.

    Colour-blind-safe colours (Okabe-Ito, viridis), fonts sized for a journal column, and fixed
    metadata: the same output folder gives byte-identical SVG, PDF and PNG files.

    The figure is drawn from one layer (--layer, default final); its name is printed with
    the file written, for the figure's caption.

    Example: qualcode plot matrix --from out --by country --by role --percent -o fig2.pdf
    """
    from qualcode.cli.coverage_note import coverage_notes, print_notes
    from qualcode.cli.layer_options import apply_layer
    from qualcode.cli.render import err_console
    from qualcode.cli.table_output import load_folder
    from qualcode.report.figures import figure_format, plot_output, save_figure

    chosen = figure_format(output, fmt)  # a bad suffix fails before the work
    filters = filter_options(codes, source, coder, where, include_interviewer)
    notes = coverage_notes(from_, filters)  # a --coder counts over the transcripts they covered
    run = load_folder(from_, where=where)
    run, caption, more = apply_layer(run, chosen_layer(layer, reviewer), filters)
    figure = plot_output(
        run,
        kind,
        by=by or None,
        count=count,
        percent=percent or None,
        within=within,
        measure=measure,
        title=title,
        width=width,
        layer=None,  # the layer is applied above (with --coder and a coder's coverage)
        **filters,
    )
    path = save_figure(figure, output, chosen, dpi=dpi)
    err_console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)
    print_notes([caption, *notes, *more], to_stderr=True)


def register(app: typer.Typer) -> None:
    """Add report and plot to the `qualcode` app."""
    app.command("report")(report)
    app.command("plot")(plot)
