"""A small corpus whose text, metadata and code names attack spreadsheets and terminals.

it_lawyer_01 (country "[/]", role a HYPERLINK formula):
    Interviewer: Tell me about lawsuits.
    Ana: =HYPERLINK(...) We filed a lawsuit against the ministry.    -> code [/] (lawsuit)
    Ana: -2+3 then [link=...]click[/link] lawsuit again.           -> code [/]
it_doctor_02 (country a rich link, role doctor):
    Interviewer: And you?
    Ana: @SUM(1) we went to court with a lawsuit.                 -> codes [/] and =cmd (court)
"""

from __future__ import annotations

from pathlib import Path

from conftest import write

FORMULA = '=HYPERLINK("http://evil.example","click")'
LINK = "[link=http://evil.example]click[/link]"
CLOSING = "[/]"

CODEBOOK = """
name: hostile
version: "1"
codes:
  - name: "[/]"
    definition: A closing tag.
    patterns:
      en: [lawsuit]
  - name: "=cmd"
    definition: A formula.
    patterns:
      en: [court]
"""


def hostile_corpus(root: Path) -> tuple[Path, Path]:
    """(transcripts folder, codebook) of the hostile corpus, written under `root`."""
    folder = root / "transcripts"
    write(
        folder / "it_lawyer_01.md",
        f"""
        ---
        id: it_lawyer_01
        language: en
        country: "{CLOSING}"
        role: '{FORMULA}'
        ---
        Interviewer: Tell me about lawsuits.
        Ana: {FORMULA} We filed a lawsuit against the ministry.
        Ana: -2+3 then {LINK} lawsuit again.
        """,
    )
    write(
        folder / "it_doctor_02.md",
        f"""
        ---
        id: it_doctor_02
        language: en
        country: "{LINK}"
        role: doctor
        ---
        Interviewer: And you?
        Ana: @SUM(1) we went to court with a lawsuit.
        """,
    )
    return folder, write(root / "codebook.yaml", CODEBOOK)
