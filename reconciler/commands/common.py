"""What the commands share: options, settings, and user-facing output."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from reconciler import declarations, leaks, numbers, settings, yamlfile
from reconciler.declarations import Declarations
from reconciler.errors import Problem, SettingsError

if TYPE_CHECKING:
    from reconciler.plan import Plan
    from reconciler.workflow import Targets

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_UNSAFE = 3
EXIT_STALE = 4

_URL = re.compile(r"^https?://[^\s/]+")

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="declaration files or folders (default: the current folder)",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The settings flags, the endpoint, and the bounds of API requests."""
    add_settings_options(parser)
    parser.add_argument(
        "--base-url",
        type=base_url,
        metavar="URL",
        help="DeepCall API base URL (over DEEPCALL_BASE_URL)",
    )
    parser.add_argument("--parallelism", type=positive_int, help="concurrent requests")
    parser.add_argument(
        "--rate", type=positive_number, help="requests per second at most"
    )
    parser.add_argument("--timeout", type=positive_number, help="seconds per request")
    parser.add_argument(
        "--lock-timeout",
        type=non_negative_number,
        default=30.0,
        help="seconds to wait for the state lock (default 30; 0: do not wait)",
    )


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def positive_number(text: str) -> float:
    """An argparse type: a finite number above 0."""
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


def non_negative_number(text: str) -> float:
    """An argparse type: a finite number of 0 or more."""
    # A negative lock timeout would make filelock wait forever.
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """Flags over reconciler.yaml and RECONCILER_* variables."""
    parser.add_argument(
        "--region",
        type=_setting(settings.region_code),
        help="default region of numbers without a country code, such as IN",
    )
    parser.add_argument(
        "--timezone",
        type=_setting(settings.timezone_name),
        help="IANA time zone of date-only `until`, such as Asia/Kolkata",
    )


def _setting(check: Callable[[str], str]) -> Callable[[str], str]:
    """An argparse type that reports a SettingsError as a usage error."""

    def convert(text: str) -> str:
        try:
            return check(text)
        except SettingsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def base_url(text: str) -> str:
    """An argparse type: an http or https URL."""
    if not _URL.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http(s) URL (such as https://v4-api.deepcall.com)"
        )
    return text


def paths(args: argparse.Namespace) -> list[Path]:
    return list(args.paths) or [Path(".")]


def settings_for(args: argparse.Namespace, where: list[Path]) -> settings.Settings:
    """Settings for the declarations at ``where``, with the flags on top."""
    return with_flags(settings.load(settings.declarations_root(where)), args)


def with_flags(
    loaded: settings.Settings, args: argparse.Namespace
) -> settings.Settings:
    """``loaded`` overridden by the settings flags the command has and was given."""
    names = ("parallelism", "rate", "timeout", "region", "timezone", "base_url")
    return settings.override(loaded, **{n: getattr(args, n, None) for n in names})


def usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def print_plan(
    plan: Plan,
    config: settings.Settings,
    fmt: str,
    *,
    refusal: Sequence[str] = (),
    checksum: str | None = None,
) -> None:
    """The plan on stdout: JSON, Markdown, or text (coloured on a terminal)."""
    # Imported here: commands that print no plan (validate) do without them.
    import rich.console

    from reconciler import render

    if fmt == "json":
        sys.stdout.write(render.json_text(plan, refusal=refusal, checksum=checksum))
    elif fmt == "markdown":
        sys.stdout.write(
            render.markdown(plan, config.tz, refusal=refusal, checksum=checksum)
        )
    elif sys.stdout.isatty():
        console = rich.console.Console(highlight=False, soft_wrap=True)
        console.print(render.text(plan, config.tz, colour=True), end="")
    else:
        sys.stdout.write(render.text(plan, config.tz))
    sys.stdout.flush()


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NUMBER",
        help="work on this number only (any spelling; repeatable)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="NUMBER",
        help="leave this number out (any spelling; repeatable)",
    )
    parser.add_argument(
        "--kind",
        action="append",
        default=[],
        choices=settings.KINDS,
        help="work on this kind only (repeatable)",
    )


def targets_for(args: argparse.Namespace, config: settings.Settings) -> Targets:
    """The --only/--exclude/--kind flags, numbers folded to E.164."""
    from reconciler.workflow import Targets

    return Targets(
        only=_numbers_flag("--only", args.only, config.region),
        exclude=_numbers_flag("--exclude", args.exclude, config.region),
        kinds=tuple(sorted(set(args.kind))),
    )


def load_declarations(
    args: argparse.Namespace,
    where: list[Path],
    config: settings.Settings,
    now: int,
) -> tuple[Declarations, Targets]:
    """The project's declarations, and the targets that PATH narrows them to.

    The state covers every number of the project at the settings' root.
    Given only some of its files, a command must not take the entries of
    the others for removed: it reads the whole project as what is declared,
    and works on the numbers that the given files declare.
    """
    targets = targets_for(args, config)
    given = declarations.load(where, config, now)
    project = yamlfile.iter_files([config.root], skip=settings.PROJECT_FILE_NAMES)
    named = {path.resolve() for path in given.files}
    if all(path.resolve() in named for path in project):
        return given, targets

    whole = declarations.load([config.root], config, now)
    chosen = given.numbers()
    print(
        f"Working on the {len(chosen)} numbers declared in "
        f"{', '.join(map(str, where))}; the rest of the project in "
        f"{config.root} counts as declared and is left alone.",
        file=sys.stderr,
    )
    return whole, dataclasses.replace(targets, within=frozenset(chosen))


def _numbers_flag(flag: str, values: list[str], region: str) -> tuple[str, ...]:
    folded = set()
    for value in values:
        try:
            folded.add(numbers.normalise(value, region))
        except numbers.InvalidNumber as exc:
            raise SettingsError(f"{flag}: {exc}") from None
    return tuple(sorted(folded))


def lock_waiting(path: Path, timeout: float) -> None:
    if timeout <= 0:
        return  # no wait: the error that follows says it is locked
    print(
        f"The state {path} is locked by another reconciler command; "
        f"waiting up to {timeout:g}s (--lock-timeout).",
        file=sys.stderr,
    )


def print_refusal(reasons: list[str]) -> None:
    print("\nRefused by a safety rule:", file=sys.stderr)
    for reason in reasons:
        print(f"  - {reason}", file=sys.stderr)


def print_problems(problems: Sequence[Problem], fmt: str = "text") -> None:
    """Problems as text on stderr (plus GitHub annotations) or JSON on stdout.

    A configured credential is masked in each, wherever it came from (the
    project file's problems are made before the credentials are known).
    """
    secrets = leaks.configured()
    problems = [leaks.masked(problem, secrets) for problem in problems]
    if fmt == "json":
        data = [
            {
                "file": p.location.path,
                "line": p.location.line,
                "column": p.location.column,
                "severity": p.severity,
                "message": p.message,
                "hint": p.hint,
            }
            for p in problems
        ]
        print(json.dumps({"problems": data}, indent=2))
        return

    for problem in problems:
        print(problem, file=sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # The runner reads workflow commands from stderr too, and stdout may be
        # redirected into a file (the plan workflow writes it to plan.md).
        for problem in problems:
            print(annotation(problem), file=sys.stderr)


def annotation(problem: Problem) -> str:
    """``problem`` as a GitHub Actions workflow command (an annotation)."""
    loc = problem.location
    level = "error" if problem.is_error else "warning"
    message = problem.message + (f" ({problem.hint})" if problem.hint else "")
    properties: dict[str, object] = {"file": loc.path}
    if loc.line:
        properties.update(line=loc.line, col=loc.column)
    listed = ",".join(f"{k}={_escape_property(str(v))}" for k, v in properties.items())
    return f"::{level} {listed}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    # A workflow command ends at a newline; escaped as GitHub documents.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # In a property value `:` would end the properties and `,` start another.
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def confirm(question: str = "Apply these changes?") -> bool:
    if not sys.stdin.isatty():
        print(
            "Not a terminal: pass --auto-approve to apply without a prompt.",
            file=sys.stderr,
        )
        return False
    try:
        answer = input(f"\n{question} Only 'yes' is accepted: ")
    except EOFError:  # Ctrl-D, or the input closed: no answer is a no
        print(file=sys.stderr)
        return False
    return answer.strip() == "yes"
