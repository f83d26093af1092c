"""`reconciler validate`: check declarations offline, every problem at once.

Nothing is sent anywhere: this is the check a pull request runs first (and
the pre-commit hook of `.pre-commit-hooks.yaml`). Problems, in the
declarations or in reconciler.yaml, go to stderr as
`file:line:column: severity: message (hint)`, sorted, or as JSON on stdout
with `--format json`; under GitHub Actions they are also printed on stderr as
annotations. The exit code is 1 if any problem is an error.
"""

from __future__ import annotations

import argparse
import sys
import time

from reconciler import declarations
from reconciler.commands import common


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser("validate", help="check declarations offline")
    common.add_paths(parser)
    common.add_settings_options(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    where = common.paths(args)
    config = common.settings_for(args, where)
    # Errors raise DeclarationError, which the CLI prints the same way (exit 1).
    result = declarations.load(where, config, int(time.time()), keep_entries=False)
    common.print_problems(result.warnings, args.format)
    if args.format == "text":
        entries = _counted(result.valid, "entry", "entries")
        verb = "is" if result.valid == 1 else "are"
        files = _counted(len(result.files), "file", "files")
        print(f"{entries} in {files} {verb} valid.", file=sys.stderr)
    return common.EXIT_OK


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
