"""The `qualcode` command line: thin wrappers over the library.

Heavy imports (spaCy, pandas) happen inside the commands that need them so `qualcode --help`
answers instantly. Every `QualcodeError` is caught here, once, and printed as red lines.
"""

from __future__ import annotations

import sys

import typer

from qualcode import __version__

app = typer.Typer(
    name="qualcode",
    help=(
        "Code qualitative interviews reproducibly and offline: apply a codebook with spaCy "
        "matchers, keep coders' manual decisions, count codes by country and role, and check "
        "inter-coder agreement.\n\nStart with: qualcode code TRANSCRIPTS --codebook FILE --out out/"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qualcode {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """qualcode command line."""


def _register_commands() -> None:
    # Each command group lives in its own small module with a register(app) function.
    from qualcode.cli import (
        code_cmd,
        codebook_cmd,
        codebook_suggest_cmd,
        codebook_test_cmd,
        explain_cmd,
        init_cmd,
        kwic_cmd,
        override_cmd,
        suggest_cmd,
    )

    for module in (
        init_cmd,
        code_cmd,
        codebook_cmd,
        codebook_test_cmd,
        codebook_suggest_cmd,
        explain_cmd,
        override_cmd,
        kwic_cmd,
        suggest_cmd,
    ):
        module.register(app)
    for optional in (
        "analyse_cmd",
        "adjudicate_cmd",
        "agree_cmd",
        "export_cmd",
        "report_cmd",
        "privacy_cmd",
    ):
        try:
            module = __import__(f"qualcode.cli.{optional}", fromlist=["register"])
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name != f"qualcode.cli.{optional}":
                raise
            continue
        module.register(app)
    from qualcode.cli.helptext import unwrap_app

    unwrap_app(app)


_register_commands()


INTERRUPTED = "qualcode: interrupted; previous output kept\n"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def main() -> None:
    """Entry point: run the app, turning every QualcodeError into red lines and an exit code.

    A Ctrl-C prints one line and exits 130 (every write is atomic: an interrupted command
    leaves the previous files as they were); an OSError no command turned into a QualcodeError
    (a full disk, a file too large) prints one line naming the file and exits 2.
    """
    from qualcode.errors import QualcodeError

    try:
        # Without standalone mode typer *returns* an exit code -- 130 for a Ctrl-C it caught,
        # the code of a typer.Exit -- instead of exiting with it.
        code = app(standalone_mode=False)
    except QualcodeError as exc:
        from qualcode.cli.render import print_error

        print_error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # raised outside the command (while typer set up)
        code = EXIT_INTERRUPTED
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except OSError as exc:
        _os_error(exc)
    except Exception as exc:
        # Usage errors (unknown option, bad value): typer may raise its vendored click's
        # exceptions, so recognise them by shape rather than by class.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise
    if code == EXIT_INTERRUPTED:
        sys.stderr.write(INTERRUPTED)
        sys.stderr.flush()
    if isinstance(code, int) and code:
        sys.exit(code)


def _os_error(exc: OSError) -> None:
    """One red line for an OSError: the file (when the system named it) and the reason; exit 2."""
    from qualcode.cli.render import os_reason, print_error
    from qualcode.errors import OutputError

    print_error(OutputError(os_reason(exc), file=exc.filename))
    sys.exit(2)
