"""The start-up cache (qualcode.cache): it speeds things up and never changes a result.

Each case checks what a user would see without the cache (the same codebook errors, the same
lemmas) and what the cache may hold (digests and public tables, never codebook text).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conftest import SAMPLE_CODEBOOK, write
from qualcode import cache
from qualcode.codebook.load import load_codebook
from qualcode.errors import CodebookError

CODEBOOK = """
    version: 1
    codes:
      - name: litigation
        definition: Going to court.
        patterns:
          en:
            - tokens: [{LEMMA: appeal}, {LOWER: to}, {LOWER: the}, {LOWER: court}]
            - tokens: [{LEMMA: {IN: [sue, litigate]}}]
"""
BROKEN = """
    version: 1
    codes:
      - name: litigation
        definition: Going to court.
        patterns:
          en:
            - tokens: [{LEMMA: appeal}, {LOWER: to}, {LOWER: the}, {LOWER: court}]
            - tokens: [{LEMMA: {NOT_AN_OPERATOR: [sue]}}]
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QUALCODE_CACHE_DIR", str(folder))
    monkeypatch.delenv("QUALCODE_NO_CACHE", raising=False)
    return folder


def _digests(folder: Path) -> list[str]:
    (entry,) = folder.glob("valid-token-patterns-*.json")
    return json.loads(entry.read_text(encoding="utf-8"))


def test_accepted_patterns_are_cached_as_digests_only(tmp_path: Path, cache_dir: Path) -> None:
    path = write(tmp_path / "cb.yaml", CODEBOOK)
    load_codebook(path)
    # Two token patterns, both valid: two digests, and no word of the codebook in the file.
    digests = _digests(cache_dir)
    assert len(digests) == 2 and all(len(d) == 64 for d in digests)
    text = next(cache_dir.glob("valid-token-patterns-*.json")).read_text(encoding="utf-8")
    assert "appeal" not in text and "court" not in text


@pytest.mark.parametrize("runs", [1, 2, 3])
def test_an_invalid_pattern_is_reported_on_every_run(
    tmp_path: Path, cache_dir: Path, runs: int
) -> None:
    path = write(tmp_path / "cb.yaml", BROKEN)
    for _ in range(runs):
        with pytest.raises(CodebookError) as err:
            load_codebook(path)
        # The bad pattern is on line 8 of the file (the dedented text starts at "version").
        assert "invalid token pattern" in str(err.value) and ":8" in str(err.value)
    # Only the valid pattern was ever recorded.
    assert len(_digests(cache_dir)) == 1


def test_fixing_a_pattern_after_a_cached_run(tmp_path: Path, cache_dir: Path) -> None:
    path = write(tmp_path / "cb.yaml", BROKEN)
    with pytest.raises(CodebookError):
        load_codebook(path)
    write(path, CODEBOOK)
    assert [c.name for c in load_codebook(path).codes] == ["litigation"]
    assert len(_digests(cache_dir)) == 2


@pytest.mark.parametrize(
    "damage",
    ["not json at all {", "[1, 2, 3]", '{"a": 1}', ""],
    ids=["garbage", "numbers", "object", "empty"],
)
def test_a_damaged_cache_is_a_miss(tmp_path: Path, cache_dir: Path, damage: str) -> None:
    path = write(tmp_path / "cb.yaml", BROKEN)
    with pytest.raises(CodebookError):
        load_codebook(path)
    for entry in cache_dir.iterdir():
        entry.write_text(damage, encoding="utf-8")
    with pytest.raises(CodebookError, match="invalid token pattern"):
        load_codebook(path)


def test_no_cache_writes_nothing(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALCODE_NO_CACHE", "1")
    load_codebook(write(tmp_path / "cb.yaml", CODEBOOK))
    assert not cache_dir.exists()


def test_an_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = write(tmp_path / "file", "not a folder")
    monkeypatch.setenv("QUALCODE_CACHE_DIR", str(blocker / "cache"))
    assert [c.name for c in load_codebook(write(tmp_path / "cb.yaml", CODEBOOK)).codes] == [
        "litigation"
    ]


def test_the_cached_lemma_table_equals_the_package_table(cache_dir: Path) -> None:
    import importlib.util

    from qualcode.matching.pipelines import lemma_table

    spec = importlib.util.find_spec("spacy_lookups_data")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).parent / "data" / "it_lemma_lookup.json.gz"
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        expected = json.load(handle)
    # The uncached function underneath the per-process memo: another test may already have
    # loaded Italian in this process, and then the memo would answer without the disk cache.
    read_table = lemma_table.__wrapped__
    first = read_table("it")  # fills the cache
    assert list(cache_dir.glob("lemma-lookup-it-*.json"))
    second = read_table("it")  # read from the cache
    assert first == expected and second == expected
    # A hand-checked entry: "ricorsi" is a plural of "ricorso".
    assert second["ricorsi"] == "ricorso"


def test_the_shipped_codebook_loads_the_same_with_and_without_cache(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm = [load_codebook(SAMPLE_CODEBOOK) for _ in range(2)][-1]
    monkeypatch.setenv("QUALCODE_NO_CACHE", "1")
    cold = load_codebook(SAMPLE_CODEBOOK)
    ids = [[p.id for p in c.patterns] for c in cold.codes]
    assert [[p.id for p in c.patterns] for c in warm.codes] == ids
    assert warm.sha256 == cold.sha256


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUALCODE_CACHE_DIR", raising=False)
    monkeypatch.delenv("QUALCODE_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert cache.cache_dir() == Path("/somewhere/qualcode")
    monkeypatch.setenv("QUALCODE_NO_CACHE", "1")
    assert cache.cache_dir() is None
