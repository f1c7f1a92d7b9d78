"""Agreement between the two independent labellings of the gold set, computed with qualcode's own
`agree` (Krippendorff's alpha per code, and the other statistics it reports).

Each gold passage becomes a one-turn transcript; the writers' labels (labels/writer.jsonl) and the
second labeller's (labels/second.jsonl) become two coders in a codings CSV whose passages cover
that turn; `qualcode agree --unit segment` compares them. Run from the repository root:

    python benchmarks/gold/label_agreement.py            # prints the table, writes label_agreement.csv
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CODERS = ("writer", "second")


def read_jsonl(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def main() -> int:
    gold = read_jsonl(HERE / "gold.jsonl")
    labels = {
        name: {r["id"]: r["codes"] for r in read_jsonl(HERE / "labels" / f"{name}.jsonl")}
        for name in CODERS
    }
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "passages"
        corpus.mkdir()
        for p in gold:
            front = f"---\nid: {p['id']}\nlanguage: {p['language']}\ncountry: {p['country']}\nrole: {p['role']}\n---\n"
            (corpus / f"{p['id']}.md").write_text(
                front + "P: " + " ".join(p["text"].split()) + "\n", encoding="utf-8"
            )
        out = Path(tmp) / "out"
        qualcode = [sys.executable, "-m", "qualcode"]
        subprocess.run(
            [
                *qualcode,
                "code",
                str(corpus),
                "--codebook",
                str(REPO / "codebooks" / "cso_dilemmas.yaml"),
                "--out",
                str(out),
                "--quiet",
            ],
            check=True,
            capture_output=True,
        )
        import pandas as pd

        segments = pd.read_parquet(out / "segments.parquet")
        turns = segments[~segments["is_interviewer"]].set_index("transcript_id")
        rows = []
        for name in CODERS:
            for pid, codes in sorted(labels[name].items()):
                start, end = int(turns.loc[pid, "start"]), int(turns.loc[pid, "end"])
                rows += [[pid, name, c, start, end] for c in codes] or [[pid, name, "", "", ""]]
        codings = Path(tmp) / "labels.csv"
        with codings.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["transcript_id", "coder", "code", "start", "end"])
            writer.writerows(rows)
        table = Path(tmp) / "agreement.csv"
        subprocess.run(
            [
                *qualcode,
                "agree",
                "--from",
                str(out),
                "--codings-csv",
                str(codings),
                "--coders",
                ",".join(CODERS),
                "--format",
                "csv",
                "-o",
                str(table),
            ],
            check=True,
            capture_output=True,
        )
        result = pd.read_csv(Path(tmp) / "agreement-agreement.csv")
    counts = ["units", "both", "only_a", "only_b", "neither"]
    result[counts] = result[counts].astype("Int64")
    result.to_csv(
        HERE / "label_agreement.csv", index=False, float_format="%.4f", lineterminator="\n"
    )
    columns = ["code", "units", "both", "only_a", "only_b", "krippendorff_alpha", "cohen_kappa"]
    print(result[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
