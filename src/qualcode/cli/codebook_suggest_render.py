"""Computation call and output of `codebook suggest` (rich tables; text always escaped)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from qualcode.cli.render import console, emit_text


def compute(codebook, gold, split, from_, coder, codes, limit):
    """Build the units (gold passages or a coder's segments) and rank the key terms."""
    from qualcode.errors import GoldError
    from qualcode.validity.suggest import suggest, units_from_gold, units_from_output

    if gold is not None:
        from qualcode.codebook import load_codebook
        from qualcode.validity.gold import read_gold
        from qualcode.validity.measure import measured_codes

        if codebook is None:
            raise GoldError("--gold needs the CODEBOOK argument")
        book = load_codebook(codebook)
        passages = read_gold(gold, known_codes=book.code_names, split=split)
        units = units_from_gold(book, passages)
        known = measured_codes(book, passages)
    else:
        if coder is None:
            raise GoldError("--from needs --coder NAME (whose decisions to learn from)")
        book, units = units_from_output(from_, coder)
        known = [c.name for c in book.codes if c.patterns]
    unknown = sorted(set(codes) - set(book.code_names))
    if unknown:
        raise GoldError(f"not a code of the codebook: {', '.join(unknown)}")
    return suggest(units, [c for c in known if not codes or c in codes], limit=limit)


def show(found, fmt, output: Path | None) -> None:
    """Print the suggestions as tables, or write/print them as json, csv or md."""
    if fmt is not None or output is not None:
        _write(found, fmt, output)
        return
    _print_terms(found)
    if len(found.false_positives):
        table = Table(title="Patterns behind false positives", header_style="bold")
        for name in ("code", "pattern", "line", "false positives", "true positives"):
            table.add_column(name)
        for r in found.false_positives.head(15).to_dict("records"):
            table.add_row(
                escape(r["code"]),
                escape(r["pattern_id"]),
                str(r["line"]),
                str(r["false_positives"]),
                str(r["true_positives"]),
            )
        console.print(table)


def _write(found, fmt, output: Path | None) -> None:
    from qualcode.validity.suggest import suggestions_markdown

    chosen = fmt or (output.suffix.lstrip(".").lower() if output is not None else "json")
    makers = {
        "json": lambda: (
            json.dumps(
                {
                    "terms": found.terms.to_dict("records"),
                    "false_positives": found.false_positives.to_dict("records"),
                    "misses": found.misses,
                },
                indent=2,
                ensure_ascii=False,
                sort_keys=True,
            )
            + "\n"
        ),
        "csv": lambda: found.terms.assign(contexts=found.terms["contexts"].map(" || ".join)).to_csv(
            index=False, lineterminator="\n"
        ),
        "md": lambda: suggestions_markdown(found),
    }
    if chosen not in makers:
        from qualcode.errors import GoldError

        raise GoldError(f"cannot tell the format of {output}: give --format json, csv or md")
    emit_text(makers[chosen](), output)


def _print_terms(found) -> None:
    for code, group in found.terms.groupby("code", sort=False):
        table = Table(
            title=f"{escape(str(code))}: {found.misses.get(code, 0)} missed passages",
            header_style="bold",
        )
        for name in (
            "lang",
            "term",
            "G²",
            "log ratio",
            "in misses",
            "elsewhere",
            "pattern to paste",
        ):
            numeric = name in ("G²", "log ratio", "in misses", "elsewhere")
            table.add_column(name, justify="right" if numeric else "left")
        for r in group.to_dict("records"):
            table.add_row(
                escape(r["language"]),
                escape(r["term"]),
                f"{r['g2']:.1f}",
                f"{r['log_ratio']:.2f}",
                f"{r['target_freq']} ({r['target_docs']})",
                str(r["reference_freq"]),
                escape(r["pattern"]),
            )
        console.print(table)
        for r in group.to_dict("records"):
            for context in r["contexts"]:
                console.print(f"  {escape(r['term'])}: {escape(context)}", highlight=False)
    if found.terms.empty:
        console.print("No term occurs in two or more missed passages.", highlight=False)
