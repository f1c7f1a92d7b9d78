"""Privacy: the identifiers list, pseudonymisation of texts and folders, the residual check.

Exports `load_identifiers`, `pseudonymise_text`, `pseudonymise_transcripts`, `find_residuals`.
"""

from qualcode.privacy.files import pseudonymise_transcripts
from qualcode.privacy.identifiers import load_identifiers
from qualcode.privacy.output_copy import pseudonymise_output
from qualcode.privacy.pseudonymise import pseudonymise_text
from qualcode.privacy.residual_folder import find_residuals

__all__ = [
    "find_residuals",
    "load_identifiers",
    "pseudonymise_output",
    "pseudonymise_text",
    "pseudonymise_transcripts",
]
