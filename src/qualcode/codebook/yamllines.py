"""YAML with line numbers: every mapping and list remembers the line it starts on, so that a
problem in a codebook (or an identifiers file) is reported at its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualcode.errors import CodebookError
from qualcode.yamlload import load_yaml


class LineDict(dict):
    """A dict that remembers the line of each key (1-based) and its own first line."""

    line: int = 0
    key_lines: dict[Any, int]  # keys may be any YAML scalar (a typo like `1: x` included)


class LineList(list):
    line: int = 0
    item_lines: list[int]


def yaml_with_lines(text: str, path: Path) -> Any:
    import yaml

    try:
        return load_yaml(text, lambda base: _line_loader(base, path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or "invalid YAML"
        raise CodebookError(
            f"not valid YAML: {reason}", file=path, line=None if mark is None else mark.line + 1
        ) from None
    except (ValueError, OverflowError) as exc:  # e.g. a date like 2025-13-45
        raise CodebookError(f"invalid value: {exc}", file=path) from None
    except RecursionError:
        raise CodebookError("nested too deeply", file=path) from None


def _line_loader(base: type, path: Path) -> type:
    """A loader on `base` whose mappings and lists remember their line numbers."""
    import yaml

    class Loader(base):
        pass

    def construct_mapping(loader: Loader, node: yaml.MappingNode) -> LineDict:
        loader.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool, type(None))):  # a list as a key
                raise CodebookError(
                    "a mapping key must be text", file=path, line=key_node.start_mark.line + 1
                )
            if key in result:
                raise CodebookError(
                    f"duplicate key '{key}'", file=path, line=key_node.start_mark.line + 1
                )
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(loader: Loader, node: yaml.SequenceNode) -> LineList:
        result = LineList(loader.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return Loader


def line_of(obj: Any, key: str | None = None) -> int | None:
    """The line of `key` in a mapping read by `yaml_with_lines`, or the object's own line."""
    if key is not None and isinstance(obj, LineDict):
        return obj.key_lines.get(key, obj.line)
    return getattr(obj, "line", None)
