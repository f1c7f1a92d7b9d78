"""What a command takes from the project file (qualcode.toml) when a flag is not given.

Precedence everywhere: command-line flags > the project file > built-in defaults. The project
is the ``qualcode.toml`` in the current folder or its nearest parent (`find_project`); its
paths are shown relative to the current folder when they lie below it, so messages and run.json
read as if the user had typed them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import ProjectError
from qualcode.project import PROJECT_FILE, Project, find_project

DEFAULT_OUT = Path("out")
DEFAULT_DECISIONS = Path("overrides")
AUTO_META_NAMES = ("participants.csv", "participants.xlsx", "meta.csv")
INIT_HINT = f"or run `qualcode init` here to write a project file ({PROJECT_FILE}) that names them"


def near(path: Path) -> Path:
    """`path` relative to the current folder when it lies below it, else as it is."""
    try:
        relative = path.absolute().relative_to(Path.cwd())
    except ValueError:
        return path
    return relative if relative.parts else Path(".")


def project_out(project: Project | None = None) -> Path:
    """The output folder commands write and read by default: the project's (its `out`, else
    out/ beside the project file), else out/ in the current folder."""
    project = project if project is not None else find_project()
    if project is None:
        return DEFAULT_OUT
    return near(project.out if project.out is not None else project.root / DEFAULT_OUT)


@dataclass(frozen=True)
class CodeRun:
    """What `qualcode code` runs on, once flags, the project file and defaults are combined."""

    inputs: list[Path]
    codebook: Path
    out: Path
    unit: str
    meta: Path | None
    overrides: list[Path]
    project: Project | None


def code_run(
    inputs: Sequence[Path] | None,
    *,
    codebook: Path | None,
    out: Path | None,
    unit: str | None,
    meta: Path | None,
    no_meta: bool,
    overrides: Sequence[Path] | None,
    no_overrides: bool,
) -> CodeRun:
    """Combine `qualcode code`'s flags with the project file (if any) and the defaults.

    Raises ProjectError when no transcripts or no codebook is named by either.
    """
    project = find_project()
    where = "" if project is None else f" (and {near(project.path)} names none)"
    if inputs:
        chosen = list(inputs)
    elif project is not None and project.transcripts:
        chosen = [near(path) for path in project.transcripts]
    else:
        hint = INIT_HINT if project is None else f"or add `transcripts = [...]` to {project.path}"
        raise ProjectError(f"no transcripts given{where}: name them (TRANSCRIPTS...) {hint}")
    if codebook is None:
        if project is None or project.codebook is None:
            hint = INIT_HINT if project is None else f"or add `codebook = ...` to {project.path}"
            raise ProjectError(f"no codebook given{where}: use --codebook FILE {hint}")
        codebook = near(project.codebook)
    if out is None:
        out = project_out(project) if project is not None else DEFAULT_OUT
    return CodeRun(
        inputs=chosen,
        codebook=codebook,
        out=out,
        unit=unit or (project.unit if project is not None and project.unit else "turn"),
        meta=_meta(chosen, meta, no_meta, project),
        overrides=_overrides(chosen, overrides, no_overrides, project),
        project=project,
    )


def _meta(
    inputs: list[Path], meta: Path | None, no_meta: bool, project: Project | None
) -> Path | None:
    if meta is not None or no_meta:
        return meta
    if project is not None and project.meta is not None:
        return near(project.meta)
    for folder in (p for p in inputs if p.is_dir()):
        for name in AUTO_META_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def _overrides(
    inputs: list[Path],
    overrides: Sequence[Path] | None,
    no_overrides: bool,
    project: Project | None,
) -> list[Path]:
    if no_overrides:
        return []
    if overrides:
        return list(overrides)
    if project is not None and project.decisions is not None:
        # A fresh project has no decisions yet: `override add` creates the folder.
        return [near(project.decisions)] if project.decisions.is_dir() else []
    from qualcode.decisions.folders import default_decision_folders

    return default_decision_folders(inputs)


def check_folder(from_: Path | None) -> Path | None:
    """The output folder `override` checks decisions against: --from, else the default
    output folder (the project's, else out/) when it holds a run."""
    if from_ is not None:
        return from_
    out = project_out()
    return out if (out / "run.json").is_file() else None


def decisions_folder(directory: Path | None, checked: Path | None) -> Path:
    """Where `override` appends: --dir, else the project's decisions folder, else the one
    decisions folder the checked run read (its run.json "overrides"), else overrides/."""
    if directory is not None:
        return directory
    project = find_project()
    if project is not None and project.decisions is not None:
        return near(project.decisions)
    if checked is not None and (checked / "run.json").is_file():
        from qualcode.output.folder import read_manifest

        read = run_decisions_folder(read_manifest(checked))
        if read is not None:
            return read
    return DEFAULT_DECISIONS


def run_decisions_folder(manifest: dict) -> Path | None:
    """The decisions folder a run read (its run.json "overrides"), when it read exactly one
    and that one is a folder; else None."""
    read = manifest.get("options", {}).get("overrides") or []
    if len(read) == 1 and isinstance(read[0], str) and os.path.isdir(read[0]):
        return Path(read[0])
    return None
