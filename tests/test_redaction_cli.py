"""`--pseudonymise` on the commands that let transcript text leave the tool."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE_CODEBOOK

# Fictitious identifiers written into the sample transcripts (see identifiers.yaml).
LEAKS = [
    "Lucía Menéndez",
    "Menéndez Roca",
    "612 345 678",
    "clinica.olivo@example.org",
    "calle del Olivo 23",
    "X1234567L",
    "Giovanna Pellegrini",
    "via delle Acacie 27",
    "+39 340 555 0192",
    "Tomás Arrieta",
]


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    from qualcode.coding.api import code_to_folder

    out = tmp_path_factory.mktemp("redact") / "out"
    code_to_folder(REPO / "transcripts_sample", SAMPLE_CODEBOOK, out)
    return out


def _run(cli, args: list[str]) -> None:
    result = cli(args)
    assert result.exit_code == 0, result.stderr


def test_without_the_option_the_identifiers_are_there(cli, coded: Path, tmp_path: Path) -> None:
    target = tmp_path / "quotes.md"
    _run(cli, ["quotes", "--from", str(coded), "--code", "humanitarianism", "--code", "equity",
               "--code", "sustainability", "--format", "md", "-o", str(target)])  # fmt: skip
    text = target.read_text(encoding="utf-8")
    assert any(leak in text for leak in LEAKS)  # so the checks below can fail


@pytest.mark.parametrize("command", ["quotes", "report", "qdpx"])
def test_pseudonymise_removes_every_listed_identifier(
    cli, coded: Path, tmp_path: Path, command: str
) -> None:
    options = [
        "--pseudonymise",
        str(REPO / "identifiers.yaml"),
        "--key-file",
        str(tmp_path / "key"),
    ]
    if command == "quotes":
        target = tmp_path / "quotes.md"
        _run(cli, ["quotes", "--from", str(coded), "--code", "humanitarianism", "--code", "equity",
                   "--code", "sustainability", "--format", "md", "-o", str(target), *options])  # fmt: skip
        text = target.read_text(encoding="utf-8")
    elif command == "report":
        target = tmp_path / "report.html"
        _run(
            cli, ["report", "--from", str(coded), "-o", str(target), "--max-quotes", "50", *options]
        )
        text = target.read_text(encoding="utf-8")
    else:
        target = tmp_path / "project.qdpx"
        _run(cli, ["export", "qdpx", "--from", str(coded), "-o", str(target), *options])
        with zipfile.ZipFile(target) as archive:
            text = "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    assert "[PERSON-" in text or "[PHONE]" in text or "[EMAIL]" in text or "[ADDRESS]" in text
    found = [leak for leak in LEAKS if leak in text]
    assert found == []
