"""Benchmark the coding pass against the bare spaCy tokenizer on the same segments.

Generates a synthetic corpus (default 2M words) from the shipped sample transcripts: their turns
are shuffled and lightly mutated (invented word forms) so the vocabulary keeps growing as in a
real archive, written as en/it/es transcripts in a temporary folder. Then, in one run:

1. bare tokenizer: `nlp.tokenizer(text)` over every segment qualcode would code;
2. full pass: `qualcode.code_corpus` (read, segment, lemma norms, all matchers, tables).

Prints words/second for both and the ratio. Usage:

    python benchmarks/bench_code.py [--words 2000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "transcripts_sample"
CODEBOOK = REPO / "codebooks" / "cso_dilemmas.yaml"


def _sample_turns() -> dict[str, list[str]]:
    from qualcode.transcripts import read_transcript

    turns: dict[str, list[str]] = {"en": [], "it": [], "es": []}
    for path in sorted(SAMPLE.glob("*.md")):
        t = read_transcript(path)
        turns[t.language].extend(
            t.text[turn.start : turn.end] for turn in t.turns if not t.is_interviewer(turn.speaker)
        )
    return turns


def _mutate(text: str, rng: random.Random) -> str:
    # Invent a new word form now and then so the vocabulary grows like a real corpus.
    words = text.split(" ")
    for i in range(len(words)):
        if rng.random() < 0.03 and words[i].isalpha():
            words[i] = (
                words[i] + rng.choice(["a", "o", "i", "es", "en", "ing"]) + str(rng.randint(0, 99))
            )
    return " ".join(words)


def generate_corpus(folder: Path, n_words: int, seed: int = 7, words_per_file: int = 4000) -> int:
    """Write synthetic transcripts totalling about n_words; returns the word count written."""
    rng = random.Random(seed)
    turns = _sample_turns()
    countries = {"en": ["Italy", "Spain"], "it": ["Italy"], "es": ["Spain"]}
    roles = ["coordinator", "doctor", "nurse", "social_worker", "volunteer", "lawyer"]
    total = 0
    index = 0
    while total < n_words:
        lang = rng.choice(["en", "it", "es"])
        lines = [
            "---",
            f"id: gen_{index:06d}",
            f"language: {lang}",
            f"country: {rng.choice(countries[lang])}",
            f"role: {rng.choice(roles)}",
            "---",
        ]
        words = 0
        while words < words_per_file:
            answer = _mutate(rng.choice(turns[lang]), rng)
            lines.append("INT: Could you say more about that?")
            lines.append(f"P: {answer}")
            lines.append("")
            words += len(answer.split()) + 6
        (folder / f"gen_{index:06d}.md").write_text("\n".join(lines), encoding="utf-8")
        total += words
        index += 1
    return total


def bare_tokenizer_seconds(folder: Path) -> tuple[float, int]:
    from qualcode.coding.api import load_transcripts
    from qualcode.matching.pipelines import LanguagePipeline
    from qualcode.transcripts import segment_transcript

    transcripts, _ = load_transcripts(folder)
    by_lang: dict[str, list[str]] = {}
    for t in transcripts:
        by_lang.setdefault(t.language, []).extend(
            s.text for s in segment_transcript(t) if not s.is_interviewer
        )
    words = sum(len(x.split()) for texts in by_lang.values() for x in texts)
    tokenizers = {lang: LanguagePipeline(lang).nlp.tokenizer for lang in by_lang}
    start = time.perf_counter()
    for lang, texts in by_lang.items():
        tokenizer = tokenizers[lang]
        for text in texts:
            tokenizer(text)
    return time.perf_counter() - start, words


def full_pass_seconds(folder: Path) -> float:
    from qualcode.coding.api import code_corpus
    from qualcode.matching.pipelines import get_pipeline

    for lang in ("en", "it", "es"):
        get_pipeline(lang)  # load lookup tables outside the timing, as the tokenizer run does
    start = time.perf_counter()
    code_corpus(folder, CODEBOOK)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--keep", type=Path, help="keep the generated corpus in this folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="qualcode-bench-")) if args.keep is None else args.keep
    folder.mkdir(parents=True, exist_ok=True)
    try:
        written = generate_corpus(folder, args.words)
        print(f"corpus: {written:,} words in {len(list(folder.glob('*.md')))} files", flush=True)
        tok_s, coded_words = bare_tokenizer_seconds(folder)
        full_s = full_pass_seconds(folder)
        tok_rate = coded_words / tok_s
        full_rate = coded_words / full_s
        print(f"coded words (non-interviewer segments): {coded_words:,}")
        print(f"bare tokenizer, per segment : {tok_s:7.2f} s  {tok_rate:>12,.0f} words/s")
        print(f"full `code` pass            : {full_s:7.2f} s  {full_rate:>12,.0f} words/s")
        print(f"ratio full / bare tokenizer : {full_rate / tok_rate:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
