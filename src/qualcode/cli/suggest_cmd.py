"""`qualcode suggest`: segments to review for a code, ranked by a local model learned from a
coder's decisions; `--evaluate` measures how good such rankings have been.

Not `qualcode codebook suggest`, which suggests codebook *patterns* from the codebook's misses.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from qualcode.cli.options import CodesOption, FormatOption, FromOption, OutputOption

if TYPE_CHECKING:
    from qualcode.assist.evaluate import Evaluation
    from qualcode.assist.rank import Suggestions

REVIEW, EVALUATE = "Accept suggestions as decisions", "Evaluate"
TEXT_SHOWN = 240  # characters of each segment in the terminal table


def suggest_command(
    from_: FromOption = Path("out"),
    coder: Optional[str] = typer.Option(  # noqa: UP045 - typer reads it at runtime on 3.10
        None, "--coder", help="Learn from this coder's decisions (their covered transcripts)."
    ),
    layer: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--layer",
        help="Learn from this layer instead: 'final' = the output folder's coding, on the "
        "transcripts some coder covered.",
    ),
    codes: CodesOption = None,
    limit: int = typer.Option(20, "--limit", min=1, help="Suggestions per code (and k of r@k)."),
    fmt: FormatOption = None,
    output: OutputOption = None,
    accept: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--accept",
        help="Ranks or segment ids (comma-separated) of one --code's suggestions to record "
        "as `add` decisions, applied by the next `qualcode code`.",
        rich_help_panel=REVIEW,
    ),
    as_coder: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--as",
        help="Record accepted suggestions as this coder (default: --coder).",
        rich_help_panel=REVIEW,
    ),
    directory: Path = typer.Option(
        Path("overrides"), "--dir", help="Folder of decision files.", rich_help_panel=REVIEW
    ),
    evaluate: bool = typer.Option(
        False,
        "--evaluate",
        help="Instead of suggesting: cross-validate by transcript on the decided segments and "
        "print AP, precision@10 and recall@k per code, next to a random ranking and the "
        "codebook's own precision/recall.",
        rich_help_panel=EVALUATE,
    ),
    folds: int = typer.Option(
        5, "--folds", min=2, help="Folds of --evaluate.", rich_help_panel=EVALUATE
    ),
    gold: Optional[Path] = typer.Option(  # noqa: UP045
        None,
        "--gold",
        help="With --evaluate: learn from this gold file's dev split, score on its test split.",
        rich_help_panel=EVALUATE,
    ),
    codebook: Optional[Path] = typer.Option(  # noqa: UP045
        None,
        "--codebook",
        help="With --gold: the codebook to compare with.",
        rich_help_panel=EVALUATE,
    ),
) -> None:
    """Suggest segments to code: learns, on this machine, which segments a coder gives each
    code (positives: decided segments with the code; negatives: decided segments without it)
    and ranks the segments they have not decided yet, per code, with a probability and the
    words that raised it. A ranking to review, never automatic coding: nothing is coded until
    you accept it (--code C --accept 1,3 records `add` decisions, as `qualcode override add`).
    The model (numbers only) and the hash of its training data are kept in OUT/models/.

    Not `qualcode codebook suggest`, which proposes codebook patterns from the codebook's misses.

    Example: qualcode suggest --from out/ --coder coder_b --code litigation --limit 5

    Example: qualcode suggest --from out/ --coder coder_b --evaluate
    """
    from qualcode.errors import AnalysisError

    if evaluate and accept is not None:
        raise AnalysisError("--accept records suggestions; it does not go with --evaluate")
    if evaluate:
        found = _evaluate(from_, coder, layer, codes, limit, folds, gold, codebook)
        _show_evaluation(found, fmt, output)
        return
    if gold is not None:
        raise AnalysisError("--gold works with --evaluate only")
    from qualcode.assist.rank import suggest_segments
    from qualcode.output.folder import load_output

    out = load_output(from_)
    found_suggestions = suggest_segments(out, coder=coder, layer=layer, codes=codes, limit=limit)
    if accept is not None:
        _accept(out, found_suggestions, accept, codes, as_coder or coder, directory)
        return
    _show_suggestions(found_suggestions, fmt, output)


def _evaluate(from_, coder, layer, codes, limit, folds, gold, codebook) -> Evaluation:
    from qualcode.assist.evaluate import evaluate_decided

    if gold is None:
        from qualcode.output.folder import load_output

        return evaluate_decided(
            load_output(from_), coder=coder, layer=layer, codes=codes, k=limit, folds=folds
        )
    import numpy as np

    from qualcode.assist.evaluate import evaluate_split
    from qualcode.codebook import load_codebook
    from qualcode.errors import AnalysisError
    from qualcode.validity.gold import read_gold

    if codebook is None:
        raise AnalysisError("--gold needs --codebook FILE (the codebook to compare with)")
    book = load_codebook(codebook)
    wanted = codes or None

    def split(name: str):
        passages = read_gold(gold, known_codes=book.code_names, split=name)
        labelled = sorted({c for p in passages for c in p.codes})
        chosen = [c for c in book.code_names if c in labelled and (not wanted or c in wanted)]
        labels = {c: np.array([c in p.codes for p in passages], dtype=bool) for c in chosen}
        return [p.text for p in passages], [p.language for p in passages], labels

    train, test = split("dev"), split("test")
    return evaluate_split(train, test, book, k=limit, source=f"gold {gold.name}")


# Terminal headers of the evaluation table (exports keep the full column names).
SHORT = {
    "positives": "pos",
    "ap": "AP",
    "random ap": "AP\nrnd",
    "p@10": "P@10",
    "random p@10": "P@10\nrnd",
    "r@k": "R@k",
    "random r@k": "R@k\nrnd",
    "codebook precision": "book\nP",
    "codebook recall": "book\nR",
}


def _show_evaluation(found: Evaluation, fmt, output: Path | None) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from qualcode.cli.render import console, err_console, write_tables_or_text
    from qualcode.numbers import format_number

    if write_tables_or_text({"evaluation": found.table}, fmt, output):
        return
    if found.folds:
        n = found.table["segments"].max() if len(found.table) else 0
        how = f"{n} decided segments, {found.folds}-fold cross-validation grouped by transcript"
        how += f" ({found.groups} transcripts)"
    else:
        how = f"trained on the dev split, scored on {found.groups} test passages"
    title = f"Suggestions evaluated: {found.source}: {how}"
    caption = "rnd: a random ranking (expected); book: the codebook's own precision and recall"
    table = Table(
        title=Text(title),
        caption=Text(caption),
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("code", no_wrap=True)
    order = ["positives", "ap", "random ap", "p@10", "random p@10", "r@k", "random r@k"]
    order += ["codebook precision", "codebook recall"]
    for name in order:
        table.add_column(SHORT[name].replace("@k", f"@{found.k}"), justify="right", min_width=4)
    for row in found.table.to_dict("records"):
        cells = [format_number(row[c], 2, missing="–") for c in order]
        table.add_row(Text(str(row["code"])), *cells)
    console.print(table)
    _print_skipped(err_console, found.skipped, "not evaluated")


def _print_skipped(out_console, skipped: dict[str, str], what: str) -> None:
    from rich.text import Text

    by_reason: dict[str, list[str]] = {}
    for code, reason in skipped.items():
        by_reason.setdefault(reason, []).append(code)
    for reason, codes in by_reason.items():
        out_console.print(Text(f"{what}: {', '.join(codes)} ({reason})"), soft_wrap=True)


def _show_suggestions(found: Suggestions, fmt, output: Path | None) -> None:
    from rich.text import Text

    from qualcode import models as m
    from qualcode.cli.render import console, err_console, print_warning, write_tables_or_text

    if not write_tables_or_text({"suggestions": found.table}, fmt, output):
        for code, rows in found.table.groupby(m.CODE, sort=False):
            console.print(
                Text(f"{code}: {len(rows)} segments to review", style="bold"),
                Text(f"(of {found.n_candidates} not decided by {found.source})"),
            )
            for row in rows.to_dict("records"):
                _print_suggestion(console, row)
        model = "reused" if found.reused else "trained"
        where = f", saved in {found.model_path}" if found.model_path else ""
        console.print(
            Text(
                f"Learned from {found.source}: {found.n_decided} decided segments; "
                f"{found.n_candidates} to rank; model {model}{where}. A ranking to review: "
                "nothing is coded until you --accept."
            )
        )
    _print_skipped(err_console, found.skipped, "no suggestions for")
    for warning in found.warnings:
        print_warning(warning)


def _print_suggestion(out_console, row: dict) -> None:
    from rich.text import Text

    from qualcode import models as m
    from qualcode.assist import rank as r

    text = " ".join(str(row[m.TEXT]).split())
    short = text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + "…"
    head = Text(f"{row[r.RANK]:>3}  ", style="bold")
    head.append(f"p={row[r.PROBABILITY]:.2f}  ")
    head.append(f"{row[m.SEGMENT_ID]} ({row[m.SPEAKER]})", style="cyan")
    if row[r.CODES_ON_SEGMENT]:
        head.append(f"  codes now: {row[r.CODES_ON_SEGMENT]}")
    out_console.print(head)
    out_console.print(Text(f"     why: {row[r.WORDS] or '-'}", style="dim"))
    out_console.print(Text(f"     {short}"))


def _accept(out, found: Suggestions, accept: str, codes, coder, directory: Path) -> None:
    from rich.text import Text

    from qualcode import models as m
    from qualcode.assist import rank as r
    from qualcode.assist.accept import coded_by, parse_selection, record_additions
    from qualcode.assist.accept import resolve_selection as resolve
    from qualcode.cli.render import err_console
    from qualcode.errors import AnalysisError

    if not codes or len(codes) != 1:
        raise AnalysisError("--accept needs exactly one --code (the code to give the segments)")
    if coder is None:
        raise AnalysisError("--accept with --layer needs --as NAME (who records the decisions)")
    code = codes[0]
    ranking = found.ranking[found.ranking[m.CODE] == code]
    numbered = list(zip(ranking[r.RANK].tolist(), ranking[m.SEGMENT_ID].tolist(), strict=True))
    chosen = resolve(parse_selection(accept), numbered, f"suggestions for {code}")
    model = found.training_sha256[:12]
    notes = {
        sid: f"suggest: p={p:.2f}, model {model}"
        for sid, p in zip(ranking[m.SEGMENT_ID], ranking[r.PROBABILITY], strict=True)
    }
    done = record_additions(
        directory,
        chosen,
        code=code,
        coder=coder,
        note=notes,
        already=coded_by(out.codings, coder, code),
        output=out.folder,
    )
    recorded, skipped, path = done.recorded, done.already_coded, done.path
    message = f"Recorded {len(recorded)} decision(s): add {code} by {coder}"
    if path is not None:
        message += f" -> {path}; the next `qualcode code` applies them"
    if skipped:
        message += f" ({len(skipped)} segment(s) already had {code} from {coder})"
    err_console.print(Text(message), soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("suggest")(suggest_command)
