"""One error hierarchy for the whole library.

Library code raises a specific subclass with the file, the line and a hint; the CLI catches
``QualcodeError`` in exactly one place and prints one red line per problem. Messages name files,
line numbers, segment ids and codes -- never transcript content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One located problem: where it is and what is wrong."""

    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class QualcodeError(Exception):
    """Base class of every error qualcode reports to a user (bad input, not a bug).

    ``problems`` holds every problem found, so a user can fix them all in one pass.
    ``exit_code`` is 2 for bad input and 1 for a failure while working.
    """

    exit_code = 2

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        problems: Iterable[Problem] | None = None,
    ) -> None:
        found = list(problems or [])
        if message is not None:
            found.insert(0, Problem(message, None if file is None else str(file), line))
        if not found:
            found = [Problem(self.__class__.__name__)]
        self.problems: list[Problem] = found
        super().__init__("\n".join(str(p) for p in found))


class TranscriptError(QualcodeError):
    """A transcript (or the metadata sheet) cannot be read or is malformed."""


class CodebookError(QualcodeError):
    """The codebook does not validate."""


class OverrideError(QualcodeError):
    """An overrides file is malformed, or an override cannot be applied under --strict."""


class OutputError(QualcodeError):
    """An output folder is missing, incomplete, or cannot be written."""


class AnalysisError(QualcodeError):
    """An analysis request is invalid (unknown column, bad --where expression, unknown code)."""


class AgreementError(QualcodeError):
    """Agreement cannot be computed as asked (one coder only, unknown coder, malformed spans)."""


class ExportError(QualcodeError):
    """An export or import failed (unsupported format, unreadable project)."""


class ProjectError(QualcodeError):
    """The project file (qualcode.toml) is malformed, or `qualcode init` cannot write one."""


class GoldError(QualcodeError):
    """A gold file (labelled passages for `codebook test` / `codebook suggest`) is malformed."""


class RegexTimeoutError(CodebookError):
    """A codebook regex ran past its time limit on one segment (catastrophic backtracking).

    The run stops rather than skip the pattern, so the same inputs never give different codings
    on a slower machine.
    """
