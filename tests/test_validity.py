"""Measuring a codebook on labelled passages: scores worked out by hand, gold-file errors, stable
pattern ids, executable examples, keyness, suggestions and explanations."""

from __future__ import annotations

import json
import math

import pytest

from conftest import DATA, SAMPLE_CODEBOOK, run_cli, write
from qualcode.codebook import load_codebook
from qualcode.errors import CodebookError, GoldError
from qualcode.validity.gold import read_gold
from qualcode.validity.keyness import log_likelihood, log_ratio, passage_terms
from qualcode.validity.measure import measure_codebook
from qualcode.validity.scores import MACRO_ROW, MICRO_ROW

GOLD = DATA / "gold"
MINI = GOLD / "mini.yaml"

# tests/data/gold/mini.jsonl against mini.yaml, passage by passage:
#   p1 court   -> court ("court")              TP court
#   p2 -       -> -  ("tennis court" excluded) true negative, a no-code passage left alone
#   p3 money   -> money ("grant")              TP money
#   p4 court   -> -  (no pattern for it)       FN court
#   p5 press   -> press, court                 TP press, FP court
#   p6 money   -> -                            FN money
#   p7 press   -> -                            FN press
#   p8 -       -> money ("donation")           FP money; a no-code passage given a code
#   p9 court   -> court ("tribunale", it)      TP court
# court: TP 2, FP 1, FN 1 -> P 2/3, R 2/3, F1 2*2/(4+1+1) = 2/3, support 3
# money: TP 1, FP 1, FN 1 -> P 1/2, R 1/2, F1 2/4 = 1/2, support 2
# press: TP 1, FP 0, FN 1 -> P 1, R 1/2, F1 2/3, support 2
# macro: P (2/3 + 1/2 + 1)/3 = 13/18, R (2/3 + 1/2 + 1/2)/3 = 5/9, F1 (2/3 + 1/2 + 2/3)/3 = 11/18
# micro: TP 4, FP 2, FN 3 -> P 4/6, R 4/7, F1 8/13
# no-code rate: p2 and p8 carry no code, p8 got one -> 1/2
EXPECTED_ALL = [
    ("court", 2 / 3, 2 / 3, 2 / 3, 3),
    ("money", 1 / 2, 1 / 2, 1 / 2, 2),
    ("press", 1.0, 1 / 2, 2 / 3, 2),
    (MACRO_ROW, 13 / 18, 5 / 9, 11 / 18, 7),
    (MICRO_ROW, 4 / 6, 4 / 7, 8 / 13, 7),
]


@pytest.mark.parametrize("gold_file", ["mini.jsonl", "mini.csv"])
@pytest.mark.parametrize(("code", "precision", "recall", "f1", "support"), EXPECTED_ALL)
def test_scores_match_the_hand_count(gold_file, code, precision, recall, f1, support):
    book = load_codebook(MINI)
    result = measure_codebook(book, read_gold(GOLD / gold_file, known_codes=book.code_names))
    row = result.scores.row(code)
    assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((precision, recall, f1))
    assert row["support"] == support
    assert result.scores.no_code_rate == pytest.approx(0.5)


# Per language: Italian has only p9 (court, TP): P = R = F1 = 1; money and press have no Italian
# support, so the Italian macro row averages court alone.
# Dev split (p1-p4): court TP 1 (p1), FN 1 (p4) -> P 1, R 1/2, F1 2/3; money TP 1 -> 1, 1, 1;
# press: no support and nothing given -> P, R undefined (NaN), left out of the macro:
# macro F1 (2/3 + 1)/2 = 5/6; no-code rate: p2 only, not coded -> 0.
def test_scores_per_language_and_per_split():
    book = load_codebook(MINI)
    everything = measure_codebook(book, read_gold(GOLD / "mini.jsonl"))
    assert everything.scores.row(MACRO_ROW, "it")["f1"] == pytest.approx(1.0)
    assert everything.scores.row("court", "en")["recall"] == pytest.approx(
        1 / 2
    )  # p1 of p1, p4, p5? no: p5 is press
    dev = measure_codebook(book, read_gold(GOLD / "mini.jsonl", split="dev"))
    assert dev.scores.n_passages == 4
    assert dev.scores.row("court")["f1"] == pytest.approx(2 / 3)
    assert math.isnan(dev.scores.row("press")["precision"])
    assert dev.scores.row(MACRO_ROW)["f1"] == pytest.approx(5 / 6)
    assert dev.scores.no_code_rate == 0.0


def test_passage_table_names_the_pattern_and_the_words():
    book = load_codebook(MINI)
    result = measure_codebook(book, read_gold(GOLD / "mini.jsonl"))
    p5 = result.passages.set_index("id").loc["p5"]
    assert p5["false_positives"] == ["court"] and p5["missed"] == []
    words = {(h["code"], h["words"]) for h in p5["patterns"]}
    assert words == {("court", "court"), ("press", "newspaper")}
    assert all(h["line"] is not None for h in p5["patterns"])
    assert list(result.shown("misses")["id"]) == ["p4", "p6", "p7"]
    assert list(result.shown("false-positives")["id"]) == ["p5", "p8"]


def test_keyword_baseline_fires_on_distinctive_definition_words(tmp_path):
    # "magistrate" is not in the court code's texts, "legal" is: the baseline codes p-legal only.
    gold = write(
        tmp_path / "g.jsonl",
        '{"id": "a", "language": "en", "text": "A legal fight, basically.", "codes": ["court"]}\n'
        '{"id": "b", "language": "en", "text": "The magistrate said no.", "codes": ["court"]}\n',
    )
    result = measure_codebook(load_codebook(MINI), read_gold(gold), baseline="keywords")
    row = result.baseline.row("court")
    assert (row["tp"], row["fn"]) == (1, 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"id": "a", "language": "en", "text": "x", "codes": []}\nnot json\n',
            "g.jsonl:2: not valid JSON",
        ),
        (
            '{"id": "a", "language": "en", "text": "x", "codes": ["nope"]}\n',
            "g.jsonl:1: passage a: not a code",
        ),
        (
            '{"id": "a", "language": "en", "text": "x", "codes": []}\n'
            '{"id": "a", "language": "en", "text": "y", "codes": []}\n',
            "g.jsonl:2: passage id a already used at line 1",
        ),
        ('{"id": "a", "language": "en", "codes": []}\n', "g.jsonl:1: missing text"),
        ('{"id": "a", "language": "zz", "text": "x", "codes": []}\n', "unknown language 'zz'"),
        ('{"id": "a", "language": "en", "text": "x", "codes": "court"}\n', "codes must be a list"),
        (
            '{"id": "a", "language": "en", "text": "x", "codes": [], "split": "train"}\n',
            "split must be dev",
        ),
    ],
)
def test_bad_gold_files_are_reported_with_file_and_line(tmp_path, content, message):
    gold = write(tmp_path / "g.jsonl", content)
    with pytest.raises(GoldError) as info:
        read_gold(gold, known_codes=["court"])
    assert message in str(info.value)


def test_every_problem_of_a_gold_file_is_reported_at_once(tmp_path):
    gold = write(tmp_path / "g.jsonl", "nope\n{}\n[1]\n")
    with pytest.raises(GoldError) as info:
        read_gold(gold)
    assert len(info.value.problems) == 3


def test_split_without_a_split_column_is_an_error(tmp_path):
    gold = write(tmp_path / "g.jsonl", '{"id": "a", "language": "en", "text": "x", "codes": []}\n')
    with pytest.raises(GoldError, match="no 'split' column"):
        read_gold(gold, split="dev")


# --- stable pattern ids ------------------------------------------------------------------------

BOOK = """
codes:
  - name: lit
    patterns:
      en:
{inserted}        - court
        - {{phrase: "legal action"}}
        - {{regex: "\\\\bTAR\\\\b", id: tar}}
"""


def test_inserting_a_pattern_keeps_every_other_id(tmp_path):
    before = load_codebook(write(tmp_path / "a.yaml", BOOK.format(inserted="")))
    after = load_codebook(write(tmp_path / "b.yaml", BOOK.format(inserted="        - lawsuit\n")))
    old = [p.id for p in before.get("lit").patterns]
    new = [p.id for p in after.get("lit").patterns]
    assert len(new) == len(old) + 1 and new[1:] == old
    assert "lit:en:tar" in old  # an explicit id is used as given
    assert all(pid.startswith("lit:en:") for pid in new)


def test_the_same_pattern_twice_is_an_error_with_both_lines(tmp_path):
    path = write(tmp_path / "a.yaml", BOOK.format(inserted="        - court\n"))
    with pytest.raises(CodebookError, match=r"a.yaml:6: .*already used at line 5"):
        load_codebook(path)


# --- executable examples ----------------------------------------------------------------------

EXAMPLES = """
codes:
  - name: lit
    examples:
      - We went to court over it.
      - {text: "Siamo andati dal giudice.", language: it}
    counterexamples:
      - The tennis court was closed.
    patterns:
      en: [court]
      it: [tribunale]
"""


def test_failing_examples_and_counterexamples_are_reported_with_their_lines(tmp_path):
    from qualcode.validity.examples import check_examples

    path = write(tmp_path / "ex.yaml", EXAMPLES)
    problems = [str(p) for p in check_examples(load_codebook(path))]
    assert problems == [
        f"{path}:5: code 'lit': example (it) does not get the code",
        f"{path}:7: code 'lit': counterexample (en) gets the code from lit:en:"
        + problems[1].split("lit:en:")[1],
    ]
    assert "(line 9)" in problems[1]  # the line of the pattern that fired


def test_codebook_check_warns_on_examples_and_fails_with_strict(tmp_path):
    path = write(tmp_path / "ex.yaml", EXAMPLES)
    loose = run_cli(["codebook", "check", str(path)])
    assert loose.exit_code == 0 and "does not get the code" in loose.stderr
    assert "examples: 1 of 3 pass" in loose.stdout
    strict = run_cli(["codebook", "check", str(path), "--strict"])
    assert strict.exit_code == 2 and "counterexample (en) gets the code" in strict.stderr


def test_the_shipped_codebook_passes_its_own_examples():
    result = run_cli(["codebook", "check", str(SAMPLE_CODEBOOK), "--strict"])
    assert result.exit_code == 0, result.stderr
    book = load_codebook(SAMPLE_CODEBOOK)
    assert all(any(not e.expected for e in c.checks) for c in book.codes if c.patterns)


# --- keyness and suggestions -----------------------------------------------------------------


def test_log_likelihood_and_log_ratio_match_hand_values():
    # a=10 in c=100 tokens, b=5 in d=1000: E1 = 100*15/1100 = 1.36364, E2 = 13.63636;
    # G2 = 2 (10 ln(10/1.36364) + 5 ln(5/13.63636)) = 2 (19.92430 - 5.01651) = 29.8156
    assert log_likelihood(10, 5, 100, 1000) == pytest.approx(29.8156, abs=1e-4)
    # log2((10/100) / (5/1000)) = log2(20) = 4.3219; a zero count becomes 0.5
    assert log_ratio(10, 5, 100, 1000) == pytest.approx(4.3219, abs=1e-4)
    assert log_ratio(10, 0, 100, 1000) == pytest.approx(math.log2(0.1 / 0.0005))
    assert log_likelihood(0, 0, 100, 1000) == 0.0


def test_terms_are_content_lemmas_and_phrases_that_start_and_end_on_content_words():
    lemmas = ["we", "appeal", "to", "the", "tar"]
    content = [False, True, False, False, True]
    assert passage_terms(lemmas, content) == {"appeal": 1, "tar": 1}
    assert passage_terms(["file", "appeal", "tar"], [True, True, True]) == {
        "file": 1,
        "appeal": 1,
        "tar": 1,
        "file appeal": 1,
        "appeal tar": 1,
        "file appeal tar": 1,
    }


def test_a_planted_word_of_the_missed_passages_ranks_first(tmp_path):
    from qualcode.validity.suggest import suggest, units_from_gold

    lines = []
    for i in range(4):  # lobbying passages the codebook misses, each with the planted word
        lines.append(
            {
                "id": f"m{i}",
                "language": "en",
                "codes": ["press"],
                "text": f"We met the zorblat team on day {i} and talked about the clinic.",
            }
        )
    for i in range(8):  # passages without the code share the other words
        lines.append(
            {
                "id": f"r{i}",
                "language": "en",
                "codes": [],
                "text": f"We met the team on day {i} and talked about the clinic hours.",
            }
        )
    gold = write(tmp_path / "g.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    book = load_codebook(MINI)
    found = suggest(units_from_gold(book, read_gold(gold)), ["press"], limit=5)
    press = found.terms[found.terms["code"] == "press"]
    assert press.iloc[0]["term"] == "zorblat"
    assert press.iloc[0]["target_docs"] == 4 and press.iloc[0]["reference_freq"] == 0
    assert press.iloc[0]["pattern"] == 'en: - "zorblat"'
    assert len(press.iloc[0]["contexts"]) == 2 and "[zorblat]" in press.iloc[0]["contexts"][0]
    assert found.misses["press"] == 4


def test_suggest_lists_the_patterns_behind_false_positives():
    from qualcode.validity.suggest import suggest, units_from_gold

    book = load_codebook(MINI)
    found = suggest(units_from_gold(book, read_gold(GOLD / "mini.jsonl")), ["court", "money"])
    table = found.false_positives
    assert sorted(table["code"]) == ["court", "money"]  # p5 (court), p8 (donation)
    money = table[table["code"] == "money"].iloc[0]
    assert (money["false_positives"], money["true_positives"]) == (1, 0)


# --- command line ----------------------------------------------------------------------------


def test_codebook_test_cli_json_has_the_documented_shape(tmp_path):
    out = tmp_path / "r.json"
    result = run_cli(
        [
            "codebook",
            "test",
            str(MINI),
            "--gold",
            str(GOLD / "mini.jsonl"),
            "--baseline",
            "keywords",
            "--format",
            "json",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["macro"]["f1"] == pytest.approx(11 / 18, abs=1e-4)
    assert doc["micro"]["precision"] == pytest.approx(4 / 6, abs=1e-4)
    assert [c["code"] for c in doc["codes"]] == ["court", "money", "press"]
    assert doc["by_language"]["it"]["macro"]["f1"] == 1.0
    assert doc["no_code_rate"] == 0.5 and "baseline" in doc
    p8 = next(p for p in doc["passages"] if p["id"] == "p8")
    assert p8["expected"] == [] and p8["given"] == ["money"]
    assert p8["patterns"][0]["words"] == "donation"


def test_codebook_test_cli_tables_and_show(tmp_path):
    result = run_cli(
        [
            "codebook",
            "test",
            str(MINI),
            "--gold",
            str(GOLD / "mini.csv"),
            "--split",
            "test",
            "--show",
            "false-positives",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert "5 passages" in result.stdout and "p8" in result.stdout and "donation" in result.stdout


def test_codebook_test_text_explains_a_miss_and_a_hit():
    result = run_cli(["codebook", "test", str(MINI), "--text", "Il tribunale ci ha dato ragione."])
    assert result.exit_code == 0, result.stderr
    assert "language: it (guessed" in result.stderr
    assert "court: pattern court:it:" in result.stdout and "mini.yaml:9" in result.stdout
    assert "tribunale" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give either --gold FILE"),
        (["--gold", "x.jsonl", "--text", "a"], "give either --gold FILE"),
        (["--gold", str(GOLD / "mini.jsonl"), "--show", "everything"], "--show must be one of"),
        (["--text", "court", "--language", "fr"], "no patterns in 'fr'"),
    ],
)
def test_codebook_test_bad_options_are_one_line_errors(args, message):
    result = run_cli(["codebook", "test", str(MINI), *args])
    assert result.exit_code == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_explain_names_pattern_line_and_decisions(tmp_path):
    from conftest import SAMPLE

    out = tmp_path / "out"
    coded = run_cli(["code", str(SAMPLE), "--codebook", str(SAMPLE_CODEBOOK), "--out", str(out)])
    assert coded.exit_code == 0, coded.stderr
    import pandas as pd

    decided = pd.read_csv(out / "overrides.csv")
    segment = decided[decided["status"] == "applied"]["segment_id"].iloc[0]
    result = run_cli(["explain", segment, "--from", str(out)])
    assert result.exit_code == 0, result.stderr
    assert segment in result.stdout and "overrides/" in result.stdout and "applied" in result.stdout
    missing = run_cli(["explain", "nope.t.0", "--from", str(out)])
    assert missing.exit_code == 2 and "no segment 'nope.t.0'" in missing.stderr


def test_codebook_test_also_runs_the_examples(tmp_path):
    book = write(tmp_path / "ex.yaml", EXAMPLES)
    gold = write(
        tmp_path / "g.jsonl",
        '{"id": "a", "language": "en", "text": "To court.", "codes": ["lit"]}\n',
    )
    result = run_cli(["codebook", "test", str(book), "--gold", str(gold), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert "counterexample (en) gets the code" in result.stderr  # a warning, not an error
    failing = json.loads(result.stdout)["examples_failing"]
    assert len(failing) == 2 and all(str(book) in f for f in failing)


def test_a_token_pattern_with_a_number_as_key_is_reported_not_a_crash(tmp_path):
    # Found by the hypothesis fuzzer: mixed str/int keys could not be sorted for the id hash.
    path = write(
        tmp_path / "k.yaml",
        "codes:\n  - name: a\n    patterns:\n      en:\n        - {tokens: [{LEMMA: x, 5: y}]}\n",
    )
    with pytest.raises(CodebookError, match=r"k.yaml:5: code 'a', pattern a:en:[0-9a-f]{8}"):
        load_codebook(path)


def test_codebook_test_markdown_shows_user_text_as_written(tmp_path):
    """Passage ids and matched words come from the user's files: in --format md they are
    escaped (a `|` would split the row, `*` or `<b>` would become formatting or HTML)."""
    gold = write(
        tmp_path / "g.jsonl",
        '{"id": "p|1 <b>*x*</b>", "language": "en", "text": "The judge sided with us.", '
        '"codes": ["money"]}\n',
    )
    out = tmp_path / "r.md"
    args = ["codebook", "test", str(MINI), "--gold", str(gold), "--show", "misses"]
    result = run_cli([*args, "--format", "md", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    row = next(line for line in out.read_text().splitlines() if line.startswith("| p\\|"))
    # expected money, given court by the pattern "judge sided"
    assert row.startswith("| p\\|1 &lt;b&gt;\\*x\\*&lt;/b&gt; | money | court | court:en:")
    assert row.endswith("“judge sided” |")
