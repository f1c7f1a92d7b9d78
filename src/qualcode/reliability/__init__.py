"""Inter-coder reliability: units of comparison, agreement statistics and their tables.

Exports `agreement` and `AgreementResult`; the statistics themselves are in `stats`.
"""

from qualcode.reliability.agreement import AgreementResult, agreement

__all__ = ["AgreementResult", "agreement"]
