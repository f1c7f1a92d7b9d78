"""The codebook: its schema (codes, hierarchy, patterns per language), loading and validation.

Exports `load_codebook`, `codebook_table` and the `Codebook`, `Code` and `Pattern` dataclasses.
"""

from qualcode.codebook.load import codebook_table, load_codebook
from qualcode.codebook.schema import Code, Codebook, Pattern

__all__ = ["Code", "Codebook", "Pattern", "codebook_table", "load_codebook"]
