"""Reading a whole corpus: every file, every problem at once, unique ids, the participant sheet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from qualcode.errors import Problem, TranscriptError
from qualcode.transcripts.meta import merge_meta, read_meta_sheet
from qualcode.transcripts.reader import Transcript, find_transcript_files, read_transcript


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
    the sheet's values are merged into the transcripts' metadata.
    """
    files = find_transcript_files(inputs)
    roots = [Path(p) for p in inputs if Path(p).is_dir()]
    problems: list[Problem] = []
    found: list[tuple[Transcript, Path | None]] = []
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
        found.append((keep(transcript) if keep is not None else transcript, root))
    first: dict[str, Transcript] = {}
    for transcript, _ in found:
        if transcript.id in first:
            problems.append(
                Problem(
                    f"duplicate transcript id '{transcript.id}' (also {first[transcript.id].path})",
                    str(transcript.path),
                )
            )
        else:
            first[transcript.id] = transcript
    if problems:
        raise TranscriptError(problems=problems)
    warnings: list[str] = []
    if meta is not None:
        warnings.extend(merge_meta([t for t, _ in found], read_meta_sheet(meta), Path(meta)))
    return found, warnings
