"""The project file (qualcode.toml, issue 15 point 6) and no state picked up by accident (point 5).

`qualcode init` writes the file, `find_project` reads it back from the project folder or below,
and inside a project `qualcode code`, the analysis commands' --from and `qualcode override
--dir` default to the project's; flags override the file. Outside a project nothing is taken
from the current folder: a corpus coded from a folder with its own overrides/ and
participants.csv picks up neither.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import write
from qualcode import models as m
from qualcode.errors import ProjectError
from qualcode.project import PROJECT_FILE, find_project, load_project, project_toml, toml_string

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _project(tmp_path: Path, corpus: Path, codebook: Path, **extra: str) -> Path:
    """A project folder holding a copy of the corpus and codebook, and its qualcode.toml."""
    root = tmp_path / "project"
    shutil.copytree(corpus, root / "transcripts")
    shutil.copy(codebook, root / "codebook.yaml")
    lines = ['transcripts = ["transcripts"]', 'codebook = "codebook.yaml"']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    (root / PROJECT_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _options(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))["options"]


# --- the file: quoting, reading back, errors -----------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ("with spaces", '"with spaces"'),
        ('say "hi"', r'"say \"hi\""'),  # a double quote is escaped
        ("it's", '"it\'s"'),  # a single quote needs nothing in a basic string
        ("C:\\data\\t", r'"C:\\data\\t"'),  # each backslash doubled, \t stays two characters
        ("tab\there", r'"tab\there"'),  # a real tab becomes the escape \t
        ("bell\x07", r'"bell\u0007"'),  # other control characters: \uXXXX
        ("città è ñ 中", '"città è ñ 中"'),  # non-ASCII stays as it is (the file is UTF-8)
    ],
)
def test_toml_string_quotes_values_so_they_read_back(value: str, expected: str) -> None:
    assert toml_string(value) == expected
    assert tomllib.loads(f"k = {expected}")["k"] == value


@pytest.mark.parametrize(
    "name",
    ["plain", "two words", "quote \" and ' both", "back\\slash", "interviste è ñ 中文"],
)
def test_init_writes_a_file_that_find_project_reads_back(tmp_path: Path, cli, monkeypatch, name):
    root = tmp_path / "proj"
    write(root / name / "a.md", "P: hello\n")
    write(root / f"{name}.yaml", "name: x\ncodes: []\n")
    monkeypatch.chdir(root)
    result = cli(
        [
            "init",
            "--transcripts",
            name,
            "--codebook",
            f"{name}.yaml",
            "--meta",
            f"{name}.yaml",  # any existing file will do: init checks that it exists
            "--coders",
            "anna,luis,anna",  # the repeat is dropped
            "--reviewers",
            "maria",
            "--unit",
            "paragraph",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert "Wrote qualcode.toml:" in result.stdout and "Next: qualcode code" in result.stdout
    (root / "deeper" / "still").mkdir(parents=True)
    project = find_project(root / "deeper" / "still")
    assert project is not None and project.path == root / PROJECT_FILE
    assert project.transcripts == [root / name]
    assert (project.codebook, project.meta) == (root / f"{name}.yaml", root / f"{name}.yaml")
    # Defaults: decisions/ and out/ inside the project folder (neither is created).
    assert (project.decisions, project.out) == (root / "decisions", root / "out")
    assert (project.unit, project.coders, project.reviewers) == (
        "paragraph",
        ["anna", "luis"],
        ["maria"],
    )
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [name, f"{name}.yaml", PROJECT_FILE, "deeper"]
    )


def test_init_stores_paths_outside_the_folder_as_absolute_ones(tmp_path: Path, cli, monkeypatch):
    write(tmp_path / "shared" / "book.yaml", "name: x\ncodes: []\n")
    write(tmp_path / "proj" / "transcripts" / "a.md", "P: hello\n")
    monkeypatch.chdir(tmp_path)
    # FOLDER is proj; the paths are relative to the current folder (tmp_path).
    result = cli(["init", "proj", "--codebook", "shared/book.yaml"])
    assert result.exit_code == 0, result.stderr
    assert "Next: cd proj && qualcode code" in result.stdout
    data = tomllib.loads((tmp_path / "proj" / PROJECT_FILE).read_text(encoding="utf-8"))
    # transcripts/ is found inside proj; the codebook lies outside it, so it is stored absolute.
    assert data["transcripts"] == ["transcripts"]
    assert data["codebook"] == (tmp_path / "shared" / "book.yaml").as_posix()


@pytest.mark.parametrize(
    ("folders", "expected"),
    [
        (["transcripts", "old_transcripts"], "transcripts"),  # transcripts/ itself comes first
        (["Interview_Transcripts", "codebooks"], "Interview_Transcripts"),  # the one named so
        (["a_transcripts", "b_transcripts"], "several folders"),  # two: ambiguous
        (["interviews"], "no transcripts/ folder"),  # none
    ],
)
def test_init_finds_the_transcripts_folder_or_says_why_not(
    tmp_path: Path, cli, monkeypatch, folders: list[str], expected: str
) -> None:
    for folder in folders:
        (tmp_path / folder).mkdir()
    write(tmp_path / "book.yaml", "name: x\ncodes: []\n")
    monkeypatch.chdir(tmp_path)
    result = cli(["init", "--codebook", "book.yaml"])
    if expected in folders:
        assert result.exit_code == 0, result.stderr
        assert load_project(tmp_path / PROJECT_FILE).transcripts == [tmp_path / expected]
    else:
        assert result.exit_code == 2 and expected in result.stderr
        assert "--transcripts" in result.stderr and not (tmp_path / PROJECT_FILE).exists()


def test_init_takes_an_existing_overrides_folder_as_the_decisions_folder(
    tmp_path: Path, cli, monkeypatch
) -> None:
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "overrides").mkdir()  # the pre-project convention: kept, not replaced
    write(tmp_path / "book.yaml", "name: x\ncodes: []\n")
    monkeypatch.chdir(tmp_path)
    assert cli(["init", "--codebook", "book.yaml"]).exit_code == 0
    assert load_project(tmp_path / PROJECT_FILE).decisions == tmp_path / "overrides"


def test_init_refuses_to_overwrite_a_project_file(tmp_path: Path, cli, monkeypatch) -> None:
    (tmp_path / "transcripts").mkdir()
    write(tmp_path / "book.yaml", "name: x\ncodes: []\n")
    mine = "# my own settings\ncodebook = 'mine.yaml'\n"
    (tmp_path / PROJECT_FILE).write_text(mine, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    refused = cli(["init", "--codebook", "book.yaml"])
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "error: qualcode.toml: a project file already exists (use --force to replace it)"
    )
    assert (tmp_path / PROJECT_FILE).read_text(encoding="utf-8") == mine
    forced = cli(["init", "--codebook", "book.yaml", "--force"])
    assert forced.exit_code == 0, forced.stderr
    assert load_project(tmp_path / PROJECT_FILE).codebook == tmp_path / "book.yaml"


def test_project_toml_leaves_out_keys_without_a_value() -> None:
    text = project_toml(transcripts=["t"], codebook="c.yaml")
    assert tomllib.loads(text) == {"transcripts": ["t"], "codebook": "c.yaml"}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # line 2 opens a string that never closes
        ('transcripts = ["t"]\ncodebook = "c.yaml\n', 2, "not valid TOML"),
        # the same key twice: the second (line 2) is the error
        ('unit = "turn"\nunit = "turn"\n', 2, "not valid TOML"),
        # the document ends inside the array opened on line 1: reported at its last line, 1
        ('transcripts = ["a",\n', 1, "not valid TOML"),
        # a misspelt key on line 3 (line 2 is blank)
        ('transcripts = ["t"]\n\ncodebok = "c.yaml"\n', 3, "unknown key 'codebok'"),
        # a unit that does not exist, line 3
        (
            'transcripts = ["t"]\ncodebook = "c.yaml"\nunit = "chapter"\n',
            3,
            "'unit' must be one of",
        ),
        # coders must be a list, line 3
        (
            'transcripts = ["t"]\ncodebook = "c.yaml"\ncoders = "anna"\n',
            3,
            "'coders' must be a list",
        ),
        # a path must be a string, line 1
        ("codebook = 3\n", 1, "'codebook' must be a non-empty string"),
        # settings under a table header (line 2) are not where a project file holds them
        ('# mine\n[project]\ncodebook = "c.yaml"\n', 2, "unknown key 'project'"),
    ],
)
def test_a_malformed_project_file_is_one_line_naming_file_and_line(
    tmp_path: Path, cli, monkeypatch, text: str, line: int, message: str
) -> None:
    (tmp_path / PROJECT_FILE).write_text(text, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # found from below, too
    with pytest.raises(ProjectError) as raised:
        find_project()
    [problem] = raised.value.problems
    assert (problem.file, problem.line) == (str(tmp_path / PROJECT_FILE), line)
    result = cli(["code"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"error: {tmp_path / PROJECT_FILE}:{line}: ") and message in lines[0]
    assert not (tmp_path / "out").exists() and not (tmp_path / "sub" / "out").exists()


# --- code inside and outside a project -----------------------------------------------------


def test_code_with_no_arguments_equals_the_explicit_run(
    tmp_path: Path, cli, monkeypatch, mini_corpus, mini_codebook
) -> None:
    root = _project(tmp_path, mini_corpus, mini_codebook, decisions='"decisions"', out='"results"')
    monkeypatch.chdir(root)
    first = cli(["code", "-q"])
    assert first.exit_code == 0, first.stderr
    seg = pd.read_csv(root / "results" / "segments.csv")[m.SEGMENT_ID].iloc[1]
    added = cli(["override", "add", seg, "advocacy", "--coder", "anna"])
    assert added.exit_code == 0, added.stderr
    implicit = cli(["code", "--json"])
    assert implicit.exit_code == 0, implicit.stderr
    assert json.loads(implicit.stdout)["project"] == PROJECT_FILE
    assert _options(root / "results")["project"] == PROJECT_FILE
    assert _options(root / "results")["overrides"] == ["decisions"]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert find_project() is None  # nothing above tmp_path holds a project file
    explicit = cli(
        [
            "code",
            str(root / "transcripts"),
            "--codebook",
            str(root / "codebook.yaml"),
            "--overrides",
            str(root / "decisions"),
            "--out",
            "out",
            "-q",
        ]
    )
    assert explicit.exit_code == 0, explicit.stderr
    assert _options(elsewhere / "out")["project"] is None
    for name in ("codings.csv", "codings.parquet", "segments.csv", "segments.parquet"):
        assert (root / "results" / name).read_bytes() == (elsewhere / "out" / name).read_bytes()
    # The decisions table names each decision's file as the run was given it (relative inside
    # the project, absolute here): everything else is the same.
    decisions = [pd.read_csv(f / "overrides.csv") for f in (root / "results", elsewhere / "out")]
    assert [d[m.OVERRIDE_FILE].map(lambda p: Path(p).name).tolist() for d in decisions] == [
        ["anna.csv"],
        ["anna.csv"],
    ]
    pd.testing.assert_frame_equal(*(d.drop(columns=[m.OVERRIDE_FILE]) for d in decisions))
    # The decision recorded inside the project is in both: one manual coding by anna.
    manual = pd.read_csv(elsewhere / "out" / "codings.csv").query("source == 'manual'")
    assert list(zip(manual[m.SEGMENT_ID], manual[m.CODER], strict=True)) == [(seg, "anna")]


@pytest.mark.parametrize(
    ("args", "folder", "unit", "overrides"),
    [
        ([], "results", "paragraph", ["decisions"]),  # all from the file
        (["--unit", "turn"], "results", "turn", ["decisions"]),  # a flag beats the file
        (["--out", "other", "--no-overrides"], "other", "paragraph", []),
    ],
)
def test_flags_override_the_project_file(
    tmp_path: Path, cli, monkeypatch, mini_corpus, mini_codebook, args, folder, unit, overrides
) -> None:
    root = _project(
        tmp_path,
        mini_corpus,
        mini_codebook,
        unit='"paragraph"',
        out='"results"',
        decisions='"decisions"',
    )
    (root / "decisions").mkdir()
    monkeypatch.chdir(root)
    result = cli(["code", "-q", *args])
    assert result.exit_code == 0, result.stderr
    options = _options(root / folder)
    assert (options["unit"], options["overrides"]) == (unit, overrides)
    units = set(pd.read_csv(root / folder / "segments.csv")[m.UNIT])
    assert units == {unit}


def test_code_outside_a_project_without_transcripts_says_to_run_init(
    tmp_path: Path, cli, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli(["code", "--codebook", "book.yaml"])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "no transcripts given" in result.stderr and "qualcode init" in result.stderr


def test_an_unrelated_folder_picks_up_nothing_from_the_current_folder(
    tmp_path: Path, cli, monkeypatch, mini_corpus, mini_codebook
) -> None:
    """Issue 15's last "done when" item: the cwd's overrides/ and participants.csv are not read."""
    cwd = tmp_path / "repository"
    # Decisions on segments of this very corpus and of another one, and a participant sheet
    # that would contradict en_one's front matter (country Spain): none may be read.
    write(
        cwd / "overrides" / "anna.csv",
        """
        segment_id,code,action,coder,note,timestamp
        en_one.t.0000000000,advocacy,add,anna,,2026-01-01T00:00:00
        it_lawyer_04.t.1a2b3c4d5e,litigation,remove,anna,,2026-01-01T00:00:01
        """,
    )
    write(cwd / "participants.csv", "transcript_id,country,role\nen_one,Narnia,wizard\n")
    monkeypatch.chdir(cwd)
    out = tmp_path / "out"
    result = cli(["code", str(mini_corpus), "--codebook", str(mini_codebook), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    said = result.stdout + result.stderr
    assert "no longer exist" not in said and "not in this corpus" not in said
    assert "Overrides from" not in said and "Metadata sheet" not in said
    assert len(pd.read_csv(out / "overrides.csv")) == 0
    options = _options(out)
    assert (options["overrides"], options["meta"], options["project"]) == ([], None, None)
    segments = pd.read_csv(out / "segments.csv")
    assert set(segments.loc[segments[m.TRANSCRIPT_ID] == "en_one", m.COUNTRY]) == {"Spain"}


# --- --from and override --dir defaults ------------------------------------------------------


def test_analysis_commands_read_the_project_out_folder_by_default(
    tmp_path: Path, cli, monkeypatch, mini_corpus, mini_codebook
) -> None:
    root = _project(tmp_path, mini_corpus, mini_codebook, out='"results"')
    monkeypatch.chdir(root)
    assert cli(["code", "-q"]).exit_code == 0
    (root / "notes").mkdir()
    monkeypatch.chdir(root / "notes")
    # No --from: the project's results/ (from a sub-folder too), counted by hand: litigation
    # codes en_one's "filed a lawsuit", it_two's "presentato un ricorso al TAR" and es_three's
    # two matches in one turn = 3 segments.
    implicit = cli(["freq", "--format", "csv"])
    assert implicit.exit_code == 0, implicit.stderr
    table = implicit.stdout.split("code,Total\n", 1)[1].split("\n\n", 1)[0]
    counts = dict(line.split(",") for line in table.splitlines())
    assert counts["litigation"] == "3"
    # --from given, even with the default's own value, is taken as given: notes/out has no run.
    explicit = cli(["freq", "--from", "out"])
    assert explicit.exit_code == 2 and "out" in explicit.stderr


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("project", "project/decisions"),  # the project's decisions folder
        ("run_read_one", "team"),  # no project: the one folder the checked run read
        ("nothing", "overrides"),  # neither: ./overrides, as before projects
    ],
)
def test_override_add_writes_where_it_says(
    tmp_path: Path, cli, monkeypatch, mini_corpus, mini_codebook, setup: str, expected: str
) -> None:
    if setup == "project":
        root = _project(tmp_path, mini_corpus, mini_codebook, decisions='"decisions"')
        monkeypatch.chdir(root)
        assert cli(["code", "-q"]).exit_code == 0
        (root / "sub").mkdir()
        monkeypatch.chdir(root / "sub")  # from below the project folder, too
    else:
        monkeypatch.chdir(tmp_path)
        team = ["--overrides", "team"] if setup == "run_read_one" else ["--no-overrides"]
        (tmp_path / "team").mkdir()
        code = cli(["code", str(mini_corpus), "--codebook", str(mini_codebook), "-q", *team])
        assert code.exit_code == 0, code.stderr
    out = tmp_path / "project" / "out" if setup == "project" else tmp_path / "out"
    seg = pd.read_csv(out / "segments.csv")[m.SEGMENT_ID].iloc[1]
    result = cli(["override", "add", seg, "litigation", "--coder", "anna"])
    assert result.exit_code == 0, result.stderr
    written = tmp_path / expected / "anna.csv"
    assert seg in written.read_text(encoding="utf-8")
    assert "anna.csv" in result.stdout and str(Path(expected).name) in result.stdout
    others = [p for p in tmp_path.rglob("anna.csv") if p != written]
    assert others == []
