"""qualcode.analysis on a hand-built output (tests/data/analysis, described in its README).

Every expected number is counted by hand from the fixture; the comments show the arithmetic.
Segments outside the interviewer turns (the default):
    Italy: it_lawyer_01-001..004 (8+5+4+4 words), it_activist_02-001..002 (6+5 words)
           -> 6 segments, 2 cases, 32 words
    Spain: es_official_03-000..001 (8+4 words), es_unknown_04-000..001 (5+5 words)
           -> 4 segments, 2 cases, 22 words
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from qualcode import analysis
from qualcode import models as m
from qualcode.errors import AnalysisError

DATA = Path(__file__).parent / "data" / "analysis"
ORDER = [
    ("dilemma", None),
    ("humanitarianism", "dilemma"),
    ("equity", "dilemma"),
    ("dimension", None),
    ("sustainability", "dimension"),
    ("entitlement", "dimension"),
    ("strategy", None),
    ("lobbying", "strategy"),
    ("advocacy", "strategy"),
    ("litigation", "strategy"),
]
CODES = [code for code, _ in ORDER]
LEAVES = ["humanitarianism", "equity", "sustainability", "entitlement"]
LEAVES += ["lobbying", "advocacy", "litigation"]


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    segments = pd.read_csv(DATA / "segments.csv")
    codings = pd.read_csv(DATA / "codings.csv")
    return segments, codings


def freq(tables, **kwargs) -> analysis.FrequencyTable:
    return analysis.code_frequencies(*tables, ORDER, **kwargs)


def rows_of(frame: pd.DataFrame) -> dict[str, tuple]:
    return {
        label: tuple(values)
        for label, values in zip(frame.index, frame.to_numpy().tolist(), strict=True)
    }


# --- code_frequencies ----------------------------------------------------------------------------

# code: (Italy, Spain, Total) -- distinct segments
SEGMENTS_BY_COUNTRY = {
    # it_lawyer_01-002 | es_official_03-001 (ben, on the parent), es_unknown_04-000
    "dilemma": (1, 2, 3),
    "humanitarianism": (1, 1, 2),  # it_lawyer_01-002 | es_unknown_04-000
    "equity": (1, 0, 1),  # it_lawyer_01-002 once, although coded by auto and by ana
    "dimension": (2, 1, 3),  # it_lawyer_01-003, it_activist_02-002 | es_official_03-001
    "sustainability": (1, 1, 2),  # it_lawyer_01-003 | es_official_03-001
    "entitlement": (1, 0, 1),  # it_activist_02-002
    # it_lawyer_01-001, -004, it_activist_02-001 | es_official_03-000, es_unknown_04-001
    "strategy": (3, 2, 5),
    "lobbying": (3, 1, 4),  # the interviewer's it_lawyer_01-000 is left out
    "advocacy": (2, 1, 3),  # it_lawyer_01-001 (ben), it_activist_02-001 | es_unknown_04-001
    "litigation": (1, 2, 3),  # it_lawyer_01-001 | es_official_03-000, es_unknown_04-001
}

# code: (Italy, Spain, Total) -- distinct transcripts
CASES_BY_COUNTRY = {
    "dilemma": (1, 2, 3),
    "humanitarianism": (1, 1, 2),
    "equity": (1, 0, 1),
    "dimension": (2, 1, 3),  # it_lawyer_01, it_activist_02 | es_official_03
    "sustainability": (1, 1, 2),
    "entitlement": (1, 0, 1),
    "strategy": (2, 2, 4),
    "lobbying": (2, 1, 3),  # it_lawyer_01 has two lobbying segments but is one case
    "advocacy": (2, 1, 3),
    "litigation": (1, 2, 3),
}

# code: (Italy, Spain, Total) -- words of the distinct coded segments
WORDS_BY_COUNTRY = {
    "dilemma": (5, 9, 14),  # 5 | 4 + 5
    "humanitarianism": (5, 5, 10),
    "equity": (5, 0, 5),
    "dimension": (9, 4, 13),  # 4 + 5 | 4
    "sustainability": (4, 4, 8),
    "entitlement": (5, 0, 5),
    "strategy": (18, 13, 31),  # 8 + 4 + 6 | 8 + 5
    "lobbying": (18, 8, 26),
    "advocacy": (14, 5, 19),  # 8 + 6 | 5
    "litigation": (8, 13, 21),  # 8 | 8 + 5
}


@pytest.mark.parametrize(
    ("count", "expected"),
    [("segments", SEGMENTS_BY_COUNTRY), ("cases", CASES_BY_COUNTRY), ("words", WORDS_BY_COUNTRY)],
)
def test_frequencies_by_country_match_hand_counts(tables, count, expected):
    result = freq(tables, by="country", count=count)
    assert list(result.table.index) == CODES
    assert list(result.table.columns) == ["Italy", "Spain", "Total"]
    assert result.table.columns.name == m.COUNTRY
    assert rows_of(result.table) == expected


def test_frequency_denominators_give_segments_cases_and_words_per_group(tables):
    result = freq(tables, by="country")
    assert rows_of(result.denominators) == {
        "n_segments": (6, 4, 10),
        "n_cases": (2, 2, 4),
        "n_words": (32, 22, 54),
    }


def test_parent_row_counts_a_segment_once_even_with_two_children(tables):
    table = freq(tables).table
    # it_lawyer_01-002 has equity (twice) and humanitarianism: one dilemma segment, not three;
    # 10 strategy child codings outside the interviewer fall on 5 segments.
    assert table.loc["dilemma", "Total"] == 3
    assert table.loc["strategy", "Total"] == 5
    assert list(table.columns) == ["Total"]


def test_parent_row_counts_codings_made_on_the_parent_itself(tables):
    # es_official_03-001 is coded dilemma directly (ben) and has no dilemma child.
    table = freq(tables, by="transcript_id").table
    assert table.loc["dilemma", "es_official_03"] == 1
    assert table.loc["humanitarianism", "es_official_03"] == 0
    assert table.loc["equity", "es_official_03"] == 0


def test_role_without_litigation_and_missing_role_are_columns(tables):
    table = freq(tables, by="role").table
    assert list(table.columns) == ["activist", "lawyer", "official", "(missing)", "Total"]
    assert table.loc["litigation"].tolist() == [0, 1, 1, 1, 3]
    assert table.loc["entitlement"].tolist() == [1, 0, 0, 0, 1]


def test_frequencies_by_two_columns_have_one_column_per_present_pair(tables):
    result = freq(tables, by=["country", "role"])
    assert list(result.table.columns) == [
        ("Italy", "activist"),
        ("Italy", "lawyer"),
        ("Spain", "official"),
        ("Spain", "(missing)"),
        ("Total", ""),
    ]
    assert list(result.table.columns.names) == ["country", "role"]
    assert result.table.loc["lobbying"].tolist() == [1, 2, 1, 0, 4]
    assert result.denominators.loc["n_segments"].tolist() == [2, 4, 2, 2, 10]
    assert result.denominators.loc["n_words"].tolist() == [11, 21, 12, 10, 54]


@pytest.mark.parametrize(
    ("count", "code", "column", "expected"),
    [
        ("segments", "dilemma", "Italy", 100 * 1 / 6),
        ("segments", "dilemma", "Total", 100 * 3 / 10),
        ("segments", "equity", "Spain", 0.0),
        ("cases", "dilemma", "Spain", 100 * 2 / 2),
        ("cases", "lobbying", "Spain", 100 * 1 / 2),
        ("words", "strategy", "Italy", 100 * 18 / 32),
        ("words", "strategy", "Total", 100 * 31 / 54),
    ],
)
def test_percent_divides_by_the_matching_denominator(tables, count, code, column, expected):
    result = freq(tables, by="country", count=count, percent=True)
    assert result.table.loc[code, column] == pytest.approx(expected)
    assert result.denominators.loc["n_segments", "Italy"] == 6  # denominators stay counts


def test_codes_filter_keeps_the_code_and_its_children_only(tables):
    result = freq(tables, by="country", codes=["strategy"])
    assert list(result.table.index) == ["strategy", "lobbying", "advocacy", "litigation"]
    assert result.denominators.loc["n_segments"].tolist() == [6, 4, 10]


def test_codes_with_no_codings_still_appear_as_zero_rows(tables):
    table = freq(tables, by="country", where="country == 'Spain'").table
    assert list(table.columns) == ["Spain", "Total"]
    assert table.loc["equity"].tolist() == [0, 0]
    assert table.loc["entitlement"].tolist() == [0, 0]


@pytest.mark.parametrize(
    ("filters", "code", "expected_total", "expected_n_segments"),
    [
        # auto only: ben's dilemma (es_official_03-001) and advocacy (it_lawyer_01-001) drop out
        ({"source": "auto"}, "dilemma", 2, 10),
        ({"source": "auto"}, "advocacy", 2, 10),
        # manual only: ana's equity, ben's advocacy and dilemma; ana's lobbying is on the interviewer
        ({"source": "manual"}, "dilemma", 2, 10),
        ({"source": "manual"}, "lobbying", 0, 10),
        ({"coder": "ana"}, "equity", 1, 10),
        ({"coder": "ben"}, "strategy", 1, 10),
        ({"coder": ["ana", "ben"]}, "dilemma", 2, 10),
        # interviewer turns counted: +2 segments; ana's lobbying on it_lawyer_01-000 counts
        ({"include_interviewer": True}, "lobbying", 5, 12),
        ({"coder": "ana", "include_interviewer": True}, "lobbying", 1, 12),
        # where on any metadata column restricts numerators and denominators
        ({"where": "gender == 'F'"}, "litigation", 2, 6),  # it_lawyer_01, es_official_03
        ({"where": "role == 'lawyer' and n_words > 4"}, "lobbying", 1, 2),  # -001, -002
        ({"where": "country != 'Italy'"}, "lobbying", 1, 4),
    ],
)
def test_filters(tables, filters, code, expected_total, expected_n_segments):
    result = freq(tables, **filters)
    assert result.table.loc[code, "Total"] == expected_total
    assert result.denominators.loc["n_segments", "Total"] == expected_n_segments


def test_filter_codings_returns_the_remaining_tables(tables):
    segments, codings = analysis.filter_codings(*tables, source="manual", code_order=ORDER)
    assert len(segments) == 10  # interviewer turns left out
    assert sorted(codings[m.SEGMENT_ID]) == [
        "es_official_03-001",
        "it_lawyer_01-001",
        "it_lawyer_01-002",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"where": "n_words >"}, "where expression 'n_words >': cannot read it"),
        ({"where": "colour == 'red'"}, "unknown column(s) colour in where expression"),
        ({"where": "n_words + 1 > 2"}, "arithmetic: not in the language (n_words + 1)"),
        ({"where": "n_words"}, "column 'n_words' (numbers) is not a condition"),
        ({"codes": ["lobying"]}, "unknown code(s) lobying; known codes: dilemma, humanitarianism"),
        ({"by": ["country", "colour"]}, "unknown by column(s) colour"),
        ({"coder": "zoe"}, "unknown coder(s) zoe; coders: ana, auto, ben"),
        ({"source": "robot"}, "unknown source 'robot'"),
        ({"count": "pages"}, "unknown count 'pages'"),
    ],
)
def test_bad_requests_raise_one_line_analysis_errors(tables, kwargs, message):
    with pytest.raises(AnalysisError) as caught:
        freq(tables, **kwargs)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_code_filtered_out_by_where_is_not_unknown(tables):
    # entitlement only occurs in Italy; asking for it in Spain is a zero, not an error.
    table = freq(tables, codes=["entitlement"], where="country == 'Spain'").table
    assert table.loc["entitlement", "Total"] == 0


# --- code_matrix ---------------------------------------------------------------------------------

# columns: humanitarianism, equity, sustainability, entitlement, lobbying, advocacy, litigation
MATRIX_COUNT = {
    "es_official_03": (0, 0, 1, 0, 1, 0, 1),
    "es_unknown_04": (1, 0, 0, 0, 0, 1, 1),
    "it_activist_02": (0, 0, 0, 1, 1, 1, 0),
    "it_lawyer_01": (1, 1, 1, 0, 2, 1, 1),  # lobbying in -001 and -004
}


def test_matrix_counts_coded_segments_per_transcript_and_leaf_code(tables):
    matrix = analysis.code_matrix(*tables, ORDER)
    assert list(matrix.columns) == LEAVES
    assert matrix.index.name == m.TRANSCRIPT_ID
    assert rows_of(matrix) == MATRIX_COUNT


def test_matrix_binary_marks_presence(tables):
    matrix = analysis.code_matrix(*tables, ORDER, value="binary")
    assert matrix.loc["it_lawyer_01"].tolist() == [1, 1, 1, 0, 1, 1, 1]
    assert matrix.loc["es_unknown_04"].tolist() == [1, 0, 0, 0, 0, 1, 1]


def test_matrix_words_sums_words_of_coded_segments(tables):
    matrix = analysis.code_matrix(*tables, ORDER, value="words")
    # lobbying: -001 (8 words) + -004 (4 words); advocacy and litigation: -001 (8 words)
    assert matrix.loc["it_lawyer_01"].tolist() == [5, 5, 4, 0, 12, 8, 8]
    assert matrix.loc["es_unknown_04"].tolist() == [5, 0, 0, 0, 0, 5, 5]


def test_matrix_rows_by_metadata_keep_missing_and_uncoded_rows(tables):
    by_role = analysis.code_matrix(*tables, ORDER, rows="role")
    assert list(by_role.index) == ["activist", "lawyer", "official", "(missing)"]
    assert by_role.loc["activist", "litigation"] == 0
    # the interviewer speaker row exists and is all zeros: its only coding is manual
    by_speaker = analysis.code_matrix(
        *tables, ORDER, rows="speaker", source="auto", include_interviewer=True
    )
    assert list(by_speaker.index) == ["I", "P"]
    assert by_speaker.loc["I"].tolist() == [0] * 7


def test_matrix_long_is_tidy_with_zeros(tables):
    tidy = analysis.code_matrix(*tables, ORDER, value="binary", long=True)
    assert list(tidy.columns) == [m.TRANSCRIPT_ID, m.CODE, "value"]
    assert len(tidy) == 4 * 7
    first = tidy.iloc[:7]
    assert first[m.TRANSCRIPT_ID].unique().tolist() == ["es_official_03"]
    assert first[m.CODE].tolist() == LEAVES
    assert first["value"].tolist() == [0, 0, 1, 0, 1, 0, 1]


def test_matrix_code_filter_selects_leaf_children(tables):
    matrix = analysis.code_matrix(*tables, ORDER, codes=["dilemma"])
    assert list(matrix.columns) == ["humanitarianism", "equity"]


# --- cooccurrence --------------------------------------------------------------------------------

# Leaf codes per segment (interviewer left out):
#   it_lawyer_01-001 {lobbying, advocacy, litigation}  it_lawyer_01-002 {humanitarianism, equity}
#   it_lawyer_01-003 {sustainability}  it_lawyer_01-004 {lobbying}
#   it_activist_02-001 {lobbying, advocacy}  it_activist_02-002 {entitlement}
#   es_official_03-000 {lobbying, litigation}  es_official_03-001 {sustainability} (+ parent dilemma)
#   es_unknown_04-000 {humanitarianism}  es_unknown_04-001 {advocacy, litigation}
SEGMENT_COOCCURRENCE = {
    # humanitarianism, equity, sustainability, entitlement, lobbying, advocacy, litigation
    "humanitarianism": (2, 1, 0, 0, 0, 0, 0),
    "equity": (1, 1, 0, 0, 0, 0, 0),
    "sustainability": (0, 0, 2, 0, 0, 0, 0),
    "entitlement": (0, 0, 0, 1, 0, 0, 0),
    "lobbying": (0, 0, 0, 0, 4, 2, 2),  # lob+adv: l01-001, a02-001; lob+lit: l01-001, o03-000
    "advocacy": (0, 0, 0, 0, 2, 3, 2),  # adv+lit: l01-001, u04-001
    "litigation": (0, 0, 0, 0, 2, 2, 3),
}


def test_cooccurrence_within_segment(tables):
    table = analysis.cooccurrence(*tables, ORDER)
    assert list(table.index) == LEAVES and list(table.columns) == LEAVES
    assert rows_of(table) == SEGMENT_COOCCURRENCE


def test_cooccurrence_within_transcript(tables):
    # it_lawyer_01 {hum, eq, sust, lob, adv, lit}  it_activist_02 {ent, lob, adv}
    # es_official_03 {sust, lob, lit}  es_unknown_04 {hum, adv, lit}
    table = analysis.cooccurrence(*tables, ORDER, within="transcript")
    assert table.loc["lobbying"].tolist() == [1, 1, 2, 1, 3, 2, 2]
    assert table.loc["humanitarianism"].tolist() == [2, 1, 1, 0, 1, 2, 2]
    assert table.loc["entitlement", "entitlement"] == 1


def test_cooccurrence_jaccard_within_segment(tables):
    table = analysis.cooccurrence(*tables, ORDER, measure="jaccard")
    assert table.loc["lobbying", "advocacy"] == pytest.approx(2 / (4 + 3 - 2))
    assert table.loc["advocacy", "litigation"] == pytest.approx(2 / (3 + 3 - 2))
    assert table.loc["humanitarianism", "equity"] == pytest.approx(1 / (2 + 1 - 1))
    assert table.loc["sustainability", "entitlement"] == 0.0
    assert all(table.loc[c, c] == 1.0 for c in LEAVES)


def test_jaccard_of_a_code_that_never_occurs_is_nan(tables):
    # In Spain nobody is coded equity or entitlement.
    table = analysis.cooccurrence(*tables, ORDER, measure="jaccard", where="country == 'Spain'")
    assert math.isnan(table.loc["equity", "equity"])
    assert math.isnan(table.loc["equity", "entitlement"])
    assert table.loc["equity", "humanitarianism"] == 0.0
    assert table.loc["humanitarianism", "humanitarianism"] == 1.0


def test_cooccurrence_overlap_counts_distinct_overlapping_passage_pairs(tables):
    table = analysis.cooccurrence(*tables, ORDER, within="overlap")
    # it_lawyer_01-002 has two distinct equity passages ([67,100) auto, [67,81) ana), both
    # overlapping the humanitarianism passage [67,100): 2 pairs, 2 equity passages.
    assert table.loc["equity", "equity"] == 2
    assert table.loc["equity", "humanitarianism"] == 2
    assert table.loc["lobbying"].tolist() == [0, 0, 0, 0, 4, 2, 2]


def test_cooccurrence_overlap_jaccard_uses_coded_characters(tables):
    table = analysis.cooccurrence(*tables, ORDER, within="overlap", measure="jaccard")
    # equity covers [67,100) of it_lawyer_01 = 33 characters (ana's [67,81) lies inside);
    # humanitarianism covers the same 33 + es_unknown_04 [0,31) = 64; shared 33.
    assert table.loc["equity", "humanitarianism"] == pytest.approx(33 / (33 + 64 - 33))
    # lobbying: 38 + 20 + 34 + 39 = 131 characters; advocacy: 38 + 34 + 23 = 95; shared 38 + 34.
    assert table.loc["lobbying", "advocacy"] == pytest.approx(72 / (131 + 95 - 72))
    assert table.loc["lobbying", "lobbying"] == 1.0


def _passages(rows: list[tuple[str, str, int, int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Minimal tables: one segment per transcript spanning [0, 100), codings = given passages."""
    transcripts = sorted({r[0] for r in rows})
    segments = pd.DataFrame(
        {
            m.SEGMENT_ID: [f"{t}-0" for t in transcripts],
            m.TRANSCRIPT_ID: transcripts,
            m.SEGMENT_INDEX: 0,
            m.IS_INTERVIEWER: False,
            m.START: 0,
            m.END: 100,
            m.N_WORDS: 10,
            m.TEXT: "x",
        }
    )
    codings = pd.DataFrame(
        {
            m.SEGMENT_ID: [f"{t}-0" for t, *_ in rows],
            m.TRANSCRIPT_ID: [t for t, *_ in rows],
            m.CODE: [c for _, c, _, _ in rows],
            m.SOURCE: "manual",
            m.CODER: "ana",
            m.START: [s for *_, s, _ in rows],
            m.END: [e for *_, e in rows],
            m.MATCH_SPANS: None,
        }
    )
    return segments, codings


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([("t1", "A", 0, 10), ("t1", "B", 10, 20)], 0),  # [start, end) touching: no overlap
        ([("t1", "A", 0, 11), ("t1", "B", 10, 20)], 1),
        ([("t1", "A", 0, 10), ("t2", "B", 0, 10)], 0),  # other transcript
        ([("t1", "A", 0, 50), ("t1", "B", 5, 10), ("t1", "B", 40, 60)], 2),  # one A, two B
        ([("t1", "A", 5, 10), ("t1", "B", 0, 50), ("t1", "A", 20, 30), ("t1", "A", 60, 70)], 2),
    ],
)
def test_overlap_pairs_follow_half_open_ranges(rows, expected):
    table = analysis.cooccurrence(*_passages(rows), [("A", None), ("B", None)], within="overlap")
    assert table.loc["A", "B"] == table.loc["B", "A"] == expected


@pytest.mark.parametrize("within", ["segment", "overlap", "transcript"])
@pytest.mark.parametrize("measure", ["count", "jaccard"])
def test_cooccurrence_is_symmetric(tables, within, measure):
    table = analysis.cooccurrence(*tables, ORDER, within=within, measure=measure)
    values = table.to_numpy(dtype=float)
    assert ((values == values.T) | (values != values)).all()


# --- quotes --------------------------------------------------------------------------------------


def test_quotes_are_sorted_by_transcript_and_segment(tables):
    found = analysis.quotes(*tables, ORDER, code="lobbying")
    assert found[m.SEGMENT_ID].tolist() == [
        "es_official_03-000",
        "it_activist_02-001",
        "it_lawyer_01-001",
        "it_lawyer_01-004",
    ]
    assert list(found.columns) == [
        m.SEGMENT_ID,
        m.TRANSCRIPT_ID,
        m.SPEAKER,
        m.COUNTRY,
        m.ROLE,
        m.CODE,
        m.SOURCE,
        m.CODER,
        m.TEXT,
        "highlights",
    ]


@pytest.mark.parametrize(
    ("by", "limit", "expected"),
    [
        (
            ["country"],
            None,
            ["it_activist_02-001", "it_lawyer_01-001", "it_lawyer_01-004", "es_official_03-000"],
        ),
        (["country"], 2, ["it_activist_02-001", "it_lawyer_01-001", "es_official_03-000"]),
        ([], 2, ["es_official_03-000", "it_activist_02-001"]),
        ([], 0, []),
    ],
)
def test_quotes_by_group_and_limit(tables, by, limit, expected):
    found = analysis.quotes(*tables, ORDER, code="lobbying", by=by, limit=limit)
    assert found[m.SEGMENT_ID].tolist() == expected


def test_quotes_by_role_put_missing_last(tables):
    found = analysis.quotes(*tables, ORDER, code="litigation", by="role")
    assert found[m.SEGMENT_ID].tolist() == [
        "it_lawyer_01-001",
        "es_official_03-000",
        "es_unknown_04-001",
    ]


@pytest.mark.parametrize(
    ("code", "segment_id", "highlights", "words"),
    [
        ("lobbying", "it_lawyer_01-001", [(22, 27)], ["lobby"]),
        ("strategy", "it_lawyer_01-001", [(9, 14), (22, 27)], ["court", "lobby"]),
        ("humanitarianism", "es_unknown_04-000", [(0, 7), (13, 25)], ["Charity", "humanitarian"]),
        ("equity", "it_lawyer_01-002", [(0, 6)], ["Equity"]),  # ana's manual coding adds none
    ],
)
def test_quote_highlights_are_relative_to_the_segment_text(
    tables, code, segment_id, highlights, words
):
    found = analysis.quotes(*tables, ORDER, code=code).set_index(m.SEGMENT_ID)
    assert found.loc[segment_id, "highlights"] == highlights
    text = found.loc[segment_id, m.TEXT]
    assert [text[s:e] for s, e in highlights] == words


def test_quote_duplicates_across_coders_collapse_to_one_row(tables):
    found = analysis.quotes(*tables, ORDER, code="equity")
    assert len(found) == 1
    row = found.iloc[0]
    assert (row[m.CODE], row[m.SOURCE], row[m.CODER]) == ("equity", "auto, manual", "ana, auto")


def test_quotes_of_a_parent_list_the_matching_children_in_codebook_order(tables):
    found = analysis.quotes(*tables, ORDER, code="strategy").set_index(m.SEGMENT_ID)
    assert len(found) == 5
    assert found.loc["it_lawyer_01-001", m.CODE] == "lobbying, advocacy, litigation"
    assert found.loc["it_lawyer_01-001", m.CODER] == "auto, ben"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"include_interviewer": True}, 5),  # + it_lawyer_01-000 (ana)
        ({"source": "manual"}, 0),
        ({"source": "manual", "include_interviewer": True}, 1),
        ({"coder": "ana", "include_interviewer": True}, 1),
        ({"where": "country == 'Spain'"}, 1),
    ],
)
def test_quote_filters(tables, filters, expected):
    assert len(analysis.quotes(*tables, ORDER, code="lobbying", **filters)) == expected


def test_quote_highlights_merge_overlapping_spans():
    segments, codings = _passages([("t1", "A", 0, 100), ("t1", "A", 0, 100)])
    codings[m.MATCH_SPANS] = ["10-15;12-20", "30-35"]
    found = analysis.quotes(segments, codings, [("A", None)], code="A")
    assert found.loc[0, "highlights"] == [(10, 20), (30, 35)]


def test_quotes_of_an_unknown_code_fail(tables):
    with pytest.raises(AnalysisError, match="unknown code"):
        analysis.quotes(*tables, ORDER, code="lobying")


def test_rows_follow_the_code_tree_when_the_codebook_lists_parents_first(tables):
    parents_first = sorted(ORDER, key=lambda pair: pair[1] is not None)  # stable: parents, children
    table = analysis.code_frequencies(*tables, parents_first).table
    assert list(table.index) == CODES
    assert list(analysis.code_matrix(*tables, parents_first).columns) == LEAVES


def test_nullable_dtypes_as_read_from_parquet_give_the_same_tables(tables):
    # load_output returns string / Int64 / boolean columns with <NA> for missing metadata.
    nullable = (tables[0].convert_dtypes(), tables[1].convert_dtypes())
    assert nullable[0][m.ROLE].isna().sum() == 2
    expected = freq(tables, by="role", count="words", percent=True)
    result = freq(nullable, by="role", count="words", percent=True)
    pd.testing.assert_frame_equal(result.table, expected.table)
    pd.testing.assert_frame_equal(result.denominators, expected.denominators)
    # a comparison on a column with <NA> is a condition; a missing value matches neither it nor
    # its negation: lawyers are it_lawyer_01-001..004; the others it_activist_02 (2 segments)
    # and es_official_03 (2), not es_unknown_04, whose role is missing
    for table in (tables, nullable):
        for where, expected in (("role == 'lawyer'", 4), ("not role == 'lawyer'", 4)):
            assert freq(table, where=where).denominators.loc["n_segments", "Total"] == expected
        assert freq(table, where="role != 'lawyer'").denominators.loc["n_segments", "Total"] == 4
    assert analysis.quotes(*nullable, ORDER, code="humanitarianism").loc[0, "highlights"] == [
        (0, 7),
        (13, 25),
    ]
    overlap = analysis.cooccurrence(*nullable, ORDER, within="overlap")
    assert overlap.loc["equity", "humanitarianism"] == 2
