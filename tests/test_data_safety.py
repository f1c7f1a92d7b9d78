"""Issue 16, data loss and privacy: output folders qualcode may replace, and what
pseudonymisation and its check cover. Each test reproduces a finding of the review."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_cli, write
from qualcode.output.guard import MARKER_FILE

MINI_FILES = [
    "codebook.yaml",
    "codings.csv",
    "codings.parquet",
    "overrides.csv",
    "overrides.parquet",
    "run.json",
    "segments.csv",
    "segments.parquet",
    "transcripts.parquet",
]


def _code(corpus: Path, codebook: Path, out: Path | str, *extra: str):
    return run_cli(
        ["code", str(corpus), "-c", str(codebook), "-o", str(out), "--no-overrides", "-q", *extra]
    )


def _one_line(stderr: str) -> str:
    """The error line, rich's wrapping undone."""
    return " ".join(stderr.split())


@pytest.fixture
def coded(tmp_path: Path, mini_corpus: Path, mini_codebook: Path) -> Path:
    out = tmp_path / "out"
    assert _code(mini_corpus, mini_codebook, out).exit_code == 0
    return out


# --- the marker ----------------------------------------------------------------------------------


def test_every_output_folder_gets_a_marker_listing_the_files_qualcode_wrote(coded: Path):
    marker = json.loads((coded / MARKER_FILE).read_text(encoding="utf-8"))
    assert marker == {"format": 1, "written_by": "qualcode", "files": MINI_FILES}


def test_a_rerun_replaces_a_folder_holding_only_what_qualcode_wrote(
    coded: Path, mini_corpus: Path, mini_codebook: Path
):
    (coded / "segments.csv").write_text("stale")  # qualcode's own file: replaced
    assert _code(mini_corpus, mini_codebook, coded).exit_code == 0
    assert (coded / "segments.csv").read_text().startswith("segment_id,")


# --- the user's files ----------------------------------------------------------------------------


def test_files_a_user_put_in_the_output_folder_make_the_run_refuse(
    coded: Path, mini_corpus: Path, mini_codebook: Path
):
    # Before: the next run deleted them silently.
    write(coded / "notes.md", "my notes")
    write(coded / "figures" / "plot.svg", "<svg/>")
    result = _code(mini_corpus, mini_codebook, coded)
    assert result.exit_code == 2
    assert (
        f"{coded}: the output folder holds 2 files (figures/, notes.md) that qualcode did not "
        "write; move them elsewhere, or run again with --force"
    ) in _one_line(result.stderr)
    assert (coded / "notes.md").read_text() == "my notes"


def test_the_refusal_names_the_first_five_files_and_counts_the_rest(
    coded: Path, mini_corpus: Path, mini_codebook: Path
):
    for name in "abcdefg":  # 7 files: a..e named, "and 2 more"
        write(coded / f"{name}.txt", name)
    result = _code(mini_corpus, mini_codebook, coded)
    assert "7 files (a.txt, b.txt, c.txt, d.txt, e.txt and 2 more)" in _one_line(result.stderr)


def test_force_replaces_the_folder_and_keeps_the_users_files_in_it(
    coded: Path, mini_corpus: Path, mini_codebook: Path
):
    write(coded / "notes.md", "my notes")
    write(coded / "figures" / "plot.svg", "<svg/>")
    os.chmod(coded / "notes.md", 0o600)
    result = _code(mini_corpus, mini_codebook, coded, "--force")
    assert result.exit_code == 0, result.stderr
    assert "keeping 2 files (figures/, notes.md) qualcode did not write" in _one_line(result.stderr)
    assert (coded / "notes.md").read_text() == "my notes"
    assert (coded / "figures" / "plot.svg").read_text() == "<svg/>"
    assert (coded / "notes.md").stat().st_mode & 0o777 == 0o600  # its mode too
    # still not qualcode's: the marker does not list them, so the next run asks again
    assert json.loads((coded / MARKER_FILE).read_text())["files"] == MINI_FILES
    assert _code(mini_corpus, mini_codebook, coded).exit_code == 2


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_with_a_run_json_qualcode_did_not_write_is_never_replaced(
    tmp_path: Path, mini_corpus: Path, mini_codebook: Path, force: list[str]
):
    # Before: any folder holding a run.json (even "{}") was deleted whole.
    folder = tmp_path / "thesis"
    write(folder / "run.json", "{}")
    write(folder / "chapter1.md", "precious")
    result = _code(mini_corpus, mini_codebook, folder, *force)
    assert result.exit_code == 2
    assert "is not a qualcode output folder" in _one_line(result.stderr)
    assert (folder / "chapter1.md").read_text() == "precious"
    assert (folder / "run.json").read_text() == "{}"


def test_a_non_empty_folder_without_marker_or_run_json_is_refused_even_with_force(
    tmp_path: Path, mini_corpus: Path, mini_codebook: Path
):
    folder = write(tmp_path / "docs" / "a.txt", "mine").parent
    result = _code(mini_corpus, mini_codebook, folder, "--force")
    assert result.exit_code == 2
    assert "is not a qualcode output folder" in _one_line(result.stderr)
    assert "refusing to replace it" in _one_line(result.stderr)
    assert (folder / "a.txt").read_text() == "mine"


@pytest.mark.parametrize("partitioned", [False, True])
def test_a_folder_of_an_older_qualcode_without_marker_is_replaced(
    coded: Path, mini_corpus: Path, mini_codebook: Path, partitioned: bool
):
    if partitioned:
        extra = ["--partitioned", "--partition-rows", "2"]
        assert _code(mini_corpus, mini_codebook, coded, *extra).exit_code == 0
    (coded / MARKER_FILE).unlink()  # as written before the marker existed
    assert _code(mini_corpus, mini_codebook, coded).exit_code == 0
    assert (coded / MARKER_FILE).is_file()


def test_an_older_folder_with_a_file_qualcode_never_writes_is_refused(
    coded: Path, mini_corpus: Path, mini_codebook: Path
):
    (coded / MARKER_FILE).unlink()
    write(coded / "report.html", "<html/>")
    result = _code(mini_corpus, mini_codebook, coded)
    assert result.exit_code == 2 and "1 file (report.html)" in _one_line(result.stderr)


# --- inputs, the current folder, links -----------------------------------------------------------


def test_coding_a_folder_into_itself_is_refused_and_deletes_nothing(
    tmp_path: Path, mini_corpus: Path, mini_codebook: Path, monkeypatch
):
    # Before: `qualcode code pseudo --out pseudo` deleted the 13 transcripts.
    monkeypatch.chdir(mini_corpus.parent)
    before = {p.name: p.read_bytes() for p in mini_corpus.iterdir()}
    result = _code(Path("corpus"), mini_codebook, "corpus")
    assert result.exit_code == 2
    assert (
        "corpus: the output folder is the input corpus; qualcode never writes over its inputs"
        in _one_line(result.stderr)
    )
    assert {p.name: p.read_bytes() for p in mini_corpus.iterdir()} == before


@pytest.mark.parametrize(
    ("out", "args", "codebook", "relation"),
    [
        ("corpus/out", ["corpus"], "mini.yaml", "lies inside"),  # inside the transcripts
        ("project", ["project/corpus"], "mini.yaml", "contains"),  # around the transcripts
        ("books", ["corpus"], "books/mini.yaml", "contains"),  # the codebook
        ("ov", ["corpus", "--overrides", "ov"], "mini.yaml", "is"),  # the decisions folder
        ("sheet", ["corpus", "--meta", "sheet/people.csv"], "mini.yaml", "contains"),  # metadata
    ],
)
def test_an_output_that_overlaps_an_input_is_refused(
    tmp_path: Path, mini_corpus: Path, mini_codebook: Path, monkeypatch, out, args, codebook,
    relation,
):  # fmt: skip
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copytree(mini_corpus, tmp_path / "project" / "corpus")
    write(tmp_path / "books" / "mini.yaml", mini_codebook.read_text())
    (tmp_path / "ov").mkdir()
    write(tmp_path / "sheet" / "people.csv", "transcript_id,country\nen_one,Spain\n")
    before = sorted(p for p in tmp_path.rglob("*"))
    result = run_cli(["code", *args, "-c", codebook, "-o", out, "-q"])
    assert result.exit_code == 2
    assert f"{out}: the output folder {relation} the input" in _one_line(result.stderr)
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_out_dot_is_refused_clearly(
    tmp_path: Path, mini_corpus: Path, mini_codebook: Path, monkeypatch
):
    # Before: an EBUSY traceback.
    here = tmp_path / "empty"
    here.mkdir()
    monkeypatch.chdir(here)
    result = _code(mini_corpus, mini_codebook, ".")
    assert result.exit_code == 2
    assert ".: the output folder is the current folder or contains it" in _one_line(result.stderr)
    assert list(here.iterdir()) == []


def test_a_symlinked_out_is_written_through_and_stays_a_link(
    tmp_path: Path, mini_corpus: Path, mini_codebook: Path
):
    # Before: the link was replaced by a local folder (data off the encrypted volume).
    vault = tmp_path / "vault"
    (vault / "out").mkdir(parents=True)
    link = tmp_path / "out"
    link.symlink_to(vault / "out")
    for _ in range(2):  # new, then replaced
        assert _code(mini_corpus, mini_codebook, link).exit_code == 0
    assert link.is_symlink() and link.resolve() == (vault / "out").resolve()
    assert sorted(p.name for p in (vault / "out").iterdir()) == sorted([*MINI_FILES, MARKER_FILE])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "mini.yaml", "out", "vault"]


def test_a_dangling_symlink_out_is_refused(tmp_path: Path, mini_corpus: Path, mini_codebook: Path):
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "unmounted" / "out")
    result = _code(mini_corpus, mini_codebook, link)
    assert result.exit_code == 2
    assert "is a symbolic link to" in result.stderr and "which does not exist" in result.stderr
    assert link.is_symlink() and not (tmp_path / "unmounted").exists()


# --- the other commands that write output folders ------------------------------------------------


def test_import_and_pseudonymise_refuse_a_folder_with_user_files(
    tmp_path: Path, coded: Path, mini_corpus: Path
):
    import shutil

    run_cli(["export", "qdpx", "--from", str(coded), "-o", str(tmp_path / "p.qdpx")])
    target = tmp_path / "target"
    shutil.copytree(coded, target)  # a qualcode folder ...
    write(target / "mine.txt", "precious")  # ... with a file of the user's
    key = ["--key-file", str(tmp_path / "key")]
    commands = [
        ["import", "qdpx", str(tmp_path / "p.qdpx"), "--out", str(target)],
        ["pseudonymise", str(mini_corpus), "-o", str(target), *key],
        ["pseudonymise", "--from", str(coded), "-o", str(target), *key],
    ]
    for command in commands:
        result = run_cli(command)
        assert result.exit_code == 2, command
        assert "(mine.txt) that qualcode did not write" in _one_line(result.stderr)
        assert (target / "mine.txt").read_text() == "precious"
    imported = run_cli(commands[0] + ["--force"])
    assert imported.exit_code == 0, imported.stderr
    assert (target / "mine.txt").read_text() == "precious" and (target / MARKER_FILE).is_file()


def test_pseudonymise_never_replaces_the_folder_of_its_key_or_identifiers(
    tmp_path: Path, mini_corpus: Path
):
    ids = write(tmp_path / "private" / "ids.yaml", "people:\n  - name: Anna Rossi\n")
    result = run_cli(
        ["pseudonymise", str(mini_corpus), "-i", str(ids), "-o", str(tmp_path / "private")]
        + ["--key-file", str(tmp_path / "key")]
    )
    assert result.exit_code == 2
    assert "the output folder contains the input" in _one_line(result.stderr)
    assert ids.is_file()


# --- privacy: run.json, the report and the check -------------------------------------------------

NAMED_CORPUS = {
    "en_one.md": """
        ---
        country: Spain
        role: lawyer
        ---
        Laura Neri: Did you go to court?
        Maria Rossi: Yes. We filed a lawsuit against the region.
        """,
    "en_two.md": """
        ---
        country: Italy
        role: nurse
        ---
        Maria Rossi: We fill the gap, honestly.
        Paolo Bianchi: Sometimes.
        """,
}
IDENTIFIERS = """
people:
  - name: Laura Neri
  - name: Maria Rossi
  - name: Paolo Bianchi
"""
NAMES = ("Laura Neri", "Maria Rossi", "Paolo Bianchi")


@pytest.fixture
def named(tmp_path: Path, mini_codebook: Path) -> dict[str, Path]:
    """An output whose run.json holds names: in the command (--interviewer-label) and in a
    warning (en_two has no interviewer turn, so its speakers are listed)."""
    corpus = tmp_path / "named"
    for name, text in NAMED_CORPUS.items():
        write(corpus / name, text)
    out = tmp_path / "out"
    result = _code(corpus, mini_codebook, out, "--interviewer-label", "Laura Neri")
    assert result.exit_code == 0, result.stderr
    manifest = (out / "run.json").read_text(encoding="utf-8")
    assert "--interviewer-label 'Laura Neri'" in manifest and "(speakers: Maria Rossi" in manifest
    return {"out": out, "ids": write(tmp_path / "ids.yaml", IDENTIFIERS), "key": tmp_path / "k"}


def test_pseudonymise_replaces_names_in_run_json(named: dict[str, Path], tmp_path: Path):
    # Before: the recorded command and the warnings kept the names.
    copy = tmp_path / "copy"
    result = run_cli(
        ["pseudonymise", "--from", str(named["out"]), "-i", str(named["ids"]), "-o", str(copy)]
        + ["--key-file", str(named["key"]), "-q"]
    )
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((copy / "run.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest, ensure_ascii=False)
    assert not any(name in text for name in NAMES)
    assert "--interviewer-label '[PERSON-" in manifest["command"]
    assert any("(speakers: [PERSON-" in w for w in manifest["summary"]["warnings"])
    # code and coder names are kept: they must match the tables
    assert [c["name"] for c in manifest["codes"]][:2] == ["strategy", "litigation"]


def test_a_pseudonymised_report_shows_no_name_from_run_json(named: dict[str, Path], tmp_path):
    report = tmp_path / "report.html"
    result = run_cli(
        ["report", "--from", str(named["out"]), "-o", str(report)]
        + ["--pseudonymise", str(named["ids"]), "--key-file", str(named["key"])]
    )
    assert result.exit_code == 0, result.stderr
    html = report.read_text(encoding="utf-8")
    assert "--interviewer-label" in html  # the command is shown ...
    assert not any(name in html for name in NAMES)  # ... without the names


def test_the_check_reads_run_json_and_every_other_text_file(named: dict[str, Path]):
    # Before: run.json was not read at all.
    write(named["out"] / "notes.md", "Call Giulia Zanforlin about the lawsuit.\n")
    result = run_cli(
        ["pseudonymise", "--check", str(named["out"]), "-i", str(named["ids"]), "--json"]
    )
    assert result.exit_code == 1
    found = {(row["file"], row["candidate"]) for row in json.loads(result.stdout)}
    out = named["out"]
    assert (f"{out / 'run.json'}#/command", "Laura Neri") in found
    assert (f"{out / 'notes.md'}", "Giulia") in found and (
        f"{out / 'notes.md'}",
        "Zanforlin",
    ) in found
    # the CSV copies of the tables repeat what the tables show: listed once
    rows = json.loads(result.stdout)
    assert len({(r["file"], r["line"], r["column"]) for r in rows}) == len(rows)
    assert not [r for r in rows if r["file"].endswith("segments.csv#speaker")]


def test_the_check_of_a_pseudonymised_copy_finds_nothing_in_run_json(
    named: dict[str, Path], tmp_path: Path
):
    copy = tmp_path / "copy"
    run_cli(
        ["pseudonymise", "--from", str(named["out"]), "-i", str(named["ids"]), "-o", str(copy)]
        + ["--key-file", str(named["key"]), "-q"]
    )
    result = run_cli(["pseudonymise", "--check", str(copy), "-i", str(named["ids"]), "--json"])
    rows = json.loads(result.stdout) if result.stdout.strip() else []
    assert not [r for r in rows if "run.json" in r["file"] and r["kind"] == "listed"]
