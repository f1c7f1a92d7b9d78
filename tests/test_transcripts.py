"""Reading transcripts: front matter, canonical text, speaker turns, segments and stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write
from qualcode.coding.api import load_transcripts
from qualcode.errors import TranscriptError
from qualcode.transcripts import read_transcript, segment_transcript, stable_segment_id


def test_front_matter_becomes_metadata_and_id_defaults_to_file_stem(tmp_path: Path) -> None:
    path = write(
        tmp_path / "it_doc_01.md",
        """
        ---
        country: Italy
        role: doctor
        language: it
        organisation: volunteer clinic
        ---
        INT: Domanda?
        P: Risposta.
        """,
    )
    t = read_transcript(path)
    assert t.id == "it_doc_01"
    assert t.language == "it"
    assert t.metadata == {"country": "Italy", "role": "doctor", "organisation": "volunteer clinic"}
    assert [turn.speaker for turn in t.turns] == ["INT", "P"]


def test_language_defaults_to_the_option_when_front_matter_has_none(tmp_path: Path) -> None:
    path = write(tmp_path / "x.txt", "Q: hola\nA: hola\nQ: y?\nA: bien\n")
    assert read_transcript(path, default_language="es").language == "es"


def test_unlabelled_line_continues_turn_and_blank_line_starts_paragraph(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.md",
        """
        INT: First question?
        P: First line
        continues here.

        Second paragraph of P.
        INT: Next?
        P: End.
        """,
    )
    t = read_transcript(path)
    turn = t.turns[1]
    assert turn.speaker == "P"
    assert len(turn.paragraphs) == 2
    assert t.text[turn.start : turn.end] == (
        "First line\ncontinues here.\n\nSecond paragraph of P."
    )
    paragraphs = segment_transcript(t, "paragraph")
    assert [s.text for s in paragraphs] == [
        "First question?",
        "First line\ncontinues here.",
        "Second paragraph of P.",
        "Next?",
        "End.",
    ]
    assert [s.speaker for s in paragraphs] == ["INT", "P", "P", "INT", "P"]


def test_a_label_used_once_is_text_not_a_speaker(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.md",
        """
        INT: ¿Y entonces?
        P: Pues mira.
        Es decir: no teníamos dinero.
        INT: Vale.
        P: Eso.
        """,
    )
    t = read_transcript(path)
    assert [turn.speaker for turn in t.turns] == ["INT", "P", "INT", "P"]
    assert "Es decir: no teníamos dinero." in t.text[t.turns[1].start : t.turns[1].end]


@pytest.mark.parametrize(
    ("front", "labels", "speaker", "expected"),
    [
        ("", None, "INT", True),
        ("", None, "Interviewer", True),
        ("", None, "Q", True),
        ("", None, "P", False),
        ("interviewer: [Intervistatrice]\n", None, "Intervistatrice", True),
        ("interviewer: Entrevistadora\n", None, "Entrevistadora", True),
        ("", ("Moderator",), "Moderator", True),
        ("", ("Moderator",), "INT", False),
    ],
)
def test_interviewer_turns_are_recognised(
    tmp_path: Path, front: str, labels, speaker: str, expected: bool
) -> None:
    head = f"---\n{front}---\n" if front else ""
    path = tmp_path / "t.md"
    path.write_text(
        f"{head}{speaker}: one?\nP: two.\n{speaker}: three?\nP: four.\n", encoding="utf-8"
    )
    kwargs = {"interviewer_labels": labels} if labels else {}
    t = read_transcript(path, **kwargs)
    assert t.is_interviewer(speaker) is expected
    assert t.is_interviewer("P") is False


def test_crlf_and_bom_give_the_same_canonical_text_and_offsets(tmp_path: Path) -> None:
    body = "INT: ¿Qué tal? 😀\nP: Presentamos un recurso, señora.\n"
    lf = tmp_path / "lf.md"
    crlf = tmp_path / "crlf.md"
    lf.write_text(body, encoding="utf-8")
    crlf.write_bytes(b"\xef\xbb\xbf" + body.replace("\n", "\r\n").encode("utf-8"))
    a, b = read_transcript(lf), read_transcript(crlf)
    assert a.text == b.text
    seg_a, seg_b = segment_transcript(a), segment_transcript(b)
    assert [(s.start, s.end, s.segment_id.split(".", 1)[1]) for s in seg_a] == [
        (s.start, s.end, s.segment_id.split(".", 1)[1]) for s in seg_b
    ]
    for s in seg_b:
        assert b.text[s.start : s.end] == s.text
    assert seg_b[1].text == "Presentamos un recurso, señora."


@pytest.mark.parametrize("unit", ["turn", "paragraph", "sentence"])
def test_segment_offsets_point_into_canonical_text(mini_corpus: Path, unit: str) -> None:
    from qualcode.matching.pipelines import get_pipeline

    t = read_transcript(mini_corpus / "en_one.md")
    pipeline = get_pipeline("en")
    segments = segment_transcript(t, unit, lambda text, _l: pipeline.sentence_spans(text))
    assert segments
    for s in segments:
        assert t.text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
    if unit == "sentence":
        assert "We filed a lawsuit against the region." in [s.text for s in segments]


def test_segment_ids_survive_edits_elsewhere_rewrapping_and_recapitalising(tmp_path: Path) -> None:
    original = (
        "INT: Question one?\nP: We filed a lawsuit.\nINT: Question two?\nP: Another answer.\n"
    )
    edited = (
        "INT: Question one, reworded?\nP: We filed a\nLawsuit.\nINT: Question two?\n"
        "P: Another answer.\nINT: A new question?\nP: A new answer.\n"
    )
    ids = []
    for name, text in (("a", original), ("b", edited)):
        path = tmp_path / name / "same_id.md"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        segments = segment_transcript(read_transcript(path))
        ids.append({s.text.split()[0]: s.segment_id for s in segments if s.speaker == "P"})
    assert ids[0]["We"] == ids[1]["We"]
    assert ids[0]["Another"] == ids[1]["Another"]
    all_b = {
        s.segment_id for s in segment_transcript(read_transcript(tmp_path / "b" / "same_id.md"))
    }
    changed = stable_segment_id("same_id", "turn", "Question one?")
    assert changed not in all_b  # that turn's text really changed, so its id did too


def test_repeated_identical_segments_get_distinct_ids(tmp_path: Path) -> None:
    path = write(tmp_path / "rep.md", "INT: Ok?\nP: Yes.\nINT: Ok?\nP: No.\n")
    ids = [s.segment_id for s in segment_transcript(read_transcript(path))]
    assert len(set(ids)) == 4
    assert ids[2] == ids[0] + "-2"
    assert ids[0] == stable_segment_id("rep", "turn", "ok?")


# --- bad input: one located error each, nothing half-read ---------------------------------------


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (b"", "file is empty", None),
        (b"   \n\n", "file is empty", None),
        (b"INT: a\x00b\n", "binary file", None),
        (b"INT: ok\nP: caf\xe9\n", "not valid utf-8", 2),
        (b"---\ncountry: [Italy\n---\nINT: a\n", "front matter is not valid YAML", None),
        (b"---\ncountry: Italy\nINT: never closed\n", "never closed", 1),
        (b"---\n- a list\n---\nINT: a\n", "must be a mapping", 2),
        (b"---\ncountry: Italy\n---\n\n", "no text", None),
    ],
)
def test_bad_transcript_is_a_located_error(
    tmp_path: Path, content: bytes, message: str, line: int | None
) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(TranscriptError) as info:
        read_transcript(path)
    problem = info.value.problems[0]
    assert problem.file == str(path)
    assert message.lower() in problem.message.lower()
    if line is not None:
        assert problem.line == line
    assert "\n" not in str(problem)


def test_invalid_front_matter_yaml_reports_the_file_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.md", "---\nid: ok\nrole: [doctor\n---\nINT: a\n")
    with pytest.raises(TranscriptError) as info:
        read_transcript(path)
    assert info.value.problems[0].line in (3, 4)


def test_non_utf8_can_be_read_with_an_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("INT: ¿Qué?\nP: Sí, señor.\n".encode("cp1252"))
    assert "señor" in read_transcript(path, encoding="cp1252").text


def test_duplicate_transcript_ids_are_reported_with_both_files(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "---\nid: same\n---\nINT: a\nP: b\n")
    write(tmp_path / "b.md", "---\nid: same\n---\nINT: c\nP: d\n")
    with pytest.raises(TranscriptError) as info:
        load_transcripts(tmp_path)
    assert "duplicate transcript id 'same'" in str(info.value)
    assert "a.md" in str(info.value) and "b.md" in str(info.value)


def test_every_bad_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01")
    write(tmp_path / "good.md", "INT: a\nP: b\n")
    with pytest.raises(TranscriptError) as info:
        load_transcripts(tmp_path)
    assert len(info.value.problems) == 2


# --- metadata sheet -------------------------------------------------------------------------------


def test_meta_sheet_fills_missing_attributes(tmp_path: Path) -> None:
    write(tmp_path / "t" / "a.md", "---\ncountry: Italy\n---\nINT: a\nP: b\n")
    write(tmp_path / "t" / "b.md", "INT: a\nP: b\n")
    sheet = write(
        tmp_path / "meta.csv", "transcript_id,country,role\na,Italy,nurse\nb,Spain,lawyer\n"
    )
    transcripts, warnings = load_transcripts(tmp_path / "t", meta=sheet)
    meta = {t.id: t.metadata for t in transcripts}
    assert meta == {
        "a": {"country": "Italy", "role": "nurse"},
        "b": {"country": "Spain", "role": "lawyer"},
    }
    assert warnings == []


def test_meta_sheet_conflict_names_sheet_line_id_and_key(tmp_path: Path) -> None:
    write(tmp_path / "t" / "a.md", "---\nrole: doctor\n---\nINT: a\nP: b\n")
    sheet = write(tmp_path / "meta.csv", "transcript_id,role\nzzz,nurse\na,nurse\n")
    with pytest.raises(TranscriptError) as info:
        load_transcripts(tmp_path / "t", meta=sheet)
    problem = info.value.problems[0]
    assert (problem.file, problem.line) == (str(sheet), 3)
    assert "'a'" in problem.message and "'role'" in problem.message


def test_meta_sheet_ids_without_transcripts_are_warned_about(tmp_path: Path) -> None:
    write(tmp_path / "t" / "a.md", "INT: a\nP: b\n")
    sheet = write(tmp_path / "meta.csv", "id,role\na,nurse\nghost,doctor\n")
    _, warnings = load_transcripts(tmp_path / "t", meta=sheet)
    assert len(warnings) == 1 and "ghost" in warnings[0]


def test_meta_sheet_duplicate_id_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "t" / "a.md", "INT: a\nP: b\n")
    sheet = write(tmp_path / "meta.csv", "transcript_id,role\na,nurse\na,doctor\n")
    with pytest.raises(TranscriptError, match="appears twice"):
        load_transcripts(tmp_path / "t", meta=sheet)


def test_meta_sheet_can_be_excel(tmp_path: Path) -> None:
    import pandas as pd

    write(tmp_path / "t" / "a.md", "INT: a\nP: b\n")
    pd.DataFrame({"transcript_id": ["a"], "country": ["Spain"]}).to_excel(
        tmp_path / "meta.xlsx", index=False
    )
    transcripts, _ = load_transcripts(tmp_path / "t", meta=tmp_path / "meta.xlsx")
    assert transcripts[0].metadata["country"] == "Spain"
