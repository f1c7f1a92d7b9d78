"""Reading transcripts (.txt .md .docx .odt .rtf .pdf .vtt .srt) into canonical text, speaker
turns and segments, with the speaker-label and language checks that warn about a transcript."""

from qualcode.transcripts.reader import Transcript, Turn, find_transcript_files, read_transcript
from qualcode.transcripts.segment import SegmentRecord, segment_transcript, stable_segment_id

__all__ = [
    "SegmentRecord",
    "Transcript",
    "Turn",
    "find_transcript_files",
    "read_transcript",
    "segment_transcript",
    "stable_segment_id",
]
