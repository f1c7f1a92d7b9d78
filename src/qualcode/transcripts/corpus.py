"""Reading a whole corpus: every file, every problem at once, unique ids, the participant sheet,
and the sanity checks (speaker labels, language) that become the run's warnings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from qualcode.errors import Problem, TranscriptError
from qualcode.transcripts.language import LanguageEvidence, check_language
from qualcode.transcripts.meta import merge_meta, read_meta_sheet
from qualcode.transcripts.reader import Transcript, find_transcript_files, read_transcript
from qualcode.transcripts.speakers import speaker_warnings


def read_corpus(
    inputs: Sequence[str | Path],
    *,
    language: str,
    meta: str | Path | None,
    interviewer_labels: Sequence[str],
    encoding: str,
    keep: Callable[[Transcript], Transcript] | None = None,
) -> tuple[list[tuple[Transcript, Path | None]], list[str]]:
    """Read every transcript; returns ([(transcript, its input folder or None)], warnings).

    `keep` may slim each transcript as soon as it is read (the streaming run keeps no text).
    Every unreadable file and every duplicate id is reported together in one TranscriptError;
    the sheet's values are merged into the transcripts' metadata. `language` is the language of
    transcripts that declare none, or `AUTO` to guess each. Warnings name each file whose
    speakers look wrong (speakers.py) or whose text reads as another language (language.py).
    """
    files = find_transcript_files(inputs)
    roots = [Path(p) for p in inputs if Path(p).is_dir()]
    problems: list[Problem] = []
    found: list[tuple[Transcript, Path | None]] = []
    checks: list[str] = []
    evidence: list[LanguageEvidence] = []
    for path in files:
        root = next((r for r in roots if r in path.parents), None)
        try:
            transcript = read_transcript(
                path,
                default_language=language,
                interviewer_labels=interviewer_labels,
                encoding=encoding,
                root=root,
            )
        except TranscriptError as exc:
            problems.extend(exc.problems)
            continue
        checks.extend(speaker_warnings(transcript))
        evidence.append(LanguageEvidence.of(transcript.text, [transcript.language]))
        found.append((keep(transcript) if keep is not None else transcript, root))
    problems.extend(duplicate_ids([t for t, _ in found]))
    if problems:
        raise TranscriptError(problems=problems)
    warnings: list[str] = []
    if meta is not None:
        warnings.extend(merge_meta([t for t, _ in found], read_meta_sheet(meta), Path(meta)))
    for (transcript, _), seen in zip(found, evidence, strict=True):
        transcript.language, found_wrong = check_language(
            transcript.path.as_posix(),
            transcript.language,
            transcript.language_explicit,
            seen,
            language,
        )
        checks.extend(found_wrong)
    return found, warnings + checks


def duplicate_ids(transcripts: list[Transcript]) -> list[Problem]:
    """A problem for each transcript whose id an earlier one has, naming both files."""
    first: dict[str, Transcript] = {}
    problems = []
    for transcript in transcripts:
        if transcript.id in first:
            problems.append(
                Problem(
                    f"duplicate transcript id '{transcript.id}' (also {first[transcript.id].path})",
                    str(transcript.path),
                )
            )
        else:
            first[transcript.id] = transcript
    return problems
