"""`qualcode suggest`: rank the segments a coder has not decided yet, per code, with a model
learned from the segments they have decided -- on this machine, deterministically.

A suggestion is a segment to *review*, with the probability the model gives it and the words
that raised it; nothing is coded until a person accepts it (`record_additions`). The model is
saved under ``OUT/models/`` with the SHA-256 of its training data and reused while that data
is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qualcode import models as m
from qualcode.assist import features as ft
from qualcode.assist.decided import Decided, decided_segments, pick_codes
from qualcode.assist.model import Model, read_model, train_model, training_digest, write_model

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.output.folder import CodedOutput

MODELS_FOLDER = "models"
RANK = "rank"
PROBABILITY = "probability"
WORDS = "words"
CODES_ON_SEGMENT = "coded"
SUGGESTION_COLUMNS = [
    m.CODE,
    RANK,
    PROBABILITY,
    m.SEGMENT_ID,
    m.TRANSCRIPT_ID,
    m.SPEAKER,
    WORDS,
    CODES_ON_SEGMENT,
    m.TEXT,
]


@dataclass(frozen=True)
class Suggestions:
    """What `suggest_segments` returns.

    ``table``: SUGGESTION_COLUMNS, per code (codebook order) the best `limit` candidates, rank
    1 first; ``ranking``: the same for every candidate (what `--accept` resolves ranks in);
    ``skipped``: codes without a model, with the reason; ``n_decided``/``n_candidates``: segments
    learned from / ranked; ``model_path``: the saved model (None when it could not be written);
    ``reused``: the saved model matched the training data and was loaded instead of retrained;
    ``training_sha256``: the digest of the training data; ``warnings``: for the user.
    """

    source: str
    table: pd.DataFrame
    ranking: pd.DataFrame
    skipped: dict[str, str]
    n_decided: int
    n_candidates: int
    model_path: Path | None
    reused: bool
    training_sha256: str
    warnings: list[str] = field(default_factory=list)


def models_folder(out: CodedOutput) -> Path:
    """Where qualcode keeps the models of an output folder: ``OUT/models/``."""
    return Path(out.folder) / MODELS_FOLDER


def fit_decided(decided: Decided, folder: Path | None) -> tuple[Model, bool, Path | None, list]:
    """The model of `decided`'s source: the saved one in `folder` when it was trained on exactly
    this data, else a new one (saved there). Returns (model, reused, path, warnings)."""
    rows = decided.segments[decided.decided]
    mask = decided.decided
    labels = {code: y[mask] for code, y in decided.labels.items()}
    texts, languages = rows[m.TEXT].tolist(), rows[m.LANGUAGE].tolist()
    digest = training_digest(rows[m.SEGMENT_ID].tolist(), texts, languages, labels)
    path = None if folder is None else folder / decided.model_name()
    if path is not None:
        saved = read_model(path, digest)
        if saved is not None and {*saved.codes, *saved.skipped} == set(labels):
            return saved, True, path, []
    counts = ft.bucket_counts(ft.segment_features(texts, languages))
    model = train_model(counts, labels, digest)
    warnings = []
    if path is not None:
        try:
            write_model(model, path, decided.source)
        except OSError as exc:
            warnings.append(f"could not save the model to {path} ({exc.strerror}); not reused")
            path = None
    return model, False, path, warnings


def rank_candidates(
    model: Model, decided: Decided, codes: Sequence[str] | None = None
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every candidate for each trained code of `codes` (default: all), best first (ties:
    transcript and segment order), without the words column filled; and each candidate's
    features (segment id -> features)."""
    import pandas as pd

    segments = decided.segments
    open_rows = np.flatnonzero(~decided.decided)
    candidates = segments.iloc[open_rows]
    texts, languages = candidates[m.TEXT].tolist(), candidates[m.LANGUAGE].tolist()
    features = ft.segment_features(texts, languages)
    scores = model.scores(ft.bucket_counts(features)) if len(candidates) else {}
    frames = []
    for code in decided.codes if codes is None else codes:
        if code not in model.weights:
            continue
        keep = ~decided.labels[code][open_rows]  # a segment already given the code is no question
        order = np.flatnonzero(keep)
        p = scores[code][order] if len(order) else np.zeros(0)
        order = order[np.argsort(-p, kind="stable")]  # candidates are in transcript order
        rows = candidates.iloc[order]
        frames.append(
            pd.DataFrame(
                {
                    m.CODE: code,
                    RANK: np.arange(1, len(order) + 1),
                    PROBABILITY: scores[code][order] if len(order) else np.zeros(0),
                    m.SEGMENT_ID: rows[m.SEGMENT_ID].to_numpy(),
                    m.TRANSCRIPT_ID: rows[m.TRANSCRIPT_ID].to_numpy(),
                    m.SPEAKER: rows[m.SPEAKER].to_numpy(),
                    WORDS: "",
                    CODES_ON_SEGMENT: [
                        ", ".join(decided.coded.get(str(s), [])) for s in rows[m.SEGMENT_ID]
                    ],
                    m.TEXT: rows[m.TEXT].to_numpy(),
                }
            )
        )
    by_id = dict(zip(candidates[m.SEGMENT_ID].astype(str), features, strict=True))
    if not frames:
        return pd.DataFrame({c: [] for c in SUGGESTION_COLUMNS}), by_id
    return pd.concat(frames, ignore_index=True)[SUGGESTION_COLUMNS], by_id


def suggest_segments(
    out: CodedOutput,
    *,
    coder: str | None = None,
    layer: str | None = None,
    codes: Sequence[str] | None = None,
    limit: int = 20,
    save: bool = True,
) -> Suggestions:
    """Learn from `coder`'s (or `layer`'s) decided segments and rank the others, per code.

    `out` must hold the segment text (load_output without skipping it). The model is saved
    under OUT/models/ (and reused while the training data is unchanged) unless `save` is False.
    Every code is learned (one saved model serves every --code); `codes` are ranked.
    Raises AnalysisError for an unknown coder, layer or code.
    """
    chosen = pick_codes(out, codes)
    decided = decided_segments(out, coder=coder, layer=layer)
    model, reused, path, warnings = fit_decided(decided, models_folder(out) if save else None)
    ranking, features = rank_candidates(model, decided, chosen)
    n_candidates = int((~decided.decided).sum())
    if n_candidates == 0:
        warnings.append(
            f"every segment of {out.folder} is decided by {decided.source}: nothing to suggest"
        )
    table = ranking[ranking[RANK] <= limit].reset_index(drop=True)
    table[WORDS] = [
        ", ".join(model.explain(code, features[str(sid)]))
        for code, sid in zip(table[m.CODE], table[m.SEGMENT_ID], strict=True)
    ]
    return Suggestions(
        decided.source,
        table,
        ranking,
        {c: reason for c, reason in model.skipped.items() if c in chosen},
        int(decided.decided.sum()),
        n_candidates,
        path,
        reused,
        model.training_sha256,
        warnings,
    )
