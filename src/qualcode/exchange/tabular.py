"""Write analysis tables as CSV, Excel, Parquet, Markdown or JSON -- atomically, byte-stable.

Layout of several tables in one request:

* ``xlsx``: one workbook, one sheet per table (sheet name = table name).
* ``md``: one file, each table under a ``## name`` heading.
* ``json``: one file, an object ``{name: [records...]}`` (a single table is just the list).
* ``csv`` / ``parquet``: one file per table, ``<stem>-<name>.<ext>`` beside ``path``
  (a single table is written to ``path`` itself).

A named index (``code``, ``transcript_id``...) becomes the first column; MultiIndex column
headers are flattened to ``"Italy / lawyer"`` in every format. The same tables give the same
bytes: no timestamps in the data, and the Excel workbook's properties and zip entry times are
pinned to 2000-01-01.

Spreadsheet-safe: a CSV text cell (or header) that starts with ``= + - @``, a tab or a carriage
return gets a leading ``'`` (OWASP's advice against formula injection; ``raw_cells=True`` turns
it off), numbers stay numbers; every text cell of a workbook is a string cell, never a formula,
and one that starts like a formula also carries Excel's quote prefix (shown, not stored, as a
leading ').
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode import models as m
from qualcode.csvrows import FORMULA_STARTS, spreadsheet_safe
from qualcode.errors import ExportError
from qualcode.markdown_text import escape_inline
from qualcode.output.atomic import atomic_write_file

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("csv", "xlsx", "parquet", "md", "json")
_SUFFIXES = {"csv": "csv", "xlsx": "xlsx", "parquet": "parquet", "md": "md", "json": "json"}
_PINNED_TIME = datetime(2000, 1, 1)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_MAX_WIDTH = 60


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The format to write: ``fmt`` when given, else guessed from the file suffix (csv default).

    Raises ExportError for an unsupported format.
    """
    chosen = fmt or Path(path).suffix.lstrip(".").lower() or "csv"
    if chosen == "markdown":
        chosen = "md"
    if chosen not in FORMATS:
        if fmt is None:
            return "csv"
        raise ExportError(f"unsupported format {chosen!r}; use one of {', '.join(FORMATS)}")
    return chosen


def flatten(df: pd.DataFrame) -> pd.DataFrame:
    """A plain table: named index levels become columns, header tuples become "a / b" strings."""
    frame = df.copy()
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    frame.columns = [_header(c) for c in frame.columns]
    return frame


def _header(column: object) -> str:
    if isinstance(column, tuple):
        return " / ".join(str(part) for part in column if str(part) != "")
    return str(column)


def write_tables(
    tables: Mapping[str, pd.DataFrame] | pd.DataFrame,
    path: str | Path,
    fmt: str | None = None,
    *,
    raw_cells: bool = False,
) -> list[Path]:
    """Write one or several tables to ``path`` in ``fmt`` (csv, xlsx, parquet, md, json).

    ``tables`` maps a table name to a DataFrame (a lone DataFrame is named after the file).
    CSV cells are spreadsheet-safe unless ``raw_cells``. Every file is written atomically.
    Returns the paths written. Raises ExportError for an unsupported format or a file that
    cannot be written.
    """
    path = Path(path)
    fmt = format_for(path, fmt)
    if not isinstance(tables, Mapping):
        tables = {path.stem: tables}
    if not tables:
        raise ExportError("nothing to write: no tables", file=path)
    flat = {name: flatten(df) for name, df in tables.items()}
    indexed = {name: any(n is not None for n in df.index.names) for name, df in tables.items()}
    if fmt in ("csv", "parquet") and len(flat) > 1:
        written = []
        for name, frame in flat.items():
            target = path.with_name(f"{path.stem}-{_slug(name)}.{_SUFFIXES[fmt]}")
            _atomic(target, lambda tmp, f=frame: _write_single(f, tmp, fmt, raw_cells))
            written.append(target)
        return written
    if fmt in ("csv", "parquet"):
        frame = next(iter(flat.values()))
        _atomic(path, lambda tmp: _write_single(frame, tmp, fmt, raw_cells))
    elif fmt == "xlsx":
        _atomic(path, lambda tmp: tmp.write_bytes(_xlsx_bytes(flat, indexed)))
    elif fmt == "md":
        _atomic(path, lambda tmp: tmp.write_text(_markdown_document(flat), encoding="utf-8"))
    else:
        _atomic(path, lambda tmp: tmp.write_text(_json_document(flat), encoding="utf-8"))
    return [path]


def tables_text(tables: Mapping[str, pd.DataFrame], fmt: str, *, raw_cells: bool = False) -> str:
    """Tables as one text document (csv, md or json), e.g. to print on a terminal.

    Several csv tables are separated by a blank line, each after a ``# name`` line; csv cells
    are spreadsheet-safe unless ``raw_cells``.
    """
    flat = {name: flatten(df) for name, df in tables.items()}
    if fmt == "md":
        return _markdown_document(flat)
    if fmt == "json":
        return _json_document(flat)
    if fmt != "csv":
        raise ExportError(f"{fmt} is not a text format; use csv, md or json")
    safe = {name: f if raw_cells else spreadsheet_safe(f) for name, f in flat.items()}
    texts = {name: f.to_csv(index=False, lineterminator="\n") for name, f in safe.items()}
    if len(texts) == 1:
        return next(iter(texts.values()))
    return "\n".join(f"# {name}\n{text}" for name, text in texts.items())


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file (UTF-8) atomically; returns its path."""
    path = Path(path)
    _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def _atomic(path: Path, writer) -> None:
    try:
        atomic_write_file(path, writer)
    except OSError as exc:
        raise ExportError(f"cannot write the file ({exc.strerror or exc})", file=path) from None


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "table"


def _write_single(frame: pd.DataFrame, tmp: Path, fmt: str, raw_cells: bool) -> None:
    if fmt == "csv":
        safe = frame if raw_cells else spreadsheet_safe(frame)
        safe.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, tmp, compression="zstd")


# --- json and markdown ---------------------------------------------------------------------------


def _records(frame: pd.DataFrame) -> list:
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _json_document(tables: Mapping[str, pd.DataFrame]) -> str:
    if len(tables) == 1:
        document: object = _records(next(iter(tables.values())))
    else:
        document = {name: _records(frame) for name, frame in tables.items()}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _markdown_document(tables: Mapping[str, pd.DataFrame]) -> str:
    if len(tables) == 1:
        return markdown_table(next(iter(tables.values())))
    parts = [f"## {name}\n\n{markdown_table(frame)}" for name, frame in tables.items()]
    return "\n".join(parts)


def _md_cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    text = str(value)
    if text in ("<NA>", "nan", "NaT"):
        return ""
    # User text (code names, metadata, quotes) renders as written: Markdown specials are
    # backslash-escaped, < > & become entities, line breaks become spaces (one table row).
    return escape_inline(text)


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured pipe table (numbers right-aligned), ending with a newline."""
    frame = flatten(df) if any(n is not None for n in df.index.names) else df
    headers = [_md_cell(_header(c)) for c in frame.columns]
    numeric = [frame[c].dtype.kind in "iuf" for c in frame.columns]
    rows = [[_md_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    widths = [max([3, len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(w) if num else cell.ljust(w)
            for cell, w, num in zip(cells, widths, numeric, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        "| "
        + " | ".join(
            ("-" * (w - 1) + ":") if n else "-" * w for w, n in zip(widths, numeric, strict=True)
        )
        + " |"
    )
    return "\n".join([line(headers), rule, *(line(r) for r in rows)]) + "\n"


def attribution(row: Mapping[str, object]) -> str:
    """``transcript_id, speaker, country, role`` of a quote, missing parts left out."""
    parts = (_plain(row.get(c)) for c in (m.TRANSCRIPT_ID, m.SPEAKER, m.COUNTRY, m.ROLE))
    return ", ".join(p for p in parts if p)


def quotes_markdown(quotes: pd.DataFrame, by: Sequence[str] = ()) -> str:
    """Quotes as Markdown blockquotes, each with an attribution line, under ``## group`` headings.

    The matched words (the ``highlights`` ranges of `qualcode.analysis.quotes.quotes`, when the
    table has them) are in **bold**; the attribution is ``— transcript_id, speaker, country,
    role`` (missing parts left out). All user text is escaped: it shows as written, never as
    Markdown formatting or HTML (see `markdown_text`).
    """
    from qualcode.analysis.quotes import HIGHLIGHTS
    from qualcode.markdown_text import escape_inline, markdown_lines

    parts: list[str] = []
    heading = None
    for row in quotes.to_dict("records"):
        if by:
            group = " / ".join(_plain(row.get(c)) or "(missing)" for c in by)
            if group != heading:
                heading = group
                parts.append(f"## {escape_inline(group)}\n")
        marks = row.get(HIGHLIGHTS)
        lines = markdown_lines(
            str(row.get(m.TEXT) or ""), marks if isinstance(marks, (list, tuple)) else ()
        )
        body = "\n".join(f"> {line}".rstrip() for line in lines or [""])
        parts.append(f"{body}\n>\n> — {escape_inline(attribution(row))}\n")
    return "\n".join(parts)


def _plain(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value).strip()
    return "" if text in ("<NA>", "nan") else text


# --- excel ---------------------------------------------------------------------------------------


def _sheet_title(name: str, used: set[str]) -> str:
    title = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "table"
    base, n = title, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def _xlsx_value(value: object) -> object:
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    text = str(value)
    return None if text in ("<NA>", "NaT") else text


def _text_cells(cells) -> None:
    """Make every text cell a string cell (openpyxl reads "=..." as a formula otherwise); one
    that starts like a formula also gets Excel's quote prefix, as if typed with a leading '."""
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True


def _xlsx_bytes(tables: Mapping[str, pd.DataFrame], indexed: Mapping[str, bool]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    workbook.remove(workbook.active)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    header_border = Border(bottom=Side(style="thin"))
    used: set[str] = set()
    for name, frame in tables.items():
        sheet = workbook.create_sheet(_sheet_title(name, used))
        sheet.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_xlsx_value(v) for v in row])
        for cells in sheet.iter_rows():
            _text_cells(cells)
        for cell in sheet[1]:
            cell.font, cell.fill, cell.border = header_font, header_fill, header_border
            cell.alignment = Alignment(vertical="center", wrap_text=False)
        for i, column in enumerate(frame.columns, start=1):
            # map(len) rather than .str.len(): the latter is NaN for all-missing columns.
            cells = [len(str(v)) for v in frame[column].head(1000).tolist()]
            longest = max([len(str(column)), *cells])
            sheet.column_dimensions[get_column_letter(i)].width = min(
                max(longest + 2, 8), _MAX_WIDTH
            )
        sheet.freeze_panes = "B2" if indexed.get(name) and len(frame.columns) > 1 else "A2"
    props = workbook.properties
    props.creator, props.lastModifiedBy = "qualcode", "qualcode"
    props.created = props.modified = _PINNED_TIME

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return _pin_zip_times(raw.getvalue())


def _pin_zip_times(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry times, so the same workbook gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            pinned = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o600 << 16
            target.writestr(pinned, source.read(info.filename))
    return out.getvalue()
