"""Shared test helpers: run the CLI as a user would, build small corpora in tmp folders."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = REPO / "transcripts_sample"
SAMPLE_CODEBOOK = REPO / "codebooks" / "cso_dilemmas.yaml"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(args: list[str], monkeypatch: pytest.MonkeyPatch | None = None) -> CliResult:
    """Run `qualcode ARGS` through the real entry point (error handling included)."""
    from qualcode.cli import main

    runner = CliRunner()
    code = 0
    with runner.isolation() as (out, err, _):
        import sys

        old_argv = sys.argv
        sys.argv = ["qualcode", *args]
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = old_argv
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace") if err is not None else ""
    return CliResult(code, stdout, stderr)


def write(path: Path, text: str) -> Path:
    """Write dedented text (UTF-8, LF) creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def generate_corpus(folder: Path, n_words: int, words_per_file: int) -> Path:
    """Synthetic transcripts made by the benchmark's generator (benchmarks/bench_code.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_code", REPO / "benchmarks" / "bench_code.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    folder.mkdir(parents=True, exist_ok=True)
    bench.generate_corpus(folder, n_words, words_per_file=words_per_file)
    return folder


@pytest.fixture
def cli():
    return run_cli


MINI_CODEBOOK = """
name: mini
version: "0.1"
codes:
  - name: strategy
    definition: Strategies.
  - name: litigation
    parent: strategy
    definition: Going to court.
    patterns:
      en:
        - "file * lawsuit"
        - {tokens: [{LEMMA: appeal}, {LOWER: to}, {OP: "?"}, {LEMMA: court}]}
      it:
        - "presentare * ricorso"
        - {phrase: TAR, match: exact}
      es:
        - "presentar * recurso"
        - "interponer * demanda"
    exclude_patterns:
      en:
        - appeal to the court of public opinion
  - name: advocacy
    parent: strategy
    definition: Public pressure.
    patterns:
      en: [press conference, flash mob]
      it: [conferenza stampa]
      es: [rueda de prensa]
  - name: humanitarianism
    definition: Filling gaps.
    patterns:
      en: ["fill * gap"]
      it: ["colmare * vuoto"]
      es: ["tapar * hueco"]
"""


@pytest.fixture
def mini_codebook(tmp_path: Path) -> Path:
    return write(tmp_path / "mini.yaml", MINI_CODEBOOK)


@pytest.fixture
def mini_corpus(tmp_path: Path) -> Path:
    """Three short transcripts, one per language, with known codable passages."""
    folder = tmp_path / "corpus"
    write(
        folder / "en_one.md",
        """
        ---
        country: Spain
        role: lawyer
        language: en
        ---
        INT: Did you go to court?

        P: Yes. We filed a lawsuit against the region.
        It took two years.

        We also held a press conference.
        INT: And the clinic?
        P: We fill the gap, honestly. We appealed to the court of public opinion.
        """,
    )
    write(
        folder / "it_two.md",
        """
        ---
        country: Italy
        role: coordinator
        language: it
        ---
        INT: Avete fatto ricorso?
        P: Abbiamo presentato un ricorso al TAR. Poi una conferenza stampa.
        INT: Grazie.
        P: Prego.
        """,
    )
    write(
        folder / "es_three.md",
        """
        ---
        language: es
        ---
        INT: ¿Y la demanda?
        P: Presentamos un recurso. Interpusimos una demanda contra la consejería.
        INT: ¿Algo más?
        P: Tapamos el hueco que deja el sistema.
        """,
    )
    return folder


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests never read or write the user's cache folder (see qualcode.cache)."""
    import os

    old = os.environ.get("QUALCODE_CACHE_DIR")
    os.environ["QUALCODE_CACHE_DIR"] = str(tmp_path_factory.mktemp("qualcode-cache"))
    yield
    if old is None:
        os.environ.pop("QUALCODE_CACHE_DIR", None)
    else:
        os.environ["QUALCODE_CACHE_DIR"] = old
