"""Throughput and peak memory of `qualcode code` at several corpus sizes, per engine.

For each size (default 0.5M, 2M and 8M words) a synthetic corpus is generated from the sample
transcripts (see bench_code.py), then each configuration runs in a fresh Python process:

    tokenizer   the bare spaCy tokenizer on the same segments (the baseline)
    workers=1   `qualcode code --workers 1`
    workers=2   `qualcode code --workers 2`
    dask        `qualcode code --engine dask --workers 2` (a LocalCluster of 2 processes)

Each probe reports its wall time and peak resident memory: its own (`ru_maxrss` of the
process) and that of its largest child (worker processes). The probes of one size run in turn,
`--repeat` times (default 3), so that a slow spell of a shared machine hits every configuration
alike; the table gives the median time and the largest peak memory. Prints a Markdown table.

    python benchmarks/bench_scale.py [--sizes 500000 2000000 8000000] [--repeat 3] [--skip-dask]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CODEBOOK = REPO / "codebooks" / "cso_dilemmas.yaml"


def probe(mode: str, corpus: Path, out: Path) -> dict:
    """Run one configuration in this process; return time and memory as a dict."""
    sys.path.insert(0, str(HERE))
    import bench_code  # noqa: PLC0415 - the generator and tokenizer baseline live there

    words = None
    start = time.perf_counter()
    if mode == "tokenizer":
        seconds, words = bench_code.bare_tokenizer_seconds(corpus)
    else:
        from qualcode.coding.api import code_to_folder

        options = {"workers": 1} if mode == "workers=1" else {"workers": 2}
        if mode == "dask":
            options["engine"] = "dask"
        code_to_folder(corpus, CODEBOOK, out, **options)
        seconds = time.perf_counter() - start
    kib_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kib_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": seconds,
        "words": words,
        "rss_mib": kib_self / 1024,
        "child_rss_mib": kib_children / 1024,
    }


def run_probe(mode: str, corpus: Path, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--probe", mode, "--corpus", str(corpus), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"probe {mode} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500_000, 2_000_000, 8_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--probe")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe, args.corpus, args.out)))
        return
    sys.path.insert(0, str(HERE))
    import bench_code

    modes = ["tokenizer", "workers=1", "workers=2"] + ([] if args.skip_dask else ["dask"])
    rows = []
    work = Path(tempfile.mkdtemp(prefix="qualcode-scale-"))
    try:
        for size in args.sizes:
            corpus = work / f"corpus-{size}"
            corpus.mkdir()
            written = bench_code.generate_corpus(corpus, size)
            runs: dict[str, list[dict]] = {mode: [] for mode in modes}
            for _ in range(args.repeat):
                for mode in modes:
                    result = run_probe(mode, corpus, work / f"out-{size}-{mode}")
                    runs[mode].append(result)
                    print(f"{size:>10,} {mode:<10} {result}", file=sys.stderr, flush=True)
            results = {
                mode: {
                    "seconds": statistics.median(r["seconds"] for r in found),
                    "words": found[0]["words"],
                    "rss_mib": max(r["rss_mib"] for r in found),
                    "child_rss_mib": max(r["child_rss_mib"] for r in found),
                }
                for mode, found in runs.items()
            }
            coded_words = results["tokenizer"]["words"]
            base = coded_words / results["tokenizer"]["seconds"]
            for mode in modes:
                r = results[mode]
                rate = coded_words / r["seconds"]
                rows.append(
                    (
                        written,
                        mode,
                        r["seconds"],
                        rate,
                        rate / base,
                        r["rss_mib"],
                        r["child_rss_mib"],
                    )
                )
            shutil.rmtree(corpus)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        "| corpus words | run | seconds | coded words/s | × tokenizer | peak RSS MiB | largest child MiB |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for written, mode, seconds, rate, ratio, rss, child in rows:
        print(
            f"| {written:,} | {mode} | {seconds:.1f} | {rate:,.0f} | {ratio:.2f} | {rss:.0f} | {child:.0f} |"
        )


if __name__ == "__main__":
    main()
