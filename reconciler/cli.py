"""The `reconciler` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reconciler import __version__, declarations, render, safety, settings, workflow
from reconciler.endpoint import open_endpoint
from reconciler.errors import DeclarationError, Problem, ReconcilerError
from reconciler.plan import Plan
from reconciler.state import locked

log = logging.getLogger("reconciler")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_UNSAFE = 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        code: int = args.handler(args)
    except DeclarationError as exc:
        _print_problems(exc.problems, getattr(args, "format", "text"))
        code = exc.exit_code
    except ReconcilerError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        code = 130
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="Keep a DeepCall contact directory as code.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    parser.set_defaults(handler=lambda _: _usage(parser))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    validate = commands.add_parser("validate", help="check declarations offline")
    _add_paths(validate)
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.set_defaults(handler=cmd_validate)

    plan = commands.add_parser("plan", help="show the changes apply would make")
    _add_paths(plan)
    _add_run_options(plan)
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when there are changes, 0 when there are none",
    )
    plan.add_argument(
        "--no-refresh",
        action="store_true",
        help="plan from the state's last-applied values, without live reads",
    )
    plan.add_argument("--force", action="store_true", help="ignore change thresholds")
    plan.set_defaults(handler=cmd_plan)

    apply_ = commands.add_parser("apply", help="plan, confirm, and apply")
    _add_paths(apply_)
    _add_run_options(apply_)
    apply_.add_argument("--auto-approve", action="store_true", help="do not ask")
    apply_.add_argument("--force", action="store_true", help="ignore change thresholds")
    apply_.add_argument(
        "--allow-dnc-removal",
        action="store_true",
        help="allow the plan to lift DNC entries declared `ensure: absent`",
    )
    apply_.set_defaults(handler=cmd_apply)

    sandbox = commands.add_parser("sandbox", help="run the local DeepCall sandbox")
    from reconciler.sandbox import server as sandbox_server

    sandbox_server.add_arguments(sandbox)
    sandbox.set_defaults(handler=sandbox_server.run)

    ledger = commands.add_parser("ledger", help="the audit ledger")
    ledger_commands = ledger.add_subparsers(title="ledger commands", metavar="COMMAND")
    verify = ledger_commands.add_parser("verify", help="check the hash chain")
    verify.add_argument("--ledger", type=Path, help="ledger file")
    verify.add_argument("path", nargs="?", type=Path, default=Path("."))
    verify.set_defaults(handler=cmd_ledger_verify)
    ledger.set_defaults(handler=lambda _: _usage(ledger))
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="declaration files or folders (default: the current folder)",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--parallelism", type=int, help="concurrent requests")
    parser.add_argument("--rate", type=float, help="requests per second at most")
    parser.add_argument("--timeout", type=float, help="seconds per request")
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the state lock (default 30)",
    )


# Commands --------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    paths = _paths(args)
    config = settings.load(settings.declarations_root(paths))
    result = declarations.load(paths, config, int(time.time()))
    _print_problems(result.warnings, args.format)
    if args.format == "text":
        print(
            f"{len(result.entries)} entries in {len(result.files)} files are valid.",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    paths = _paths(args)
    config = _settings(args, paths)
    now = int(time.time())
    declared = declarations.load(paths, config, now)

    with locked(workflow.state_path(config), args.lock_timeout) as state:
        if args.no_refresh:
            plan = workflow.offline_plan(declared, state, config, now)
        else:
            with open_endpoint(config) as endpoint:
                plan = asyncio.run(_refresh(declared, state, endpoint, config, now))
        reasons = safety.check(
            plan, state, config, force=args.force, allow_dnc_removal=True
        )

    _print_plan(plan, config, args.format)
    if reasons:
        _print_refusal(reasons)
        return EXIT_UNSAFE
    if args.detailed_exitcode and not plan.empty:
        return EXIT_CHANGES
    return EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    paths = _paths(args)
    config = _settings(args, paths)
    now = int(time.time())
    declared = declarations.load(paths, config, now)

    with (
        locked(workflow.state_path(config), args.lock_timeout) as state,
        open_endpoint(config) as endpoint,
    ):
        return asyncio.run(_apply(args, declared, state, endpoint, config, now))


async def _apply(
    args: argparse.Namespace,
    declared: declarations.Declarations,
    state: Any,
    endpoint: Any,
    config: settings.Settings,
    now: int,
) -> int:
    async with workflow.client_for(endpoint, config) as client:
        plan = await workflow.refresh_plan(declared, state, client, config, now)
        _print_plan(plan, config, "text")
        reasons = safety.check(
            plan,
            state,
            config,
            force=args.force,
            allow_dnc_removal=args.allow_dnc_removal,
        )
        if reasons:
            _print_refusal(reasons)
            return EXIT_UNSAFE
        if not args.auto_approve and not plan.empty and not _confirm():
            print("Apply cancelled.", file=sys.stderr)
            return EXIT_ERROR

        report = await workflow.execute(plan, state, client, config, now)
        state.write()
    _print_report(report)
    return EXIT_OK if report.ok else EXIT_ERROR


async def _refresh(
    declared: declarations.Declarations,
    state: Any,
    endpoint: Any,
    config: settings.Settings,
    now: int,
) -> Plan:
    async with workflow.client_for(endpoint, config) as client:
        return await workflow.refresh_plan(declared, state, client, config, now)


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    from reconciler import ledger

    config = settings.load(args.path)
    path = args.ledger or config.resolve(config.ledger_path)
    problems = ledger.verify(path)
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if problems:
        return EXIT_ERROR
    print(f"{path}: the hash chain is intact.")
    return EXIT_OK


# Output ----------------------------------------------------------------


def _print_plan(plan: Plan, config: settings.Settings, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(render.json_text(plan))
    else:
        sys.stdout.write(render.text(plan, config.tz))
    sys.stdout.flush()


def _print_refusal(reasons: list[str]) -> None:
    print("\nRefused by a safety rule:", file=sys.stderr)
    for reason in reasons:
        print(f"  - {reason}", file=sys.stderr)


def _print_report(report: workflow.ApplyReport) -> None:
    print()
    for outcome in report.outcomes:
        change = outcome.change
        line = f"  {outcome.result:<8} {change.number} {render.address(change)}"
        if outcome.code is not None or outcome.message:
            line += f": {outcome.message} (code {outcome.code})"
        print(line)
    for change in report.unconverged:
        print(f"  failed   {change.number} {render.address(change)}: did not converge")
    counts: dict[str, int] = {}
    for outcome in report.outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    summary = ", ".join(f"{n} {r}" for r, n in sorted(counts.items())) or "nothing"
    print(f"\nApply complete: {summary}.")


def _print_problems(problems: Sequence[Problem], fmt: str) -> None:
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
        for problem in problems:
            loc = problem.location
            level = "error" if problem.is_error else "warning"
            print(
                f"::{level} file={loc.path},line={loc.line},col={loc.column}::"
                f"{problem.message}"
            )


def _confirm() -> bool:
    if not sys.stdin.isatty():
        print(
            "Not a terminal: pass --auto-approve to apply without a prompt.",
            file=sys.stderr,
        )
        return False
    answer = input("\nApply these changes? Only 'yes' is accepted: ")
    return answer.strip() == "yes"


# Settings --------------------------------------------------------------


def _paths(args: argparse.Namespace) -> list[Path]:
    return list(args.paths) or [Path(".")]


def _settings(args: argparse.Namespace, paths: list[Path]) -> settings.Settings:
    loaded = settings.load(settings.declarations_root(paths))
    return settings.override(
        loaded,
        parallelism=args.parallelism,
        rate=args.rate,
        timeout=args.timeout,
    )


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING
    if verbosity == 1:
        level = logging.INFO
    elif verbosity > 1:
        level = logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbosity < 3:
        logging.getLogger("httpx").setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
