"""What the suggestion model reads: the lemmas of a segment (a bag of words), hashed into columns.

A segment's features are the lookup lemmas (``token.norm_`` of `get_pipeline(lang).make_docs`)
of its content words: alphabetic, two letters or more, not a stop word of its language. (Pairs
of consecutive lemmas were tried and left out: in cross-validation on the sample coders and the
gold dev split they did not raise average precision, and they spread the weight of a decisive
word over chance pairs on small data.) Each feature is hashed
(MurmurHash3, seed 0) into one of BUCKETS columns, so a saved model holds numbers, not the
words of the transcripts. Values are tf-idf: (1 + ln count) x idf, idf = ln((1 + n) / (1 + df))
+ 1 over the n training segments, each row scaled to unit length over the model's columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

BUCKETS = 2**20
MIN_DOCUMENTS = 1  # cross-validation: rare key words ("TAR") matter on small data
FEATURE_VERSION = "lemma-unigrams-v1"


def segment_features(texts: Sequence[str], languages: Sequence[str]) -> list[list[str]]:
    """The features of each text (in its language), in text order; texts are tokenized per
    language in one batch."""
    from spacy.attrs import IS_ALPHA, IS_STOP, LENGTH, NORM

    from qualcode.matching.pipelines import get_pipeline

    features: list[list[str]] = [[] for _ in texts]
    for language in sorted(set(languages)):
        index = [i for i, lang in enumerate(languages) if lang == language]
        pipeline = get_pipeline(language)
        strings = pipeline.nlp.vocab.strings
        for i, doc in zip(index, pipeline.make_docs([texts[i] for i in index]), strict=True):
            if not len(doc):
                continue
            # One array per doc instead of a Token object per word (the bulk of the time).
            table = doc.to_array([NORM, IS_ALPHA, IS_STOP, LENGTH])
            keep = (table[:, 1] == 1) & (table[:, 2] == 0) & (table[:, 3] > 1)
            features[i] = [strings[int(h)] for h in table[keep, 0]]
    return features


def bucket_of(feature: str) -> int:
    """The column a feature is hashed into (the same function trains and explains)."""
    from sklearn.utils import murmurhash3_32

    return int(murmurhash3_32(feature, seed=0, positive=True)) % BUCKETS


def bucket_counts(features: Sequence[Sequence[str]]) -> list[Counter[int]]:
    """Per segment: how often each bucket occurs."""
    cache: dict[str, int] = {}
    rows = []
    for row in features:
        counts: Counter[int] = Counter()
        for feature in row:
            bucket = cache.get(feature)
            if bucket is None:
                bucket = cache[feature] = bucket_of(feature)
            counts[bucket] += 1
        rows.append(counts)
    return rows


def fit_idf(counts: Sequence[Counter[int]], min_documents: int = MIN_DOCUMENTS):
    """(the model's buckets, sorted; their idf) from the training segments' bucket counts.

    Buckets in fewer than `min_documents` segments are left out of the model.
    """
    df: Counter[int] = Counter()
    for row in counts:
        df.update(row.keys())
    buckets = np.array(sorted(b for b, n in df.items() if n >= min_documents), dtype=np.int64)
    n = len(counts)
    freq = np.array([df[int(b)] for b in buckets], dtype=np.float64)
    idf = np.log((1.0 + n) / (1.0 + freq)) + 1.0
    return buckets, idf.astype(np.float32)


def tfidf_matrix(
    counts: Sequence[Counter[int]], buckets: np.ndarray, idf: np.ndarray
) -> csr_matrix:
    """The (segments x model buckets) tf-idf matrix, rows scaled to unit length."""
    from scipy.sparse import csr_matrix

    indptr = [0]
    columns: list[int] = []
    values: list[float] = []
    for row in counts:
        keys = np.fromiter(row.keys(), dtype=np.int64, count=len(row))
        found = np.searchsorted(buckets, keys)
        found = np.minimum(found, max(len(buckets) - 1, 0))
        known = (buckets[found] == keys) if len(buckets) else np.zeros(len(keys), dtype=bool)
        cols = found[known]
        tf = 1.0 + np.log(np.fromiter(row.values(), dtype=np.float64, count=len(row))[known])
        weight = tf * idf[cols]
        norm = float(np.sqrt((weight**2).sum()))
        order = np.argsort(cols)
        columns.extend(cols[order].tolist())
        values.extend((weight[order] / norm if norm else weight[order]).tolist())
        indptr.append(len(columns))
    return csr_matrix(
        (np.array(values, dtype=np.float64), np.array(columns, dtype=np.int64), indptr),
        shape=(len(counts), len(buckets)),
    )
