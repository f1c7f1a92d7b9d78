"""YAML with libyaml's speed and PyYAML's error messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def load_yaml(text: str, loader_for: Callable[[type], type] | None = None) -> Any:
    """`yaml.load` with a SafeLoader, or with `loader_for(base)` built on the SafeLoader given.

    libyaml (CSafeLoader) parses when it is installed; a document it rejects is parsed again by
    the pure-Python parser, so that the YAMLError raised carries the message and line qualcode
    reports (libyaml words them differently).
    """
    import yaml

    make = loader_for or (lambda base: base)
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=make(fast))  # noqa: S506 - a SafeLoader
        except yaml.YAMLError:
            pass
    return yaml.load(text, Loader=make(yaml.SafeLoader))  # noqa: S506 - a SafeLoader


def count_values(data: Any, limit: int) -> int:
    """Number of values in loaded YAML, counting each alias use; stops counting past `limit`
    (a few lines of aliases can stand for millions of values: callers refuse those)."""
    count, stack = 0, [data]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return count
