"""Issue 16, imports and resource limits: every REFI selection accounted for, entity references
kept as text, bounded archives, .docx parts and long names, and co-occurrence with many codes.
Each test reproduces a finding of the review."""

from __future__ import annotations

import io
import json
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_cli, write
from qualcode import models as m
from qualcode.errors import AnalysisError, ExportError
from qualcode.exchange import refi_files, refi_import
from qualcode.exchange.refi_import import import_qdc, import_qdpx
from qualcode.exchange.refi_sources import MAX_ID_BYTES
from qualcode.output.folder import load_output

CODES = """
<CodeBook><Codes>
  <Code guid="c-lit" name="litigation" isCodable="true"/>
  <Code guid="c-adv" name="advocacy" isCodable="true"/>
</Codes></CodeBook>"""
USERS = '<Users><User guid="u-anna" name="anna"/></Users>'


def project_xml(sources: str, doctype: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{doctype}\n'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="NVivo for Windows 12.6">'
        f"{USERS}{CODES}<Sources>{sources}</Sources></Project>"
    )


def make_qdpx(dest: Path, xml: str, files: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml.encode("utf-8"))
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return dest


def selection(start: int, end: int, code: str | None, guid: str) -> str:
    coding = (
        f'<Coding guid="{guid}-c" creatingUser="u-anna"><CodeRef targetGUID="{code}"/></Coding>'
        if code
        else ""
    )
    return (
        f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}" '
        f'creatingUser="u-anna">{coding}</PlainTextSelection>'
    )


def passages(folder: Path) -> list[tuple[str, str, str]]:
    out = load_output(folder)
    text = dict(zip(out.transcripts()[m.TRANSCRIPT_ID], out.transcripts()[m.TEXT], strict=True))
    rows = out.codings.sort_values([m.START, m.CODE])
    return [(r.code, r.coder, text[r.transcript_id][r.start : r.end]) for r in rows.itertuples()]


# --- NVivo: every selection accounted for, positions in NVivo's convention -----------------------

# NVivo 12 stores the text with Windows line endings and counts positions in UTF-16 units with
# a line ending as two (checked on its .docx/.txt pair); selections carry no text.
NVIVO_TEXT = (
    "Interviewer: How did it go? 😀\r\n"
    "Anna: We filed a lawsuit 😀 against the region.\r\n"
    "Interviewer: And then?\r\n"
    "Anna: We held a press conference and we filed a lawsuit again.\r\n"
)


def nvivo_position(phrase: str, occurrence: int = 1, end: bool = False) -> int:
    """Where NVivo puts `phrase` (its start, or its end): UTF-16 units, CRLF as two."""
    index = -1
    for _ in range(occurrence):
        index = NVIVO_TEXT.index(phrase, index + 1)
    index += len(phrase) if end else 0
    return len(NVIVO_TEXT[:index].encode("utf-16-le")) // 2


def nvivo_selection(phrase: str, code: str | None, guid: str, occurrence: int = 1) -> str:
    start = nvivo_position(phrase, occurrence)
    return selection(start, nvivo_position(phrase, occurrence, end=True), code, guid)


@pytest.fixture
def nvivo(tmp_path: Path) -> Path:
    selections = "".join(
        [
            nvivo_selection("filed a lawsuit", "c-lit", "s1"),  # imported
            nvivo_selection("lawsuit", "c-lit", "s2"),  # same segment and code: merged
            nvivo_selection("press conference", "c-adv", "s3"),  # imported
            nvivo_selection("filed a lawsuit again", "c-lit", "s4"),  # imported (new segment)
            nvivo_selection("Anna", "c-lit", "s5"),  # a speaker label: outside every segment
            nvivo_selection("region", "c-gone", "s6"),  # a code not in the codebook
            nvivo_selection("held", None, "s7"),  # a memo: no code
        ]
    )
    source = (
        '<TextSource guid="t1" name="interview one" plainTextPath="internal://t1.txt">'
        f"{selections}</TextSource>"
    )
    data = b"\xef\xbb\xbf" + NVIVO_TEXT.encode("utf-8")
    return make_qdpx(tmp_path / "nvivo.qdpx", project_xml(source), {"Sources/t1.txt": data})


def test_nvivo_positions_are_read_as_utf16_units_with_two_character_line_endings(nvivo, tmp_path):
    # Before: read as code points (the default, as selections had no text), every passage
    # landed one or two characters off, some on speaker labels.
    report = import_qdpx(nvivo, tmp_path / "out")
    assert passages(tmp_path / "out") == [
        ("litigation", "anna", "filed a lawsuit"),  # s1 with s2 inside it
        ("advocacy", "anna", "press conference"),
        ("litigation", "anna", "filed a lawsuit again"),
    ]
    assert "source 'interview one': selection positions read as UTF-16 code units" in (
        report.warnings
    )


def test_every_selection_is_imported_merged_or_skipped_with_its_reason(nvivo, tmp_path):
    # Before: 7 selections became 3 rows without a word about the other 4.
    report = import_qdpx(nvivo, tmp_path / "out")
    expected = {
        "total": 7,  # 6 codings of selections + 1 selection without a code
        "imported": 3,  # s1, s3, s4
        "merged": 1,  # s2
        "skipped": {
            "codings of text outside every segment (labels, blank lines)": 1,  # s5
            "codings that reference a missing code": 1,  # s6
            "selections without any code (memos, annotations)": 1,  # s7
        },
    }
    assert report.selections == expected
    manifest = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert manifest["summary"]["selections"] == expected


def test_the_import_prints_the_accounting_in_one_line(nvivo, tmp_path):
    result = run_cli(["import", "qdpx", str(nvivo), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert (
        "7 coded selections: 3 imported, 1 merged into the row of another selection of the "
        "same segment, code and coder (spans kept), 3 skipped (1 codings of text outside every "
        "segment (labels, blank lines); 1 codings that reference a missing code; 1 selections "
        "without any code (memos, annotations))."
    ) in " ".join(result.stdout.split())


def test_import_writes_its_temporary_transcripts_beside_the_output(
    nvivo, tmp_path: Path, monkeypatch
):
    # Before: full transcripts in the system temp folder, left there by a killed import.
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    seen: list[Path] = []
    real = refi_import._code_inputs

    def spy(corpus, *args, **kwargs):
        seen.append(corpus)
        return real(corpus, *args, **kwargs)

    monkeypatch.setattr(refi_import, "_code_inputs", spy)
    import_qdpx(nvivo, tmp_path / "site" / "out")
    assert seen[0].parent.parent.parent == tmp_path / "site"  # site/.out.XXX.tmp/<scratch>/
    assert list(system_temp.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["out"]


# --- entity references ---------------------------------------------------------------------------

DOCTYPE = '<!DOCTYPE Project [<!ENTITY org "ACME">]>'


def test_text_after_an_entity_reference_is_kept_in_plain_text_content(tmp_path: Path):
    source = (
        '<TextSource guid="t1" name="one"><PlainTextContent>P: We work with &org; on lawsuits.'
        "</PlainTextContent></TextSource>"
    )
    project = make_qdpx(tmp_path / "p.qdpx", project_xml(source, DOCTYPE))
    import_qdpx(project, tmp_path / "out")
    text = load_output(tmp_path / "out").transcripts()[m.TEXT].iloc[0]
    assert text == "P: We work with &org; on lawsuits."  # kept as written, never resolved


def test_text_after_an_entity_reference_is_kept_in_a_qdc_description(tmp_path: Path):
    # Before: "We work with &org; on lawsuits" imported as "We work with".
    qdc = write(
        tmp_path / "book.qdc",
        """
        <?xml version="1.0" encoding="utf-8"?>
        <!DOCTYPE CodeBook [<!ENTITY org "ACME">]>
        <CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="x"><Codes>
          <Code guid="c1" name="litigation" isCodable="true">
            <Description>We work with &org; on lawsuits</Description>
          </Code>
        </Codes></CodeBook>
        """,
    )
    import_qdc(qdc, tmp_path / "book.yaml")
    import yaml

    book = yaml.safe_load((tmp_path / "book.yaml").read_text(encoding="utf-8"))
    assert book["codes"][0]["definition"] == "We work with &org; on lawsuits"


def _docx(path: Path, paragraphs: list[str], image: bytes | None = None) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if image is not None:
        document.add_picture(io.BytesIO(image))
    document.save(str(path))
    return path


def _rewrite(path: Path, change) -> None:
    """Rewrite each entry of a zip through change(name, data) -> data."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info.filename, change(info.filename, data))


def test_text_after_an_entity_reference_is_kept_in_a_docx(tmp_path: Path):
    from qualcode.transcripts.docx import read_docx_transcript

    path = _docx(tmp_path / "t.docx", ["INT: Who?", "P: We work with ORG on lawsuits."])

    def add_entity(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        head, rest = data.split(b"?>", 1)
        declared = head + b"?><!DOCTYPE w:document [<!ENTITY org 'ACME'>]>" + rest
        return declared.replace(b"with ORG on", b"with &org; on")

    _rewrite(path, add_entity)
    assert "P: We work with &org; on lawsuits." in read_docx_transcript(path).text


# --- resource limits -----------------------------------------------------------------------------


def _shared_sources(n: int, reference: str) -> str:
    return "".join(
        f'<TextSource guid="t{i}" name="s{i}" plainTextPath="internal://{reference}"/>'
        for i in range(n)
    )


def test_a_small_project_that_expands_to_hundreds_of_megabytes_is_refused(tmp_path: Path):
    # Before: a 51 KB .qdpx whose four sources share one 50 MiB entry took 27 s and 1.6 GB.
    big = ("P: " + "word " * 10_485_760 + "\n").encode()  # 50 MiB, deflated to ~50 KB
    project = make_qdpx(
        tmp_path / "bomb.qdpx", project_xml(_shared_sources(4, "big.txt")), {"big.txt": big}
    )
    del big
    assert project.stat().st_size < 200_000
    with pytest.raises(ExportError, match=r"expands to \d+ MiB of text from a \d+ KiB file"):
        import_qdpx(project, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_source_file_shared_by_several_sources_is_decoded_once(tmp_path: Path, monkeypatch):
    calls = []
    real = refi_files.decode_source
    monkeypatch.setattr(refi_files, "decode_source", lambda data: calls.append(1) or real(data))
    text = b"INT: Hello?\nP: We filed a lawsuit.\n"
    project = make_qdpx(
        tmp_path / "p.qdpx", project_xml(_shared_sources(4, "one.txt")), {"one.txt": text}
    )
    assert import_qdpx(project, tmp_path / "out").transcripts == 4
    assert len(calls) == 1


def test_the_budget_counts_every_use_of_a_shared_entry(tmp_path: Path, monkeypatch):
    text = b"P: " + b"x" * 40 + b"\n"  # 44 bytes
    xml = project_xml(_shared_sources(3, "one.txt"))
    project = make_qdpx(tmp_path / "p.qdpx", xml, {"one.txt": text})
    # the project file and two uses of the entry fit (qde + 88), the third use does not
    monkeypatch.setattr(refi_files, "MAX_ARCHIVE_BYTES", len(xml.encode()) + 100)
    with pytest.raises(ExportError, match="the project's files add up to more than"):
        import_qdpx(project, tmp_path / "out")
    monkeypatch.setattr(refi_files, "MAX_ARCHIVE_BYTES", len(xml.encode()) + 132)
    assert import_qdpx(project, tmp_path / "out").transcripts == 3


def test_a_linked_picture_over_the_limit_is_never_loaded(tmp_path: Path):
    # Before: a .docx with a linked 400 MB image took 1 GB to read a few lines of text.
    from qualcode.transcripts.docx import read_docx_transcript
    from qualcode.transcripts.docx_package import MAX_DOCX_MEDIA_BYTES

    png = _png()
    path = _docx(tmp_path / "t.docx", ["INT: Hello?", "P: We filed a lawsuit."], image=png)
    padding = b"\x00" * (MAX_DOCX_MEDIA_BYTES * 4)  # 32 MiB, deflated to ~32 KB
    _rewrite(path, lambda name, data: data + padding if name.startswith("word/media/") else data)
    tracemalloc.start()
    try:
        text = read_docx_transcript(path).text
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "P: We filed a lawsuit." in text
    assert peak < 16 * 2**20  # the picture alone would be 32 MiB


def test_an_xml_part_over_the_limit_is_refused(tmp_path: Path, monkeypatch):
    from qualcode.errors import TranscriptError
    from qualcode.transcripts import docx_package
    from qualcode.transcripts.docx import read_docx_transcript

    path = _docx(tmp_path / "t.docx", ["P: text"])
    monkeypatch.setattr(docx_package, "MAX_DOCX_XML_BYTES", 100)
    with pytest.raises(TranscriptError, match="inside this .docx is 0 MiB, more than"):
        read_docx_transcript(path)


def _png() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(0.2, 0.2), dpi=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def test_long_source_names_are_shortened_into_valid_unique_ids(tmp_path: Path):
    # Before: a 300-character source name gave an OSError traceback (file name too long).
    long = "intervista con la coordinatrice del centro di accoglienza " * 5  # 300 characters
    sources = "".join(
        f'<TextSource guid="t{i}" name="{long}{i}"><PlainTextContent>P: text {i}.'
        "</PlainTextContent></TextSource>"
        for i in (1, 2)
    )
    import_qdpx(make_qdpx(tmp_path / "p.qdpx", project_xml(sources)), tmp_path / "out")
    ids = load_output(tmp_path / "out").transcripts()[m.TRANSCRIPT_ID].tolist()
    assert len(set(ids)) == 2
    assert all(len(i.encode()) <= MAX_ID_BYTES for i in ids)
    assert all(i.startswith("intervista_con_la_coordinatrice") for i in ids)


def test_choosing_a_convention_costs_nothing_like_the_text_per_selection():
    # Before: each of 200 named selections re-squashed its whole 5 MB text (43 s); each
    # convention built a list of one position per character.
    from qualcode.exchange.refi_positions import canonical_text, choose_convention

    raw = "😀 " + "word\r\n" * 1_000_000
    canon = canonical_text(raw)
    named = [(0, len(raw), "not the text at all")] * 200
    tracemalloc.start()
    try:
        chosen = choose_convention(raw, named, "auto", "NVivo", canon)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert chosen.name == "code points"  # nothing reproduced, so the default
    assert peak < 2**20 * 12  # the positions of 1,000,000 line endings (8 MB), not 6 million


# --- co-occurrence and the report with many codes ------------------------------------------------

N_CODES = 10_004


def many_codes() -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, None]]]:
    """100 segments; code i coded in segment i % 100, and c00001 also in segment 0."""
    segments = pd.DataFrame(
        {
            m.SEGMENT_ID: [f"s{i}" for i in range(100)],
            m.TRANSCRIPT_ID: "t",
            m.SEGMENT_INDEX: range(100),
            m.IS_INTERVIEWER: False,
            m.N_WORDS: 5,
        }
    )
    codes = [f"c{i:05d}" for i in range(N_CODES)]
    pairs = [(f"s{i % 100}", code) for i, code in enumerate(codes)] + [("s0", "c00001")]
    codings = pd.DataFrame(pairs, columns=[m.SEGMENT_ID, m.CODE]).assign(
        **{m.TRANSCRIPT_ID: "t", m.SOURCE: "auto", m.CODER: "auto", m.START: 0, m.END: 4}
    )
    return segments, codings, [(c, None) for c in codes]


def test_cooccurrence_of_ten_thousand_codes_keeps_the_top_codes_without_a_dense_square():
    # Before: a 10,004 x 10,004 array (800 MB), and an out-of-memory traceback in `report`.
    from qualcode.analysis.cooccurrence import cooccurrence

    segments, codings, order = many_codes()
    tracemalloc.start()
    try:
        table = cooccurrence(segments, codings, order, top=40)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # c00001 is in 2 segments, every other code in 1: c00001 and, by codebook order, c00000 and
    # c00002..c00039 are the top 40.
    assert list(table.index) == [f"c{i:05d}" for i in range(40)]
    assert table.attrs["leaf_codes"] == N_CODES
    assert table.at["c00001", "c00001"] == 2 and table.at["c00000", "c00001"] == 1  # s0
    assert table.at["c00002", "c00003"] == 0  # segments 2 and 3
    assert peak < 100 * 2**20


def test_cooccurrence_of_ten_thousand_codes_without_top_is_refused_in_one_line():
    from qualcode.analysis.cooccurrence import cooccurrence

    segments, codings, order = many_codes()
    with pytest.raises(AnalysisError) as error:
        cooccurrence(segments, codings, order)
    assert str(error.value) == (
        "a co-occurrence table of 10,004 codes would have 100,080,016 cells; choose at most "
        "2,000 codes (--code, a parent brings its children)"
    )


@pytest.mark.slow
def test_the_report_of_ten_thousand_codes_shows_the_top_codes_with_a_note(
    tmp_path: Path, mini_corpus: Path, mini_codebook: Path
):
    from qualcode.coding.api import code_to_folder
    from qualcode.report.page import build_report

    out = tmp_path / "out"
    code_to_folder(mini_corpus, mini_codebook, out)
    source = load_output(out)
    segment_ids = source.segments[m.SEGMENT_ID].tolist()
    codes = [f"c{i:05d}" for i in range(N_CODES)]
    first = source.codings.iloc[0]
    source.codings = pd.DataFrame(
        [
            {**first.to_dict(), m.CODE: code, m.PARENT: None, m.SEGMENT_ID: segment_ids[i % 3]}
            for i, code in enumerate(codes)
        ]
    )
    source.manifest["codes"] = [{"name": c, "parent": None, "manual": False} for c in codes]
    html = build_report(source, quotes=False)
    assert "Only the 40 leaf codes coded in the most segments are shown, of 10,004" in html
    assert "Only the 40 codes coded in the most segments are drawn, of 10,004" in html


def test_the_report_counts_zero_participant_segments_for_a_group_of_interviewers_only(
    tmp_path: Path, mini_corpus: Path, mini_codebook: Path
):
    # Before: a KeyError traceback (an imported project whose 'doctor' turns were all read as
    # the interviewer's).
    from qualcode.coding.api import code_to_folder
    from qualcode.report.page import build_report

    write(
        mini_corpus / "en_four.md",
        """
        ---
        country: Spain
        role: observer
        ---
        INT: Only questions here?
        INT: Yes.
        """,
    )
    code_to_folder(mini_corpus, mini_codebook, tmp_path / "out")
    html = build_report(tmp_path / "out", quotes=False)
    # observer: 1 transcript, 2 segments, 0 participant segments, 4 words
    row = '<th scope="row">observer</th>' + "".join(
        f'<td class="num">{n}</td>' for n in (1, 2, 0, 4)
    )
    assert row in html
