"""The final coding: every decision applied in order, a reviewer's decisions winning.

Mini corpus (see conftest), en_one's participant segments and their automatic codes:

    en1 "Yes. We filed a lawsuit ..."   litigation, advocacy
    en2 "We fill the gap, honestly ..." humanitarianism

Coders anna and ben both remove advocacy from en1 and both add litigation to en2; the reviewer
rita decided earlier than both of them, the other way round: advocacy stays on en1, litigation
stays off en2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write
from qualcode import models as m
from qualcode.coding.api import code_corpus
from qualcode.decisions.layers import FINAL_CODER, final_codings, final_pairs

HEADER = "segment_id,code,action,coder,note,timestamp\n"
T = "2025-02-01T10:00:0"


def _segment(result, startswith: str) -> str:
    s = result.segments
    rows = s[(s[m.TRANSCRIPT_ID] == "en_one") & s[m.TEXT].str.startswith(startswith)]
    assert len(rows) == 1
    return rows[m.SEGMENT_ID].iloc[0]


@pytest.fixture
def coded(tmp_path: Path, mini_corpus: Path, mini_codebook: Path):
    base = code_corpus(mini_corpus, mini_codebook)
    en1, en2 = _segment(base, "Yes. We filed"), _segment(base, "We fill")
    folder = tmp_path / "ov"
    write(
        folder / "rita.csv",
        HEADER + f"{en1},advocacy,add,rita,,{T}1\n" + f"{en2},litigation,remove,rita,,{T}1\n",
    )
    for n, coder in ((2, "anna"), (3, "ben")):
        write(
            folder / f"{coder}.csv",
            HEADER
            + f"{en1},advocacy,remove,{coder},,{T}{n}\n"
            + f"{en2},litigation,add,{coder},,{T}{n}\n",
        )
    result = code_corpus(mini_corpus, mini_codebook, overrides=[folder])
    return result, en1, en2


@pytest.mark.parametrize(
    ("reviewers", "expected"),
    [
        # rita is a reviewer: her decisions come last and win over both coders'.
        (["rita"], {("en1", "litigation"), ("en1", "advocacy"), ("en2", "humanitarianism")}),
        # rita is one more coder: in time order anna's and ben's later decisions win.
        ([], {("en1", "litigation"), ("en2", "humanitarianism"), ("en2", "litigation")}),
    ],
)
def test_final_layer_applies_every_decision_with_reviewers_last(coded, reviewers, expected):
    result, en1, en2 = coded
    pairs = final_pairs(result.codings, result.overrides, reviewers)
    names = {en1: "en1", en2: "en2"}
    assert {(names[s], c) for s, c in pairs if s in names} == expected


def test_final_codings_are_one_row_per_pair_in_the_final_coders_name(coded):
    result, en1, en2 = coded
    final = final_codings(result.codings, result.overrides, ["rita"])
    on_en_one = final[final[m.SEGMENT_ID].isin([en1, en2])]
    # en1 litigation (auto), en1 advocacy (rita's add), en2 humanitarianism (auto): 3 rows.
    assert len(on_en_one) == 3
    assert set(final[m.CODER]) == {FINAL_CODER}
