"""Analysis of an output folder: filters, frequencies, matrices, co-occurrence and quotes.

Exports the local (pandas) functions; `qualcode.analysis.on_dask` has the Dask twins.
"""

from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.filters import filter_codings
from qualcode.analysis.frequencies import FrequencyTable, code_frequencies
from qualcode.analysis.matrix import code_matrix
from qualcode.analysis.quotes import quotes

__all__ = [
    "FrequencyTable",
    "code_frequencies",
    "code_matrix",
    "cooccurrence",
    "filter_codings",
    "quotes",
]
