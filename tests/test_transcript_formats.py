"""OpenDocument (.odt), RTF (.rtf) and PDF (.pdf) transcripts, read like .docx.

Every fixture is generated here so each test shows the input it reads: .odt with odfpy, .rtf
written as RTF source, .pdf by `make_pdf` below (Helvetica text lines, WinAnsi encoding).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import run_cli
from qualcode import models as m
from qualcode.errors import TranscriptError
from qualcode.transcripts import read_transcript, segment_transcript


def turns(transcript) -> list[tuple[str | None, str]]:
    return [(t.speaker, transcript.text[t.start : t.end]) for t in transcript.turns]


def assert_offsets_point_into_text(transcript) -> None:
    for unit in ("turn", "paragraph"):
        for record in segment_transcript(transcript, unit):
            assert transcript.text[record.start : record.end] == record.text


# --- fixture writers ---------------------------------------------------------------------------


def make_odt(path: Path, paragraphs: list, table: list[tuple[str, str]] | None = None) -> Path:
    """An .odt: an optional key/value table, then paragraphs. A paragraph is a string, or a
    (bold, plain) pair: a span in a bold automatic style followed by plain text."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P, Span

    document = OpenDocumentText()
    bold = Style(name="Bold", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(bold)
    if table:
        grid = Table(name="meta")
        grid.addElement(TableColumn(numbercolumnsrepeated=2))
        for key, value in table:
            row = TableRow()
            for cell_text in (key, value):
                cell = TableCell()
                cell.addElement(P(text=cell_text))
                row.addElement(cell)
            grid.addElement(row)
        document.text.addElement(grid)
    for item in paragraphs:
        paragraph = P()
        if isinstance(item, tuple):
            paragraph.addElement(Span(stylename=bold, text=item[0]))
            paragraph.addText(item[1])
        else:
            paragraph.addText(item)
        document.text.addElement(paragraph)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF with one list of text lines per page (Helvetica 11 pt, 14 pt apart). A page without
    lines holds a grey rectangle and no text, like a scanned page."""
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", font]
    kids = []
    for lines in pages:
        if lines:
            shown = b" ".join(_pdf_string(line) + b" Tj T*" for line in lines)
            stream = b"BT /F1 11 Tf 14 TL 72 770 Td " + shown + b" ET"
        else:
            stream = b"0.5 g 72 300 400 400 re f"
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % len(objects)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


RTF = r"""{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times New Roman;}}
{\info{\title Entrevista}}
\f0\fs24 Country: Spain\par
Language: es\par
\par
{\b Entrevistadora:} \'bfC\'f3mo empez\'f3 todo?\par
P: En 2012, con el decreto \u8212? y la tarjeta.\par
Presentamos un recurso.\par
Entrevistadora: \'bfY luego?\par
P: Una rueda de prensa.\par
}
"""


def write_rtf(path: Path, source: str = RTF) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(source.encode("ascii"))
    return path


# --- OpenDocument ------------------------------------------------------------------------------


def test_odt_bold_labels_become_turns_and_a_table_becomes_metadata(tmp_path):
    path = make_odt(
        tmp_path / "it_nurse_09.odt",
        [
            ("INT:", " Come lavorate con la ASL?"),
            ("Anna", ": Abbiamo presentato un ricorso al TAR. Nota: è stata dura."),
            "Poi una conferenza stampa, città per città 😀.",
            ("INT:", " Grazie."),
        ],
        table=[("Country", "Italy"), ("Role", "nurse"), ("Language", "it")],
    )
    transcript = read_transcript(path)
    assert (transcript.id, transcript.language) == ("it_nurse_09", "it")
    assert transcript.metadata == {"country": "Italy", "role": "nurse"}
    # Canonical text: one paragraph per ODF paragraph, a blank line between them.
    assert transcript.text == (
        "INT: Come lavorate con la ASL?\n\n"
        "Anna: Abbiamo presentato un ricorso al TAR. Nota: è stata dura.\n\n"
        "Poi una conferenza stampa, città per città 😀.\n\n"
        "INT: Grazie.\n"
    )
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
    assert_offsets_point_into_text(transcript)


def test_odt_yaml_block_and_plain_name_prefixes(tmp_path):
    path = make_odt(
        tmp_path / "x.odt",
        [
            "---",
            "id: es_doctor_11",
            "language: es",
            "country: Spain",
            "---",
            "P: ¿Qué hacéis?",
            "R: Tapamos el hueco.",
        ],
    )
    transcript = read_transcript(path)
    assert (transcript.id, transcript.language) == ("es_doctor_11", "es")
    assert transcript.metadata == {"country": "Spain"}
    # Pregunta / Respuesta: P asks.
    assert turns(transcript) == [("P", "¿Qué hacéis?"), ("R", "Tapamos el hueco.")]
    assert [transcript.is_interviewer(s) for s, _ in turns(transcript)] == [True, False]


def test_odt_spaces_line_breaks_and_list_items_are_read(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.text import List, ListItem, P, S

    document = OpenDocumentText()
    question = P(text="INT: Two")
    question.addElement(S(c=3))  # <text:s text:c="3"/>: three spaces
    question.addText("spaces?")
    document.text.addElement(question)
    items = List()
    for text in ("P: First item.", "Second item."):
        item = ListItem()
        item.addElement(P(text=text))
        items.addElement(item)
    document.text.addElement(items)
    path = tmp_path / "x.odt"
    document.save(str(path))
    transcript = read_transcript(path)
    assert turns(transcript) == [("INT", "Two   spaces?"), ("P", "First item.\n\nSecond item.")]


# --- RTF ---------------------------------------------------------------------------------------


def test_rtf_paragraphs_key_lines_and_code_page_escapes(tmp_path):
    transcript = read_transcript(write_rtf(tmp_path / "es_lawyer_12.rtf"))
    assert transcript.language == "es"
    assert transcript.metadata == {"country": "Spain"}
    # \'bf \'f3 are cp1252 (the declared \ansicpg1252); \u8212 is an em dash. The \info group
    # (document title) is not text. Each \par is a paragraph.
    assert turns(transcript) == [
        ("Entrevistadora", "¿Cómo empezó todo?"),
        ("P", "En 2012, con el decreto — y la tarjeta.\n\nPresentamos un recurso."),
        ("Entrevistadora", "¿Y luego?"),
        ("P", "Una rueda de prensa."),
    ]
    assert [transcript.is_interviewer(s) for s, _ in turns(transcript)] == [
        True,
        False,
        True,
        False,
    ]
    assert_offsets_point_into_text(transcript)


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_lines_are_unwrapped_into_turns_across_pages(tmp_path):
    path = make_pdf(
        tmp_path / "it_lawyer_13.pdf",
        [
            [
                "Country: Italy",
                "Language: it",
                "INT: Come lavorate con la ASL?",
                "P: Abbiamo presentato un ricorso al TAR contro la",
                "1",
            ],
            [
                "delibera della regione, anche se era",
                "difficile (molto).",
                "INT: Grazie.",
                "P: Prego, è stato un pia-",
                "cere.",
                "- 2 -",
            ],
        ],
    )
    transcript = read_transcript(path)
    assert (transcript.id, transcript.language) == ("it_lawyer_13", "it")
    assert transcript.metadata == {"country": "Italy"}
    # Wrapped lines join with a space, also across the page break, a line ending in "-"
    # without one (the hyphen stays); the page numbers "1" and "- 2 -" are dropped.
    assert transcript.text == (
        "INT: Come lavorate con la ASL?\n\n"
        "P: Abbiamo presentato un ricorso al TAR contro la delibera della regione, anche se era "
        "difficile (molto).\n\n"
        "INT: Grazie.\n\n"
        "P: Prego, è stato un pia-cere.\n"
    )
    assert [t.speaker for t in transcript.turns] == ["INT", "P", "INT", "P"]
    assert [transcript.is_interviewer(t.speaker) for t in transcript.turns] == [
        True,
        False,
        True,
        False,
    ]
    assert_offsets_point_into_text(transcript)


def test_pdf_yaml_block_keeps_one_line_per_key(tmp_path):
    path = make_pdf(
        tmp_path / "x.pdf",
        [["---", "id: en_nurse_14", "interviewer: [Moderator]", "---", "Moderator: Why?"]],
    )
    transcript = read_transcript(path)
    assert transcript.id == "en_nurse_14"
    assert turns(transcript) == [("Moderator", "Why?")]


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", [[]], "PDF has no text layer (a scan?): run OCR on it first"),
        ("bad.pdf", b"%PDF-1.4 broken", "not a readable PDF file"),
        ("bad.odt", b"not a zip", "not a readable OpenDocument .odt file"),
        ("bad.rtf", b"plain text, not RTF", "not an RTF file"),
        ("empty.rtf", rb"{\rtf1\ansi Country: Spain\par}", "document has no text"),
    ],
)
def test_unreadable_documents_are_one_line_errors_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, list):
        make_pdf(path, content)
    else:
        path.write_bytes(content)
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


CONTENT = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>
<text:p>INT: Why &b;?</text:p><text:p>P: Because.</text:p>
</office:text></office:body></office:document-content>"""


@pytest.mark.parametrize(
    ("mimetype", "expected"),
    [
        # Entity references are never expanded (no "billion laughs"): "&b;" is left out.
        ("application/vnd.oasis.opendocument.text", "INT: Why ?\n\nP: Because.\n"),
        ("application/vnd.oasis.opendocument.spreadsheet", "not an OpenDocument text (.odt) file"),
    ],
)
def test_odt_entities_are_not_expanded_and_other_opendocuments_are_refused(
    tmp_path, mimetype, expected
):
    import zipfile

    path = tmp_path / "x.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", CONTENT)
    try:
        outcome = read_transcript(path).text
    except TranscriptError as exc:
        outcome = str(exc)
    assert outcome.endswith(expected)


def test_a_scanned_pdf_stops_the_run_with_exit_code_2(tmp_path, mini_codebook):
    path = make_pdf(tmp_path / "c" / "scan.pdf", [[], []])
    result = run_cli(["code", str(path), "-c", str(mini_codebook), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "scan.pdf: PDF has no text layer (a scan?)" in " ".join(result.stderr.split())


# --- the CLI over a mixed folder ---------------------------------------------------------------


def test_code_reads_odt_rtf_and_pdf_together(tmp_path, mini_codebook):
    folder = tmp_path / "corpus"
    make_odt(
        folder / "it_one.odt",
        [("INT:", " Avete fatto ricorso?"), ("P:", " Abbiamo presentato un ricorso al TAR.")],
        table=[("language", "it"), ("country", "Italy"), ("role", "lawyer")],
    )
    write_rtf(folder / "es_two.rtf")
    make_pdf(folder / "en_three.pdf", [["Q: And then?", "A: We held a press", "conference."]])
    out = tmp_path / "out"
    result = run_cli(
        ["code", str(folder), "-c", str(mini_codebook), "-o", str(out), "-q", "--no-overrides"]
    )
    assert result.exit_code == 0, result.stderr
    codings = pd.read_csv(out / "codings.csv")
    assert set(zip(codings[m.TRANSCRIPT_ID], codings[m.CODE], strict=True)) == {
        ("it_one", "litigation"),  # "presentato un ricorso", "TAR"
        ("es_two", "litigation"),  # "Presentamos un recurso"
        ("es_two", "advocacy"),  # "rueda de prensa"
        ("en_three", "advocacy"),  # "press conference", across the PDF's line break
    }
    segments = pd.read_csv(out / "segments.csv")
    assert set(segments[m.TRANSCRIPT_ID]) == {"it_one", "es_two", "en_three"}
