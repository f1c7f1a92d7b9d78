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
ACTION = "action"  # add | remove
TIMESTAMP = "timestamp"
STATUS = "status"  # applied | redundant | orphan_segment | orphan_code
OVERRIDE_FILE = "file"
OVERRIDE_LINE = "line"
ACTION_ADD = "add"
ACTION_REMOVE = "remove"
OVERRIDE_COLUMNS = [SEGMENT_ID, CODE, ACTION, CODER, NOTE, TIMESTAMP]

# --- transcripts table (out/transcripts.parquet) -------------------------------------------------
# transcript_id, source_file, language, country, role, <other metadata...>, text

UNITS = ("turn", "paragraph", "sentence")
LANGUAGES = ("en", "it", "es")
DEFAULT_INTERVIEWER_LABELS = ("interviewer", "int", "q")

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
