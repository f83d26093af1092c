"""The `reconciler` command line: parse, dispatch, turn errors into exit codes."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any, NoReturn

from reconciler import __version__
from reconciler.commands import common
from reconciler.errors import (
    DeclarationError,
    ProjectFileError,
    ReconcilerError,
    Terminated,
)

# Each command and the module of reconciler.commands that registers it. Only
# the module of the command given is imported: `validate` has no use for the
# HTTP client, the planner or the terminal's progress bars, and a pre-commit
# hook or a CI step pays for every import on every run.
COMMANDS = {
    "validate": "validate",
    "plan": "plan",
    "apply": "apply",
    "import": "importer",
    "drift": "drift",
    "report": "report",
    "ledger": "ledger",
    "sandbox": "sandbox",
}


def main(argv: Sequence[str] | None = None) -> int:
    _tune_collector()
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_named(arguments))
    args = parser.parse_args(arguments)
    _configure_logging(getattr(args, "verbose", 0))
    sigterm = _SigtermAsCtrlC()
    try:
        with sigterm:
            code: int = args.handler(args)
    except (DeclarationError, ProjectFileError) as exc:
        common.print_problems(exc.problems, getattr(args, "format", "text"))
        code = exc.exit_code
    except ReconcilerError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except OSError as exc:
        # A file or folder the command needs and cannot use: a state path
        # that cannot be made, an output folder that is a file.
        print(f"Error: {_describe_os_error(exc)}", file=sys.stderr)
        code = common.EXIT_ERROR
    except KeyboardInterrupt:
        print("Terminated." if sigterm.received else "Interrupted.", file=sys.stderr)
        code = Terminated.exit_code if sigterm.received else 130
    return code


def _describe_os_error(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    return f"{exc.filename}: {what}" if exc.filename else what


class _SigtermAsCtrlC:
    """While active, SIGTERM (a cancelled CI job) stops the command as Ctrl-C.

    The signal is passed on as SIGINT, so that whatever stops cleanly on
    Ctrl-C stops the same way: asyncio cancels its tasks, the processes that
    share a read are stopped, and what an apply had in flight is left for
    the next one to settle from the ledger. Where SIGINT is ignored,
    Terminated is raised instead.
    Only in the main thread, where Python runs signal handlers; the handler
    found there is put back afterwards.
    """

    def __init__(self) -> None:
        self.received = False
        self._previous: Any = None

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._handle)

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = True
        if not callable(signal.getsignal(signal.SIGINT)):
            raise Terminated
        signal.raise_signal(signal.SIGINT)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error exits 1: exit 2 means "changes present".

    Every command, and the program itself, takes ``-v``, so that it may
    stand before or after the command.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=argparse.SUPPRESS,
            help="more logging (-vv: debug)",
        )

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(common.EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _command_named(arguments: Sequence[str]) -> str | None:
    """The command the arguments name, if they name one before anything else.

    The options before a command take no value, so the first argument that
    is not an option is the command (or a mistake, which the full parser
    reports with the list of commands).
    """
    for argument in arguments:
        if argument in ("-h", "--help", "--version"):
            return None
        if not argument.startswith("-"):
            return argument if argument in COMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of ``command`` alone."""
    parser = ArgumentParser(
        prog="reconciler",
        description="Keep a DeepCall contact directory as code.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.set_defaults(handler=lambda _: common.usage(parser))
    # Every subparser, nested ones included, is built from this parser's class.
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", parser_class=ArgumentParser
    )
    for name, module in COMMANDS.items():
        if command is None or name == command:
            importlib.import_module(f"reconciler.commands.{module}").register(commands)
    return parser


def _tune_collector() -> None:
    """Run the cyclic garbage collector less often than Python's defaults.

    A command holds a large heap for its whole run (declarations and state,
    frozen once read) and makes short-lived objects by the million while it
    reads or applies. At the default thresholds the full collection ran
    about 56 times over a 100,000-number plan and the collector took a fifth
    of its CPU; every collection still runs, on a larger batch.
    """
    gc.set_threshold(10_000, 50, 100)


def _configure_logging(verbosity: int) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbosity < 3:
        # One line per request is ours to log, with the number it concerns.
        logging.getLogger("httpx").setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
