"""Who the interviewer is in one transcript, and warnings about speaker labels that look wrong.

The interviewer labels of a run (`DEFAULT_INTERVIEWER_LABELS` or ``--interviewer-label``) are
settled per transcript: a one-letter form that also names a participant in some conventions
(`AMBIGUOUS_INTERVIEWER_LABELS`: ``P`` is Pregunta in a ``P:``/``R:`` transcript but the
Participant next to ``INT:``) counts only when no other interviewer label opens a turn in that
transcript and another speaker's label does (a transcript of ``P:`` turns alone is a
participant's), and then only the first of them (in the order of the labels) that does. A label
the transcript names itself (``interviewer:`` in its front matter) always counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from qualcode.models import AMBIGUOUS_INTERVIEWER_LABELS

if TYPE_CHECKING:
    from qualcode.transcripts.reader import Transcript

# A transcript where one label opens more than this share of the labelled turns has, most
# likely, speakers whose labels were not recognised (in an interview, turns alternate).
ONE_SPEAKER_SHARE = 0.9


def settle_interviewer_labels(
    speakers: Iterable[str | None], labels: Iterable[str], named: Iterable[str] = ()
) -> frozenset[str]:
    """The casefolded interviewer labels of one transcript, given the labels its turns open with.

    `labels` are the run's interviewer labels (in priority order), `named` the ones the
    transcript's own front matter names (always kept).
    """
    used = {s.casefold() for s in speakers if s is not None}
    named_set = {s.casefold() for s in named}
    ordered = list(dict.fromkeys(s.casefold() for s in labels))
    plain = {s for s in ordered if s not in AMBIGUOUS_INTERVIEWER_LABELS} | named_set
    if used & plain:
        return frozenset(plain)
    short = next(
        (s for s in ordered if s in AMBIGUOUS_INTERVIEWER_LABELS and s in used and used - {s}),
        None,
    )
    return frozenset(plain | ({short} if short is not None else set()))


def speaker_warnings(transcript: Transcript) -> list[str]:
    """At most one warning about the transcript's speakers, naming its file; [] when they look
    like an interview (labelled turns, an interviewer among them, no label opening >90 %)."""
    where = transcript.path.as_posix()
    labelled = [t.speaker for t in transcript.turns if t.speaker is not None]
    if not labelled:
        return [
            f"{where}: no speaker labels found ('Name: text' at the start of a line); the whole "
            "text is coded as one speaker's"
        ]
    counts = Counter(labelled)
    names = ", ".join(sorted(counts, key=str.casefold))
    if not any(transcript.is_interviewer(label) for label in counts):
        return [
            f"{where}: no interviewer turn found (speakers: {names}); the interviewer's "
            "questions are coded as answers. Name the label with 'interviewer:' in the front "
            "matter or --interviewer-label"
        ]
    label, count = counts.most_common(1)[0]
    if count > ONE_SPEAKER_SHARE * len(labelled):
        return [
            f"{where}: '{label}' opens {count} of {len(labelled)} speaker turns; are the other "
            "speakers' labels written as 'Name: text' at the start of a line?"
        ]
    return []
