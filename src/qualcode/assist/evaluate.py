"""`qualcode suggest --evaluate`: how good would the suggestions have been? Measured on decisions
already made, never on the segments being suggested.

Cross-validation grouped by transcript (scikit-learn's GroupKFold: every segment of a transcript
is in the same fold, so a model is never scored on a transcript it learned from): each fold's
segments are ranked by a model trained on the other folds, and the pooled rankings are scored
per code against the coder's labels. On a gold file the model learns from one split (dev) and is
scored on the other (test).

Per code: average precision (AP, the mean over the positive segments of the precision of the
ranking down to each of them: scikit-learn's ``average_precision_score``), precision@10 (share
of positives among the 10 best-ranked) and recall@k (share of all positives among the k
best-ranked). Next to them, what a random ranking gets on average -- AP:
(1/n) sum_{i=1..n} (1 + (i-1)(R-1)/(n-1)) / i for R positives among n segments (Bestgen 2015),
precision@10: R/n, recall@k: min(k, n)/n -- and the codebook's own precision and recall on the
same segments (its automatic coding before anyone's decisions; a set, not a ranking). A value
that is undefined (no positive segment) is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from qualcode import models as m
from qualcode.assist import features as ft
from qualcode.assist.model import NO_POSITIVE, train_model
from qualcode.errors import AnalysisError

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.codebook.schema import Codebook
    from qualcode.output.folder import CodedOutput

SEGMENTS, POSITIVES = "segments", "positives"
AP, P_AT_10, RECALL_AT_K = "ap", "p@10", "r@k"
RANDOM_AP, RANDOM_P_AT_10, RANDOM_RECALL_AT_K = "random ap", "random p@10", "random r@k"
CODEBOOK_PRECISION, CODEBOOK_RECALL = "codebook precision", "codebook recall"
EVALUATION_COLUMNS = [
    m.CODE,
    SEGMENTS,
    POSITIVES,
    AP,
    P_AT_10,
    RECALL_AT_K,
    RANDOM_AP,
    RANDOM_P_AT_10,
    RANDOM_RECALL_AT_K,
    CODEBOOK_PRECISION,
    CODEBOOK_RECALL,
]
MEAN_ROW = "(mean)"
DEFAULT_FOLDS = 5
TOP = 10


@dataclass(frozen=True)
class Evaluation:
    """What `evaluate_decided` and `evaluate_split` return.

    ``table``: EVALUATION_COLUMNS, one row per code with positives, then the mean row;
    ``k``: the cut-off of recall@k; ``folds``: cross-validation folds (0 for a held-out split);
    ``groups``: transcripts (cross-validation) or test passages; ``skipped``: codes without
    any positive segment, with the reason.
    """

    source: str
    table: pd.DataFrame
    k: int
    folds: int
    groups: int
    skipped: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- measures


def _ranked(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    # Best first; equal scores keep the segments' order, so the measure is deterministic.
    return np.asarray(labels, dtype=bool)[np.argsort(-np.asarray(scores), kind="stable")]


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """AP of a ranking by `scores` against boolean `labels` (NaN without positives)."""
    from sklearn.metrics import average_precision_score

    if not np.any(labels):
        return math.nan
    return float(average_precision_score(np.asarray(labels, dtype=int), scores))


def precision_at(labels: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Share of positives among the `k` best-ranked segments (all of them when fewer)."""
    top = _ranked(labels, scores)[:k]
    return float(top.mean()) if len(top) else math.nan


def recall_at(labels: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Share of all positives found among the `k` best-ranked segments."""
    total = int(np.sum(labels))
    return float(_ranked(labels, scores)[:k].sum() / total) if total else math.nan


def random_average_precision(n: int, positives: int) -> float:
    """Expected AP of a uniformly random ranking of `n` segments, `positives` of them positive."""
    if positives == 0 or n == 0:
        return math.nan
    if n == 1:
        return 1.0
    i = np.arange(1, n + 1, dtype=np.float64)
    return float(np.sum((1.0 + (i - 1.0) * (positives - 1) / (n - 1)) / i) / n)


def score_table(
    labels: Mapping[str, np.ndarray],
    scores: Mapping[str, np.ndarray],
    given: Mapping[str, np.ndarray],
    k: int,
) -> pd.DataFrame:
    """The evaluation table: per code (in `labels` order) the ranking's measures, a random
    ranking's, and the codebook's precision/recall (`given`: the codebook's codes), then the
    mean row over the codes."""
    import pandas as pd

    rows = []
    for code, y in labels.items():
        y = np.asarray(y, dtype=bool)
        s, g = scores[code], np.asarray(given[code], dtype=bool)
        n, r = len(y), int(y.sum())
        hits = int((y & g).sum())
        rows.append(
            {
                m.CODE: code,
                SEGMENTS: n,
                POSITIVES: r,
                AP: average_precision(y, s),
                P_AT_10: precision_at(y, s, TOP),
                RECALL_AT_K: recall_at(y, s, k),
                RANDOM_AP: random_average_precision(n, r),
                RANDOM_P_AT_10: r / n if n else math.nan,
                RANDOM_RECALL_AT_K: min(k, n) / n if n and r else math.nan,
                CODEBOOK_PRECISION: hits / int(g.sum()) if g.any() else math.nan,
                CODEBOOK_RECALL: hits / r if r else math.nan,
            }
        )
    table = pd.DataFrame(rows, columns=EVALUATION_COLUMNS)
    if len(table):
        mean = {c: table[c].mean() for c in EVALUATION_COLUMNS[3:]}
        mean.update({m.CODE: MEAN_ROW, SEGMENTS: table[SEGMENTS].max(), POSITIVES: None})
        table = pd.concat([table, pd.DataFrame([mean])], ignore_index=True)
    return table.astype({SEGMENTS: "Int64", POSITIVES: "Int64"})


# --------------------------------------------------------------------------- rankings


def cross_validated_scores(
    counts: Sequence, labels: Mapping[str, np.ndarray], groups: Sequence[str], folds: int
) -> dict[str, np.ndarray]:
    """Out-of-fold probabilities per code: each group's segments scored by a model trained on
    the other folds (GroupKFold, no shuffling). A code without a model in a fold scores 0."""
    from sklearn.model_selection import GroupKFold

    n_groups = len(set(groups))
    if n_groups < 2:
        raise AnalysisError(
            f"cross-validation needs decisions in at least 2 transcripts, not {n_groups}"
        )
    scores = {code: np.zeros(len(counts)) for code in labels}
    splitter = GroupKFold(n_splits=min(folds, n_groups))
    for train, test in splitter.split(np.zeros(len(counts)), groups=list(groups)):
        model = train_model([counts[i] for i in train], {c: y[train] for c, y in labels.items()})
        found = model.scores([counts[i] for i in test])
        for code, values in found.items():
            scores[code][test] = values
    return scores


def codebook_codes(
    codebook: Codebook, texts: Sequence[str], languages: Sequence[str], codes: Sequence[str]
) -> dict[str, np.ndarray]:
    """Per code, which texts the codebook's patterns code (a child's match counts for its
    parents, as the frequency tables count it)."""
    from qualcode.matching.matcher import CodebookMatcher
    from qualcode.matching.pipelines import get_pipeline

    parents = dict(codebook.code_order())
    given = {code: np.zeros(len(texts), dtype=bool) for code in codes}
    for language in sorted(set(languages)):
        index = [i for i, lang in enumerate(languages) if lang == language]
        matcher = CodebookMatcher(codebook, get_pipeline(language))
        for i, matches in zip(
            index, matcher.match_segments([texts[i] for i in index]), strict=True
        ):
            for match in matches:
                code: str | None = match.code
                while code is not None:
                    if code in given:
                        given[code][i] = True
                    code = parents.get(code)
    return given


# --------------------------------------------------------------------------- entry points


def _with_positives(labels: Mapping[str, np.ndarray]) -> tuple[dict, dict[str, str]]:
    kept = {c: y for c, y in labels.items() if np.any(y)}
    skipped = {c: NO_POSITIVE for c in labels if c not in kept}
    return kept, skipped


def evaluate_decided(
    out: CodedOutput,
    *,
    coder: str | None = None,
    layer: str | None = None,
    codes: Sequence[str] | None = None,
    k: int = 20,
    folds: int = DEFAULT_FOLDS,
) -> Evaluation:
    """Cross-validate suggestions on the segments `coder` (or `layer`) has decided.

    Raises AnalysisError for an unknown coder, layer or code, or decisions in fewer than two
    transcripts.
    """
    from qualcode.assist.decided import decided_segments
    from qualcode.reliability.units import coded_segments, coders_from_output

    if folds < 2:
        raise AnalysisError(f"--folds must be 2 or more, not {folds}")
    decided = decided_segments(out, coder=coder, layer=layer, codes=codes)
    mask = decided.decided
    rows = decided.segments[mask]
    labels, skipped = _with_positives({c: y[mask] for c, y in decided.labels.items()})
    texts, languages = rows[m.TEXT].tolist(), rows[m.LANGUAGE].tolist()
    counts = ft.bucket_counts(ft.segment_features(texts, languages))
    groups = rows[m.TRANSCRIPT_ID].astype(str).tolist()
    scores = cross_validated_scores(counts, labels, groups, folds)
    auto = coded_segments(coders_from_output(out)[m.AUTO_CODER], rows)
    ids = rows[m.SEGMENT_ID]
    given = {
        c: ids.isin(auto.loc[auto[m.CODE] == c, m.SEGMENT_ID]).to_numpy(dtype=bool) for c in labels
    }
    n_groups = len(set(groups))
    table = score_table(labels, scores, given, k)
    return Evaluation(decided.source, table, k, min(folds, n_groups), n_groups, skipped)


def evaluate_split(
    train: tuple[Sequence[str], Sequence[str], Mapping[str, np.ndarray]],
    test: tuple[Sequence[str], Sequence[str], Mapping[str, np.ndarray]],
    codebook: Codebook,
    *,
    k: int = 20,
    source: str = "gold",
) -> Evaluation:
    """Train on `train` and score on `test`, each (texts, languages, {code: labels}) -- a gold
    file's dev and test splits -- next to the codebook's own codes on the test texts."""
    train_texts, train_languages, train_labels = train
    test_texts, test_languages, test_labels = test
    labels, skipped = _with_positives(test_labels)
    counts = ft.bucket_counts(ft.segment_features(train_texts, train_languages))
    model = train_model(counts, {c: np.asarray(train_labels[c], dtype=bool) for c in labels})
    test_counts = ft.bucket_counts(ft.segment_features(test_texts, test_languages))
    found = model.scores(test_counts)
    scores = {c: found.get(c, np.zeros(len(test_texts))) for c in labels}
    skipped.update(model.skipped)
    given = codebook_codes(codebook, test_texts, test_languages, list(labels))
    table = score_table(labels, scores, given, k)
    return Evaluation(source, table, k, 0, len(test_texts), skipped)
