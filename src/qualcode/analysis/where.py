"""``--where``: a small filter language on segment columns, read with `ast`, never run as code.

An expression uses Python's expression *syntax*, restricted to a whitelist:

* a column compared with a value or with another column: ``==  !=  <  <=  >  >=``, chains
  such as ``10 <= n_words < 50`` included;
* ``country in ['Italy', 'Spain']`` and ``not in`` (a list or tuple of values);
* ``'court' in text`` and ``'court' not in text``: the column's text contains the string;
* a true/false column on its own (``is_interviewer``, ``not is_interviewer``);
* ``and``, ``or``, ``not``, parentheses; values are 'quoted' or "quoted" strings, numbers
  (``-3``, ``2.5``), ``True`` and ``False``.

A column whose name is not a Python name is written in backticks (```age group` > 30``).
Nothing else parses: no attribute access, calls, subscripts, arithmetic, ``@`` variables, and
no names but the table's columns -- an expression can read the table and nothing else. It is
evaluated with plain pandas boolean masks, three-valued: a missing value matches no comparison,
and ``not`` keeps it out too. Errors name the parts of the expression and the columns, never a
value of the table.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qualcode.errors import AnalysisError

LANGUAGE = (
    "comparisons (== != < <= > >=), in / not in [lists], and / or / not, parentheses, "
    "'strings', numbers, True, False"
)
TEXT, NUMBER, BOOLEAN, MIXED = "text", "numbers", "true/false values", "mixed values"
MAX_DEPTH = 100  # levels of nesting an expression may have (evaluation recurses on them)
_KIND_OF_VALUE = {str: TEXT, int: NUMBER, float: NUMBER, bool: BOOLEAN}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Set,
)
_REFUSED = {
    ast.Attribute: "attribute access ('.')",
    ast.Call: "function and method calls",
    ast.Subscript: "subscripts ('[...]' after a name)",
    ast.BinOp: "arithmetic",
    ast.Is: "'is' (use == or !=)",
    ast.IsNot: "'is not' (use !=)",
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


@dataclass(frozen=True)
class Where:
    """A where expression that parsed: its text, its checked tree and the columns it names."""

    text: str
    tree: ast.expr
    columns: tuple[str, ...]
    quoted: dict[str, str]  # placeholder name -> `backtick quoted` column name


@dataclass(frozen=True)
class _Operand:
    """One side of a comparison: a column (its data and kind) or a value."""

    data: Any
    kind: str
    missing: np.ndarray
    column: str | None = None

    def describe(self) -> str:
        if self.column is not None:
            return f"column '{self.column}' ({self.kind})"
        return {TEXT: "a quoted string", NUMBER: "a number"}.get(self.kind, "True/False")


def _error(text: str, problem: str) -> AnalysisError:
    return AnalysisError(f"where expression {text!r}: {problem}")


def parse_where(text: str, columns: Iterable[str] | None = None) -> Where:
    """Parse a where expression and check it against the whitelist and, when given, `columns`.

    Raises AnalysisError naming what is not allowed, or the unknown column(s) and the columns.
    """
    source, quoted, at_sign = _replace_backticks(text)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        if at_sign:
            raise _error(text, "'@' (local variables) is not part of the language") from None
        raise _error(text, f"cannot read it; the language has {LANGUAGE}") from None
    if _depth(tree) > MAX_DEPTH:
        raise _error(text, f"nested too deeply (more than {MAX_DEPTH} levels)")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            what = _REFUSED.get(type(node), type(node).__name__)
            snippet = ast.get_source_segment(source.strip(), node) or ""
            raise _error(text, f"{what}: not in the language ({snippet}); it has {LANGUAGE}")
        if isinstance(node, ast.Constant) and type(node.value) not in _KIND_OF_VALUE:
            raise _error(text, "values are 'quoted strings', numbers, True or False")
    found = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Name)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    names = tuple(dict.fromkeys(quoted.get(n.id, n.id) for n in found))
    if columns is not None:
        known = [str(c) for c in columns]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise AnalysisError(
                f"unknown column(s) {', '.join(unknown)} in where expression {text!r}; "
                f"columns: {', '.join(known)}"
            )
    return Where(text, tree.body, names, quoted)


def _replace_backticks(text: str) -> tuple[str, dict[str, str], bool]:
    """The text with each `quoted name` replaced by a placeholder Python name; the names; and
    whether an '@' stands outside string literals."""
    out: list[str] = []
    quoted: dict[str, str] = {}
    quote, at_sign, i = "", False, 0
    while i < len(text):
        char = text[i]
        if quote:
            out.append(text[i : i + 2] if char == "\\" else char)
            i += 2 if char == "\\" else 1
            quote = "" if char == quote else quote
            continue
        if char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise _error(text, "a `quoted` column name is not closed")
            placeholder = f"__column_{len(quoted)}__"
            quoted[placeholder] = text[i + 1 : end]
            out.append(placeholder)
            i = end + 1
            continue
        quote = char if char in "'\"" else ""
        at_sign = at_sign or char == "@"
        out.append(char)
        i += 1
    return "".join(out), quoted, at_sign


def apply_where(segments: pd.DataFrame, where: str | Where) -> pd.DataFrame:
    """The rows of `segments` the where expression keeps (a missing value never matches).

    Raises AnalysisError for an expression outside the language, an unknown column, or a
    comparison of a column with a value of another kind.
    """
    parsed = where if isinstance(where, Where) else parse_where(where, segments.columns)
    mask = _condition(parsed.tree, segments, parsed)
    return segments[mask.fillna(False).to_numpy(dtype=bool)]


def _depth(tree: ast.AST) -> int:
    """How deeply the nodes of `tree` nest (counted without recursing)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _condition(node: ast.expr, frame: pd.DataFrame, where: Where) -> pd.arrays.BooleanArray:
    if isinstance(node, ast.BoolOp):
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        return functools.reduce(combine, (_condition(v, frame, where) for v in node.values))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_condition(node.operand, frame, where)
    if isinstance(node, ast.Compare):
        result, left = None, node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            part = _comparison(left, op, right, frame, where)
            result, left = part if result is None else result & part, right
        assert result is not None  # a Compare has at least one operator
        return result
    if isinstance(node, ast.Name):
        column = _operand(node, frame, where)
        if column.kind != BOOLEAN:
            raise _error(
                where.text, f"{column.describe()} is not a condition; compare it with a value"
            )
        return _mask(column.data.fillna(False).astype(bool), column.missing)
    raise _error(where.text, "is not a condition (e.g. country == 'Italy')")


def _comparison(
    left: ast.expr, op: ast.cmpop, right: ast.expr, frame: pd.DataFrame, where: Where
) -> pd.arrays.BooleanArray:
    if isinstance(op, (ast.In, ast.NotIn)):
        found = _membership(left, right, frame, where)
        return ~found if isinstance(op, ast.NotIn) else found
    a, b = _operand(left, frame, where), _operand(right, frame, where)
    if a.column is None and b.column is None:
        raise _error(where.text, "compares two values; one side must be a column")
    _check_kinds(a, b, where)
    try:
        raw = _COMPARE[type(op)](a.data, b.data)
    except TypeError:
        raise _error(where.text, f"cannot compare {a.describe()} with {b.describe()}") from None
    return _mask(raw, a.missing | b.missing)


def _membership(
    left: ast.expr, right: ast.expr, frame: pd.DataFrame, where: Where
) -> pd.arrays.BooleanArray:
    if isinstance(right, (ast.List, ast.Tuple, ast.Set)):
        column = _operand(left, frame, where)
        values = [_operand(v, frame, where) for v in right.elts]
        if column.column is None or any(v.column is not None for v in values):
            raise _error(where.text, "'in [...]' needs a column on its left and values in the list")
        for value in values:
            _check_kinds(column, value, where)
        return _mask(column.data.isin([v.data for v in values]), column.missing)
    needle, column = _operand(left, frame, where), _operand(right, frame, where)
    if needle.column is not None or needle.kind != TEXT or column.kind != TEXT:
        raise _error(
            where.text,
            "'in' takes a column and a list (country in ['Italy', 'Spain']) "
            "or a string and a text column ('court' in text)",
        )
    found = column.data.str.contains(needle.data, regex=False)
    return _mask(found, column.missing)


def _operand(node: ast.expr, frame: pd.DataFrame, where: Where) -> _Operand:
    rows = len(frame)
    if isinstance(node, ast.Name):
        name = where.quoted.get(node.id, node.id)
        series = frame[name]
        return _Operand(series, column_kind(series), series.isna().to_numpy(), name)
    value = _value(node)
    if value is None and isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        raise _error(where.text, "a list goes with 'in' / 'not in' only")
    if value is None:
        raise _error(where.text, f"{ast.unparse(node)} is not a column or a value")
    return _Operand(value, _KIND_OF_VALUE[type(value)], np.zeros(rows, dtype=bool))


def _value(node: ast.expr) -> str | int | float | bool | None:
    """A literal's value (a signed number too); None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)):
        return node.value  # (a bool is an int; parse_where refused every other constant)
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        number = node.operand.value
        assert isinstance(number, (int, float))
        return -number if isinstance(node.op, ast.USub) else number
    return None


def column_kind(series: pd.Series) -> str:
    """What a column holds, as the where language sees it: text, numbers, true/false, mixed."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return BOOLEAN
    if pd.api.types.is_numeric_dtype(dtype):
        return NUMBER
    if isinstance(dtype, pd.StringDtype):
        return TEXT
    inferred = pd.api.types.infer_dtype(series, skipna=True) if dtype.kind == "O" else ""
    if inferred in ("string", "empty"):
        return TEXT
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return NUMBER
    return BOOLEAN if inferred == "boolean" else MIXED


def _check_kinds(a: _Operand, b: _Operand, where: Where) -> None:
    if MIXED in (a.kind, b.kind) or a.kind == b.kind:
        return
    column, other = (a, b) if a.column is not None else (b, a)
    hint = {
        TEXT: "; quote the value",
        NUMBER: "; write the number without quotes",
    }.get(column.kind, "")
    if other.column is not None:
        hint = ""
    raise _error(where.text, f"cannot compare {column.describe()} with {other.describe()}{hint}")


def _mask(values: Any, missing: np.ndarray) -> pd.arrays.BooleanArray:
    """A three-valued mask: `values` where known, missing (NA) where an operand is missing."""
    known = pd.Series(values).fillna(False).to_numpy(dtype=bool)
    return pd.arrays.BooleanArray(known, np.asarray(missing, dtype=bool).copy())
