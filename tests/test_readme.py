"""Every `qualcode` command shown in the README runs, verbatim, on the shipped sample."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import REPO, run_cli

# `pseudonymise --check` is a linter: it exits 1 while it lists anything still looking like an
# identifier (the sample's pseudonymised copy keeps dates such as 7/2018 and words such as "Sì").
EXIT_CODES = {"pseudonymise --check": 1}
# Commands that only illustrate syntax, with the reason they cannot run as printed.
ILLUSTRATIONS = {
    "it_lawyer_04.t.1a2b3c4d5e": "an example segment id",
    "es_doctor_03.t.0c1d2e3f4a": "an example segment id",
    "other_tool.csv": "a file made by another tool",
    "override done": "it would mark a transcript of the shipped overrides/ as coded",
}


def readme_commands() -> list[str]:
    """The `qualcode ...` lines of the README's bash blocks, in order (after any `pip ... &&`)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            line = line.split("&&")[-1].strip()
            if line.startswith("qualcode "):
                commands.append(line)
    return commands


def test_the_readme_shows_the_quick_start_command_first() -> None:
    commands = readme_commands()
    assert commands[0].startswith("qualcode code transcripts_sample --codebook")
    assert len(commands) > 15


@pytest.mark.slow
def test_every_readme_command_runs_on_the_sample(tmp_path: Path, monkeypatch) -> None:
    for name in ("transcripts_sample", "codebooks", "overrides", "identifiers.yaml", "benchmarks"):
        (tmp_path / name).symlink_to(REPO / name)
    monkeypatch.chdir(tmp_path)
    ran = []
    for command in readme_commands():
        if any(marker in command for marker in ILLUSTRATIONS):
            continue
        args = shlex.split(command, comments=True)[1:]
        result = run_cli(args)
        expected = next((code for key, code in EXIT_CODES.items() if key in command), 0)
        assert result.exit_code == expected, f"{command}\n{result.stdout}\n{result.stderr}"
        ran.append(command)
    assert len(ran) >= len(readme_commands()) - len(ILLUSTRATIONS)
    for made in ["out/codings.csv", "freq.xlsx", "matrix.csv", "report.html", "summary.html"]:
        assert (tmp_path / made).is_file(), made
    for made in ["fig-country-role.pdf", "fig-codes.svg", "project.qdpx", "codebook.qdc"]:
        assert (tmp_path / made).stat().st_size > 0, made
    assert (tmp_path / "imported" / "codings.csv").is_file()
    assert any((tmp_path / "pseudo").iterdir())
