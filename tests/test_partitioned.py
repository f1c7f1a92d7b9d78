"""The partitioned layout: `qualcode code --partitioned` writes segments, codings and transcripts
as folders of part files; every command reads it exactly as it reads single files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, SAMPLE_CODEBOOK, run_cli
from qualcode import models as m
from qualcode.coding.api import code_to_folder
from qualcode.coding.sinks import FolderSink, arrow_schema
from qualcode.errors import OutputError
from qualcode.output.folder import load_output

REPO = SAMPLE.parent
SAMPLE_OPTIONS = {"overrides": [REPO / "overrides"], "meta": SAMPLE / "participants.csv"}
PART_ROWS = 50
TABLES = [m.SEGMENTS_FILE, m.CODINGS_FILE, m.TRANSCRIPTS_FILE]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """The sample coded twice: as single files, and as datasets of 50-row parts.

    Each output is `<root>/<layout>/out`, so commands run from `<root>/<layout>` print the same
    relative paths.
    """
    root = tmp_path_factory.mktemp("layouts")
    single, parts = root / "single" / "out", root / "parts" / "out"
    code_to_folder(SAMPLE, SAMPLE_CODEBOOK, single, **SAMPLE_OPTIONS)
    code_to_folder(
        SAMPLE, SAMPLE_CODEBOOK, parts, partitioned=True, partition_rows=PART_ROWS, **SAMPLE_OPTIONS
    )
    return {"single": single, "parts": parts}


# --- writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_each_big_table_is_a_folder_of_numbered_parts_of_n_rows(outputs, table):
    folder = outputs["parts"] / f"{table}.parquet"
    single = pq.read_table(outputs["single"] / f"{table}.parquet")
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"part-{i:05d}.parquet" for i in range(len(names))]
    sizes = [pq.ParquetFile(folder / name).metadata.num_rows for name in names]
    assert all(size == PART_ROWS for size in sizes[:-1]) and 0 < sizes[-1] <= PART_ROWS
    assert sum(sizes) == single.num_rows
    assert all(pq.read_schema(folder / name) == single.schema for name in names)
    # read in name order, the parts are the single file's rows in the same order
    parts = pa.concat_tables(pq.read_table(folder / name) for name in names)
    assert parts.equals(single)


def test_the_sample_makes_several_parts(outputs):
    assert len(list((outputs["parts"] / "segments.parquet").iterdir())) >= 3


def test_csv_files_and_small_tables_stay_single_identical_files(outputs):
    for name in ("segments.csv", "codings.csv", "overrides.csv", "overrides.parquet"):
        assert (outputs["parts"] / name).is_file()
        assert (outputs["parts"] / name).read_bytes() == (outputs["single"] / name).read_bytes()


def test_run_json_records_the_layout(outputs):
    single = json.loads((outputs["single"] / m.MANIFEST_FILE).read_text())
    parts = json.loads((outputs["parts"] / m.MANIFEST_FILE).read_text())
    assert single["layout"] == {"parquet": "file"}
    assert parts["layout"] == {"parquet": "dataset", "partition_rows": PART_ROWS}
    assert {k: v for k, v in single.items() if k != "layout"} == {
        k: v for k, v in parts.items() if k != "layout"
    }


def test_code_command_writes_the_partitioned_layout_on_request(tmp_path):
    out = tmp_path / "out"
    args = ["code", str(SAMPLE), "-c", str(SAMPLE_CODEBOOK), "-o", str(out), "--no-overrides"]
    result = run_cli([*args, "--partitioned", "--partition-rows", "100", "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    assert "datasets of 100-row parts" in " ".join(result.stdout.split())
    assert (out / "segments.parquet" / "part-00002.parquet").is_file()
    assert json.loads((out / m.MANIFEST_FILE).read_text())["layout"]["partition_rows"] == 100
    result = run_cli([*args, "--single-file", "--workers", "1", "--quiet"])
    assert result.exit_code == 0 and (out / "segments.parquet").is_file()


def _sink_rows(n: int) -> list[dict]:
    return [{"a": f"row{i}", m.N_WORDS: i} for i in range(n)]


@pytest.mark.parametrize(
    ("batches", "part_rows", "row_group", "expected"),
    [
        ([10], 4, 3, [4, 4, 2]),  # one flush cut into three parts
        ([3, 3, 3, 3], 4, 2, [4, 4, 4]),  # flushes and part ends fall apart
        ([8], 4, 100, [4, 4]),  # an exact multiple leaves no empty last part
        ([], 4, 3, [0]),  # an empty table is one empty part that keeps the schema
    ],
)
def test_parts_hold_exactly_partition_rows(
    tmp_path, monkeypatch, batches, part_rows, row_group, expected
):
    monkeypatch.setattr(FolderSink, "ROW_GROUP", row_group)
    columns = {"t": ["a", m.N_WORDS]}
    sink = FolderSink(tmp_path, columns, partition_rows=part_rows)
    start = 0
    for size in batches:
        sink.add("t", _sink_rows(start + size)[start:])
        start += size
    sink.close()
    parts = sorted((tmp_path / "t.parquet").iterdir())
    assert [pq.ParquetFile(p).metadata.num_rows for p in parts] == expected
    table = pa.concat_tables(pq.read_table(p) for p in parts)
    assert table.schema == arrow_schema(["a", m.N_WORDS])
    assert table.column(m.N_WORDS).to_pylist() == list(range(sum(batches)))


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"skip_columns": (m.TEXT, m.MATCHED_TEXT)},
        {"segment_columns": [m.SEGMENT_ID, m.N_WORDS], "coding_columns": [m.CODE, "nope"]},
    ],
)
def test_load_output_reads_both_layouts_alike(outputs, options):
    single, parts = (
        load_output(outputs["single"], **options),
        load_output(outputs["parts"], **options),
    )
    for name in ("segments", "codings", "overrides"):
        pd.testing.assert_frame_equal(getattr(single, name), getattr(parts, name))
    pd.testing.assert_frame_equal(single.transcripts(), parts.transcripts())
    pd.testing.assert_frame_equal(
        single.transcripts([m.TRANSCRIPT_ID, m.COUNTRY]),
        parts.transcripts([m.TRANSCRIPT_ID, m.COUNTRY]),
    )


def test_parts_are_read_in_numeric_order_beyond_five_digits(tmp_path):
    from qualcode.output.folder import table_parts

    folder = tmp_path / "segments.parquet"
    folder.mkdir()
    for name in ("part-100000.parquet", "part-99999.parquet", "part-00000.parquet", ".x.parquet"):
        (folder / name).write_bytes(b"")
    assert [p.name for p in table_parts(tmp_path, "segments")] == [
        "part-00000.parquet",
        "part-99999.parquet",
        "part-100000.parquet",
    ]


IDENTIFIERS = REPO / "identifiers.yaml"

# Every command that reads an output folder, run from the folder's parent on both layouts, with
# its expected exit code.
COMMANDS = [
    (["freq", "--from", "out", "--by", "country", "--format", "csv"], 0),
    (["freq", "--from", "out", "--by", "country", "--by", "role", "--count", "cases"], 0),
    (["matrix", "--from", "out", "--binary", "--format", "csv"], 0),
    (["cooccur", "--from", "out", "--within", "overlap", "--format", "csv"], 0),
    (["quotes", "--from", "out", "--code", "litigation", "--format", "csv"], 0),
    (["quotes", "--from", "out", "--code", "litigation", "--pseudonymise", str(IDENTIFIERS)], 0),
    (["agree", "--from", "out", "--coders", "all,auto", "--format", "csv"], 0),
    (["report", "--from", "out", "-o", "report.html"], 0),
    (["plot", "freq", "--from", "out", "-o", "freq.svg"], 0),
    (["export", "qdpx", "--from", "out", "-o", "project.qdpx"], 0),
    (["pseudonymise", "--from", "out", "-o", "pseudo", "-i", str(IDENTIFIERS)], 0),
    (["pseudonymise", "--check", "out"], 1),  # candidates found in the sample's text
    (["override", "add", "nope.t.0", "litigation", "--coder", "zoe", "--from", "out"], 2),
]


def _written(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "out" not in p.relative_to(folder).parts[:1]
    }


@pytest.mark.parametrize(
    ("args", "exit_code"), COMMANDS, ids=[" ".join(a[:2]) for a, _ in COMMANDS]
)
def test_every_command_reads_the_partitioned_layout_as_single_files(
    outputs, tmp_path, monkeypatch, args, exit_code
):
    results = {}
    for layout, out in outputs.items():
        work = tmp_path / layout
        shutil.copytree(out, work / "out")
        (work / ".qualcode-key").write_text("0" * 64 + "\n")
        (work / ".qualcode-key").chmod(0o600)
        monkeypatch.chdir(work)
        result = run_cli(args)
        results[layout] = (result.exit_code, result.stdout, result.stderr, _written(work))
    assert results["parts"][0] == exit_code, results["parts"][2]
    assert results["parts"] == results["single"]


# --- errors --------------------------------------------------------------------------------------


def _break(out: Path, how: str) -> str:
    """Damage the codings dataset of `out`; returns what the error must name."""
    folder = out / "codings.parquet"
    parts = sorted(folder.iterdir())
    if how == "garbage":
        parts[1].write_bytes(b"this is not parquet")
        return "part-00001.parquet"
    if how == "truncated":
        parts[-1].write_bytes(parts[-1].read_bytes()[:100])
        return parts[-1].name
    for part in parts:
        part.unlink()
    return "codings.parquet is a folder without part files"


@pytest.mark.parametrize("how", ["garbage", "truncated", "no parts"])
def test_a_damaged_part_is_a_one_line_error_naming_it(outputs, tmp_path, how):
    out = tmp_path / "out"
    shutil.copytree(outputs["parts"], out)
    named = _break(out, how)
    result = run_cli(["freq", "--from", str(out), "--by", "country"])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert named in " ".join(result.stderr.split())
    with pytest.raises(OutputError, match="codings.parquet"):
        load_output(out)


def test_rows_with_long_texts_are_written_before_the_row_count_is_reached(tmp_path, monkeypatch):
    """Whole transcripts are not held until 20,000 of them: their texts bound the buffer."""
    monkeypatch.setattr(FolderSink, "MAX_TEXT_CHARS", 25)
    columns = {m.TRANSCRIPTS_FILE: [m.TRANSCRIPT_ID, m.TEXT]}
    sink = FolderSink(tmp_path, columns)
    texts = ["a" * 10, "b" * 10, "c" * 10, "d" * 30, "e" * 5]
    for i, text in enumerate(texts):
        sink.add(m.TRANSCRIPTS_FILE, [{m.TRANSCRIPT_ID: f"t{i}", m.TEXT: text}])
        # 10 + 10 + 10 = 30 >= 25 -> written after the third; 30 -> after the fourth
        assert len(sink.buffers[m.TRANSCRIPTS_FILE]) == [1, 2, 0, 0, 1][i]
    sink.close()
    written = pq.ParquetFile(tmp_path / f"{m.TRANSCRIPTS_FILE}.parquet")
    assert [written.metadata.row_group(g).num_rows for g in range(written.num_row_groups)] == [
        3,
        1,
        1,
    ]
    assert written.read().column(m.TEXT).to_pylist() == texts
