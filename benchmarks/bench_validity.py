"""Benchmark the edit-test loop: how long a researcher waits for `qualcode codebook test`.

Runs, as a user would (a fresh process each time, so start-up and matcher building count):

1. `qualcode codebook test CODEBOOK --text "..." --language it` (one text explained);
2. `qualcode codebook test CODEBOOK --gold benchmarks/gold/gold.jsonl --split dev` (the dev split);
3. the same on the whole gold set;
4. `qualcode codebook check CODEBOOK` (validation + executable examples).

Prints the median and the spread of the wall time over --repeat runs (default 5). Usage:

    python benchmarks/bench_validity.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CODEBOOK = REPO / "codebooks" / "cso_dilemmas.yaml"
GOLD = REPO / "benchmarks" / "gold" / "gold.jsonl"
TEXT = "Alla fine abbiamo fatto ricorso al TAR contro la delibera della Regione, con l'ASGI."

PROBES = {
    "codebook test --text (one text)": [
        "codebook",
        "test",
        str(CODEBOOK),
        "--text",
        TEXT,
        "--language",
        "it",
    ],
    "codebook test --gold --split dev": [
        "codebook",
        "test",
        str(CODEBOOK),
        "--gold",
        str(GOLD),
        "--split",
        "dev",
    ],
    "codebook test --gold (all passages)": ["codebook", "test", str(CODEBOOK), "--gold", str(GOLD)],
    "codebook check (with examples)": ["codebook", "check", str(CODEBOOK)],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    command = [sys.executable, "-m", "qualcode"]
    print(f"{'probe':42s} {'median s':>9s} {'min s':>7s} {'max s':>7s}")
    for name, probe in PROBES.items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run([*command, *probe], check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        print(f"{name:42s} {statistics.median(times):9.2f} {min(times):7.2f} {max(times):7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
