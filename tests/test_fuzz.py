"""Bad input, fuzzed: every loader either succeeds or raises a QualcodeError with a message.

Random and mutated transcripts, front matter, codebooks, override files, participant sheets,
identifiers files and REFI-QDA projects go through the loaders; any other exception, a hang
(each call has a time limit) or a partial output folder fails the test, and hypothesis
shrinks the input to a minimal example. Then very large inputs: handled, or refused with a
limit message. Bounded (max_examples <= 80, no deadline) so the file runs in a minute or two.
"""

from __future__ import annotations

import contextlib
import functools
import io
import signal
import string
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import MINI_CODEBOOK, SAMPLE, SAMPLE_CODEBOOK, run_cli, write
from qualcode.codebook import load_codebook
from qualcode.coding.api import code_corpus, load_transcripts
from qualcode.decisions.ledger import read_overrides
from qualcode.errors import QualcodeError
from qualcode.privacy.pseudonymise import Identifiers, load_identifiers, pseudonymise_text
from qualcode.transcripts.meta import read_meta_sheet
from qualcode.transcripts.reader import MAX_TRANSCRIPT_BYTES, read_transcript

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(FUZZ, max_examples=25)
MARKER = "ZQXSECRETWORD"  # transcript content that no error message may ever quote


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail (instead of hanging the suite) when the block runs longer than `seconds`."""
    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - Windows
        yield
        return

    def expire(signum, frame):
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(call, *, seconds: int = 20) -> QualcodeError | None:
    """Run a loader: None on success, the QualcodeError (checked for a message) otherwise."""
    try:
        with time_limit(seconds):
            call()
    except QualcodeError as exc:
        assert exc.problems and all(p.message.strip() for p in exc.problems), repr(exc)
        return exc
    return None


# --- strategies ----------------------------------------------------------------------------------

SAMPLE_TEXTS = sorted(p.read_bytes() for p in SAMPLE.glob("*.md"))[:4]
SNIPPETS = [
    b"---\n",
    b"\n---\n",
    b"...\n",
    b":",
    b": ",
    b"INT:",
    b"\n\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"'",
    b'"',
    b"[",
    b"{",
    b"&a ",
    b"*a",
    b"!!binary ",
    b"!!python/object:os.system ",
    b"2025-13-45",
    b"id: ../x\n",
    b"speakers: 5\n",
    b"interviewer: {a: 1}\n",
    b"language: [en, it]\n",
    b"\t",
    b"\xe2\x80\xa8",
]


@st.composite
def mutated(draw, seeds: list[bytes], max_edits: int = 6) -> bytes:
    """A seed file with a few random edits: bytes deleted, replaced, or snippets inserted."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, max_edits))):
        where = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        if kind == "insert":
            data[where:where] = draw(st.sampled_from(SNIPPETS) | st.binary(max_size=8))
        elif kind == "delete":
            del data[where : where + draw(st.integers(1, 40))]
        elif kind == "replace" and where < len(data):
            data[where] = draw(st.integers(0, 255))
        else:
            del data[where:]
    return bytes(data)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["en", "it", "es", "xx", "", "2025-01-01", "INT", "*", "file * lawsuit"])
)
yaml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

FRONT_KEYS = ["id", "language", "speakers", "interviewer", "country", "role", "interviewee", "x"]
RAW_FRONT_LINES = [
    "date: 2025-13-45",
    "date: 2025-02-30 10:00:00",
    "id: !!binary xyz",
    "id: !!python/object:os.system {}",
    "role: &a [*a]",
    "x: " + "[" * 200 + "]" * 200,
    "x: " + "[" * 5000,
    "? [a, b]\n: c",
    "speakers: 5",
    "speakers: true",
    "interviewer: 3.5",
    "language: !!int 0x",
    "id: " + "a" * 200,
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]",
]


@st.composite
def front_matter(draw) -> str:
    if draw(st.booleans()):
        data = draw(st.dictionaries(st.sampled_from(FRONT_KEYS), yaml_values, max_size=5))
        return yaml.safe_dump(data, allow_unicode=True)
    return "\n".join(draw(st.lists(st.sampled_from(RAW_FRONT_LINES), min_size=1, max_size=3)))


body_lines = st.lists(
    st.sampled_from(["INT: Hello?", "P: We filed a lawsuit.", "", "Es decir: nada", MARKER])
    | st.text(max_size=40),
    max_size=8,
)


# --- transcripts ---------------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=3000) | mutated(SAMPLE_TEXTS))
def test_random_and_mutated_transcripts_load_or_fail_cleanly(tmp_path: Path, data: bytes):
    path = tmp_path / "t.md"
    path.write_bytes(data)
    outcome(lambda: read_transcript(path))


@FUZZ
@given(front=front_matter(), lines=body_lines)
@example(front="date: 2025-13-45", lines=["P: x"])
@example(front="speakers: 5", lines=["P: x"])
@example(front=RAW_FRONT_LINES[-1], lines=["P: x"])
@example(front="x: " + "[" * 5000, lines=["P: x"])
def test_any_front_matter_loads_or_fails_cleanly_without_quoting_text(
    tmp_path: Path, front: str, lines: list[str]
):
    path = tmp_path / "t.md"
    path.write_text(f"---\n{front}\n---\n" + "\n".join([f"P: {MARKER}", *lines]), "utf-8")
    error = outcome(lambda: load_transcripts([path]))
    assert error is None or MARKER not in str(error)


@FEW
@given(front=front_matter(), lines=body_lines)
def test_coding_a_fuzzed_transcript_succeeds_or_leaves_out_untouched(
    tmp_path: Path, front: str, lines: list[str]
):
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    book = write(tmp_path / "mini.yaml", MINI_CODEBOOK)
    write(corpus / "ok.md", "INT: Did you?\nP: We filed a lawsuit.\n")
    if not out.exists():
        assert run_cli(["code", str(corpus), "-c", str(book), "-o", str(out), "-q"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (corpus / "fuzz.md").write_text(f"---\n{front}\n---\n" + "\n".join(lines), "utf-8")
    with time_limit(60):
        result = run_cli(["code", str(corpus), "-c", str(book), "-o", str(out), "-q"])
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr and MARKER not in result.stderr
    if result.exit_code == 2:
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


# --- codebooks -----------------------------------------------------------------------------------

BOOK_SEEDS = [SAMPLE_CODEBOOK.read_bytes(), MINI_CODEBOOK.encode()]
PATTERN_VALUES = st.sampled_from(
    [
        "a{4294967296}",
        "(?P<1>a)",
        "(",
        "a**",
        "(?<=a+)b",
        "\\",
        "*",
        "* x",
        "x * * y",
        "",
        "[[:alpha:]]",
    ]
) | st.text(alphabet="ab(){}[]*+?\\|^$.,0123456789 ", max_size=12)
token_attrs = st.dictionaries(
    st.sampled_from(
        ["LEMMA", "LOWER", "ORTH", "OP", "REGEX", "POS", "IS_DIGIT", "TEXT", "LENGTH", 5]
    ),
    yaml_values
    | st.dictionaries(st.sampled_from(["IN", "NOT_IN", "REGEX", ">=", "=="]), yaml_values),
    max_size=3,
)
pattern_items = (
    PATTERN_VALUES
    | st.fixed_dictionaries({"regex": PATTERN_VALUES})
    | st.fixed_dictionaries(
        {"phrase": PATTERN_VALUES}, optional={"match": yaml_values, "id": yaml_values}
    )
    | st.fixed_dictionaries({"tokens": st.lists(token_attrs, max_size=3) | yaml_values})
    | yaml_values
)
codes = st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b", "c"]) | yaml_values},
    optional={
        "parent": st.sampled_from(["a", "b", "c", "zz"]) | yaml_values,
        "patterns": st.dictionaries(
            st.sampled_from(["en", "it", "es", "xx", "EN", 1]),
            st.lists(pattern_items, max_size=3) | yaml_values,
        )
        | yaml_values,
        "exclude_patterns": st.dictionaries(
            st.sampled_from(["en", "it"]), st.lists(pattern_items, max_size=2)
        ),
        "manual": yaml_values,
        "examples": yaml_values,
        "definition": yaml_values,
        "colour": yaml_values,
    },
)
codebook_data = (
    st.fixed_dictionaries(
        {"codes": st.lists(codes, max_size=4) | yaml_values},
        optional={"name": yaml_values, "version": yaml_values, "extra": yaml_values},
    )
    | yaml_values
)
RAW_BOOKS = [
    "codes:\n  - name: a\n    patterns: {en: [x]}\n    ? [a, b]\n    : c\n",
    "codes:\n  - name: a\n    patterns:\n      en:\n        - {phrase: x, 2: y, b: c}\n",
    "version: 2025-13-45\ncodes: [{name: a, manual: true}]\n",
    "codes: " + "[" * 3000 + "]" * 3000 + "\n",
    "codes:\n  - name: a\n    patterns: {en: [{regex: 'a{4294967296}'}]}\n",
    "codes:\n  - name: a\n    patterns: {en: [{tokens: [{REGEX: '('}]}]}\n",
    "codes:\n  - name: a\n    patterns: {en: [{tokens: [{LOWER: {REGEX: '('}}], id: p}]}\n",
    "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
    "codes:\n  - {name: a, manual: true, examples: [*d, *d, *d, *d, *d, *d, *d, *d]}\n",
]


@FUZZ
@given(data=codebook_data)
def test_any_codebook_structure_validates_or_fails_cleanly(tmp_path: Path, data):
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    outcome(lambda: load_codebook(path))


@FUZZ
@given(data=mutated(BOOK_SEEDS) | st.sampled_from([t.encode() for t in RAW_BOOKS]))
@example(data=RAW_BOOKS[0].encode())
@example(data=RAW_BOOKS[1].encode())
@example(data=RAW_BOOKS[2].encode())
@example(data=RAW_BOOKS[3].encode())
@example(data=RAW_BOOKS[4].encode())
@example(data=RAW_BOOKS[7].encode())
def test_mutated_codebook_files_validate_or_fail_cleanly(tmp_path: Path, data: bytes):
    path = tmp_path / "book.yaml"
    path.write_bytes(data)
    outcome(lambda: load_codebook(path))


# --- the crashes fuzzing found, fixed: each now a located error -----------------------------------

FOUND = [
    ("t.md", "---\ndate: 2025-13-45\n---\nP: x\n", "t.md: front matter has a value YAML cannot"),
    ("t.md", "---\nx: " + "[" * 5000 + "\n---\nP: x\n", "t.md: front matter is nested too deeply"),
    ("t.md", f"---\n{RAW_FRONT_LINES[-1]}\n---\nP: x\n", "t.md: front matter has more than 10000"),
    ("b.yaml", RAW_BOOKS[0], "b.yaml:4: a mapping key must be text"),
    ("b.yaml", RAW_BOOKS[1], "b.yaml:5: code 'a', patterns.en[1]: unknown key(s) 2, b"),
    ("b.yaml", RAW_BOOKS[2], "b.yaml: invalid value: month must be in 1..12"),
    ("b.yaml", RAW_BOOKS[3], "b.yaml: nested too deeply"),
    ("b.yaml", RAW_BOOKS[4], "b.yaml:3: code 'a', patterns.en[1]: invalid regex: the repetition"),
    (
        "b.yaml",
        RAW_BOOKS[6],
        "b.yaml:3: code 'a', pattern a:en:p: invalid token pattern: missing )",
    ),
    (
        "s.xlsx",
        "PK\x05\x06" + "\x00" * 18,
        "s.xlsx: cannot read metadata sheet: not a readable .xlsx",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), FOUND)
def test_inputs_that_used_to_crash_a_loader_give_a_located_error(
    tmp_path: Path, name: str, content: str, message: str
):
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1" if name.endswith(".xlsx") else "utf-8"))
    load = {"md": read_transcript, "yaml": load_codebook, "xlsx": read_meta_sheet}
    error = outcome(lambda: load[name.rsplit(".", 1)[1]](path))
    assert error is not None and message in str(error)


def test_a_speaker_label_given_as_a_number_is_declared(tmp_path: Path):
    path = write(tmp_path / "t.md", "---\nspeakers: 5\ninterviewer: 3.5\n---\n5: hello\n")
    transcript = read_transcript(path)
    assert "3.5" in transcript.interviewer_labels and transcript.turns[0].speaker is None


# --- overrides, participant sheets, identifiers --------------------------------------------------

OVERRIDE_SEED = (
    b"segment_id,code,action,coder,note,timestamp\n"
    b'it_a.t.0123456789,litigation,add,anna,"appeal, TAR",2025-01-01T10:00:00+00:00\n'
    b"it_a.t.9876543210,advocacy,remove,anna,,2025-01-02T10:00:00Z\n"
)
cells = st.text(max_size=12) | st.sampled_from(
    ["add", "remove", "2025-13-45", "", '"', "a,b", "\x00"]
)


@st.composite
def csv_text(draw, header: list[str]) -> bytes:
    rows = [header, *draw(st.lists(st.lists(cells, max_size=8), max_size=6))]
    buffer = io.StringIO()
    import csv

    csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


@FUZZ
@given(
    data=csv_text(["segment_id", "code", "action", "coder", "note", "timestamp"])
    | mutated([OVERRIDE_SEED])
    | st.binary(max_size=500)
)
def test_override_files_load_or_fail_cleanly(tmp_path: Path, data: bytes):
    path = tmp_path / "ov" / "anna.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    outcome(lambda: read_overrides([path.parent]))


@functools.cache  # once: the file records when it was written, and a draw must be repeatable
def _xlsx_seed() -> bytes:
    import pandas as pd

    buffer = io.BytesIO()
    frame = pd.DataFrame({"transcript_id": ["it_a", "es_b"], "country": ["Italy", "Spain"]})
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


@st.composite
def damaged_xlsx(draw) -> bytes:
    """A real .xlsx with one member cut short, dropped or replaced, or its bytes mutated."""
    seed = _xlsx_seed()
    if draw(st.booleans()):
        return draw(mutated([seed], max_edits=3))
    source = zipfile.ZipFile(io.BytesIO(seed))
    names = source.namelist()
    victim = draw(st.sampled_from(names))
    action = draw(st.sampled_from(["cut", "drop", "garbage"]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            data = source.read(name)
            if name == victim and action == "drop":
                continue
            if name == victim:
                data = data[: draw(st.integers(0, len(data)))] if action == "cut" else b"<x>&"
            archive.writestr(name, data)
    return buffer.getvalue()


@FUZZ
@given(
    data=csv_text(["transcript_id", "country", "role"]) | st.binary(max_size=500),
    suffix=st.sampled_from([".csv", ".tsv", ".xlsx"]),
)
def test_participant_sheets_load_or_fail_cleanly(tmp_path: Path, data: bytes, suffix: str):
    path = tmp_path / f"participants{suffix}"
    path.write_bytes(data)
    outcome(lambda: read_meta_sheet(path))


@FEW
@given(data=damaged_xlsx())
def test_damaged_excel_sheets_load_or_fail_cleanly(tmp_path: Path, data: bytes):
    path = tmp_path / "participants.xlsx"
    path.write_bytes(data)
    outcome(lambda: read_meta_sheet(path))


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "people": st.lists(
                st.fixed_dictionaries({"name": yaml_values}, optional={"variants": yaml_values})
                | yaml_values,
                max_size=3,
            )
            | yaml_values,
            "places": yaml_values,
            "allow": yaml_values,
            "metadata_keys": yaml_values,
        },
    )
    | yaml_values
)
def test_identifiers_files_load_or_fail_cleanly(tmp_path: Path, data):
    path = tmp_path / "ids.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    error = outcome(lambda: load_identifiers(path))
    if error is None:
        outcome(lambda: pseudonymise_text("Ana e Bea a Roma", load_identifiers(path), b"k"))


@FUZZ
@given(
    text=st.text(max_size=400)
    | st.sampled_from([t.decode("utf-8", "replace") for t in SAMPLE_TEXTS])
)
def test_pseudonymised_text_keeps_every_character_outside_the_replacements(text: str):
    ids = Identifiers().with_names(["Ana Bea", "Roma"])
    with time_limit(20):
        new, omap = pseudonymise_text(text, ids, b"key")
    replaced = [False] * (len(text) + 1)
    for start, end in zip(omap.old_starts, omap.old_ends, strict=True):
        replaced[start:end] = [True] * (end - start)
    for i, char in enumerate(text):
        if not replaced[i]:
            assert new[omap.map(i)] == char
    assert omap.map(len(text), end=True) == len(new)


# --- REFI-QDA projects ---------------------------------------------------------------------------

refi_import = pytest.importorskip(
    "qualcode.exchange.refi_import", reason="REFI import not built yet"
)
from qualcode.exchange.refi_read import read_qdc, read_qdpx  # noqa: E402

QDC_SEED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="fuzz">\n <Codes>\n'
    b'  <Code guid="11111111-1111-1111-1111-111111111111" name="litigation" isCodable="true">\n'
    b"   <Description>Going to court.</Description>\n"
    b'   <Code guid="22222222-2222-2222-2222-222222222222" name="appeal" isCodable="true"/>\n'
    b"  </Code>\n </Codes>\n</CodeBook>\n"
)
QDE_SEED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="fuzz">\n'
    b' <Users><User guid="33333333-3333-3333-3333-333333333333" name="anna"/></Users>\n'
    b" <CodeBook><Codes>"
    b'<Code guid="11111111-1111-1111-1111-111111111111" name="litigation" isCodable="true"/>'
    b"</Codes></CodeBook>\n <Sources>\n"
    b'  <TextSource guid="44444444-4444-4444-4444-444444444444" name="it_a"'
    b' plainTextPath="internal://44444444-4444-4444-4444-444444444444.txt">\n'
    b'   <PlainTextSelection guid="55555555-5555-5555-5555-555555555555" name="We filed"'
    b' startPosition="3" endPosition="11">\n'
    b'    <Coding guid="66666666-6666-6666-6666-666666666666"'
    b' creatingUser="33333333-3333-3333-3333-333333333333">\n'
    b'     <CodeRef targetGUID="11111111-1111-1111-1111-111111111111"/>\n'
    b"    </Coding>\n   </PlainTextSelection>\n  </TextSource>\n </Sources>\n</Project>\n"
)
XML_SNIPPETS = [
    b"<",
    b">",
    b"&",
    b'"',
    b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
    b"&e;",
]


@FUZZ
@given(data=mutated([QDC_SEED], max_edits=4) | st.binary(max_size=300))
def test_refi_codebooks_load_or_fail_cleanly(tmp_path: Path, data: bytes):
    path = tmp_path / "book.qdc"
    path.write_bytes(data)
    outcome(lambda: read_qdc(path))


@FUZZ
@given(
    project=mutated([QDE_SEED], max_edits=4),
    source=st.binary(max_size=60) | st.just(b"P: We filed a lawsuit."),
    layout=st.sampled_from(["normal", "no source", "two projects", "not a zip"]),
)
def test_refi_projects_load_or_fail_cleanly(
    tmp_path: Path, project: bytes, source: bytes, layout: str
):
    path = tmp_path / "p.qdpx"
    if layout == "not a zip":
        path.write_bytes(project)
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("project.qde", project)
            if layout == "two projects":
                archive.writestr("other.qde", project)
            if layout != "no source":
                archive.writestr("sources/44444444-4444-4444-4444-444444444444.txt", source)
    outcome(lambda: read_qdpx(path))


# --- very large inputs ---------------------------------------------------------------------------

WORDS = [
    "we",
    "filed",
    "a",
    "lawsuit",
    "against",
    "the",
    "region",
    "and",
    "held",
    "a",
    "press",
    "conference",
    "to",
    "fill",
    "the",
    "gap",
]


@pytest.mark.slow
def test_a_50_mb_transcript_is_read_and_pseudonymised(tmp_path: Path):
    turns = [f"INT: {' '.join(WORDS)}\n\nP: {' '.join(WORDS * 6)}\n\n" for _ in range(20)]
    block = "".join(turns) + "P: Ask Maria Rossi, 612 345 678.\n\n"
    blocks = 50 * 1024 * 1024 // len(block)
    path = tmp_path / "big.md"
    path.write_text(block * blocks, "utf-8")
    with time_limit(180):
        transcript = read_transcript(path)
        new, omap = pseudonymise_text(
            transcript.text, Identifiers().with_names(["Maria Rossi"]), b"k"
        )
    assert len(transcript.turns) == 41 * blocks
    assert "Maria" not in new and "612 345" not in new and len(omap) == 2 * blocks


def test_a_transcript_over_the_limit_is_refused_with_the_limit(tmp_path: Path):
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:
        handle.write(b"P: text\n")
        handle.truncate(MAX_TRANSCRIPT_BYTES + 1)
    error = outcome(lambda: read_transcript(path))
    assert error is not None and "larger than 64 MiB" in str(error) and str(path) in str(error)


@pytest.mark.slow
def test_a_codebook_of_5000_patterns_codes_a_corpus(tmp_path: Path, mini_corpus: Path):
    patterns = "\n".join(f'        - "term{i} * word{i}"' for i in range(2500))
    regexes = "\n".join(f"        - {{regex: 'ref{i}\\\\d+'}}" for i in range(2500))
    book = write(
        tmp_path / "big.yaml",
        f"codes:\n  - name: many\n    patterns:\n      en:\n{patterns}\n{regexes}\n        - filed\n",
    )
    with time_limit(180):
        codebook = load_codebook(book)
        result = code_corpus(mini_corpus, codebook)
    assert len(codebook.codes[0].patterns) == 5001
    assert "many" in set(result.codings["code"])


def test_a_one_megabyte_line_without_spaces_is_coded(tmp_path: Path, mini_codebook: Path):
    corpus = tmp_path / "c"
    write(corpus / "a.md", "INT: Hello?\nP: " + "x" * (1024 * 1024) + "\nP: We filed a lawsuit.\n")
    write(
        corpus / "b.md",
        "P: " + string.ascii_letters * (1024 * 1024 // 52) + ",maria.rossi@example.org,9\n",
    )
    with time_limit(120):
        result = code_corpus(corpus, mini_codebook)
        text = result.transcripts["text"].iloc[1]
        new, _ = pseudonymise_text(text, Identifiers(), b"k")
    assert len(result.segments) == 4 and set(result.codings["code"]) == {"litigation"}
    assert new.endswith("XYZ,[EMAIL],9\n") and len(new) == len(text) - 16
