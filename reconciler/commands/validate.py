"""`reconciler validate`: check declarations offline, every problem at once."""

from __future__ import annotations

import argparse
import sys
import time

from reconciler import declarations, settings
from reconciler.commands import common


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser("validate", help="check declarations offline")
    common.add_paths(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    where = common.paths(args)
    config = settings.load(settings.declarations_root(where))
    result = declarations.load(where, config, int(time.time()))
    common.print_problems(result.warnings, args.format)
    if args.format == "text":
        print(
            f"{len(result.entries)} entries in {len(result.files)} files are valid.",
            file=sys.stderr,
        )
    return common.EXIT_OK
