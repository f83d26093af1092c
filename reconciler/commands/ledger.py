"""`reconciler ledger verify`: check the audit ledger's hash chain."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reconciler import ledger, settings
from reconciler.commands import common
from reconciler.errors import StateError
from reconciler.state import State


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser("ledger", help="the audit ledger")
    verbs = parser.add_subparsers(title="ledger commands", metavar="COMMAND")
    verify = verbs.add_parser("verify", help="check the hash chain")
    verify.add_argument("--ledger", type=Path, help="the ledger file")
    verify.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=Path("."),
        help="the declarations folder whose ledger to check",
    )
    verify.set_defaults(handler=run_verify)
    parser.set_defaults(handler=lambda _: common.usage(parser))


def run_verify(args: argparse.Namespace) -> int:
    if not args.path.exists():
        raise StateError(f"{args.path}: no such folder of declarations")
    config = settings.load(settings.declarations_root([args.path]))
    path = args.ledger or config.resolve(config.ledger_path)
    state_path = config.resolve(config.state_path)
    if path.is_dir():
        raise StateError(f"{path}: a folder, not a ledger file")
    if args.ledger is not None and not path.exists():
        raise StateError(f"{path}: no such ledger file")
    head = _state_head(state_path)
    if not path.exists() and head is None:
        return _no_ledger(path, state_path)

    try:
        problems = ledger.verify(path, head)
    except OSError as exc:
        raise StateError(f"{path}: cannot read the ledger: {exc}") from None
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if problems:
        print(f"{path}: the hash chain is broken.", file=sys.stderr)
        return common.EXIT_ERROR
    print(f"{path}: the hash chain of {_count_lines(path)} records is intact.")
    return common.EXIT_OK


def _state_head(state_path: Path) -> str | None:
    """The last ledger record the state knows of, if it names one."""
    if not state_path.exists():
        return None
    return State.read(state_path).ledger_head


def _no_ledger(path: Path, state_path: Path) -> int:
    print(f"{path}: no ledger yet; nothing has been applied from here.")
    if state_path.exists():
        # Import adopts numbers without applying anything, so a state alone
        # proves no loss; say it, so that a deleted ledger does not go unseen.
        print(
            f"{path}: note: {state_path} exists; if changes were applied from "
            "here, their ledger was lost",
            file=sys.stderr,
        )
    return common.EXIT_OK


def _count_lines(path: Path) -> int:
    with path.open(encoding="utf-8", errors="replace") as fh:
        return sum(1 for line in fh if line.strip())
