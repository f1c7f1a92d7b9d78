"""`qualcode agree`: inter-coder agreement between coders of the same transcripts.

A thin wrapper over `qualcode.reliability.agreement.agreement`: parse options, call it, render the result as
rich tables -- or write csv/xlsx/parquet/md/json with -o. pandas loads inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, Optional

import typer
from rich.text import Text

from qualcode.cli.agree_methods import METHODS_HELP, check_methods_options, print_methods
from qualcode.cli.agree_render import new_table, print_disagreements, print_gold, print_wide
from qualcode.cli.options import FormatOption, RawCellsOption
from qualcode.cli.render import plain
from qualcode.numbers import format_number

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from qualcode.reliability.agreement import AgreementResult

Unit = Literal["segment", "char", "span"]
_INPUT, _STATS, _OUTPUT = "Input", "Statistics", "Output"

# Terminal headers (two lines where long); the units count is in the line under the table.
_HEADERS = {
    "both": "both",
    "only_a": "only\nA",
    "only_b": "only\nB",
    "neither": "neither",
    "any_coded": "coded\nby any",
    "all_coded": "coded\nby all",
    "none_coded": "coded\nby none",
    "percent_agreement": "agree-\nment",
    "cohen_kappa": "Cohen\nκ",
    "fleiss_kappa": "Fleiss\nκ",
    "krippendorff_alpha": "Kripp.\nα",
    "gwet_ac1": "Gwet\nAC1",
    "brennan_prediger": "B-P\nκ",
}

_EPILOG = """\
Examples:

  qualcode agree --from out --coders coder_b,coder_c

  qualcode agree --from out --coders all --unit char --bootstrap 1000 --seed 0

  qualcode agree --from out --coders coder_b,coder_c --methods

  qualcode agree --from out --coders coder_b,coder_c --unit span --min-overlap 0.9

  qualcode agree --from out --gold coder_b --coders auto --show-disagreements

  qualcode agree --from out --codings-csv nvivo.csv --coders anna,luis -o agreement.xlsx
"""


def agree(
    from_: Path = typer.Option(
        Path("out"), "--from", help="Output folder of `qualcode code`.", rich_help_panel=_INPUT
    ),
    coders: Optional[str] = typer.Option(  # noqa: UP045 - typer reads annotations at runtime
        None,
        "--coders",
        help="Comma-separated coders to compare. 'all' = every human coder (combine with "
        "'auto' for the automatic coding). Default: all, or auto with --gold.",
        rich_help_panel=_INPUT,
    ),
    gold: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--gold",
        help="Treat this coder as the gold standard: adds precision, recall and F1 of the "
        "other coders (e.g. --gold coder_b --coders auto).",
        rich_help_panel=_INPUT,
    ),
    codings_csv: Optional[list[Path]] = typer.Option(  # noqa: UP045
        None,
        "--codings-csv",
        help="Codings made in other software (repeatable): columns transcript_id, coder, code, "
        "start, end (character offsets into the canonical text of OUT/transcripts.parquet).",
        rich_help_panel=_INPUT,
    ),
    codes: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--code",
        help="Only these codes (repeatable). Default: every leaf code of the codebook.",
        rich_help_panel=_INPUT,
    ),
    include_interviewer: bool = typer.Option(
        False,
        "--include-interviewer",
        help="Compare interviewer turns too (left out by default).",
        rich_help_panel=_INPUT,
    ),
    unit: Unit = typer.Option(
        "segment",
        "--unit",
        "-u",
        help="segment: was the code applied to the segment (0/1); char: every character coded "
        "or not (NVivo); span: coded passages matched by overlap (MAXQDA).",
        rich_help_panel=_STATS,
    ),
    min_overlap: float = typer.Option(
        0.9,
        "--min-overlap",
        help="--unit span: two passages match when intersection / length of the longer >= this.",
        rich_help_panel=_STATS,
    ),
    bootstrap: int = typer.Option(
        0,
        "--bootstrap",
        help="Resamples for 95% percentile CIs of kappa and alpha per code (0 = off; segment "
        "and char units; char resamples whole segments).",
        rich_help_panel=_STATS,
    ),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed.", rich_help_panel=_STATS),
    show_disagreements: bool = typer.Option(
        False,
        "--show-disagreements",
        help="List every disagreement: segment, transcript, code, who coded it, and the text.",
        rich_help_panel=_OUTPUT,
    ),
    methods: bool = typer.Option(False, "--methods", help=METHODS_HELP, rich_help_panel=_OUTPUT),
    fmt: FormatOption = None,
    output: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--output", "-o", help="Write the tables to this file.", rich_help_panel=_OUTPUT
    ),
    raw_cells: RawCellsOption = False,
    reviewer: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--reviewer",
        help="A reviewer (repeatable): someone who adjudicates, not a coder, so --coders all "
        "leaves them out. Default: the reviewers of the project file (qualcode.toml), else none.",
    ),
) -> None:
    """Inter-coder agreement per code: percent agreement, Cohen's and Fleiss' kappa,
    Krippendorff's alpha, Gwet's AC1 and Brennan-Prediger, with pooled rows.

    Coders are read from the output folder: 'auto' is the automatic coding as it was before
    anyone removed a code; each human coder is their own added codes, over the transcripts they
    covered (marked with `override done`, or, when nobody marked any, those in which they made
    decisions). Transcripts a coder did not cover are missing for that coder (not 'absent') and
    are listed as exclusions. Reviewers (--reviewer, or the project's) are not coders. A
    statistic that is undefined is shown as '–' with the reason below the table.
    """
    from qualcode.cli.layer_options import chosen_layer
    from qualcode.reliability.agreement import agreement

    if methods:
        check_methods_options(fmt, output)
    result = agreement(
        from_,
        coders,
        gold=gold,
        unit=unit,
        codes=codes or None,
        codings_csv=codings_csv or None,
        include_interviewer=include_interviewer,
        min_overlap=min_overlap,
        bootstrap=bootstrap,
        seed=seed,
        reviewers=chosen_layer("final", reviewer).reviewers,
    )
    from qualcode.cli.render import console, write_tables_or_text
    from qualcode.exchange.tabular import format_for

    tables = result.tables(disagreements=show_disagreements)
    if output is not None and format_for(output, fmt) == "xlsx":
        tables = _blank_empty_columns(tables)
    if methods:
        write_tables_or_text(tables, fmt, output, raw_cells=raw_cells)
        print_methods(result)
    elif not write_tables_or_text(tables, fmt, output, raw_cells=raw_cells):
        _print(console, result, show_disagreements)


def _blank_empty_columns(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Columns without any value (e.g. the CIs without --bootstrap) as empty strings: agree's
    workbooks have always had blank cells there."""
    return {
        name: frame.apply(lambda c: c.astype(object).fillna("") if c.isna().all() else c)
        for name, frame in tables.items()
    }


# --- terminal rendering ----------------------------------------------------------------------


def _ci(low: object, high: object) -> str:
    if isinstance(low, float) and isinstance(high, float) and low == low and high == high:
        return f"{low:.2f}–{high:.2f}"
    return "–"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _title(result: AgreementResult) -> str:
    unit = result.unit
    if unit == "segment":
        unit = f"segment ({result.summary.get('segmentation', 'turn')})"
    elif unit == "span":
        unit = f"span, min overlap {result.summary['min_overlap']:g}"
    if len(result.coders) == 2:
        a, b = result.coders
        who = f"A = {a}{' (gold)' if result.gold else ''}, B = {b}"
    else:
        who = ", ".join(result.coders) + (f"; gold {result.gold}" if result.gold else "")
    return f"Agreement per code — unit: {unit} — {who}"


def _print(console: Console, result: AgreementResult, show_disagreements: bool) -> None:
    table = result.table
    headers = dict(_HEADERS)
    if result.unit == "span":
        headers.update(
            passages_a="A\npassages",
            matched_a="A\nmatched",
            passages_b="B\npassages",
            matched_b="B\nmatched",
        )
    shown = [c for c in table.columns if c in headers]
    with_ci = "kappa_low" in table.columns
    console.print(plain(_title(result), "bold"), highlight=False)
    rich_table = new_table()
    rich_table.add_column("code", no_wrap=True)
    for column in shown:
        rich_table.add_column(headers[column], justify="right", no_wrap=True)
    if with_ci:
        kappa = "Cohen κ" if len(result.coders) == 2 else "Fleiss κ"
        rich_table.add_column(f"{kappa}\n95% CI", justify="right", no_wrap=True)
        rich_table.add_column("α\n95% CI", justify="right", no_wrap=True)
    notes: dict[str, list[str]] = {}
    for row in table.to_dict("records"):
        pooled = row["code"] in ("(macro average)", "(pooled)")
        if row["code"] == "(macro average)":
            rich_table.add_section()
        cells = [
            plain(row["code"]),
            *(format_number(row[c], thousands=True) for c in shown),
        ]
        if with_ci:
            cells += [
                _ci(row["kappa_low"], row["kappa_high"]),
                _ci(row["alpha_low"], row["alpha_high"]),
            ]
        rich_table.add_row(*cells, style="bold" if pooled else None)
        if isinstance(row["undefined"], str) and row["undefined"]:
            notes.setdefault(row["undefined"], []).append(str(row["code"]))
    print_wide(console, rich_table)
    console.print(_compared_line(result), highlight=False)
    for reason, codes in notes.items():
        console.print(plain(f"– undefined for {', '.join(codes)}: {reason}", "dim"))
    _print_exclusions(console, result)
    if result.gold_scores is not None:
        print_gold(console, result)
    if show_disagreements:
        print_disagreements(console, result)


def _compared_line(result: AgreementResult) -> str:
    """What was compared: transcripts, units and codes (and the units nobody coded)."""
    summary = result.summary
    what = {"segment": "segment", "char": "character", "span": "passage"}[result.unit]
    line = f"{_plural(summary['transcripts_compared'], 'transcript')} compared: "
    if result.unit == "span":
        line += (
            f"{_plural(summary['units'], what)} over "
            f"{_plural(len(summary['codes']), 'code')} (overlapping passages merged)"
        )
    else:
        line += f"{_plural(summary['units'], what)} × {_plural(len(summary['codes']), 'code')}"
    if summary.get("agreed_absent") is not None:
        line += (
            f"; {_plural(summary['agreed_absent'], what)} coded by no coder with any code "
            "(counted as agreed absent)"
        )
    return line + "."


def _print_exclusions(console: Console, result: AgreementResult) -> None:
    groups: dict[tuple[bool, str, str], list[str]] = {}
    for row in result.exclusions.to_dict("records"):
        key = (bool(row["compared"]), str(row["coded_by"]), str(row["missing_for"]))
        groups.setdefault(key, []).append(str(row["transcript_id"]))
    # Partly compared first, then excluded, then transcripts nobody compared coded.
    ordered = sorted(groups.items(), key=lambda item: (not item[0][0], not item[0][1]))
    for (compared, coded_by, missing_for), ids in ordered:
        if compared:
            line = Text.assemble(("partly compared", "yellow"), f" (missing for {missing_for})")
        elif coded_by:
            line = Text.assemble(("excluded", "yellow"), f" (coded only by {coded_by})")
        else:
            line = Text("not coded by any compared coder", style="dim")
        line.append(f": {', '.join(ids)}")
        console.print(line, highlight=False)
    summary = result.summary  # which transcripts count as a coder's (done marks or inferred)
    console.print(plain(f"Coders' transcripts: {summary['coverage']}.", "dim"))
    for warning in summary["coverage_warnings"]:
        console.print(Text.assemble(("warning", "yellow"), f": {warning}"), highlight=False)


def register(app: typer.Typer) -> None:
    app.command("agree", epilog=_EPILOG)(agree)
