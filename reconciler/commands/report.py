"""`reconciler report expiring`: DNC and sticky entries about to lapse."""

from __future__ import annotations

import argparse
import sys
import time

from reconciler import declarations, report
from reconciler.commands import common
from reconciler.settings import Settings


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser("report", help="reports over the declarations")
    parser.set_defaults(handler=lambda _: common.usage(parser))
    reports = parser.add_subparsers(title="reports", metavar="REPORT")

    expiring = reports.add_parser(
        "expiring", help="DNC and sticky entries that lapse within a window"
    )
    common.add_paths(expiring)
    common.add_settings_options(expiring)
    expiring.add_argument(
        "--within",
        default="14d",
        metavar="DURATION",
        help="window from now: a number with h, d or w (default 14d)",
    )
    expiring.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text"
    )
    expiring.set_defaults(handler=run_expiring)


def run_expiring(args: argparse.Namespace) -> int:
    seconds = report.parse_window(args.within)
    where = common.paths(args)
    config = common.settings_for(args, where)
    now = int(time.time())
    declared = declarations.load(where, config, now)
    common.print_problems(declared.warnings)

    result = report.expiring(declared, now, seconds, args.within.strip())
    sys.stdout.write(_render(result, config, args.format))
    return common.EXIT_OK


def _render(result: report.ExpiringReport, config: Settings, fmt: str) -> str:
    if fmt == "json":
        return report.json_text(result, config.tz)
    if fmt == "markdown":
        return report.markdown(result, config.tz)
    return report.text(result, config.tz)
