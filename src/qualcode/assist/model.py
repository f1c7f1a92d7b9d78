"""The suggestion model: one logistic regression per code over hashed lemma features, saved as JSON.

Training is deterministic: scikit-learn's liblinear solver with a fixed seed, features and rows
in a fixed order. The model file holds only numbers (hashed columns, idf, weights, intercepts)
and the SHA-256 of the training data it was fit on, as JSON: loading it runs no code, and a file
that does not match its own digest or the current training data is never used.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualcode.assist import features as ft

MODEL_FORMAT = "qualcode-suggest-model"
MODEL_VERSION = 1
SEED = 0
MAX_ITERATIONS = 5000  # the dual solver needs more than the default 100 on small data
REGULARISATION = 16.0  # liblinear's C, chosen by cross-validation on the sample and gold dev
CLASS_WEIGHT = "balanced"  # rare codes are not drowned by the segments without them
MIN_POSITIVES = 2  # a code needs this many positive and negative training segments
EXPLAIN_WORDS = 4
NO_POSITIVE = "no decided segment has the code"


@dataclass(frozen=True)
class Model:
    """A trained model: per code, weights over the model's hashed buckets.

    ``skipped`` maps codes that could not be trained to the reason (too few examples).
    """

    buckets: np.ndarray  # int64, sorted
    idf: np.ndarray  # float32
    weights: dict[str, np.ndarray]  # code -> float32 weights, one per bucket
    intercepts: dict[str, float]
    training_sha256: str
    n_training: int
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return list(self.weights)

    def scores(self, counts: Sequence[Any]) -> dict[str, np.ndarray]:
        """Probability of each code for segments given as bucket counts (`features.bucket_counts`)."""
        matrix = ft.tfidf_matrix(counts, self.buckets, self.idf)
        return {
            code: _sigmoid(matrix @ w.astype(np.float64) + self.intercepts[code])
            for code, w in self.weights.items()
        }

    def explain(self, code: str, features: Sequence[str], limit: int = EXPLAIN_WORDS) -> list[str]:
        """The features of one segment that raised its score for `code` most, strongest first."""
        counts = ft.bucket_counts([features])[0]
        row = ft.tfidf_matrix([counts], self.buckets, self.idf)
        weight_of = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        weights = self.weights[code]
        scored: dict[str, float] = {}
        for feature in dict.fromkeys(features):
            col = int(np.searchsorted(self.buckets, ft.bucket_of(feature)))
            if col in weight_of:
                contribution = weight_of[col] * float(weights[col])
                if contribution > 0:
                    scored[feature] = contribution
        return [f for f, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64), -500, 500)))


def training_digest(
    segment_ids: Sequence[str],
    texts: Sequence[str],
    languages: Sequence[str],
    labels: Mapping[str, np.ndarray],
) -> str:
    """SHA-256 of what a model learns from: every training segment (id, language, text) with its
    codes, and the model's settings. The same data give the same digest."""
    digest = hashlib.sha256()
    settings = [
        MODEL_VERSION,
        ft.FEATURE_VERSION,
        ft.BUCKETS,
        ft.MIN_DOCUMENTS,
        REGULARISATION,
        CLASS_WEIGHT,
    ]
    digest.update(json.dumps(settings).encode())
    codes = sorted(labels)
    for i, (sid, text, lang) in enumerate(zip(segment_ids, texts, languages, strict=True)):
        given = [c for c in codes if labels[c][i]]
        record = [sid, lang, hashlib.sha256(text.encode("utf-8")).hexdigest(), given]
        digest.update(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def train_model(
    counts: Sequence[Any], labels: Mapping[str, np.ndarray], training_sha256: str = ""
) -> Model:
    """Fit one logistic regression per code on the training segments' bucket counts.

    `labels` maps each code to a boolean array (one per segment). A code with fewer than
    MIN_POSITIVES positive or negative segments is skipped, with the reason.
    """
    from sklearn.linear_model import LogisticRegression

    buckets, idf = ft.fit_idf(counts)
    matrix = ft.tfidf_matrix(counts, buckets, idf)
    weights: dict[str, np.ndarray] = {}
    intercepts: dict[str, float] = {}
    skipped: dict[str, str] = {}
    for code, y in labels.items():
        positives = int(np.sum(y))
        negatives = len(y) - positives
        if positives == 0:
            skipped[code] = NO_POSITIVE
            continue
        if positives < MIN_POSITIVES or negatives < MIN_POSITIVES or not len(buckets):
            skipped[code] = (
                f"{positives} decided segment(s) with the code and {negatives} without "
                f"(needs {MIN_POSITIVES} of each)"
            )
            continue
        fit = LogisticRegression(
            C=REGULARISATION,
            class_weight=CLASS_WEIGHT,
            solver="liblinear",
            dual=True,  # faster than the primal when words outnumber segments
            max_iter=MAX_ITERATIONS,
            random_state=SEED,
        )
        fit.fit(matrix, np.asarray(y, dtype=np.int8))
        weights[code] = fit.coef_[0].astype(np.float32)
        intercepts[code] = float(np.float32(fit.intercept_[0]))
    return Model(buckets, idf, weights, intercepts, training_sha256, len(counts), skipped)


# --------------------------------------------------------------------------- JSON file


def _encode(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _decode(text: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text.encode("ascii"), validate=True), dtype=dtype)


def model_document(model: Model, source: str) -> dict[str, Any]:
    """The model as a JSON-ready dict, with the SHA-256 of its own content."""
    import qualcode

    body: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "qualcode_version": qualcode.__version__,
        "source": source,
        "features": ft.FEATURE_VERSION,
        "buckets_total": ft.BUCKETS,
        "regularisation": REGULARISATION,
        "class_weight": CLASS_WEIGHT,
        "training_sha256": model.training_sha256,
        "n_training": model.n_training,
        "codes": model.codes,
        "skipped": model.skipped,
        "buckets": _encode(model.buckets, "<i4"),
        "idf": _encode(model.idf, "<f4"),
        "weights": {c: _encode(w, "<f4") for c, w in model.weights.items()},
        "intercepts": model.intercepts,
    }
    body["model_sha256"] = _content_digest(body)
    return body


def _content_digest(body: Mapping[str, Any]) -> str:
    content = {k: v for k, v in body.items() if k != "model_sha256"}
    text = json.dumps(content, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def write_model(model: Model, path: Path, source: str) -> None:
    """Write the model file atomically (sorted keys: the same model gives the same bytes)."""
    from qualcode.output import atomic_write_file

    text = json.dumps(model_document(model, source), sort_keys=True, indent=1) + "\n"
    atomic_write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_model(path: Path, training_sha256: str) -> Model | None:
    """The model saved at `path` when it is intact and was trained on exactly this data
    (`training_sha256`); None otherwise (missing, edited, another version, other data)."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(body, dict) or body.get("format") != MODEL_FORMAT:
            return None
        if body.get("version") != MODEL_VERSION or body.get("model_sha256") != _content_digest(
            body
        ):
            return None
        if body.get("training_sha256") != training_sha256:
            return None
        buckets = _decode(body["buckets"], "<i4").astype(np.int64)
        idf = _decode(body["idf"], "<f4").astype(np.float32)
        weights = {c: _decode(body["weights"][c], "<f4").astype(np.float32) for c in body["codes"]}
        intercepts = {c: float(body["intercepts"][c]) for c in body["codes"]}
        skipped = {str(k): str(v) for k, v in body["skipped"].items()}
        n_training = int(body["n_training"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if any(len(w) != len(buckets) for w in weights.values()) or len(idf) != len(buckets):
        return None
    if not all(math.isfinite(v) for v in intercepts.values()):
        return None
    return Model(buckets, idf, weights, intercepts, training_sha256, n_training, skipped)
