"""Matching: blank per-language spaCy pipelines, the codebook's matchers and where matches fall.

Exports `get_pipeline` (one cached pipeline per language) and `CodebookMatcher`.
"""

from qualcode.matching.matcher import CodebookMatcher, Match
from qualcode.matching.pipelines import LanguagePipeline, get_pipeline

__all__ = ["CodebookMatcher", "LanguagePipeline", "Match", "get_pipeline"]
