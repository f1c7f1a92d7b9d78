"""Column names and small shared types: the vocabulary every pipeline stage speaks.

Use these constants instead of string literals so a renamed column is one edit.
"""

from __future__ import annotations

# --- identifiers -------------------------------------------------------------------------------
SEGMENT_ID = "segment_id"
TRANSCRIPT_ID = "transcript_id"

# --- segment table (out/segments.parquet) --------------------------------------------------------
UNIT = "unit"  # turn | paragraph | sentence
SEGMENT_INDEX = "segment_index"  # 0-based order of the segment within its transcript
SPEAKER = "speaker"
IS_INTERVIEWER = "is_interviewer"
START = "start"  # character offset into the transcript's canonical text (inclusive)
END = "end"  # character offset (exclusive)
TEXT = "text"
N_WORDS = "n_words"
START_TIME = "start_time"  # seconds, for timed transcripts (subtitles); absent otherwise
END_TIME = "end_time"

# --- well-known metadata -----------------------------------------------------------------------
COUNTRY = "country"
ROLE = "role"
LANGUAGE = "language"
SOURCE_FILE = "source_file"

# --- coding table (out/codings.parquet) ----------------------------------------------------------
CODE = "code"
PARENT = "parent"
SOURCE = "source"  # auto | manual
CODER = "coder"
MATCHED_TEXT = "matched_text"
PATTERN_ID = "pattern_id"
MATCH_SPANS = "match_spans"  # "start-end;start-end" offsets of every match, into canonical text
NOTE = "note"

SOURCE_AUTO = "auto"
SOURCE_MANUAL = "manual"
AUTO_CODER = "auto"

# --- overrides (overrides/<coder>.csv and out/overrides.parquet) ---------------------------------
ACTION = "action"  # add | remove | done
TIMESTAMP = "timestamp"
# applied | redundant | reattached | orphan_segment | orphan_code | done | not_in_corpus
STATUS = "status"
OVERRIDE_FILE = "file"
OVERRIDE_LINE = "line"
ACTION_ADD = "add"
ACTION_REMOVE = "remove"
# A coverage mark: the coder coded the transcript named in segment_id in full (code is DONE_CODE).
ACTION_DONE = "done"
DONE_CODE = "*"
STATUS_DONE = "done"
STATUS_NOT_IN_CORPUS = "not_in_corpus"  # a decision on a transcript this run did not code
OVERRIDE_COLUMNS = [SEGMENT_ID, CODE, ACTION, CODER, NOTE, TIMESTAMP]
# Where a decision's segment was when it was recorded (qualcode.decisions.reattach): START/END
# in the canonical text, the segment's first characters (QUOTE) and a hash of the whole
# canonical text (TEXT_HASH: the span is trusted only while the text is unchanged). Optional
# when reading; files started before them carry them as four fields after the header's.
QUOTE = "quote"
TEXT_HASH = "text_hash"
ANCHOR_COLUMNS = [START, END, QUOTE, TEXT_HASH]
DECISION_COLUMNS = [*OVERRIDE_COLUMNS, *ANCHOR_COLUMNS]  # the header of a new decision file
# out/overrides: a decision whose segment is gone, placed on other segment(s) of its transcript.
STATUS_REATTACHED = "reattached"
REATTACHED_TO = "reattached_to"  # the segment ids it now applies to, ";"-separated
REATTACHED_BY = "reattached_by"  # how: quote, fuzzy <score>, span, covering (...)
REMOVED_AUTO_FROM = "removed_auto_from"  # of those, where a remove withdrew an automatic coding
REATTACH_MODES = ("covering", "none")  # qualcode code --reattach

# --- transcripts table (out/transcripts.parquet) -------------------------------------------------
# transcript_id, source_file, language, country, role, <other metadata...>, text

UNITS = ("turn", "paragraph", "sentence")
LANGUAGES = ("en", "it", "es")
# Speaker labels of the interviewer, compared case-insensitively: English, Italian and Spanish
# long forms, then the short ones. The one-letter forms in AMBIGUOUS_INTERVIEWER_LABELS also name
# a participant in some conventions (``P:`` Participant / Pregunta, ``E:`` Entrevistado /
# Entrevistador, ``I:`` Intervistato / Interviewer, ``D:`` Domanda), so in one transcript they
# count as the interviewer only when no other interviewer label opens a turn there but another
# speaker's label does, and then only the first of them (in this order): ``INT:``/``P:`` -> P is
# the participant; ``P:``/``R:`` -> P is the question; ``I:``/``P:`` -> I asks; ``P:`` alone ->
# a participant.
DEFAULT_INTERVIEWER_LABELS = (
    "interviewer",
    "int",
    "q",
    "question",
    "moderator",
    "facilitator",
    "researcher",
    "entrevistador",
    "entrevistadora",
    "entrevistador(a)",
    "pregunta",
    "moderador",
    "moderadora",
    "investigador",
    "investigadora",
    "intervistatore",
    "intervistatrice",
    "domanda",
    "moderatore",
    "moderatrice",
    "ricercatore",
    "ricercatrice",
    "i",
    "e",
    "d",
    "p",
)
AMBIGUOUS_INTERVIEWER_LABELS = ("i", "e", "d", "p")
# Labels of the person interviewed: always speakers (even when used once), never the interviewer.
DEFAULT_RESPONDENT_LABELS = (
    "r",
    "a",
    "b",
    "respondent",
    "interviewee",
    "participant",
    "answer",
    "respuesta",
    "entrevistado",
    "entrevistada",
    "participante",
    "risposta",
    "intervistato",
    "intervistata",
    "partecipante",
)

SEGMENT_COLUMNS = [
    SEGMENT_ID,
    TRANSCRIPT_ID,
    UNIT,
    SEGMENT_INDEX,
    SPEAKER,
    IS_INTERVIEWER,
    START,
    END,
    N_WORDS,
    LANGUAGE,
    COUNTRY,
    ROLE,
]  # + other metadata columns (sorted), then TEXT last

CODING_COLUMNS = [
    SEGMENT_ID,
    TRANSCRIPT_ID,
    SPEAKER,
    UNIT,
    COUNTRY,
    ROLE,
    LANGUAGE,
    CODE,
    PARENT,
    SOURCE,
    CODER,
    START,
    END,
    MATCHED_TEXT,
    PATTERN_ID,
    MATCH_SPANS,
    NOTE,
]  # + other metadata columns (sorted)

# Output folder layout written by `qualcode code`.
SEGMENTS_FILE = "segments"
CODINGS_FILE = "codings"
TRANSCRIPTS_FILE = "transcripts"
OVERRIDES_FILE = "overrides"
MANIFEST_FILE = "run.json"
CODEBOOK_COPY = "codebook.yaml"

# How segments, codings and transcripts are stored (run.json "layout"): one Parquet file each,
# or a partitioned dataset -- a folder `<table>.parquet/` of part files of PARTITION_ROWS rows.
LAYOUT_FILE = "file"
LAYOUT_DATASET = "dataset"
PART_FILE = "part-{:05d}.parquet"
PARTITION_ROWS = 20_000
