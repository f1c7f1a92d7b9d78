"""Transcripts in other formats: Word (.docx) and subtitles (.vtt, .srt).

Fixture files are built in tmp_path with python-docx or written as text, so each test shows the
input it reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, write
from qualcode import models as m
from qualcode.errors import TranscriptError
from qualcode.transcripts import read_transcript, segment_transcript

docx = pytest.importorskip("docx")


def make_docx(path: Path, paragraphs: list, table: list[tuple[str, str]] | None = None) -> Path:
    """A .docx: an optional key/value table first, then paragraphs.

    A paragraph is a string, or a (bold, plain) pair: a bold run followed by a plain run.
    """
    document = docx.Document()
    if table:
        grid = document.add_table(rows=len(table), cols=2)
        for i, (key, value) in enumerate(table):
            grid.cell(i, 0).text = key
            grid.cell(i, 1).text = value
    for item in paragraphs:
        paragraph = document.add_paragraph()
        if isinstance(item, tuple):
            paragraph.add_run(item[0]).bold = True
            if item[1]:
                paragraph.add_run(item[1])
        else:
            paragraph.add_run(item)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def turns(transcript) -> list[tuple[str | None, str]]:
    return [(t.speaker, transcript.text[t.start : t.end]) for t in transcript.turns]


def assert_offsets_point_into_text(transcript) -> None:
    for record in segment_transcript(transcript, "turn"):
        assert transcript.text[record.start : record.end] == record.text


# --- Word ----------------------------------------------------------------------------------------


def test_docx_bold_labels_become_speaker_turns_and_table_becomes_metadata(tmp_path):
    path = make_docx(
        tmp_path / "it_nurse_09.docx",
        [
            ("INT:", " Come lavorate con la ASL?"),
            ("Anna", ": Abbiamo presentato un ricorso al TAR. Nota: è stata dura."),
            "Poi una conferenza stampa, città per città 😀.",
            ("INT:", " Grazie."),
        ],
        table=[("Country", "Italy"), ("Role", "nurse"), ("Language", "it")],
    )
    transcript = read_transcript(path)
    assert transcript.id == "it_nurse_09"
    assert transcript.language == "it"
    assert transcript.metadata == {"country": "Italy", "role": "nurse"}
    assert turns(transcript) == [
        ("INT", "Come lavorate con la ASL?"),
        (
            "Anna",
            "Abbiamo presentato un ricorso al TAR. Nota: è stata dura.\n\n"
            "Poi una conferenza stampa, città per città 😀.",
        ),
        ("INT", "Grazie."),
    ]
    assert transcript.is_interviewer("INT") and not transcript.is_interviewer("Anna")
    assert "Italy" not in transcript.text  # metadata is not part of the canonical text
    assert_offsets_point_into_text(transcript)


def test_docx_name_prefixes_and_leading_key_lines(tmp_path):
    path = make_docx(
        tmp_path / "interview.docx",
        [
            "Country: Spain",
            "Role: lawyer",
            "",
            "Entrevistadora: ¿Cómo empezó todo?",
            "Lucía: En 2012, con el decreto.",
            "Es decir: nos quedamos sin tarjeta.",
            "Entrevistadora: ¿Y luego?",
            "Lucía: Presentamos un recurso.",
        ],
    )
    transcript = read_transcript(path, interviewer_labels=["Entrevistadora"])
    assert transcript.metadata == {"country": "Spain", "role": "lawyer"}
    assert [t.speaker for t in transcript.turns] == [
        "Entrevistadora",
        "Lucía",
        "Entrevistadora",
        "Lucía",
    ]
    # A label used once inside an answer stays text, as in .txt transcripts.
    assert "Es decir: nos quedamos sin tarjeta." in turns(transcript)[1][1]
    assert_offsets_point_into_text(transcript)


def test_docx_yaml_block_sets_id_language_and_interviewer(tmp_path):
    path = make_docx(
        tmp_path / "x.docx",
        [
            "---",
            "id: es_doctor_11",
            "language: es",
            "country: Spain",
            "interviewer: [Moderadora]",
            "---",
            "Moderadora: ¿Qué hacéis?",
            "P: Tapamos el hueco.",
        ],
    )
    transcript = read_transcript(path)
    assert (transcript.id, transcript.language) == ("es_doctor_11", "es")
    assert transcript.metadata == {"country": "Spain"}
    assert transcript.is_interviewer("Moderadora")
    assert turns(transcript) == [("Moderadora", "¿Qué hacéis?"), ("P", "Tapamos el hueco.")]


def test_docx_bold_label_alone_introduces_the_next_paragraph(tmp_path):
    path = make_docx(
        tmp_path / "x.docx",
        [
            ("Interviewer", ""),
            "How did it start?",
            ("Doctor", ""),
            "By chance.",
            "Really.",
            ("Interviewer", ""),
            "Thanks.",
            ("Doctor", ""),
            "Bye.",
            ("Nurse:", ""),
            "Me too.",
        ],
    )
    transcript = read_transcript(path)
    assert turns(transcript) == [
        ("Interviewer", "How did it start?"),
        ("Doctor", "By chance.\n\nReally."),
        ("Interviewer", "Thanks."),
        ("Doctor", "Bye."),
        ("Nurse", "Me too."),
    ]


def test_docx_single_bold_heading_is_not_a_speaker(tmp_path):
    path = make_docx(tmp_path / "x.docx", [("Introduction", ""), "P: We help.", "P: Yes."])
    transcript = read_transcript(path)
    assert turns(transcript)[0] == (None, "Introduction")
    assert [t.speaker for t in transcript.turns] == [None, "P", "P"]


def test_docx_bold_emphasis_is_not_a_speaker(tmp_path):
    path = make_docx(
        tmp_path / "x.docx",
        [("P:", " We help."), ("Important", " things happen."), ("P:", " Yes.")],
    )
    transcript = read_transcript(path)
    assert turns(transcript) == [("P", "We help.\n\nImportant things happen."), ("P", "Yes.")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a zip", "not a readable Word .docx file"),
        (None, "document has no text"),
    ],
)
def test_bad_docx_is_reported_with_its_file(tmp_path, content, message):
    path = tmp_path / "bad.docx"
    if content is None:
        make_docx(path, [], table=[("Country", "Italy")])
    else:
        path.write_bytes(content)
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


# --- subtitles -----------------------------------------------------------------------------------

VTT = """WEBVTT

NOTE recorded in Rome

1
00:00:01.000 --> 00:00:02.500 align:start
<v Interviewer>Come va &amp; cosa fate?</v>

00:00:03.000 --> 00:00:04.000
<v.loud Anna Rossi>Facciamo <i>ricorsi</i>,
soprattutto al TAR.</v>

00:00:04.000 --> 00:00:05.250
<v Anna Rossi>E conferenze stampa 😀.</v>

00:01:04.000 --> 00:01:05.000
<v Interviewer>Grazie.</v> <v Anna Rossi>Prego.</v>
"""


def test_vtt_voices_become_turns_and_consecutive_cues_merge(tmp_path):
    path = write(tmp_path / "it_lawyer_07.vtt", VTT)
    transcript = read_transcript(path)
    assert turns(transcript) == [
        ("Interviewer", "Come va & cosa fate?"),
        ("Anna Rossi", "Facciamo ricorsi, soprattutto al TAR.\nE conferenze stampa 😀."),
        ("Interviewer", "Grazie."),
        ("Anna Rossi", "Prego."),
    ]
    times = [(t.start_time, t.end_time) for t in transcript.turns]
    assert times == [(1.0, 2.5), (3.0, 5.25), (64.0, 65.0), (64.0, 65.0)]
    assert transcript.is_interviewer("Interviewer")
    assert_offsets_point_into_text(transcript)


def test_srt_with_bom_crlf_and_name_prefixes(tmp_path):
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nINT: Hello <i>there</i>,\nhow are you?\n\n"
        "2\n00:00:02,500 --> 00:00:04,000\nDoctor: Fine, thanks.\n\n"
        "3\n00:00:04,000 --> 00:00:06,100\nWe opened a clinic.\n\n"
        "4\n00:00:07,000 --> 00:00:08,000\nINT: Why?\n"
    )
    path = tmp_path / "en_doctor_01.srt"
    path.write_bytes(b"\xef\xbb\xbf" + srt.replace("\n", "\r\n").encode("utf-8"))
    transcript = read_transcript(path)
    assert turns(transcript) == [
        ("INT", "Hello there, how are you?"),
        ("Doctor", "Fine, thanks.\nWe opened a clinic."),
        ("INT", "Why?"),
    ]
    assert transcript.turns[1].start_time == 2.5 and transcript.turns[1].end_time == 6.1
    assert "\r" not in transcript.text and not transcript.text.startswith("\ufeff")


def test_subtitle_segments_get_start_and_end_time_columns(tmp_path, mini_codebook):
    import qualcode

    folder = tmp_path / "corpus"
    write(folder / "it_lawyer_07.vtt", VTT)
    result = qualcode.code_corpus(folder, mini_codebook, language="it")
    segments = result.segments
    assert {m.START_TIME, m.END_TIME} <= set(segments.columns)
    anna = segments[segments[m.SPEAKER] == "Anna Rossi"].iloc[0]
    assert (anna[m.START_TIME], anna[m.END_TIME]) == (3.0, 5.25)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.vtt", "not a subtitle file\n", "not a valid WebVTT file"),
        ("bad.srt", "1\n00:00:01,000 --> banana\nHello\n", "bad.srt:1: cue block without"),
        ("gap.srt", "1\n00:00:01,000 --> 00:00:02,000\nHi\n\nHello\n", "gap.srt:5: cue block"),
        ("gap.vtt", "WEBVTT\n\nNOTE x\n\nlost text\nmore\n", "gap.vtt:5: cue block without"),
        ("empty.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<i></i>\n", "no cue with text"),
    ],
)
def test_malformed_subtitles_are_reported_with_their_file(tmp_path, name, content, message):
    path = write(tmp_path / name, content)
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path)
    assert message in str(caught.value)
    assert name in str(caught.value)


# --- the CLI over a mixed folder -----------------------------------------------------------------


def test_code_reads_docx_vtt_and_md_together(tmp_path, mini_codebook):
    folder = tmp_path / "corpus"
    make_docx(
        folder / "it_one.docx",
        [("INT:", " Avete fatto ricorso?"), ("P:", " Abbiamo presentato un ricorso al TAR.")],
        table=[("language", "it"), ("country", "Italy"), ("role", "lawyer")],
    )
    write(folder / "it_two.vtt", VTT)
    write(folder / "en_three.md", "P: We held a press conference.\n")
    out = tmp_path / "out"
    result = run_cli(
        ["code", str(folder), "--codebook", str(mini_codebook), "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.stderr
    import pandas as pd

    codings = pd.read_csv(out / "codings.csv")
    coded = set(zip(codings[m.TRANSCRIPT_ID], codings[m.CODE], strict=True))
    assert ("it_one", "litigation") in coded
    assert ("en_three", "advocacy") in coded
    segments = pd.read_csv(out / "segments.csv")
    assert set(segments[m.TRANSCRIPT_ID]) == {"it_one", "it_two", "en_three"}


def test_unsupported_format_lists_the_supported_ones(tmp_path, mini_codebook):
    path = tmp_path / "interview.doc"  # Word 97-2003: save it as .docx
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    result = run_cli(["code", str(path), "--codebook", str(mini_codebook), "--out", "o", "-q"])
    assert result.exit_code == 2
    assert "unsupported format '.doc'" in result.stderr
    for suffix in (".docx", ".odt", ".rtf", ".pdf", ".vtt", ".srt"):
        assert suffix in result.stderr
