"""`qualcode code` end to end, as a researcher runs it: outputs, summary, determinism, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, SAMPLE, SAMPLE_CODEBOOK, write
from qualcode import models as m


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_code_writes_tables_and_prints_summary(
    tmp_path: Path, cli, mini_corpus, mini_codebook
) -> None:
    out = tmp_path / "out"
    result = cli(
        [
            "code",
            str(mini_corpus),
            "--codebook",
            str(mini_codebook),
            "--out",
            str(out),
            "--no-overrides",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert "Coded 3 transcripts" in result.stdout and "litigation" in result.stdout
    assert "without country or role: es_three" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "segments.parquet",
            "segments.csv",
            "codings.parquet",
            "codings.csv",
            "overrides.parquet",
            "overrides.csv",
            "transcripts.parquet",
            "run.json",
            "codebook.yaml",
            ".qualcode-output.json",  # the marker: qualcode wrote this folder
        ]
    )
    codings = pd.read_parquet(out / "codings.parquet")
    assert list(codings.columns[: len(m.CODING_COLUMNS)]) == m.CODING_COLUMNS
    got = set(zip(codings[m.TRANSCRIPT_ID], codings[m.CODE], codings[m.MATCHED_TEXT], strict=True))
    assert got == {
        ("en_one", "litigation", "filed a lawsuit"),
        ("en_one", "advocacy", "press conference"),
        ("en_one", "humanitarianism", "fill the gap"),
        ("es_three", "litigation", "Presentamos un recurso | Interpusimos una demanda"),
        ("es_three", "humanitarianism", "Tapamos el hueco"),
        ("it_two", "litigation", "presentato un ricorso | TAR"),
        ("it_two", "advocacy", "conferenza stampa"),
    }
    # match offsets point into the stored canonical text
    texts = pd.read_parquet(out / "transcripts.parquet").set_index(m.TRANSCRIPT_ID)[m.TEXT]
    for row in codings.itertuples():
        spans = [tuple(map(int, s.split("-"))) for s in row.match_spans.split(";")]
        assert " | ".join(texts[row.transcript_id][a:b] for a, b in spans) == row.matched_text
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["summary"]["transcripts"] == 3
    assert manifest["codes"][1] == {"name": "litigation", "parent": "strategy", "manual": False}


def test_interviewer_turns_are_kept_but_not_coded_unless_asked(
    tmp_path: Path, cli, mini_corpus, mini_codebook
) -> None:
    write(mini_corpus / "q.md", "INT: Did you file a lawsuit?\nP: No.\n")
    for flag, expected in (([], 0), (["--code-interviewer"], 1)):
        out = tmp_path / f"out{len(flag)}"
        assert (
            cli(
                [
                    "code",
                    str(mini_corpus / "q.md"),
                    "-c",
                    str(mini_codebook),
                    "-o",
                    str(out),
                    "-q",
                    *flag,
                ]
            ).exit_code
            == 0
        )
        segments = pd.read_parquet(out / "segments.parquet")
        assert list(segments[m.IS_INTERVIEWER]) == [True, False]
        assert len(pd.read_parquet(out / "codings.parquet")) == expected


def test_same_inputs_give_byte_identical_outputs(
    tmp_path: Path, cli, mini_corpus, mini_codebook
) -> None:
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = cli(
            [
                "code",
                str(mini_corpus),
                "-c",
                str(mini_codebook),
                "-o",
                str(out),
                "-q",
                "--unit",
                "sentence",
            ]
        )
        assert result.exit_code == 0, result.stderr
        outputs.append(_files(out))
    manifest_a = json.loads(outputs[0].pop("run.json"))
    manifest_b = json.loads(outputs[1].pop("run.json"))
    manifest_a.pop("command"), manifest_b.pop("command")  # differs only by the --out path
    assert manifest_a == manifest_b
    assert outputs[0] == outputs[1]


def test_rerun_replaces_the_output_folder_completely(
    tmp_path: Path, cli, mini_corpus, mini_codebook
) -> None:
    out = tmp_path / "out"
    assert (
        cli(["code", str(mini_corpus), "-c", str(mini_codebook), "-o", str(out), "-q"]).exit_code
        == 0
    )
    (mini_corpus / "es_three.md").unlink()
    assert (
        cli(["code", str(mini_corpus), "-c", str(mini_codebook), "-o", str(out), "-q"]).exit_code
        == 0
    )
    assert set(pd.read_parquet(out / "segments.parquet")[m.TRANSCRIPT_ID]) == {"en_one", "it_two"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        (lambda d, cb: (d / "empty.md").write_bytes(b""), "empty.md: file is empty"),
        (lambda d, cb: (d / "bin.txt").write_bytes(b"\x00\x01\x02"), "bin.txt: binary file"),
        (
            lambda d, cb: (d / "latin.txt").write_bytes(b"INT: a\nP: se\xf1or\n"),
            "latin.txt:2: not valid utf-8",
        ),
        (lambda d, cb: (d / "fm.md").write_text("---\na: [b\n---\nINT: x\n"), "fm.md:"),
        (
            lambda d, cb: (d / "dup.md").write_text("---\nid: en_one\n---\nINT: x\nP: y\n"),
            "duplicate transcript id 'en_one'",
        ),
        (lambda d, cb: cb.write_text("name: x\ncodes:\n  - name: a\n"), "code 'a' is empty"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_keeps_previous_output(
    tmp_path: Path, cli, mini_corpus, mini_codebook, setup, fragment
) -> None:
    out = tmp_path / "out"
    assert (
        cli(["code", str(mini_corpus), "-c", str(mini_codebook), "-o", str(out), "-q"]).exit_code
        == 0
    )
    before = _files(out)
    setup(mini_corpus, mini_codebook)
    result = cli(["code", str(mini_corpus), "-c", str(mini_codebook), "-o", str(out)])
    assert result.exit_code == 2
    assert fragment.lower() in result.stderr.lower()
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert _files(out) == before


def test_bad_override_file_stops_the_run_and_is_left_untouched(
    tmp_path: Path, cli, mini_corpus, mini_codebook
) -> None:
    bad = write(tmp_path / "ov" / "anna.csv", "segment_id,code,action\nx,litigation,delete\n")
    before = bad.read_bytes()
    result = cli(
        [
            "code",
            str(mini_corpus),
            "-c",
            str(mini_codebook),
            "-o",
            str(tmp_path / "out"),
            "--overrides",
            str(tmp_path / "ov"),
        ]
    )
    assert result.exit_code == 2 and f"{bad.as_posix()}:2: action 'delete'" in result.stderr
    assert bad.read_bytes() == before and not (tmp_path / "out").exists()


def test_refuses_to_replace_a_folder_that_is_not_a_qualcode_output(
    tmp_path: Path, cli, mini_corpus, mini_codebook
) -> None:
    precious = write(tmp_path / "thesis" / "chapter1.docx", "precious")
    result = cli(
        ["code", str(mini_corpus), "-c", str(mini_codebook), "-o", str(tmp_path / "thesis")]
    )
    assert result.exit_code == 2 and "refusing to replace it" in result.stderr
    assert precious.read_text() == "precious"


def test_json_summary_for_scripts(tmp_path: Path, cli, mini_corpus, mini_codebook) -> None:
    result = cli(
        ["code", str(mini_corpus), "-c", str(mini_codebook), "-o", str(tmp_path / "o"), "--json"]
    )
    summary = json.loads(result.stdout)
    assert summary["transcripts"] == 3 and summary["missing_metadata"] == ["es_three"]
    by_code = {c["code"]: c for c in summary["codes"]}
    assert by_code["litigation"]["segments"] == 3 and by_code["litigation"]["transcripts"] == 3


def test_help_is_fast_because_spacy_and_pandas_are_not_imported() -> None:
    code = "import sys, qualcode.cli; print('spacy' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
    helptext = subprocess.run(
        [sys.executable, "-m", "qualcode", "code", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--codebook" in helptext.stdout


def test_quick_start_command_on_the_shipped_sample(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    out = tmp_path / "out"
    result = cli(
        [
            "code",
            "transcripts_sample",
            "--codebook",
            "codebooks/cso_dilemmas.yaml",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.stderr
    segments = pd.read_parquet(out / "segments.parquet")
    assert segments[m.TRANSCRIPT_ID].nunique() == len(list(SAMPLE.glob("*.md"))) >= 12
    assert set(segments[m.LANGUAGE]) == {"en", "it", "es"}
    assert set(segments[m.COUNTRY]) == {"Italy", "Spain"}  # sheet filled the gaps
    codings = pd.read_parquet(out / "codings.parquet")
    leaves = {
        "humanitarianism",
        "equity",
        "sustainability",
        "entitlement",
        "lobbying",
        "advocacy",
        "litigation",
    }
    assert leaves <= set(codings[m.CODE])
    assert SAMPLE_CODEBOOK.exists()


def test_a_scheduler_without_the_dask_engine_is_refused(tmp_path, cli) -> None:
    from conftest import SAMPLE, SAMPLE_CODEBOOK

    out = tmp_path / "out"
    args = ["code", str(SAMPLE), "-c", str(SAMPLE_CODEBOOK), "-o", str(out)]
    result = cli([*args, "--scheduler", "tcp://10.0.0.5:8786"])
    assert result.exit_code == 2
    assert "--scheduler needs --engine dask" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr and not out.exists()
