"""`qualcode pseudonymise`: placeholders, offsets of coded passages, key handling, --check."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, SAMPLE, SAMPLE_CODEBOOK, run_cli, write
from qualcode import models as m
from qualcode.output.folder import load_output
from qualcode.privacy.pseudonymise import (
    Entity,
    Identifiers,
    OffsetMap,
    PseudonymiseError,
    load_identifiers,
    load_key,
    map_offset,
    pseudonymise_text,
    redact_frame,
)

KEY = bytes(range(32))
PEOPLE = Identifiers(
    [
        Entity("PERSON", "Giovanna Pellegrini", ("suor Giovanna", "Pellegrini")),
        Entity("PERSON", "Marta Lombardini", ("Lombardini",)),
        Entity("CITY", "Olivo", ()),
    ]
)
# Every fictitious identifier of the sample (see the brief and identifiers.yaml).
SAMPLE_IDENTIFIERS = [
    "Giovanna",
    "Pellegrini",
    "Acacie 27",
    "segreteria.acacie@example.org",
    "340 555 0192",
    "Marta",
    "Lombardini",
    "Gelsi 8",
    "sportello.gelsi@example.org",
    "328 555 4410",
    "Lucía",
    "Menéndez",
    "Olivo 23",
    "X1234567L",
    "612 345 678",
    "clinica.olivo@example.org",
    "Tomás",
    "Arrieta",
    "Tilos 47",
    "698 421 307",
    "acogida.lostilos@example.org",
    "Y7654321G",
]


# --- pattern-based identifiers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scrive a segreteria.acacie@example.org oppure", "scrive a [EMAIL] oppure"),
        ("chiama il +39 340 555 0192, che", "chiama il [PHONE], che"),
        ("il 340 5550192 o lo 06 4455 6677.", "il [PHONE] o lo [PHONE]."),
        ("el 612 345 678, que", "el [PHONE], que"),
        ("llamad al +34 91 123 45 67 ya", "llamad al [PHONE] ya"),
        ("un NIE antiguo, el Y7654321G, de", "un NIE antiguo, el [ID-NUMBER], de"),
        ("NIE X-1234567-L y DNI 12345678Z", "NIE [ID-NUMBER] y DNI [ID-NUMBER]"),
        ("codice fiscale RSSMRA85T10A562S.", "codice fiscale [ID-NUMBER]."),
        ("il codice STP1900010000123 scade", "il codice [ID-NUMBER] scade"),
        ("tessera 80380000500012345678 ok", "tessera [ID-NUMBER] ok"),
        ("La sede è in via delle Acacie 27, al piano", "La sede è in [ADDRESS], al piano"),
        ("en la calle de los Tilos 47, donde", "en la [ADDRESS], donde"),
        ("Piazza Garibaldi, 3/b e", "[ADDRESS] e"),
        ("she lives at 12 Baker Street now", "she lives at [ADDRESS] now"),
        ("nata il 12/03/1985 a", "nata il [DATE] a"),
        ("nacido el 3 de marzo de 1990 en", "nacido el [DATE] en"),
        ("born on March 3, 1990 in", "born on [DATE] in"),
        ("il 1° gennaio 2001", "il [DATE]"),
    ],
)
def test_pattern_identifiers_become_their_placeholder(text: str, expected: str):
    assert pseudonymise_text(text, Identifiers(), KEY)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "L'anno scorso abbiamo fatto circa 3.200 visite, per 900 persone.",
        "El programa empezó en 2012, con el Real Decreto-ley 16/2012.",
        "We spent 1.200.000 euros in 2019.",
        "e così via 3 volte al giorno",
        "a marzo 2020 e poi in aprile",
        "tra le 9 e le 13, dal lunedì al giovedì",
    ],
)
def test_ordinary_numbers_and_words_are_left_alone(text: str):
    assert pseudonymise_text(text, Identifiers(), KEY)[0] == text


# --- listed identifiers and placeholders -------------------------------------------------------


def test_variants_of_one_person_share_a_placeholder_and_merge_when_they_overlap():
    text = "con suor Giovanna Pellegrini. Pellegrini dice; Lombardini no."
    new, omap = pseudonymise_text(text, PEOPLE, KEY)
    first, second, third = omap.placeholders
    assert first == second != third
    assert new == f"con [{first}]. [{first}] dice; [{third}] no."


def test_a_capitalised_variant_does_not_match_the_common_word():
    new, _ = pseudonymise_text("l'olivo in calle del Olivo", PEOPLE, KEY)
    assert new.startswith("l'olivo in calle del [CITY-")


def test_placeholders_are_stable_for_a_key_and_differ_between_keys():
    one = pseudonymise_text("Pellegrini", PEOPLE, KEY)[0]
    assert pseudonymise_text("Pellegrini", PEOPLE, KEY)[0] == one
    assert pseudonymise_text("Pellegrini", PEOPLE, bytes(32))[0] != one
    assert Identifiers(PEOPLE.entities[::-1]).placeholder(2, KEY) == PEOPLE.placeholder(0, KEY)


def test_a_placeholder_in_speaker_position_stays_a_valid_label():
    new, _ = pseudonymise_text("Pellegrini: sì.\nINT: e Pellegrini?", PEOPLE, KEY)
    label = new.split(":")[0]
    assert label.startswith("PERSON-") and f"e [{label}]?" in new


# --- offsets -----------------------------------------------------------------------------------


def test_offset_map_moves_offsets_after_a_replacement_and_snaps_inside_ones():
    # "ab XXXX cd": XXXX (3..7) became "[P-1]" (3..8): one character longer.
    omap = OffsetMap((3,), (7,), (3,), (8,), ("P-1",))
    assert [omap.map(i) for i in (0, 2, 3, 7, 9)] == [0, 2, 3, 8, 10]
    assert omap.map(5) == 3 and omap.map(5, end=True) == 8
    assert omap.map_span(4, 6) == (3, 8)  # a span inside the identifier -> the placeholder
    assert omap.map_span(0, 5) == (0, 8)
    assert map_offset(omap, 8) == 9


def test_offsets_of_the_text_around_identifiers_point_to_the_same_words():
    text = "Ieri Marta Lombardini ha presentato un ricorso al TAR, scrive a a.b@example.org."
    new, omap = pseudonymise_text(text, PEOPLE, KEY)
    for word in ("Ieri", "ha presentato un ricorso", "TAR", "."):
        start = text.rindex(word)
        a, b = omap.map_span(start, start + len(word))
        assert new[a:b] == word


# --- identifiers file --------------------------------------------------------------------------


def test_the_sample_identifiers_file_loads():
    ids = load_identifiers(REPO / "identifiers.yaml")
    labels = {e.label for e in ids.entities}
    assert len(ids) == 8 and labels == {"PERSON", "STREET"}
    assert "asl" in ids.allow


def test_identifiers_file_problems_are_all_reported_by_position_never_by_name(tmp_path: Path):
    path = write(
        tmp_path / "ids.yaml",
        """
        people:
          - name: Maria Rossi
            variants: [Rossi]
          - name: Ada Rossi
            variants: [Rossi]
          - {name: X}
        places: Roma
        colours: [red]
        """,
    )
    with pytest.raises(PseudonymiseError) as info:
        load_identifiers(path)
    text = str(info.value)
    assert "people[1]: a variant is also listed under people[0]" in text
    assert "people[2]: 'name' must be text" in text
    assert "'places' must be a list" in text and "unknown key 'colours'" in text
    assert "Rossi" not in text and "Roma" not in text
    assert f"{path}:6" in text  # the line of people[1]


# --- the key file ------------------------------------------------------------------------------


def test_key_file_is_created_private_reused_and_never_printed(tmp_path: Path, mini_corpus: Path):
    key_file = tmp_path / "secret" / ".qualcode-key"
    args = ["pseudonymise", str(mini_corpus), "--key-file", str(key_file)]
    first = run_cli([*args, "-o", str(tmp_path / "p1")])
    assert first.exit_code == 0, first.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = key_file.read_text().strip()
    assert len(secret) == 64
    assert "created the key file" in first.stderr
    second = run_cli([*args, "-o", str(tmp_path / "p2")])
    assert key_file.read_text().strip() == secret
    assert "created the key file" not in second.stderr
    for result in (first, second):
        assert secret not in result.stdout + result.stderr
    assert secret not in repr(load_key(key_file))


def test_a_malformed_key_file_is_refused_without_showing_it(tmp_path: Path, mini_corpus: Path):
    key_file = write(tmp_path / "k", "not-a-key Maria\n")
    result = run_cli(
        ["pseudonymise", str(mini_corpus), "--key-file", str(key_file), "-o", str(tmp_path / "p")]
    )
    assert result.exit_code == 2
    assert "not a qualcode key file" in result.stderr and "Maria" not in result.stderr
    assert not (tmp_path / "p").exists()


# --- transcripts -------------------------------------------------------------------------------


@pytest.fixture
def named_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "named"
    write(
        folder / "en_a.md",
        """
        ---
        language: en
        country: Spain
        interviewee: Maria Rossi
        speakers: [INT, Maria]
        ---
        INT: Did you go to court?
        Maria: Yes. We filed Rossi's lawsuit with Giovanna Pellegrini, call 612 345 678.
        INT: And the clinic?
        Maria: We fill the gap. Write to maria.rossi@example.org.
        """,
    )
    write(
        folder / "en_b.md",
        """
        ---
        language: en
        ---
        INT: Who helps you?
        P: Pellegrini, and Maria Rossi before her. We filed a lawsuit too.
        """,
    )
    write(folder / "participants.csv", "transcript_id,role,contact\nen_b,nurse,Ada Neri\n")
    return folder


def _pseudonymise(args: list[str]) -> None:
    result = run_cli(["pseudonymise", *args])
    assert result.exit_code == 0, result.stderr


def test_transcripts_copy_replaces_names_everywhere_consistently(
    tmp_path: Path, named_corpus: Path
):
    ids = write(
        tmp_path / "ids.yaml",
        "people:\n  - {name: Giovanna Pellegrini, variants: [Pellegrini]}\nmetadata_keys: [contact]\n",
    )
    out = tmp_path / "pseudo"
    key = ["--key-file", str(tmp_path / "k"), "--identifiers", str(ids)]
    _pseudonymise([str(named_corpus), *key, "-o", str(out)])
    a = (out / "en_a.md").read_text(encoding="utf-8")
    b = (out / "en_b.md").read_text(encoding="utf-8")
    sheet = (out / "participants.csv").read_text(encoding="utf-8")
    for name in ("Maria", "Rossi", "Giovanna", "Pellegrini", "612 345", "example.org", "Ada"):
        assert name not in a + b + sheet
    maria = a.split("interviewee: '[")[1].split("]")[0]
    giovanna = b.split("P: [")[1].split("]")[0]
    assert maria.startswith("PERSON-") and giovanna.startswith("PERSON-") and maria != giovanna
    assert f"[{maria}] before her" in b and f"with [{giovanna}]" in a
    assert f"\n{maria}: Yes. We filed [{maria}]'s lawsuit" in a  # label and surname: one person
    assert f"speakers:\n- INT\n- {maria}\n" in a and "[PHONE]" in a and "[EMAIL]" in a
    assert "en_b,nurse,[PERSON-" in sheet
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["replacements"]["PERSON"] == 6 and manifest["transcripts"] == 2
    # The copy codes like the original: speaker turns survive, and so do the codes.
    args = ["code", str(out), "-c", str(SAMPLE_CODEBOOK), "-o", str(tmp_path / "o"), "--quiet"]
    assert run_cli(args).exit_code == 0


def test_refuses_to_write_over_into_or_around_its_input(tmp_path: Path, named_corpus: Path):
    before = {p: p.read_bytes() for p in named_corpus.iterdir()}
    key = ["--key-file", str(tmp_path / "k")]
    for out in (named_corpus, named_corpus / "pseudo", tmp_path):
        result = run_cli(["pseudonymise", str(named_corpus), *key, "-o", str(out)])
        assert result.exit_code == 2
        assert "never overwrites its input" in result.stderr
    assert {p: p.read_bytes() for p in named_corpus.iterdir()} == before


# --- output folders ----------------------------------------------------------------------------

CODEBOOK = """
name: lawsuits
codes:
  - name: litigation
    patterns:
      en: ["file * lawsuit"]
  - name: humanitarianism
    patterns:
      en: ["fill * gap"]
"""


@pytest.fixture
def coded_named(tmp_path: Path, named_corpus: Path) -> Path:
    book = write(tmp_path / "book.yaml", CODEBOOK)
    out = tmp_path / "out"
    result = run_cli(["code", str(named_corpus), "-c", str(book), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.stderr
    seg = load_output(out).segments
    seg_id = seg[seg[m.TEXT].str.startswith("We fill")][m.SEGMENT_ID].iloc[0]
    result = run_cli(
        [
            "override",
            "add",
            seg_id,
            "litigation",
            "--coder",
            "anna",
            "--from",
            str(out),
            "--dir",
            str(tmp_path / "ov"),
            "--note",
            "Maria Rossi asked for it",
        ]
    )
    assert result.exit_code == 0, result.stderr
    args = ["code", str(named_corpus), "-c", str(book), "-o", str(out), "--quiet"]
    assert run_cli([*args, "--overrides", str(tmp_path / "ov")]).exit_code == 0
    return out


def test_output_copy_moves_every_offset_onto_the_new_text(tmp_path: Path, coded_named: Path):
    pseudo = tmp_path / "out_pseudo"
    _pseudonymise(
        ["--from", str(coded_named), "-o", str(pseudo), "--key-file", str(tmp_path / "k")]
    )
    before, after = load_output(coded_named), load_output(pseudo)
    texts = dict(zip(*after.transcripts()[[m.TRANSCRIPT_ID, m.TEXT]].T.values, strict=True))
    # segments: the text is the transcript's text at start..end
    for row in after.segments.itertuples():
        assert texts[row.transcript_id][row.start : row.end] == row.text
    # codings: same codes, sources and coders; match spans cover the same words
    key = [m.TRANSCRIPT_ID, m.CODE, m.SOURCE, m.CODER]
    assert before.codings[key].values.tolist() == after.codings[key].values.tolist()
    auto = after.codings[after.codings[m.SOURCE] == m.SOURCE_AUTO]
    lawsuit = auto[(auto[m.CODE] == "litigation") & (auto[m.TRANSCRIPT_ID] == "en_a")].iloc[0]
    start, end = (int(x) for x in lawsuit[m.MATCH_SPANS].split("-"))
    assert texts["en_a"][start:end] == lawsuit[m.MATCHED_TEXT]
    assert lawsuit[m.MATCHED_TEXT].startswith("filed [PERSON-")
    assert lawsuit[m.MATCHED_TEXT].endswith("]'s lawsuit")
    # ids are recomputed from the new text, consistently across tables
    assert set(after.codings[m.SEGMENT_ID]) <= set(after.segments[m.SEGMENT_ID])
    old = before.segments.set_index([m.TRANSCRIPT_ID, m.SEGMENT_INDEX])
    new = after.segments.set_index([m.TRANSCRIPT_ID, m.SEGMENT_INDEX])
    changed = old[m.TEXT] != new[m.TEXT]
    assert changed.sum() == 3  # the two turns of Maria and P's answer
    assert (old[m.SEGMENT_ID] != new[m.SEGMENT_ID]).equals(changed)
    assert set(after.overrides[m.SEGMENT_ID]) <= set(after.segments[m.SEGMENT_ID])
    # names are gone from every table and from run.json, metadata and notes included
    everything = "".join(p.read_text("utf-8", "replace") for p in pseudo.glob("*.csv"))
    everything += (pseudo / "run.json").read_text() + after.transcripts().to_csv()
    for name in ("Maria", "Rossi", "612 345 678", "example.org"):
        assert name not in everything
    for seg_id in old[changed][m.SEGMENT_ID]:  # the ids of the original texts with names
        assert seg_id not in everything
    assert after.segments[m.SPEAKER].str.startswith(("INT", "PERSON-", "P")).all()


def test_output_copy_equals_coding_the_pseudonymised_transcripts(
    tmp_path: Path, named_corpus: Path, coded_named: Path
):
    key = ["--key-file", str(tmp_path / "k")]
    _pseudonymise(["--from", str(coded_named), "-o", str(tmp_path / "op"), *key])
    _pseudonymise([str(named_corpus), "-o", str(tmp_path / "tp"), *key])
    book = write(tmp_path / "book2.yaml", CODEBOOK)
    args = ["code", str(tmp_path / "tp"), "-c", str(book), "-o", str(tmp_path / "o2"), "--quiet"]
    assert run_cli(args).exit_code == 0
    a, b = load_output(tmp_path / "op"), load_output(tmp_path / "o2")
    cols = [m.SEGMENT_ID, m.START, m.END, m.TEXT, m.SPEAKER]
    assert (
        a.segments[cols].astype(str).values.tolist() == b.segments[cols].astype(str).values.tolist()
    )
    # Re-coding the copy finds a subset of the copy's codes: "filed [PERSON-n]'s lawsuit" has
    # too many tokens for "file * lawsuit" -- which is why one codes first, then pseudonymises.
    cols = [m.SEGMENT_ID, m.CODE, m.START, m.END, m.MATCH_SPANS, m.MATCHED_TEXT]
    kept = {tuple(r) for r in a.codings[cols].astype(str).values.tolist()}
    recoded = {tuple(r) for r in b.codings[cols].astype(str).values.tolist()}
    assert recoded < kept and len(kept - recoded) == 2  # that lawsuit, and anna's manual code


@pytest.mark.parametrize(
    "command",
    [["freq", "--by", "country"], ["matrix"], ["cooccur"], ["agree", "--coders", "anna,auto"]],
    ids=lambda c: c[0],
)
def test_analysis_of_the_copy_matches_the_original(
    tmp_path: Path, coded_named: Path, command: list[str]
):
    key = ["--key-file", str(tmp_path / "k")]
    _pseudonymise(["--from", str(coded_named), "-o", str(tmp_path / "op"), *key])
    one = run_cli([*command, "--from", str(coded_named), "--format", "json"])
    two = run_cli([*command, "--from", str(tmp_path / "op"), "--format", "json"])
    assert one.exit_code == 0, one.stderr
    assert one.stdout == two.stdout


def test_a_subtitle_transcript_is_copied_as_markdown(tmp_path: Path):
    folder = tmp_path / "subs"
    write(
        folder / "es_x.srt",
        """
        1
        00:00:01,000 --> 00:00:03,000
        INT: ¿Quién te ayuda?

        2
        00:00:03,500 --> 00:00:06,000
        P: Llama al 612 345 678.
        """,
    )
    result = run_cli(
        ["pseudonymise", str(folder), "--key-file", str(tmp_path / "k"), "-o", str(tmp_path / "p")]
    )
    assert result.exit_code == 0, result.stderr
    assert "es_x.srt: written as Markdown" in result.stderr
    text = (tmp_path / "p" / "es_x.md").read_text(encoding="utf-8")
    assert text.endswith("INT: ¿Quién te ayuda?\n\nP: Llama al [PHONE].\n")


def test_a_key_file_readable_by_others_is_reported(tmp_path: Path, mini_corpus: Path):
    key_file = write(tmp_path / "k", "ab" * 32 + "\n")
    key_file.chmod(0o644)
    result = run_cli(
        ["pseudonymise", str(mini_corpus), "--key-file", str(key_file), "-o", str(tmp_path / "p")]
    )
    assert result.exit_code == 0 and "readable by other users; run chmod 600" in result.stderr


# --- redaction hook ----------------------------------------------------------------------------


def test_redact_frame_replaces_text_and_moves_highlights():
    frame = pd.DataFrame(
        {
            "text": ["Ieri Marta Lombardini ha presentato ricorso", None],
            "highlights": [[(22, 35)], []],
            "speaker": ["Lombardini", "INT"],
            "n": [1, 2],
        }
    )
    out = redact_frame(
        frame, PEOPLE, KEY, ["text"], spans={"highlights": "text"}, bare_columns=["speaker"]
    )
    start, end = out.loc[0, "highlights"][0]
    assert out.loc[0, "text"][start:end] == "ha presentato"
    assert out.loc[0, "text"].startswith("Ieri [PERSON-")
    assert out.loc[0, "speaker"].startswith("PERSON-") and out.loc[1, "speaker"] == "INT"
    assert pd.isna(out.loc[1, "text"]) and frame.loc[0, "speaker"] == "Lombardini"


# --- the residual scan -------------------------------------------------------------------------


def test_check_lists_candidates_with_file_and_line_and_fails(tmp_path: Path):
    path = write(
        tmp_path / "t" / "it_x.md",
        """
        ---
        language: it
        ---
        INT: Come si chiama la sua collega?
        R1: Si chiama Ludovica Zanardelli, il numero è 3405550192.

        Scrive a l.z@example.org e chiedete di [PERSON-12].
        """,
    )
    result = run_cli(["pseudonymise", "--check", str(path.parent)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{path}:5:15: name: Ludovica" in lines
    assert f"{path}:5:24: name: Zanardelli" in lines
    assert f"{path}:5:48: phone: 3405550192" in lines
    assert f"{path}:7:10: email: l.z@example.org" in lines
    assert not any("PERSON" in line or ": Come" in line or ": Scrive" in line for line in lines)


def test_check_of_the_pseudonymised_sample_finds_no_listed_identifier(tmp_path: Path):
    ids = str(REPO / "identifiers.yaml")
    out = tmp_path / "pseudo"
    result = run_cli(
        ["pseudonymise", str(SAMPLE), "-i", ids, "-o", str(out), "--key-file", str(tmp_path / "k")]
    )
    assert result.exit_code == 0, result.stderr
    for name in SAMPLE_IDENTIFIERS:
        assert name not in result.stdout + result.stderr
        for path in out.iterdir():
            assert name not in path.read_text(encoding="utf-8"), (name, path.name)
    check = run_cli(["pseudonymise", "--check", str(out), "-i", ids, "--json"])
    kinds = {row["kind"] for row in json.loads(check.stdout)}
    assert kinds <= {"name", "number"}
    original = run_cli(["pseudonymise", "--check", str(SAMPLE), "-i", ids, "--json"])
    kinds = {row["kind"] for row in json.loads(original.stdout)}
    assert {"listed", "email", "phone", "id-number", "address"} <= kinds


def test_check_of_clean_text_passes(tmp_path: Path):
    path = write(tmp_path / "c" / "a.md", "INT: Come va?\nP: Bene, grazie. Lavoro al [ORG-3].\n")
    result = run_cli(["pseudonymise", "--check", str(path), "--language", "it"])
    assert result.exit_code == 0, result.stdout
    assert "No candidate identifiers found" in result.stdout
