"""Transcripts as researchers write them: speaker labels in their usual short and translated
forms, transcripts whose speakers look wrong, and the language check (and --language auto).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import SAMPLE, run_cli, write
from qualcode import models as m
from qualcode.coding.api import code_corpus, load_transcripts
from qualcode.transcripts import read_transcript


def turns(transcript) -> list[tuple[str | None, str]]:
    return [(t.speaker, transcript.text[t.start : t.end]) for t in transcript.turns]


def interviewer_turns(transcript) -> list[bool]:
    return [transcript.is_interviewer(t.speaker) for t in transcript.turns]


# --- speaker labels ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asks", "answers"),
    [
        ("I", "R"),
        ("Int", "Anna"),
        ("Q", "A"),
        ("P", "R"),
        ("Pregunta", "Respuesta"),
        ("D", "R"),
        ("Domanda", "Risposta"),
        ("E", "Entrevistada"),
        ("Entrevistador", "B"),
        ("Entrevistadora", "Participante"),
        ("Intervistatore", "Intervistato"),
        ("Intervistatrice", "Partecipante"),
        ("Moderator", "Respondent"),
        ("Interviewer", "Interviewee"),
        ("I", "P"),  # two one-letter forms: the first of I, E, D, P asks
    ],
)
def test_usual_interviewer_and_respondent_labels_are_recognised(tmp_path, asks, answers):
    path = write(tmp_path / "t.md", f"{asks}: One?\n\n{answers}: Yes.\n\n{asks}: Two?\n")
    transcript = read_transcript(path)
    assert [s for s, _ in turns(transcript)] == [asks, answers, asks]
    assert interviewer_turns(transcript) == [True, False, True]


@pytest.mark.parametrize(
    ("labels", "front", "option", "expected"),
    [
        # As in the shipped sample (it_lawyer_04: INT / P; es_doctor_03: Q / P): P answers.
        (("INT", "P"), "", None, {"INT"}),
        (("Q", "P"), "", None, {"Q"}),
        (("Entrevistadora", "P"), "", None, {"Entrevistadora"}),
        # Pregunta / Respuesta, Domanda / Risposta: the one-letter form asks.
        (("P", "R"), "", None, {"P"}),
        (("D", "R"), "", None, {"D"}),
        (("E", "E1"), "", None, {"E"}),
        # P alone is a participant: no other speaker to ask.
        (("P", "P"), "", None, set()),
        # The front matter settles it: E asks, so I (Informante) does not.
        (("E", "I"), "interviewer: E\n", None, {"E"}),
        # --interviewer-label P replaces the defaults: INT is then an ordinary speaker.
        (("INT", "P"), "", ("P",), {"P"}),
    ],
)
def test_one_letter_interviewer_labels_are_settled_per_transcript(
    tmp_path, labels, front, option, expected
):
    first, second = labels
    head = f"---\n{front}---\n" if front else ""
    path = write(tmp_path / "t.md", f"{head}{first}: One?\n\n{second}: Yes.\n")
    kwargs = {"interviewer_labels": option} if option else {}
    transcript = read_transcript(path, **kwargs)
    asking = {t.speaker for t in transcript.turns if transcript.is_interviewer(t.speaker)}
    assert asking == expected


def test_subtitle_cues_settle_one_letter_labels_too(tmp_path):
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nP: ¿Fuisteis al juzgado?\n\n"
        "2\n00:00:02,000 --> 00:00:04,000\nR: Sí, dos veces.\n"
    )
    path = write(tmp_path / "t.srt", srt)
    transcript = read_transcript(path)
    assert [s for s, _ in turns(transcript)] == ["P", "R"]
    assert interviewer_turns(transcript) == [True, False]


def test_a_respondent_label_used_once_inside_an_answer_opens_a_turn(tmp_path):
    # "Anna" answers; a once-used "Nota:" inside her answer stays text, but "R:" is a speaker.
    path = write(
        tmp_path / "t.md",
        "INT: One?\n\nAnna: Yes.\nNota: a note.\n\nINT: Two?\n\nAnna: No.\nR: Me neither.\n",
    )
    assert [s for s, _ in turns(read_transcript(path))] == ["INT", "Anna", "INT", "Anna", "R"]


def test_an_i_question_is_not_coded_as_an_answer(tmp_path, mini_codebook):
    # The case: with I: / R: labels the question used to be coded litigation.
    write(
        tmp_path / "c" / "en_x.md",
        "I: Did you ever appeal to the court?\n\nR: No, but we held a press conference.\n",
    )
    result = code_corpus(tmp_path / "c", mini_codebook)
    codings = result.codings
    assert list(zip(codings[m.SPEAKER], codings[m.CODE], strict=True)) == [("R", "advocacy")]
    assert result.warnings == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Anna: We help.\n\nLuis: Yes.\n\nAnna: Often.\n\nLuis: No.\n",
            "t.md: no interviewer turn found (speakers: Anna, Luis)",
        ),
        (
            "We help people without papers, every day.\n",
            "t.md: no speaker labels found ('Name: text' at the start of a line)",
        ),
        (
            # 10 of 11 labelled turns (91 % > 90 %) open with P: the other labels were lost.
            "INT: One?\n\n" + "P: Yes.\n\n" * 10,
            "t.md: 'P' opens 10 of 11 speaker turns",
        ),
    ],
)
def test_transcripts_whose_speakers_look_wrong_are_warned_about(tmp_path, body, expected):
    write(tmp_path / "c" / "t.md", body)
    _, warnings = load_transcripts(tmp_path / "c")
    assert len(warnings) == 1
    assert warnings[0].startswith((tmp_path / "c" / "t.md").as_posix())
    assert expected in warnings[0]


def test_nine_of_ten_turns_by_one_label_is_not_warned_about(tmp_path):
    # 9 of 10 turns = 90 %, not over it.
    write(tmp_path / "c" / "t.md", "INT: One?\n\n" + "P: Yes.\n\n" * 9)
    assert load_transcripts(tmp_path / "c")[1] == []


def test_the_sample_gets_no_speaker_or_language_warning():
    _, warnings = load_transcripts(SAMPLE, meta=SAMPLE / "participants.csv")
    assert warnings == []


def test_speaker_warnings_reach_the_summary_and_run_json(tmp_path, mini_codebook):
    write(tmp_path / "c" / "en_x.md", "Anna: We filed a lawsuit.\n\nLuis: Yes.\n\nAnna: No.\n")
    out = tmp_path / "out"
    result = run_cli(
        ["code", str(tmp_path / "c"), "-c", str(mini_codebook), "-o", str(out), "--no-overrides"]
    )
    assert result.exit_code == 0, result.stderr
    warning = "en_x.md: no interviewer turn found (speakers: Anna)"
    assert warning in " ".join(result.stdout.split()) + " ".join(result.stderr.split())
    recorded = json.loads((out / "run.json").read_text(encoding="utf-8"))["summary"]["warnings"]
    assert any(warning in w for w in recorded)


# --- language ----------------------------------------------------------------------------------

EN = """INT: Have you ever taken legal action against the region?

P: Yes, we went to court because it was not right that people without papers could not get
care. It was a long fight, but in the end the judge agreed with us and the region had to change
the rule. We also talked to the newspapers about it, and that helped a lot.
"""
IT = """INT: Avete mai fatto ricorso contro la regione?

P: Sì, abbiamo fatto ricorso al TAR perché non era giusto che le persone senza permesso di
soggiorno non potessero avere accesso alle cure. È stata una battaglia lunga, ma alla fine il
giudice ci ha dato ragione e la regione ha dovuto cambiare la delibera. Ne abbiamo parlato
anche con i giornali, e questo ci ha aiutato molto.
"""
ES = """INT: ¿Alguna vez habéis presentado un recurso contra la consejería?

P: Sí, fuimos a los tribunales porque no era justo que las personas sin papeles no pudieran
recibir atención. Fue una lucha larga, pero al final el juez nos dio la razón y la consejería
tuvo que cambiar la norma. También hablamos con los periódicos, y eso nos ayudó mucho.
"""
TEXTS = {"en": EN, "it": IT, "es": ES}


@pytest.mark.parametrize(
    ("text", "declared", "default", "language", "warning"),
    [
        ("en", "en", "en", "en", None),
        ("it", "it", "en", "it", None),
        ("es", "es", "en", "es", None),
        ("es", None, "es", "es", None),
        # No `language:`: coded in the default language, with a warning naming the likely one.
        (
            "it",
            None,
            "en",
            "en",
            "declares no language and was coded as 'en', but reads as Italian (it); "
            "add 'language: it'",
        ),
        ("en", None, "es", "es", "reads as English (en)"),
        # A wrong `language:` is kept (the researcher decides) and warned about with the shares.
        ("es", "it", "en", "it", "declares language 'it' but reads as Spanish (es): "),
        ("en", "es", "en", "es", "declares language 'es' but reads as English (en): "),
        # --language auto: each undeclared transcript gets the language it reads as.
        ("it", None, "auto", "it", None),
        ("es", None, "auto", "es", None),
        ("en", None, "auto", "en", None),
        ("es", "es", "auto", "es", None),
        ("es", "it", "auto", "it", "declares language 'it' but reads as Spanish (es)"),
    ],
)
def test_each_transcript_is_checked_against_its_language(
    tmp_path, text, declared, default, language, warning
):
    head = f"---\nlanguage: {declared}\n---\n" if declared else ""
    path = write(tmp_path / "c" / "t.md", head + TEXTS[text])
    transcripts, warnings = load_transcripts(tmp_path / "c", language=default)
    assert transcripts[0].language == language
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1
        assert warnings[0].startswith(f"{path.as_posix()}: ")
        assert warning in warnings[0]


def test_a_language_from_the_participant_sheet_is_checked_too(tmp_path):
    write(tmp_path / "c" / "a.md", IT)
    write(tmp_path / "c" / "b.md", IT)
    sheet = write(tmp_path / "sheet.csv", "transcript_id,language\na,it\nb,es\n")
    transcripts, warnings = load_transcripts(tmp_path / "c", meta=sheet)
    assert [t.language for t in transcripts] == ["it", "es"]
    assert len(warnings) == 1
    assert "b.md: declares language 'es' but reads as Italian (it)" in warnings[0]


def test_a_short_text_is_not_judged(tmp_path):
    # Under 30 words the shares say little: "Sì, grazie." declared English is left alone.
    write(tmp_path / "c" / "t.md", "INT: Va bene?\n\nP: Sì, grazie, va bene così.\n")
    assert load_transcripts(tmp_path / "c")[1] == []


def test_language_auto_without_any_stop_word_falls_back_to_english(tmp_path):
    write(tmp_path / "c" / "t.md", "INT: Xyzzy?\n\nP: Plugh.\n")
    transcripts, warnings = load_transcripts(tmp_path / "c", language="auto")
    assert transcripts[0].language == "en"
    assert "t.md: --language auto cannot tell its language" in warnings[0]


def test_code_with_language_auto_codes_each_transcript_in_its_language(tmp_path, mini_codebook):
    for language, text in TEXTS.items():
        write(tmp_path / "c" / f"{language}_x.md", text)
    out = tmp_path / "out"
    result = run_cli(
        [
            "code",
            str(tmp_path / "c"),
            "-c",
            str(mini_codebook),
            "-o",
            str(out),
            "-l",
            "auto",
            "--no-overrides",
        ]
    )
    assert result.exit_code == 0, result.stderr
    segments = pd.read_csv(out / "segments.csv")
    by_file = dict(zip(segments[m.TRANSCRIPT_ID], segments[m.LANGUAGE], strict=False))
    assert by_file == {"en_x": "en", "es_x": "es", "it_x": "it"}
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["options"]["language"] == "auto"
    assert run["summary"]["warnings"] == []
    # "fatto ricorso al TAR" is coded by the Italian pattern {phrase: TAR}.
    codings = pd.read_csv(out / "codings.csv")
    assert ("it_x", "litigation") in set(
        zip(codings[m.TRANSCRIPT_ID], codings[m.CODE], strict=True)
    )


@pytest.mark.parametrize("language", ["en", "it", "es", "de"])
def test_stop_words_are_spacys_own_lists(language: str) -> None:
    """The check reads spaCy's stop-word files directly; the lists equal the imported ones."""
    import importlib

    from qualcode.transcripts.language import stop_words

    module = importlib.import_module(f"spacy.lang.{language}.stop_words")
    assert stop_words(language) == frozenset(w.lower() for w in module.STOP_WORDS)
    assert len(stop_words(language)) > 200


@pytest.mark.parametrize("language", ["xx", "../en", "EN", ""])
def test_stop_words_of_an_unknown_language_are_empty(language: str) -> None:
    from qualcode.transcripts.language import stop_words

    assert stop_words(language) == frozenset()
