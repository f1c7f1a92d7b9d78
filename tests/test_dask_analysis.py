"""`freq`, `matrix` and `cooccur` with `--engine dask` equal the local engine's tables.

One LocalCluster of two worker processes serves the module. Every option combination is run
through both engines on three output folders -- the hand-built fixture of tests/data/analysis
written as a partitioned dataset of 4-row parts, the shipped sample (partitioned, and as single
files), and a generated corpus -- and the DataFrames must be exactly equal. The hand counts of
tests/test_analysis.py check that both are also right.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, SAMPLE_CODEBOOK, generate_corpus, run_cli
from qualcode import analysis
from qualcode import models as m
from qualcode.coding.api import code_to_folder
from qualcode.errors import AnalysisError, QualcodeError
from qualcode.output.folder import load_output
from test_analysis import CASES_BY_COUNTRY, ORDER, SEGMENTS_BY_COUNTRY, WORDS_BY_COUNTRY

pytest.importorskip("dask.distributed", reason="dask[distributed] is in the test extra")

from qualcode.analysis import on_dask as analysis_dask  # noqa: E402 - needs dask, skipped above without it

HAND = Path(__file__).parent / "data" / "analysis"


@pytest.fixture(scope="module")
def scheduler() -> str:
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # leave 8787 to the cluster `--engine dask` starts itself
        host="127.0.0.1",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def _write_dataset(frame: pd.DataFrame, folder: Path, rows: int) -> None:
    folder.mkdir(parents=True)
    schema = pa.Table.from_pandas(frame, preserve_index=False).schema
    for number, start in enumerate(range(0, len(frame), rows)):
        part = pa.Table.from_pandas(
            frame.iloc[start : start + rows], schema=schema, preserve_index=False
        )
        pq.write_table(part, folder / m.PART_FILE.format(number))


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("dask-analysis")
    hand = root / "hand"
    _write_dataset(pd.read_csv(HAND / "segments.csv"), hand / "segments.parquet", 4)
    _write_dataset(pd.read_csv(HAND / "codings.csv"), hand / "codings.parquet", 4)
    pd.DataFrame({c: pd.Series(dtype=object) for c in m.OVERRIDE_COLUMNS}).to_parquet(
        hand / "overrides.parquet"
    )
    codes = [{"name": code, "parent": parent} for code, parent in ORDER]
    (hand / m.MANIFEST_FILE).write_text(json.dumps({"codes": codes}), encoding="utf-8")

    sample = {"overrides": [SAMPLE.parent / "overrides"], "meta": SAMPLE / "participants.csv"}
    code_to_folder(
        SAMPLE, SAMPLE_CODEBOOK, root / "sample", partitioned=True, partition_rows=40, **sample
    )
    code_to_folder(SAMPLE, SAMPLE_CODEBOOK, root / "sample-single", **sample)
    corpus = generate_corpus(root / "corpus", 12 * 500, words_per_file=500)
    code_to_folder(corpus, SAMPLE_CODEBOOK, root / "generated", partitioned=True, partition_rows=60)
    return {
        "hand": hand,
        "sample": root / "sample",
        "sample-single": root / "sample-single",
        "generated": root / "generated",
    }


FOLDERS = ["hand", "sample", "sample-single", "generated"]


def _local(folder: Path, function, **options):
    """The local engine as the CLI runs it: load_output without the text columns."""
    run = load_output(folder, skip_columns=(m.TEXT, m.MATCHED_TEXT))
    return function(run.segments, run.codings, run.code_order, **options)


FREQUENCIES = [
    {},
    {"by": "country"},
    {"by": ["country", "role"]},
    {"by": "role", "count": "cases"},
    {"by": "country", "count": "words", "percent": True},
    {"by": ["role", "speaker"], "count": "cases", "percent": True},
    {"by": "segment_index"},
    {"codes": ["strategy"], "by": "country"},
    {"codes": ["humanitarianism", "lobbying"], "percent": True},
    {"source": "manual", "by": "country"},
    {"source": "auto", "count": "words"},
    {"coder": ["auto"], "by": "role"},
    {"where": "country == 'Italy'", "by": "role"},
    {"where": "role != 'lawyer'", "by": "role"},  # a missing role matches no comparison
    {"where": "n_words > 5 and segment_index >= 1", "count": "cases"},
    {"include_interviewer": True, "by": "is_interviewer"},
    {"where": "country == 'Nowhere'", "by": "country", "percent": True},  # nothing left
]


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("options", FREQUENCIES, ids=str)
def test_frequencies_equal_the_local_engine(folders, scheduler, folder, options):
    local = _local(folders[folder], analysis.code_frequencies, **options)
    dask = analysis_dask.code_frequencies(folders[folder], scheduler=scheduler, **options)
    pd.testing.assert_frame_equal(dask.table, local.table)
    pd.testing.assert_frame_equal(dask.denominators, local.denominators)
    assert (dask.count, dask.percent) == (local.count, local.percent)


MATRICES = [
    {},
    {"value": "binary"},
    {"rows": "role", "value": "words"},
    {"rows": "country", "long": True, "where": "n_words > 3"},
    {"codes": ["strategy"], "source": "auto", "include_interviewer": True},
]


COOCCURRENCES = [
    {},
    {"within": "transcript"},
    {"within": "overlap"},
    {"measure": "jaccard"},
    {"within": "overlap", "measure": "jaccard", "coder": "auto"},
    {"within": "transcript", "measure": "jaccard", "where": "country == 'Spain'"},
    {"within": "segment", "codes": ["strategy"], "include_interviewer": True},
]


TABLES = [("code_matrix", o) for o in MATRICES] + [("cooccurrence", o) for o in COOCCURRENCES]


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize(("function", "options"), TABLES, ids=str)
def test_matrices_and_cooccurrences_equal_the_local_engine(
    folders, scheduler, folder, function, options
):
    local = _local(folders[folder], getattr(analysis, function), **options)
    dask = getattr(analysis_dask, function)(folders[folder], scheduler=scheduler, **options)
    pd.testing.assert_frame_equal(dask, local)


@pytest.mark.parametrize("options", [{"by": "country"}, {"codes": ["dilemma"], "count": "cases"}])
def test_codes_missing_from_the_codebook_come_last_with_their_first_parent(
    folders, scheduler, tmp_path, options
):
    # run.json without `advocacy` and `dilemma`: the local engine appends them after the
    # codebook's codes, each with the parent of its first coding; so must the Dask engine.
    out = tmp_path / "out"
    shutil.copytree(folders["hand"], out)
    codes = [{"name": c, "parent": p} for c, p in ORDER if c not in ("advocacy", "dilemma")]
    (out / m.MANIFEST_FILE).write_text(json.dumps({"codes": codes}), encoding="utf-8")
    local = _local(out, analysis.code_frequencies, **options)
    dask = analysis_dask.code_frequencies(out, scheduler=scheduler, **options)
    pd.testing.assert_frame_equal(dask.table, local.table)
    if "by" in options:  # advocacy joins its parent strategy; dilemma becomes a last root
        assert list(dask.table.index) == [
            *("dimension", "sustainability", "entitlement"),
            *("strategy", "lobbying", "litigation", "advocacy"),
            *("dilemma", "humanitarianism", "equity"),
        ]


# --- right, not only equal: the hand counts of tests/test_analysis.py ----------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [("segments", SEGMENTS_BY_COUNTRY), ("cases", CASES_BY_COUNTRY), ("words", WORDS_BY_COUNTRY)],
)
def test_dask_frequencies_match_the_hand_counts(folders, scheduler, count, expected):
    result = analysis_dask.code_frequencies(
        folders["hand"], by="country", count=count, scheduler=scheduler
    )
    assert list(result.table.columns) == ["Italy", "Spain", "Total"]
    assert {code: tuple(row) for code, row in result.table.iterrows()} == expected
    assert result.denominators.loc["n_segments"].tolist() == [6, 4, 10]
    assert result.denominators.loc["n_words"].tolist() == [32, 22, 54]


def test_dask_cooccurrence_matches_the_hand_counts(folders, scheduler):
    within = analysis_dask.cooccurrence(folders["hand"], within="transcript", scheduler=scheduler)
    assert within.loc["lobbying"].tolist() == [1, 1, 2, 1, 3, 2, 2]
    overlap = analysis_dask.cooccurrence(
        folders["hand"], within="overlap", measure="jaccard", scheduler=scheduler
    )
    # lobbying: 131 coded characters, advocacy 95, shared 72 (see tests/test_analysis.py)
    assert overlap.loc["lobbying", "advocacy"] == pytest.approx(72 / (131 + 95 - 72))


def test_dask_matrix_matches_the_hand_counts(folders, scheduler):
    matrix = analysis_dask.code_matrix(folders["hand"], rows="country", scheduler=scheduler)
    assert matrix.loc["Italy"].tolist() == [1, 1, 1, 1, 3, 2, 1]
    assert matrix.loc["Spain", "litigation"] == 2


# --- the same errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "options"),
    [
        ("code_frequencies", {"by": "nope"}),
        ("code_frequencies", {"count": "pages"}),
        ("code_frequencies", {"coder": "zed"}),
        ("code_frequencies", {"codes": "lobying"}),
        ("code_frequencies", {"source": "robot"}),
        ("code_frequencies", {"where": "contry == 'Italy'"}),
        ("code_frequencies", {"where": "n_words + 1"}),
        ("code_frequencies", {"where": "country > 3"}),
        ("code_frequencies", {"where": "'court' in txt"}),
        ("code_matrix", {"rows": "text"}),
        ("cooccurrence", {"within": "paragraph"}),
    ],
)
def test_bad_requests_give_the_local_engines_message(folders, scheduler, function, options):
    with pytest.raises(AnalysisError) as local:
        _local(folders["hand"], getattr(analysis, function), **options)
    with pytest.raises(AnalysisError) as dask:
        getattr(analysis_dask, function)(folders["hand"], scheduler=scheduler, **options)
    assert str(dask.value) == str(local.value)


@pytest.mark.parametrize(
    "where", ["n_words > n_words.mean()", "segment_index == segment_index.max()"]
)
def test_a_where_over_the_whole_column_cannot_be_written(folders, scheduler, where):
    # The where language only compares a row's own values, so each partition keeps the rows
    # the whole table would; an aggregate is a method call, refused before any worker runs.
    with pytest.raises(AnalysisError, match="function and method calls: not in the language"):
        analysis_dask.code_frequencies(folders["sample"], where=where, scheduler=scheduler)


@pytest.mark.parametrize(
    "where",
    [
        "country.__class__.__init__.__globals__['sys'].modules['os'].system('touch {p}') == 0",
        "@pd.io.common.os.system('touch {p}') == 0",
        "country.to_csv('{p}') == 0",
    ],
)
def test_a_where_that_ran_python_on_the_workers_is_refused(folders, scheduler, tmp_path, where):
    # Issue 16: on main these ran on the Dask workers (`freq --engine dask`) and wrote the file.
    sentinel = tmp_path / "pwned"
    for function in (analysis_dask.code_frequencies, analysis_dask.cooccurrence):
        with pytest.raises(AnalysisError, match="^where expression"):
            function(folders["sample"], where=where.format(p=sentinel), scheduler=scheduler)
    assert not sentinel.exists()


def test_workers_read_only_the_columns_needed_never_the_text(folders, scheduler, monkeypatch):
    import dask.dataframe as dd

    asked: list[list[str]] = []
    real = dd.read_parquet

    def spy(path, columns=None, **kwargs):
        asked.append(list(columns))
        return real(path, columns=columns, **kwargs)

    monkeypatch.setattr(dd, "read_parquet", spy)
    folder = folders["sample"]
    analysis_dask.code_frequencies(
        folder, by="country", where="role == 'lawyer'", scheduler=scheduler
    )
    analysis_dask.code_matrix(folder, value="words", scheduler=scheduler)
    analysis_dask.cooccurrence(folder, within="overlap", coder="auto", scheduler=scheduler)
    assert asked and all(
        set(columns).isdisjoint({m.TEXT, m.MATCHED_TEXT, m.MATCH_SPANS, m.NOTE, m.PATTERN_ID})
        for columns in asked
    )
    assert [m.SEGMENT_ID, m.TRANSCRIPT_ID, m.N_WORDS, m.COUNTRY, m.IS_INTERVIEWER, m.ROLE] in asked
    asked.clear()
    analysis_dask.code_frequencies(folder, where="'court' in text", scheduler=scheduler)
    assert any(m.TEXT in columns for columns in asked)  # only when `where` names it


# --- the command line ----------------------------------------------------------------------------

CLI = [
    ["freq", "--by", "country", "--by", "role", "--percent", "--format", "csv"],
    ["freq", "--count", "cases", "--where", "country == 'Italy'", "--format", "csv"],
    ["matrix", "--rows", "role", "--words", "--format", "csv"],
    ["cooccur", "--within", "overlap", "--measure", "jaccard", "--format", "csv"],
]


@pytest.mark.parametrize("args", CLI, ids=lambda args: " ".join(args[:3]))
def test_cli_dask_engine_prints_the_local_table(folders, scheduler, args):
    command = [args[0], "--from", str(folders["sample"]), *args[1:]]
    local = run_cli(command)
    dask = run_cli([*command, "--engine", "dask", "--scheduler", scheduler])
    assert local.exit_code == dask.exit_code == 0, dask.stderr
    assert dask.stdout == local.stdout and dask.stdout.count("\n") > 3


def test_cli_dask_engine_starts_a_local_cluster_without_a_scheduler(folders):
    args = ["freq", "--from", str(folders["hand"]), "--by", "country", "--format", "csv"]
    local, dask = run_cli(args), run_cli([*args, "--engine", "dask", "--workers", "1"])
    assert dask.exit_code == 0, dask.stderr
    assert dask.stdout == local.stdout
    assert "Italy" in dask.stdout


def test_cli_corrupt_part_with_the_dask_engine_is_a_one_line_error(folders, scheduler, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(folders["sample"], out)
    (out / "segments.parquet" / "part-00002.parquet").write_bytes(b"PAR1 broken")
    result = run_cli(["freq", "--from", str(out), "--engine", "dask", "--scheduler", scheduler])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "part-00002.parquet" in " ".join(result.stderr.split())


def test_cli_missing_dask_is_a_one_line_error(folders, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # as if not installed
    result = run_cli(["cooccur", "--from", str(folders["hand"]), "--engine", "dask"])
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == (
        'error: the Dask engine needs dask[distributed]: pip install "qualcode[dask]"'
    )


def test_cli_scheduler_needs_the_dask_engine(folders):
    result = run_cli(["freq", "--from", str(folders["hand"]), "--scheduler", "tcp://x:8786"])
    assert result.exit_code == 2
    assert "--scheduler needs --engine dask" in result.stderr


def test_an_unreachable_scheduler_is_a_one_line_error(folders, monkeypatch):
    import dask

    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(
            QualcodeError, match="cannot connect to the Dask scheduler at tcp://127.0.0.1:9"
        ),
    ):
        analysis_dask.code_matrix(folders["hand"], scheduler="tcp://127.0.0.1:9")
