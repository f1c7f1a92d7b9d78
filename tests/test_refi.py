"""REFI-QDA exchange: `.qdpx`/`.qdc` export validated against the official schemas, import of
projects that mimic other tools, the export -> import round trip, and bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from conftest import DATA, REPO, SAMPLE, SAMPLE_CODEBOOK, run_cli, write
from qualcode import models as m
from qualcode.errors import ExportError
from qualcode.exchange.refi import DETAILS_PREFIX, export_qdc, guid, split_description
from qualcode.exchange.refi_codings import SKIP_DETAILS_MISFIT
from qualcode.exchange.refi_import import import_qdc, import_qdpx
from qualcode.exchange.refi_project import export_qdpx
from qualcode.exchange.refi_read import SKIP_BAD_DETAILS
from qualcode.output.folder import load_output

etree = pytest.importorskip("lxml.etree")

REFI = DATA / "refi"
NS = {"q": "urn:QDA-XML:project:1.0"}


def schema(name: str):
    return etree.XMLSchema(etree.parse(str(REFI / name)))


def assert_valid(xml: bytes, xsd: str) -> None:
    validator = schema(xsd)
    ok = validator.validate(etree.fromstring(xml))
    assert ok, validator.error_log


def zip_fixture(name: str, dest: Path, *, crlf: bool = False, bom: bool = False) -> Path:
    """Zip tests/data/refi/<name>/ into a .qdpx; text files get CRLF line ends / a BOM."""
    folder = REFI / name
    with zipfile.ZipFile(dest, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            if path.suffix == ".txt":
                data = data.replace(b"\n", b"\r\n") if crlf else data
                data = b"\xef\xbb\xbf" + data if bom else data
            archive.writestr(path.relative_to(folder).as_posix(), data)
    return dest


def flat(text: str) -> str:
    """Terminal output with rich's line wrapping undone."""
    return " ".join(text.split())


def passages(folder: Path) -> set[tuple[str, str, str, str]]:
    """(transcript, code, coder, coded text) of every row of an output folder's codings."""
    out = load_output(folder)
    texts = dict(zip(out.transcripts()[m.TRANSCRIPT_ID], out.transcripts()[m.TEXT], strict=True))
    return {
        (r.transcript_id, r.code, r.coder, texts[r.transcript_id][r.start : r.end])
        for r in out.codings.itertuples()
    }


# --- the sample, coded with two human coders, exported and imported once -------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """Paths of the coded sample (with manual decisions), its export and its re-import."""
    from qualcode.coding.api import code_corpus, code_to_folder

    root = tmp_path_factory.mktemp("refi_sample")
    first = code_corpus(SAMPLE, SAMPLE_CODEBOOK)
    auto = first.codings
    lawyer = first.segments[
        (first.segments[m.TRANSCRIPT_ID] == "it_lawyer_04") & ~first.segments[m.IS_INTERVIEWER]
    ][m.SEGMENT_ID].tolist()
    removed = auto.iloc[0]
    header = "segment_id,code,action,coder,note,timestamp\n"
    write(
        root / "overrides" / "anna.csv",
        header
        + f"{lawyer[0]},litigation,add,anna,appello al TAR,2025-03-10T09:00:00+00:00\n"
        + f"{lawyer[1]},advocacy,add,anna,,2025-03-10T09:05:00+00:00\n"
        + f"{removed.segment_id},{removed.code},remove,anna,not this,2025-03-10T09:06:00Z\n",
    )
    write(
        root / "overrides" / "luis.csv",
        header + f"{lawyer[0]},litigation,add,luis,,2025-03-11T10:00:00+00:00\n",
    )
    out = root / "out"
    code_to_folder(SAMPLE, SAMPLE_CODEBOOK, out, overrides=[root / "overrides"])
    project = root / "project.qdpx"
    export_qdpx(out, project)
    imported = root / "imported"
    report = import_qdpx(project, imported)
    return {"out": out, "project": project, "imported": imported, "report": report}


def project_root(path: Path):
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read("project.qde"))


def test_exported_project_validates_against_the_refi_schema(sample):
    with zipfile.ZipFile(sample["project"]) as archive:
        assert_valid(archive.read("project.qde"), "Project-mrt2019.xsd")


def test_export_is_byte_identical_across_runs(sample, tmp_path):
    again = tmp_path / "again.qdpx"
    export_qdpx(sample["out"], again)
    assert again.read_bytes() == sample["project"].read_bytes()


def test_zip_holds_the_project_and_the_canonical_text_of_each_transcript(sample):
    out = load_output(sample["out"])
    texts = dict(zip(out.transcripts()[m.TRANSCRIPT_ID], out.transcripts()[m.TEXT], strict=True))
    with zipfile.ZipFile(sample["project"]) as archive:
        names = archive.namelist()
        assert names == sorted(names) and names[0] == "project.qde"
        assert {i.date_time for i in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        for tid, text in texts.items():
            data = archive.read(f"sources/{guid('source', tid)}.txt")
            assert data.decode("utf-8") == text  # UTF-8, no BOM, LF line ends, same text


def test_every_coding_is_a_selection_at_its_offsets_by_its_coder(sample):
    out = load_output(sample["out"])
    root = project_root(sample["project"])
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    codes = {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", NS)}
    found = set()
    for source in root.iterfind("q:Sources/q:TextSource", NS):
        for sel in source.iterfind("q:PlainTextSelection", NS):
            coding = sel.find("q:Coding", NS)
            found.add(
                (
                    source.get("name"),
                    codes[coding.find("q:CodeRef", NS).get("targetGUID")],
                    users[coding.get("creatingUser")],
                    int(sel.get("startPosition")),
                    int(sel.get("endPosition")),
                )
            )
    expected = set(
        zip(
            out.codings[m.TRANSCRIPT_ID],
            out.codings[m.CODE],
            out.codings[m.CODER],
            out.codings[m.START],
            out.codings[m.END],
            strict=True,
        )
    )
    assert found == expected
    assert set(users.values()) == {"auto", "anna", "luis"}


def test_codes_keep_their_hierarchy_and_definitions(sample):
    from qualcode.codebook import load_codebook

    book = load_codebook(SAMPLE_CODEBOOK)
    root = project_root(sample["project"])
    for code in book.codes:
        element = root.find(f".//q:Code[@name='{code.name}']", NS)
        parent = element.getparent()
        assert (parent.get("name") if parent.tag.endswith("Code") else None) == code.parent
        assert element.findtext("q:Description", namespaces=NS).startswith(code.definition)


def test_cases_carry_the_metadata_as_variables(sample):
    root = project_root(sample["project"])
    variables = {v.get("guid"): v.get("name") for v in root.iterfind(".//q:Variable", NS)}

    def values(case_name: str) -> dict[str, str]:
        case = root.find(f"q:Cases/q:Case[@name='{case_name}']", NS)
        return {
            variables[v.find("q:VariableRef", NS).get("targetGUID")]: v.findtext(
                "q:TextValue", namespaces=NS
            )
            for v in case.iterfind("q:VariableValue", NS)
        }

    coordinator = values("es_coordinator_01")
    assert coordinator[m.COUNTRY] == "Spain" and coordinator[m.ROLE] == "coordinator"
    assert coordinator[m.LANGUAGE] == "es" and coordinator["organisation"] == "NGO"
    assert values("es_lawyer_02")["interviewer"] == "Entrevistadora"


def assert_same_tables(before_folder: Path, after_folder: Path) -> None:
    """The segments and codings tables of two output folders are identical: same columns in
    the same order, same dtypes, same rows in the same order, every value equal."""
    before, after = load_output(before_folder), load_output(after_folder)
    assert list(after.segments.columns) == list(before.segments.columns)
    assert after.segments.equals(before.segments)
    b, a = before.codings, after.codings
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for column in b.columns:  # column by column first, for a readable failure
        assert a[column].dtype == b[column].dtype, column
        assert a[column].equals(b[column]), column
    assert a.equals(b)


def test_round_trip_gives_the_same_segments_and_codings(sample):
    assert_same_tables(sample["out"], sample["imported"])
    assert sample["report"].skipped == {}
    after = load_output(sample["imported"])
    note = after.codings[
        (after.codings[m.CODER] == "anna") & (after.codings[m.CODE] == "litigation")
    ]
    assert note[m.NOTE].tolist() == ["appello al TAR"]


def test_automatic_codings_keep_their_match_details_in_the_selection_description(sample):
    out = load_output(sample["out"])
    auto = out.codings[out.codings[m.SOURCE] == m.SOURCE_AUTO].iloc[0]
    root = project_root(sample["project"])
    key = f"{auto.transcript_id}:{auto.segment_id}:{auto.code}:auto:{auto.start}:{auto.end}"
    sel = root.find(f".//q:PlainTextSelection[@guid='{guid('selection', key)}']", NS)
    description = sel.findtext("q:Description", namespaces=NS)
    assert description.splitlines()[-1].startswith(DETAILS_PREFIX + '{"match_spans": ')
    assert split_description(description) == (
        None,
        {
            m.MATCHED_TEXT: auto.matched_text,
            m.PATTERN_ID: auto.pattern_id,
            m.MATCH_SPANS: auto.match_spans,
        },
        False,
    )
    notes = set()
    for sel in root.iterfind(".//q:PlainTextSelection", NS):
        text = sel.findtext("q:Description", default="", namespaces=NS)
        assert (DETAILS_PREFIX in text) == (sel.get("creatingUser") == guid("user", "auto"))
        notes.add(text)
    assert "appello al TAR" in notes  # a human note stays a plain description


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("appello al TAR", ("appello al TAR", None, False)),
        ("qualcode: please check", ("qualcode: please check", None, False)),
        (
            'a note\r\n\r\nqualcode: {"pattern_id": "x:en:1", "z_future": 1}\r\n',
            ("a note", {m.PATTERN_ID: "x:en:1"}, False),
        ),
        ('qualcode: {"match_spans": "3-9;12-20"}', (None, {m.MATCH_SPANS: "3-9;12-20"}, False)),
        ("qualcode: {broken", (None, None, True)),
        ("note\nqualcode: {[1, 2]}", ("note", None, True)),
        ('qualcode: {"matched_text": 7}', (None, None, True)),
        ('qualcode: {"match_spans": "9-3"}', (None, None, True)),
        ('qualcode: {"match_spans": "1-2;x"}', (None, None, True)),
        ('qualcode: {"match_spans": "1-' + "9" * 5000 + '"}', (None, None, True)),
        ('qualcode: {"matched_text": "\\ud800"}', (None, None, True)),
    ],
)
def test_split_description_reads_the_details_line_and_flags_bad_ones(text, expected):
    assert split_description(text) == expected


def test_malformed_or_misfitting_details_are_skipped_and_counted(sample, tmp_path):
    """A details line edited by hand (or by another tool) never stops an import."""
    with zipfile.ZipFile(sample["project"]) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    root = etree.fromstring(members["project.qde"])
    descriptions = [
        d
        for d in root.iterfind(".//q:PlainTextSelection/q:Description", NS)
        if d.text.startswith(DETAILS_PREFIX)
    ]
    descriptions[0].text = DETAILS_PREFIX + '{"match_spans": "1-2;oops"}'
    descriptions[1].text = "checked by Anna\n\n" + DETAILS_PREFIX + "{not json"
    descriptions[2].text = DETAILS_PREFIX + '{"match_spans": "0-1"}'  # outside its selection
    members["project.qde"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    report = import_qdpx(_zip(tmp_path / "edited.qdpx", members), tmp_path / "out")
    assert report.skipped == {SKIP_BAD_DETAILS: 2, SKIP_DETAILS_MISFIT: 1}
    codings = load_output(tmp_path / "out").codings
    auto = codings[codings[m.SOURCE] == m.SOURCE_AUTO]
    assert auto[m.PATTERN_ID].isna().sum() == 3
    assert "checked by Anna" in set(auto[m.NOTE].dropna())


def test_details_of_selections_split_by_another_unit_are_dropped(
    tmp_path, mini_corpus, mini_codebook
):
    from qualcode.coding.api import code_to_folder

    out = tmp_path / "out"
    code_to_folder(mini_corpus, mini_codebook, out)
    export_qdpx(out, tmp_path / "p.qdpx")
    report = import_qdpx(tmp_path / "p.qdpx", tmp_path / "back", unit="sentence")
    codings = load_output(tmp_path / "back").codings
    auto = codings[codings[m.SOURCE] == m.SOURCE_AUTO]
    # A turn-long selection cut into sentences no longer has one set of match details.
    assert auto[m.PATTERN_ID].isna().sum() == report.skipped.get(SKIP_DETAILS_MISFIT, 0) > 0


def test_agreement_is_unchanged_by_the_round_trip(sample):
    from qualcode.reliability.agreement import agreement

    before = agreement(sample["out"], "anna,luis").table
    after = agreement(sample["imported"], "anna,luis").table
    assert after.equals(before)
    auto_vs_anna = agreement(sample["imported"], "auto,anna").table
    assert len(auto_vs_anna)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The shipped sample coded by the CLI from the repository (so ./overrides, with its
    `remove` decisions, applies), exported and re-imported by the CLI."""
    import os

    root = tmp_path_factory.mktemp("refi_shipped")
    out, project, imported = root / "out", root / "project.qdpx", root / "imported"
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        args = ["code", "transcripts_sample", "--codebook", "codebooks/cso_dilemmas.yaml"]
        result = run_cli([*args, "--out", str(out)])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.stderr
    result = run_cli(["export", "qdpx", "--from", str(out), "-o", str(project)])
    assert result.exit_code == 0, result.stderr
    result = run_cli(["import", "qdpx", str(project), "--out", str(imported), "--json"])
    assert result.exit_code == 0, result.stderr
    return {"out": out, "project": project, "imported": imported, "json": result.stdout}


def test_shipped_sample_round_trip_gives_identical_segments_and_codings(shipped):
    before = load_output(shipped["out"])
    # Not vacuous: coders' decisions (adds and removals of automatic codings) were applied,
    # and the automatic codings carry match details.
    assert set(before.overrides[m.ACTION]) == {m.ACTION_ADD, m.ACTION_REMOVE}
    assert before.overrides["removed_auto"].any()
    auto = before.codings[before.codings[m.SOURCE] == m.SOURCE_AUTO]
    assert len(auto) and auto[[m.MATCHED_TEXT, m.PATTERN_ID, m.MATCH_SPANS]].notna().all().all()
    assert set(before.codings[m.CODER]) == {"auto", "coder_b", "coder_c"}
    with zipfile.ZipFile(shipped["project"]) as archive:
        assert_valid(archive.read("project.qde"), "Project-mrt2019.xsd")
    assert_same_tables(shipped["out"], shipped["imported"])
    assert '"skipped": {}' in shipped["json"]


def test_removed_automatic_codings_do_not_travel(shipped):
    """A removed automatic coding is in neither codings table, and its removal (coder, note,
    time stamp) is not in the project: the imported overrides hold only the adds."""
    before, after = load_output(shipped["out"]), load_output(shipped["imported"])
    removed = before.overrides[before.overrides["removed_auto"]]
    pairs = set(zip(removed[m.SEGMENT_ID], removed[m.CODE], strict=True))
    for out in (before, after):
        auto = out.codings[out.codings[m.SOURCE] == m.SOURCE_AUTO]
        assert not pairs & set(zip(auto[m.SEGMENT_ID], auto[m.CODE], strict=True))
    assert set(after.overrides[m.ACTION]) == {m.ACTION_ADD}
    adds = before.overrides[before.overrides[m.ACTION] == m.ACTION_ADD]
    columns = [m.SEGMENT_ID, m.CODE, m.CODER, m.TIMESTAMP]
    key = sorted(map(tuple, adds[columns].astype(str).values.tolist()))
    assert sorted(map(tuple, after.overrides[columns].astype(str).values.tolist())) == key


def test_qdc_validates_and_its_import_keeps_definitions_rules_and_examples(tmp_path):
    from qualcode.codebook import load_codebook

    qdc = tmp_path / "codebook.qdc"
    export_qdc(SAMPLE_CODEBOOK, qdc)
    assert_valid(qdc.read_bytes(), "Codebook-mrt2019.xsd")
    back = tmp_path / "back.yaml"
    assert import_qdc(qdc, back) == len(load_codebook(SAMPLE_CODEBOOK).codes)
    original = {c.name: c for c in load_codebook(SAMPLE_CODEBOOK).codes}
    for code in load_codebook(back).codes:
        source = original[code.name]
        assert (code.parent, code.definition, code.include, code.exclude) == (
            source.parent,
            source.definition,
            source.include,
            source.exclude,
        )
        assert code.examples == [" ".join(e.split()) for e in source.examples]
        assert code.manual


# --- offsets: BOM, CRLF, accents, emoji ----------------------------------------------------------

TRICKY = "INT: Cosa fate? 😀\r\n\r\nP: Sì, città 🙂 — abbiamo presentato un ricorso al TAR.\r\n"


@pytest.fixture
def tricky(tmp_path, mini_codebook):
    """A transcript saved with a BOM and CRLF line ends, with accents and emoji, coded."""
    from qualcode.coding.api import code_to_folder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    front = "---\r\nlanguage: it\r\ncountry: Italy\r\n---\r\n"
    (corpus / "it_x.md").write_bytes(b"\xef\xbb\xbf" + (front + TRICKY).encode("utf-8"))
    out = tmp_path / "out"
    code_to_folder(corpus, mini_codebook, out)
    return out


def test_positions_count_code_points_of_the_canonical_text(tricky, tmp_path):
    project = export_qdpx(tricky, tmp_path / "p.qdpx").path
    root = project_root(project)
    sel = root.find(".//q:PlainTextSelection", NS)
    canonical = TRICKY.replace("\r\n", "\n")
    answer = "Sì, città 🙂 — abbiamo presentato un ricorso al TAR."
    # Hand-counted: "INT: Cosa fate? 😀" is 17 code points, two "\n", then "P: " (3).
    assert (int(sel.get("startPosition")), int(sel.get("endPosition"))) == (22, 22 + 51)
    assert canonical[22:73] == answer


def test_utf16_positions_shift_after_each_emoji_and_round_trip(tricky, tmp_path):
    project = export_qdpx(tricky, tmp_path / "p.qdpx", offsets="utf16").path
    sel = project_root(project).find(".//q:PlainTextSelection", NS)
    # One emoji before the answer (+1), one inside it (+1 at the end).
    assert (int(sel.get("startPosition")), int(sel.get("endPosition"))) == (23, 75)
    assert_valid(zipfile.ZipFile(project).read("project.qde"), "Project-mrt2019.xsd")
    import_qdpx(project, tmp_path / "back", offsets="utf16")
    assert passages(tmp_path / "back") == passages(tricky)
    # match_spans travel in code points whatever the positions' unit.
    assert_same_tables(tricky, tmp_path / "back")


# --- projects that mimic other tools ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "options", "expected", "skipped"),
    [
        (
            "nvivo_like",
            {"crlf": True, "bom": True},
            {
                ("Interview_Italy_01", "Litigation", "Anna_Rossi", "presentato un ricorso al TAR"),
                (
                    "Interview_Italy_01",
                    "Litigation",
                    "Luis_Pérez",
                    "Abbiamo presentato un ricorso al TAR",
                ),
                ("Interview_Italy_01", "Advocacy", "Luis_Pérez", "conferenza stampa"),
                ("Interview_Spain_02", "Other (Context)", "Anna_Rossi", "Tapamos el hueco"),
            },
            {
                "codings that reference a case instead of a code": 1,
                "selections without any code (memos, annotations)": 1,
                "sources that are not text (PDF, picture, audio, video)": 1,
                "codings on sources that are not text": 1,
            },
        ),
        (
            "atlas_like",
            {"crlf": True},
            {
                (
                    "es_doctor_03",
                    "litigation",
                    "luis",
                    "Presentamos un recurso contra la consejería.",
                ),
                ("es_doctor_03", "humanitarianism", "luis", "Tapamos el hueco."),
            },
            {},
        ),
        (
            "minimal_like",
            {},
            {("source-b2000000", "humanitarianism", "imported", "Colmiamo il vuoto")},
            {
                "selections beyond the end of their text": 1,
                "selections without valid start/end positions": 1,
                "codings that reference a missing code": 1,
                "sources that are not text (PDF, picture, audio, video)": 1,
                "codings on sources that are not text": 1,
            },
        ),
        (
            "utf16_like",
            {},
            {
                ("it_nurse_05", "advocacy", "anna", "conferenza stampa"),
                ("it_nurse_05", "mood", "anna", "Bene 🙂"),
            },
            {},
        ),
    ],
)
def test_projects_of_other_tools_import_with_exact_passages(
    tmp_path, fixture, options, expected, skipped
):
    project = zip_fixture(fixture, tmp_path / f"{fixture}.qdpx", **options)
    report = import_qdpx(project, tmp_path / "out")
    assert passages(tmp_path / "out") == expected
    assert report.skipped == skipped


def test_project_inside_a_top_folder_is_found(tmp_path):
    flat_zip = zip_fixture("atlas_like", tmp_path / "flat.qdpx", crlf=True)
    nested = tmp_path / "nested.qdpx"
    with zipfile.ZipFile(flat_zip) as src, zipfile.ZipFile(nested, "w") as dst:
        for info in src.infolist():
            dst.writestr(f"Entrevistas/{info.filename}", src.read(info))
    import_qdpx(nested, tmp_path / "out")
    assert len(passages(tmp_path / "out")) == 2


def test_qualcode_export_keeps_its_segment_unit(tmp_path, mini_corpus, mini_codebook):
    from qualcode.coding.api import code_to_folder

    out = tmp_path / "out"
    code_to_folder(mini_corpus, mini_codebook, out, unit="paragraph")
    export_qdpx(out, tmp_path / "p.qdpx")
    report = import_qdpx(tmp_path / "p.qdpx", tmp_path / "back")
    assert report.unit == "paragraph"
    assert load_output(tmp_path / "back").segments.equals(load_output(out).segments)
    assert passages(tmp_path / "back") == passages(out)


def test_unusable_language_names_the_source(tmp_path):
    qde = (REFI / "minimal_like" / "project.qde").read_text(encoding="utf-8")
    qde = qde.replace(
        "<PlainTextContent>",
        '<VariableValue><VariableRef targetGUID="00000000-0000-4000-8000-000000000001"/>'
        "<TextValue>zz</TextValue></VariableValue><PlainTextContent>",
    ).replace(
        "<Sources>",
        '<Variables><Variable guid="00000000-0000-4000-8000-000000000001" name="Language"'
        ' typeOfVariable="Text"/></Variables><Sources>',
    )
    project = _zip(tmp_path / "p.qdpx", {"project.qde": qde.encode("utf-8")})
    with pytest.raises(ExportError) as caught:
        import_qdpx(project, tmp_path / "out")
    assert "(source 'b2000000-0000-4000-8000-000000000001')" in str(caught.value)
    assert "zz" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_nvivo_like_variables_become_metadata_and_codes_a_valid_codebook(tmp_path):
    from qualcode.codebook import load_codebook

    project = zip_fixture("nvivo_like", tmp_path / "p.qdpx", crlf=True, bom=True)
    import_qdpx(project, tmp_path / "out")
    out = load_output(tmp_path / "out")
    meta = out.transcripts().set_index(m.TRANSCRIPT_ID)
    italy = meta.loc["Interview_Italy_01"]
    assert (italy[m.COUNTRY], italy[m.ROLE], italy[m.LANGUAGE]) == ("Italy", "lawyer", "it")
    assert (italy["age_group"], italy["years_in_role"]) == ("40-49", "12")
    assert meta.loc["Interview_Spain_02", m.LANGUAGE] == "es"
    assert "\r" not in meta.loc["Interview_Italy_01", m.TEXT]
    assert not meta.loc["Interview_Italy_01", m.TEXT].startswith("\ufeff")
    book = load_codebook(tmp_path / "out" / "codebook.yaml")
    assert [(c.name, c.parent) for c in book.codes] == [
        ("Strategie", None),
        ("Litigation", "Strategie"),
        ("Advocacy", "Strategie"),
        ("Other", "Strategie"),
        ("Context", None),
        ("Other (Context)", "Context"),
    ]
    assert book.get("Strategie").color == "#1B9E77"
    assert book.get("Litigation").definition == "Going to court."
    segments = out.segments.set_index(m.SEGMENT_ID)
    assert set(segments.loc[segments[m.IS_INTERVIEWER], m.SPEAKER]) == {"INT", "Q"}


def test_imported_folder_works_with_freq_matrix_and_agree(tmp_path):
    project = zip_fixture("nvivo_like", tmp_path / "p.qdpx", crlf=True, bom=True)
    out = tmp_path / "imported"
    result = run_cli(["import", "qdpx", str(project), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "Imported 2 transcripts" in flat(result.stdout)
    assert "skipped 1 codings that reference a case instead of a code" in flat(result.stderr)
    for args in (["freq", "--from", str(out)], ["matrix", "--from", str(out)]):
        assert run_cli(args).exit_code == 0, args
    agree = run_cli(["agree", "--from", str(out), "--coders", "Anna_Rossi,Luis_Pérez"])
    assert agree.exit_code == 0, agree.stderr
    assert "Litigation" in agree.stdout


# --- bad input -------------------------------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


PROJECT_OPEN = b'<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="x">'


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (None, "a .qdpx file is a zip archive and this is not one"),
        ({"readme.txt": b"hello"}, "the zip holds no .qde project file"),
        (
            {"project.qde": b"<Project><Sources>"},
            "project.qde inside this file is not well-formed XML",
        ),
        (
            {"project.qde": b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>'},
            "has root element <CodeBook>, expected <Project>",
        ),
        (
            {"a/one.qde": PROJECT_OPEN + b"</Project>", "b/two.qde": PROJECT_OPEN + b"</Project>"},
            "several project files",
        ),
        (
            {
                "project.qde": PROJECT_OPEN
                + b'<Sources><TextSource guid="11111111-1111-4111-8111-111111111111"'
                b' plainTextPath="internal://missing.txt"/></Sources></Project>'
            },
            "no text source to import (1 text sources whose plain text is missing",
        ),
    ],
)
def test_bad_projects_fail_with_one_line_and_write_nothing(tmp_path, members, message):
    project = tmp_path / "bad.qdpx"
    if members is None:
        project.write_bytes(b"not a zip at all")
    else:
        _zip(project, members)
    with pytest.raises(ExportError) as caught:
        import_qdpx(project, tmp_path / "out")
    assert message in str(caught.value)
    assert str(project) in str(caught.value)
    assert not (tmp_path / "out").exists()
    result = run_cli(["import", "qdpx", str(project), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert message in flat(result.stderr) and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_failed_import_leaves_the_previous_folder_untouched(tmp_path):
    out = tmp_path / "out"
    import_qdpx(zip_fixture("atlas_like", tmp_path / "good.qdpx", crlf=True), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = _zip(tmp_path / "bad.qdpx", {"project.qde": b"<oops"})
    assert run_cli(["import", "qdpx", str(bad), "--out", str(out)]).exit_code == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_import_qdc_refuses_a_file_that_is_not_a_codebook(tmp_path):
    path = write(tmp_path / "x.qdc", "<Project/>")
    result = run_cli(["import", "qdc", str(path), "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    assert "the codebook has no codes" in flat(result.stderr)
    assert not (tmp_path / "x.yaml").exists()


def test_import_qdc_of_a_qdpx_takes_the_projects_codebook(tmp_path, mini_corpus, mini_codebook):
    from qualcode.codebook import load_codebook

    out, qdpx, back = tmp_path / "out", tmp_path / "project.qdpx", tmp_path / "back.yaml"
    assert (
        run_cli(
            ["code", str(mini_corpus), "--codebook", str(mini_codebook), "--out", str(out), "-q"]
        ).exit_code
        == 0
    )
    assert run_cli(["export", "qdpx", "--from", str(out), "-o", str(qdpx)]).exit_code == 0
    result = run_cli(["import", "qdc", str(qdpx), "-o", str(back)])
    assert result.exit_code == 0, result.stderr
    # the mini codebook's four codes, in its order
    assert "Wrote" in result.stdout and "4 codes" in flat(result.stdout)
    original = load_codebook(mini_codebook).codes
    imported = load_codebook(back).codes
    assert [(c.name, c.parent, c.definition) for c in imported] == [
        ("strategy", None, "Strategies."),
        ("litigation", "strategy", "Going to court."),
        ("advocacy", "strategy", "Public pressure."),
        ("humanitarianism", None, "Filling gaps."),
    ]
    assert [(c.name, c.parent, c.definition) for c in imported] == [
        (c.name, c.parent, c.definition) for c in original
    ]
    assert all(c.manual and not c.patterns for c in imported)


_CODEBOOK_ROOT = b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>'


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"readme.txt": b"hello"}, "not a REFI-QDA project: the zip holds no .qde project file"),
        ({"project.qde": PROJECT_OPEN + b"</Project>"}, "the project has no codebook"),
        (
            {"project.qde": PROJECT_OPEN + b"<CodeBook><Codes/></CodeBook></Project>"},
            "the project has no codebook: its <CodeBook> holds no codes",
        ),
        ({"project.qde": _CODEBOOK_ROOT}, "has root element <CodeBook>, expected <Project>"),
        (
            {"project.qde": b"<Project><CodeBook>"},
            "project.qde inside this file is not well-formed",
        ),
    ],
)
def test_import_qdc_of_a_zip_without_a_usable_codebook_fails_in_one_line(
    tmp_path, members, message
):
    project = _zip(tmp_path / "bad.qdpx", members)
    target = tmp_path / "book.yaml"
    result = run_cli(["import", "qdc", str(project), "-o", str(target)])
    assert result.exit_code == 2
    assert message in flat(result.stderr) and str(project) in flat(result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()


# --- the commands of the README ------------------------------------------------------------------


def test_export_and_import_commands_run(sample, tmp_path):
    qdpx, qdc, yaml_out = tmp_path / "p.qdpx", tmp_path / "c.qdc", tmp_path / "c.yaml"
    result = run_cli(["export", "qdpx", "--from", str(sample["out"]), "-o", str(qdpx)])
    assert result.exit_code == 0, result.stderr
    assert "13 transcripts, 10 codes" in flat(result.stdout)
    assert qdpx.read_bytes() == sample["project"].read_bytes()
    result = run_cli(["export", "qdc", "--codebook", str(SAMPLE_CODEBOOK), "-o", str(qdc)])
    assert result.exit_code == 0, result.stderr
    result = run_cli(["import", "qdc", str(qdc), "-o", str(yaml_out)])
    assert result.exit_code == 0, result.stderr
    assert run_cli(["codebook", "check", str(yaml_out)]).exit_code == 0
    result = run_cli(["import", "qdpx", str(qdpx), "--out", str(tmp_path / "i"), "--json"])
    assert result.exit_code == 0, result.stderr
    assert '"transcripts": 13' in result.stdout
