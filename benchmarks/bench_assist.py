"""Benchmark `qualcode suggest`: training and ranking time, and the model's size on disk.

Synthetic decided segments: the participants' turns of the shipped sample transcripts (en/it/es),
shuffled and lightly mutated (3% of words get an invented alphabetic ending, so the vocabulary
keeps growing with the corpus as in a real archive), labelled with the codes the shipped codebook gives them, each label
flipped with probability 0.1 (coders are not the codebook). For each size N (default 1,000 and
10,000) it times, through the functions `qualcode suggest` calls:

1. training: lemma features of the N decided segments, the training-data hash, one logistic
   regression per code, the JSON model written to disk (`rank.fit_decided`);
2. ranking: features and probabilities of N other segments for every code, and the words behind
   the best 20 of each code (`rank.rank_candidates` + `Model.explain`);

and reports the model file's size. Prints the median of --repeat runs (default 3), as wall time
and as CPU time of this process (steadier when other jobs share the machine). Usage:

    python benchmarks/bench_assist.py [--sizes 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from qualcode import models as m
from qualcode.assist.decided import SEGMENT_COLUMNS, Decided
from qualcode.assist.evaluate import codebook_codes
from qualcode.assist.rank import RANK, rank_candidates
from qualcode.codebook import load_codebook

REPO = Path(__file__).resolve().parents[1]
CODEBOOK = REPO / "codebooks" / "cso_dilemmas.yaml"
NOISE = 0.1
SHOWN = 20


def _bench_code():
    spec = importlib.util.spec_from_file_location(
        "bench_code", REPO / "benchmarks" / "bench_code.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mutate(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for i, word in enumerate(words):
        if rng.random() < 0.03 and word.isalpha():
            words[i] = word + "".join(rng.choice("aeioulnrst") for _ in range(3))
    return " ".join(words)


def synthetic_decided(n: int, seed: int = 3) -> Decided:
    """n decided segments and n to rank, labelled by the codebook with NOISE flips."""
    bench = _bench_code()
    rng = random.Random(seed)
    turns = bench._sample_turns()
    pool = [(lang, text) for lang, texts in sorted(turns.items()) for text in texts]
    rows = []
    for i in range(2 * n):
        lang, text = rng.choice(pool)
        rows.append(
            {
                m.SEGMENT_ID: f"s{i // 20:05d}.t.{i:010d}",
                m.TRANSCRIPT_ID: f"s{i // 20:05d}",
                m.SEGMENT_INDEX: i % 20,
                m.SPEAKER: "P",
                m.IS_INTERVIEWER: False,
                m.LANGUAGE: lang,
                m.TEXT: _mutate(text, rng),
            }
        )
    segments = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    segments["decided"] = np.arange(2 * n) < n
    book = load_codebook(CODEBOOK)
    codes = [c.name for c in book.codes if c.patterns]
    given = codebook_codes(book, segments[m.TEXT].tolist(), segments[m.LANGUAGE].tolist(), codes)
    flip = np.random.default_rng(seed)
    labels = {c: given[c] ^ (flip.random(2 * n) < NOISE) for c in codes}
    return Decided(segments, labels, codes, "coder bench", {})


def run(decided: Decided, folder: Path) -> tuple[float, float, float, float, int]:
    """(training s, ranking s, training CPU s, ranking CPU s, model bytes) of one run."""
    from qualcode.assist.rank import fit_decided

    for old in folder.glob("*.json"):
        old.unlink()
    start, cpu_start = time.perf_counter(), time.process_time()
    model, _, path, _ = fit_decided(decided, folder)
    trained, cpu_trained = time.perf_counter(), time.process_time()
    ranking, features = rank_candidates(model, decided)
    best = ranking[ranking[RANK] <= SHOWN]
    for code, sid in zip(best[m.CODE], best[m.SEGMENT_ID], strict=True):
        model.explain(code, features[str(sid)])
    ranked, cpu_ranked = time.perf_counter(), time.process_time()
    assert path is not None
    return (
        trained - start,
        ranked - trained,
        cpu_trained - cpu_start,
        cpu_ranked - cpu_trained,
        path.stat().st_size,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    header = ["train s", "rank s", "train cpu", "rank cpu"]
    print(f"{'decided':>8} {'ranked':>8} " + " ".join(f"{h:>9}" for h in header) + "  model KB")
    with tempfile.TemporaryDirectory(prefix="bench-assist-") as tmp:
        for n in args.sizes:
            decided = synthetic_decided(n)
            results = [run(decided, Path(tmp)) for _ in range(args.repeat)]
            times = [statistics.median(r[i] for r in results) for i in range(4)]
            size = results[-1][4]
            cells = " ".join(f"{t:>9.2f}" for t in times)
            print(f"{n:>8,} {n:>8,} {cells} {size / 1024:>9.0f}")


if __name__ == "__main__":
    main()
