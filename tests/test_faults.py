"""Never lose work: killed runs, concurrent coders and hand-edited override files.

* `qualcode code` killed (SIGKILL) at random moments leaves the previous output folder whole
  and readable -- byte for byte the previous run's files, or the new run's, never a mix;
* two processes appending decisions to one overrides file lose no line;
* an overrides file broken by hand stops the run with its file and line, and is never
  rewritten or truncated.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import SAMPLE, SAMPLE_CODEBOOK, run_cli, write
from qualcode import models as m
from qualcode.decisions.ledger import read_overrides
from qualcode.output import atomic
from qualcode.output.atomic import write_output_folder
from qualcode.output.folder import load_output
from qualcode.output.guard import MARKER_FILE

HEADER = ",".join(m.OVERRIDE_COLUMNS) + "\n"
POSIX_ONLY = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def _snapshot(folder: Path) -> dict[str, bytes]:
    """The files of an output folder but its marker (which lists them)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != MARKER_FILE}


def _restore(folder: Path, files: dict[str, bytes]) -> None:
    def fill(tmp: Path) -> None:
        for name, data in files.items():
            (tmp / name).write_bytes(data)

    write_output_folder(folder, fill)


def _code_command(out: Path, unit: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "qualcode",
        "code",
        str(SAMPLE),
        "-c",
        str(SAMPLE_CODEBOOK),
        "-o",
        str(out),
        "--unit",
        unit,
        "--quiet",
    ]


def _kill_after(command: list[str], delay: float, cwd: Path) -> int | None:
    """Start `command`, SIGKILL it after `delay` seconds; returns its exit code if it ended."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
        process.stderr.close()
    return process.returncode


@POSIX_ONLY
@pytest.mark.slow
def test_killing_code_at_random_moments_leaves_a_whole_output_folder(tmp_path: Path):
    out = tmp_path / "out"
    for unit in ("paragraph", "turn"):  # the reference outputs: B (paragraphs), then A (turns)
        done = subprocess.run(_code_command(out, unit), cwd=tmp_path, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
        if unit == "paragraph":
            new_run = _snapshot(out)
    old_run = _snapshot(out)
    assert old_run != new_run and set(old_run) == set(new_run)

    rng = random.Random(8)  # random delays, the same ones every time
    outcomes = []
    for delay in [rng.uniform(0.2, 3.0) for _ in range(6)]:
        code = _kill_after(_code_command(out, "paragraph"), delay, tmp_path)
        now = _snapshot(out)
        assert now in (old_run, new_run), f"a mix of old and new files after {delay:.2f} s"
        assert len(load_output(out).segments) > 0
        outcomes.append("old" if now == old_run else "new")
        if now == new_run:
            # Finished, or killed after the swap (while cleaning up or printing): whole either way.
            assert code in (0, -signal.SIGKILL)
            _restore(out, old_run)
    assert "old" in outcomes  # at least one kill landed before the swap


@POSIX_ONLY
def test_killing_a_writer_in_a_loop_of_swaps_never_leaves_out_missing_or_mixed(tmp_path: Path):
    out = tmp_path / "out"
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from qualcode.output.atomic import write_output_folder

        out = Path(sys.argv[1])
        generation = 0
        while True:
            generation += 1
            def fill(folder, g=generation):
                for name in ("segments.csv", "codings.csv", "transcripts.csv", "run.json"):
                    (folder / name).write_text(str(g) * 10_000)
            write_output_folder(out, fill)
        """
    )
    rng = random.Random(3)
    for _ in range(8):
        process = subprocess.Popen([sys.executable, "-c", script, str(out)], cwd=tmp_path)
        deadline = time.monotonic() + 30
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.01, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait()
        files = _snapshot(out)
        assert sorted(files) == ["codings.csv", "run.json", "segments.csv", "transcripts.csv"]
        assert len(set(files.values())) == 1, "files of different generations in one folder"


class SimulatedCrash(BaseException):
    """Stands for the process dying right after one filesystem step."""


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_a_crash_right_after_the_swap_step_leaves_out_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
):
    out = tmp_path / "out"
    _restore(out, {"run.json": b"old", "segments.csv": b"old"})
    real_exchange, real_replace = atomic._exchange, os.replace

    def crash_after_exchange(a, b):
        if not exchange:
            return False
        assert real_exchange(a, b)
        raise SimulatedCrash

    def crash_after_replace(src, dst):
        real_replace(src, dst)
        if Path(dst).name.endswith(".old"):  # the fallback moved `out` away
            raise SimulatedCrash

    monkeypatch.setattr(atomic, "_exchange", crash_after_exchange)
    monkeypatch.setattr(os, "replace", crash_after_replace)
    with pytest.raises(SimulatedCrash):
        _restore(out, {"run.json": b"new", "segments.csv": b"new"})
    if exchange:
        assert _snapshot(out) == {"run.json": b"new", "segments.csv": b"new"}
    else:  # the documented window of the fallback (platforms without renameat2)
        assert not out.exists()


def test_the_fallback_without_renameat2_still_swaps(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    _restore(out, {"run.json": b"1"})
    _restore(out, {"run.json": b"2", "sub.csv": b"2"})
    assert _snapshot(out) == {"run.json": b"2", "sub.csv": b"2"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_sub_folders_written_by_a_filler_stay_readable(tmp_path: Path):
    def fill(folder: Path) -> None:
        (folder / "run.json").write_text("{}")
        (folder / "nested").mkdir()
        (folder / "nested" / "a.md").write_text("P: text\n")

    write_output_folder(tmp_path / "out", fill)
    assert (tmp_path / "out" / "nested" / "a.md").read_text() == "P: text\n"


# --- overrides: concurrent appends -------------------------------------------------------------

APPENDER = textwrap.dedent(
    """
    import sys
    from qualcode.cli import main

    directory, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(count):
        sys.argv = ["qualcode", "override", "add", f"seg.t.{worker}{i:03d}", "litigation",
                    "--coder", "anna", "--note", f"{worker}-{i}", "--dir", directory, "--force"]
        try:
            main()
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
    """
)


def test_two_processes_appending_to_one_overrides_file_lose_no_line(tmp_path: Path):
    directory = tmp_path / "overrides"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(directory), name, "50"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name in ("a", "b")
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err.decode()
    text = (directory / "anna.csv").read_text(encoding="utf-8")
    header = ",".join(m.DECISION_COLUMNS) + "\n"  # a new file's header: with the anchor columns
    assert text.startswith(header) and text.count(header) == 1
    decisions = read_overrides([directory])
    assert sorted(decisions[m.NOTE]) == sorted(f"{w}-{i}" for w in "ab" for i in range(50))
    assert decisions[m.OVERRIDE_LINE].tolist() == list(range(2, 102))


@POSIX_ONLY
def test_two_override_add_commands_at_once_lose_no_line(tmp_path: Path):
    directory = tmp_path / "overrides"
    loop = (
        'for i in 1 2 3 4 5; do "$0" -m qualcode override add "seg.t.$1$i" litigation '
        '--coder anna --note "$1-$i" --dir "$2" --force >/dev/null || exit 1; done'
    )
    workers = [
        subprocess.Popen(["sh", "-c", loop, sys.executable, name, str(directory)], cwd=tmp_path)
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=300) for w in workers] == [0, 0]
    decisions = read_overrides([directory])
    assert sorted(decisions[m.NOTE]) == sorted(f"{w}-{i}" for w in "ab" for i in range(1, 6))


# --- overrides edited by hand ------------------------------------------------------------------

BROKEN = {
    "unclosed quote": HEADER
    + 'x.t.1,litigation,add,anna,"appeal,2025-01-01\nx.t.2,advocacy,add,anna,,\n',
    "missing fields": HEADER + "x.t.1,litigation,add\n",
    "bad action": HEADER + "x.t.1,litigation,addd,anna,,\n",
    "bad header": "segment_id;code;action\nx.t.1;litigation;add\n",
    "bad timestamp": HEADER + "x.t.1,litigation,add,anna,,2025-13-45\n",
}


@pytest.mark.parametrize("content", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_overrides_file_stops_the_run_and_is_never_rewritten(
    tmp_path: Path, mini_corpus: Path, mini_codebook: Path, content: str
):
    out = tmp_path / "out"
    code = ["code", str(mini_corpus), "-c", str(mini_codebook), "-o", str(out), "--quiet"]
    assert run_cli(code).exit_code == 0
    before = _snapshot(out)
    broken = write(tmp_path / "overrides" / "anna.csv", content)
    data = broken.read_bytes()

    result = run_cli([*code, "--overrides", str(broken.parent)])
    assert result.exit_code == 2
    assert str(broken) in result.stderr and f"{broken}:" in result.stderr  # file and line
    assert "Traceback" not in result.stderr
    added = run_cli(
        ["override", "add", "x.t.9", "litigation", "--coder", "anna", "--dir", str(broken.parent)]
        + ["--force"]
    )
    assert added.exit_code == 2 and "nothing was appended" in added.stderr
    assert broken.read_bytes() == data
    assert _snapshot(out) == before


def test_a_run_removes_temporary_folders_of_killed_runs_but_not_of_live_ones(tmp_path: Path):
    import fcntl

    from qualcode.output.atomic import write_output_folder

    out = tmp_path / "out"
    killed = tmp_path / ".out.killed1.tmp"  # a run killed while writing: lock file, no holder
    (killed / "segments.parquet").mkdir(parents=True)
    (killed / ".qualcode-writing").write_text("")
    live = tmp_path / ".out.live2.tmp"  # a run writing right now: it holds the lock
    live.mkdir()
    (live / ".qualcode-writing").write_text("")
    other = tmp_path / ".out.other3.tmp"  # no lock file: not known to be abandoned
    other.mkdir()
    with open(live / ".qualcode-writing") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        write_output_folder(out, lambda folder: (folder / "run.json").write_text("{}"))
        assert not killed.exists()
        assert live.is_dir() and other.is_dir()
    assert sorted(p.name for p in out.iterdir()) == [MARKER_FILE, "run.json"]  # never the lock


@POSIX_ONLY
def test_after_killed_runs_the_next_run_leaves_no_temporary_folder(tmp_path: Path):
    out = tmp_path / "out"
    for delay in (0.5, 1.0, 1.5):
        _kill_after(_code_command(out, "turn"), delay, tmp_path)
    done = subprocess.run(_code_command(out, "turn"), cwd=tmp_path, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert sorted(p.name for p in tmp_path.glob(".out.*")) == []


def _children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_worker_processes_end_when_the_coding_run_is_killed(tmp_path: Path):
    from conftest import generate_corpus

    corpus = generate_corpus(tmp_path / "corpus", 400_000, words_per_file=2000)
    command = [sys.executable, "-m", "qualcode", "code", str(corpus), "-c", str(SAMPLE_CODEBOOK)]
    process = subprocess.Popen(
        [*command, "-o", str(tmp_path / "out"), "--workers", "2", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(process.pid)
    assert len(workers) >= 2, "the run did not start its workers"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 20
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "workers outlived the killed run"
