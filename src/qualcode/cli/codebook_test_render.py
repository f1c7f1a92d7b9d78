"""Terminal and file output of `codebook test` (rich tables; text always escaped)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from qualcode.cli.render import console, emit_text, err_console, print_warning
from qualcode.numbers import format_number


def measure(book, gold: Path, *, split, baseline, show, fmt, output) -> None:
    """Score the codebook on the gold file and print or write the result."""
    from qualcode.validity import export
    from qualcode.validity.gold import read_gold
    from qualcode.validity.measure import measure_codebook

    passages = read_gold(gold, known_codes=book.code_names, split=split)
    result = measure_codebook(book, passages, baseline=baseline)
    for problem in result.example_problems:
        print_warning(str(problem))
    shown = result.shown(show) if show is not None else None
    if fmt is not None or output is not None:
        chosen = fmt or (output.suffix.lstrip(".").lower() if output is not None else "json")
        text = {
            "json": lambda: export.result_json(result, shown),
            "csv": lambda: export.result_csv(result),
            "md": lambda: export.result_markdown(result, shown),
        }.get(chosen)
        if text is None:
            from qualcode.errors import GoldError

            raise GoldError(f"cannot tell the format of {output}: give --format json, csv or md")
        emit_text(text(), output)
        return
    where = f"{gold}" + (f", split {split}" if split else "")
    _score_tables(result, where)
    if shown is not None:
        _passages(shown, show)


def _score_tables(result, where: str) -> None:
    from qualcode.validity.scores import CODE, F1, LANGUAGE, MACRO_ROW, MICRO_ROW

    base = result.baseline.codes.set_index(CODE) if result.baseline is not None else None
    table = Table(
        title=f"Codebook on {escape(where)}: {result.scores.n_passages} passages",
        header_style="bold",
    )
    for name in ("code", "precision", "recall", "F1", "support"):
        table.add_column(name, justify="left" if name == "code" else "right")
    if base is not None:
        table.add_column(f"{escape(str(result.baseline_name))} F1", justify="right")
    for row in result.scores.codes.to_dict("records"):
        style = "bold" if row[CODE] in (MACRO_ROW, MICRO_ROW) else None
        cells = [
            escape(str(row[CODE])),
            _fmt_number(row["precision"]),
            _fmt_number(row["recall"]),
            _fmt_number(row[F1]),
            str(int(row["support"])),
        ]
        if base is not None:
            cells.append(_fmt_number(base.loc[row[CODE], F1]))
        table.add_row(*cells, style=style)
    console.print(table)
    per_language = Table(title="Per language (macro)", header_style="bold")
    for name in ("language", "precision", "recall", "F1", "support"):
        per_language.add_column(name, justify="left" if name == "language" else "right")
    by = result.scores.by_language
    for row in by[by[CODE] == MACRO_ROW].to_dict("records"):
        per_language.add_row(
            escape(str(row[LANGUAGE])),
            _fmt_number(row["precision"]),
            _fmt_number(row["recall"]),
            _fmt_number(row[F1]),
            str(int(row["support"])),
        )
    console.print(per_language)
    rate = result.scores.no_code_rate
    line = f"No-code passages given a code: {_fmt_number(rate)} of {result.scores.n_no_code}"
    if result.baseline is not None:
        line += f" (baseline {_fmt_number(result.baseline.no_code_rate)})"
    console.print(line, highlight=False)


def _passages(shown, show: str) -> None:
    from qualcode.validity.measure import EXPECTED, GIVEN, PASSAGE_ID, PATTERNS

    if shown.empty:
        console.print(f"No passages to show ({show}).", highlight=False)
        return
    table = Table(title=f"Passages ({show})", header_style="bold", show_lines=True)
    for name in ("passage", "expected", "given", "patterns (id, line, matched words)"):
        table.add_column(name)
    for row in shown.to_dict("records"):
        hits = "\n".join(
            f"{escape(h['pattern_id'])} (line {h['line']}): “{escape(h['words'])}”"
            for h in row[PATTERNS]
        )
        table.add_row(
            escape(str(row[PASSAGE_ID])),
            escape(", ".join(row[EXPECTED])) or "–",
            escape(", ".join(row[GIVEN])) or "–",
            hits,
        )
    console.print(table)


def explain(book, text: str, language: str | None) -> None:
    """Print the codes, hits and tokens of one text."""
    from qualcode.errors import GoldError
    from qualcode.transcripts.language import guess_language
    from qualcode.validity.explain import explain_text

    if not text.strip():
        raise GoldError("--text is empty")
    if language is None:
        language = guess_language(text, book.languages)
        if language is None:
            raise GoldError(
                f"cannot tell the language of the text; give --language ({', '.join(book.languages)})"
            )
        err_console.print(f"language: {language} (guessed; --language to set it)", highlight=False)
    elif language not in book.languages:
        raise GoldError(
            f"the codebook has no patterns in '{language}' ({', '.join(book.languages)})"
        )
    found = explain_text(book, text, language)
    source = escape(str(book.path.name if book.path else "codebook"))
    if found.codes:
        console.print("Codes: " + escape(", ".join(found.codes)), highlight=False)
    else:
        console.print("No code fires on this text.", highlight=False)
    for hit in found.hits:
        console.print(
            f"  {escape(hit.code)}: pattern {escape(hit.pattern_id)} ({source}:{hit.line}) "
            f"matched “{escape(hit.words)}”",
            highlight=False,
        )
    table = Table(
        title="Tokens (lemma = what phrases and LEMMA tests compare)", header_style="bold"
    )
    for name in ("#", "token", "lower", "lemma"):
        table.add_column(name)
    for row in found.tokens:
        table.add_row(str(row.i), escape(row.text), escape(row.lower), escape(row.lemma))
    console.print(table)


def _fmt_number(value: object) -> str:
    return format_number(value, 3, missing="–")
