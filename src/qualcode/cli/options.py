"""Options several commands share, as Annotated aliases: each command states only its default.

Typer reads these annotations at runtime, so a command module imports the aliases it uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

Format = Literal["csv", "xlsx", "parquet", "md", "json"]
SourceChoice = Literal["all", "auto", "manual"]
FILTERS, OUTPUT, ENGINE = "Filters", "Output", "Engine"  # help panels


def project_from(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """--from's value: as given, or when not given the project's out folder (else the default)."""
    # typer vendors its own click: tell a default from a given value by the source's name.
    source = ctx.get_parameter_source(param.name) if param.name else None
    if getattr(source, "name", "DEFAULT") not in ("DEFAULT", "DEFAULT_MAP"):
        return value
    from qualcode.cli.project_defaults import project_out

    return project_out()


# Options shared by every command (Annotated aliases, so each command states only its default).
FromOption = Annotated[
    Path,
    typer.Option(
        "--from",
        help="Output folder of `qualcode code`. Default: the out folder of the project "
        "(qualcode.toml in this folder or a parent), else out/.",
        show_default=False,
        callback=project_from,
    ),
]
CodesOption = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer reads this annotation at runtime on Python 3.10
    typer.Option(
        "--code",
        help="Only these codes (repeatable; a parent brings its children).",
        rich_help_panel=FILTERS,
    ),
]
SourceOption = Annotated[
    SourceChoice,
    typer.Option(
        "--source", help="Automatic codings, manual ones, or all.", rich_help_panel=FILTERS
    ),
]
CoderOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--coder",
        help="Only codings by this coder (repeatable; 'auto' is the automatic coder).",
        rich_help_panel=FILTERS,
    ),
]
WhereOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--where",
        help="Keep segments matching a condition on segment/metadata columns: comparisons "
        "(== != < <= > >=), in / not in \\[lists], 'text' in column, and / or / not, e.g. "
        "\"country == 'Italy' and role != 'lawyer'\". Applies to denominators too.",
        rich_help_panel=FILTERS,
    ),
]
InterviewerOption = Annotated[
    bool,
    typer.Option(
        "--include-interviewer",
        help="Count interviewer segments too (left out by default).",
        rich_help_panel=FILTERS,
    ),
]
FormatOption = Annotated[
    Optional[Format],  # noqa: UP045
    typer.Option(
        "--format",
        "-f",
        help="csv | xlsx | parquet | md | json. Default: from the -o suffix; csv, md and json "
        "print to the terminal when there is no -o.",
        rich_help_panel=OUTPUT,
    ),
]
OutputOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--output",
        "-o",
        help="Write to this file instead of printing a table.",
        rich_help_panel=OUTPUT,
    ),
]
RawCellsOption = Annotated[
    bool,
    typer.Option(
        "--raw-cells",
        help="CSV only: write text cells exactly as they are. By default a cell that starts "
        "like a spreadsheet formula (= + - @, tab, carriage return) gets a leading ' so that "
        "Excel or LibreOffice shows it as text instead of running it.",
        rich_help_panel=OUTPUT,
    ),
]
EngineOption = Annotated[
    Literal["local", "dask"],
    typer.Option(
        "--engine",
        help="local: pandas in this process. dask: dask.dataframe on a Dask cluster "
        '(pip install "qualcode\\[dask]"); its workers read only the non-text columns needed '
        "from the Parquet files (a partitioned dataset in parallel) and send back counts. "
        "Same table either way.",
        rich_help_panel=ENGINE,
    ),
]
SchedulerOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--scheduler",
        help="With --engine dask: the Dask scheduler (tcp://HOST:8786), whose workers must see "
        "the --from folder at the same path. Default: a local cluster of --workers processes.",
        rich_help_panel=ENGINE,
    ),
]
WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        help="With --engine dask and no --scheduler: worker processes of the local cluster.",
        rich_help_panel=ENGINE,
    ),
]
