"""One corpus, any engine: workers 1 or 2, a Dask cluster, in memory or streamed to files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import SAMPLE, SAMPLE_CODEBOOK, generate_corpus, write
from qualcode import models as m
from qualcode.coding.api import code_corpus, code_to_folder
from qualcode.output.folder import load_output

REPO_OVERRIDES = SAMPLE.parent / "overrides"


def _files(folder: Path) -> dict[str, bytes]:
    """Every file by its path in `folder` (a partitioned dataset's parts too), bytes as read."""
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    manifest = json.loads(files.pop("run.json"))
    manifest.pop("command")
    files["run.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


@pytest.fixture(scope="module")
def generated_corpus(tmp_path_factory) -> Path:
    """40 synthetic transcripts (the benchmark's generator), so workers get several tasks."""
    return generate_corpus(tmp_path_factory.mktemp("generated"), 40 * 600, words_per_file=600)


# Partitioned runs use small parts so that every table is cut into several part files.
LAYOUTS = {
    "single-files": {"partitioned": False},
    "partitioned": {"partitioned": True, "partition_rows": 30},
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("corpus", ["sample", "generated"])
def test_two_workers_write_byte_identical_files(
    tmp_path: Path, corpus: str, layout: str, generated_corpus: Path
) -> None:
    source = SAMPLE if corpus == "sample" else generated_corpus
    options = (
        {"overrides": [REPO_OVERRIDES], "meta": SAMPLE / "participants.csv"}
        if corpus == "sample"
        else {}
    )
    options.update(LAYOUTS[layout])
    code_to_folder(source, SAMPLE_CODEBOOK, tmp_path / "one", workers=1, **options)
    code_to_folder(source, SAMPLE_CODEBOOK, tmp_path / "two", workers=2, **options)
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert one == two
    assert len(pd.read_parquet(tmp_path / "one" / "codings.parquet")) > 50
    if layout == "partitioned":
        assert "segments.parquet/part-00002.parquet" in one
        assert "codings.parquet/part-00001.parquet" in one


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_dask_engine_with_two_local_workers_matches_local(
    tmp_path: Path, generated_corpus: Path, layout: str
) -> None:
    pytest.importorskip("dask.distributed", reason="dask[distributed] is in the test extra")
    options = LAYOUTS[layout]
    code_to_folder(generated_corpus, SAMPLE_CODEBOOK, tmp_path / "local", workers=1, **options)
    if layout == "partitioned":  # the Dask engine's default layout
        options = {k: v for k, v in options.items() if k != "partitioned"}
    code_to_folder(
        generated_corpus, SAMPLE_CODEBOOK, tmp_path / "dask", workers=2, engine="dask", **options
    )
    local, dask = _files(tmp_path / "local"), _files(tmp_path / "dask")
    assert local == dask
    assert ("codings.parquet/part-00000.parquet" in dask) == (layout == "partitioned")


def test_memory_and_streamed_runs_give_the_same_tables(tmp_path: Path, monkeypatch) -> None:
    from qualcode.coding import sinks

    monkeypatch.setattr(sinks.FolderSink, "ROW_GROUP", 7)  # many small row groups
    options = {"overrides": [REPO_OVERRIDES], "meta": SAMPLE / "participants.csv"}
    memory = code_corpus(SAMPLE, SAMPLE_CODEBOOK, **options)
    code_to_folder(SAMPLE, SAMPLE_CODEBOOK, tmp_path / "out", **options)
    streamed = load_output(tmp_path / "out")
    for name in ("segments", "codings"):
        pd.testing.assert_frame_equal(
            getattr(memory, name).reset_index(drop=True),
            getattr(streamed, name).reset_index(drop=True),
            check_dtype=False,
        )
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "out" / "segments.parquet").num_row_groups > 10
    assert memory.summary == json.loads((tmp_path / "out" / "run.json").read_text())["summary"]


def test_parent_rows_of_the_summary_count_each_segment_once(
    tmp_path: Path, mini_corpus, mini_codebook
) -> None:
    # en_one turn 2 has litigation and advocacy (both children of strategy): one segment.
    result = code_corpus(mini_corpus, mini_codebook)
    codes = {c["code"]: c for c in result.summary["codes"]}
    assert codes["litigation"]["segments"] == 3 and codes["advocacy"]["segments"] == 2
    strategy_segments = result.codings[result.codings[m.PARENT] == "strategy"][
        m.SEGMENT_ID
    ].nunique()
    assert codes["strategy"]["segments"] == strategy_segments == 3
    assert [c["code"] for c in result.summary["codes"]][:3] == [
        "strategy",
        "litigation",
        "advocacy",
    ]


def test_unknown_engine_is_refused(mini_corpus, mini_codebook) -> None:
    from qualcode.errors import QualcodeError

    with pytest.raises(QualcodeError, match="engine must be one of"):
        code_corpus(mini_corpus, mini_codebook, engine="spark")


def test_timed_turns_become_time_columns(tmp_path: Path, mini_codebook, monkeypatch) -> None:
    """A reader that sets cue times (as subtitle readers do) gives start_time/end_time columns."""
    from qualcode.transcripts import reader

    def timed_reader(path, **kwargs):
        t = reader.read_text_transcript(path, **kwargs)
        turns = [
            reader.Turn(
                turn.speaker, turn.start, turn.end, turn.paragraphs, float(i), float(i) + 0.5
            )
            for i, turn in enumerate(t.turns)
        ]
        return reader.Transcript(**{**t.__dict__, "turns": turns})

    monkeypatch.setitem(reader.FORMAT_READERS, ".timed", f"{__name__}:_timed_reader")
    globals()["_timed_reader"] = timed_reader
    write(tmp_path / "c" / "a.timed", "INT: Did you file a lawsuit?\nP: We filed a lawsuit.\n")
    result = code_corpus(tmp_path / "c", mini_codebook)
    assert list(result.segments[m.START_TIME]) == [0.0, 1.0]
    assert list(result.segments[m.END_TIME]) == [0.5, 1.5]
