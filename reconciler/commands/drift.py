"""`reconciler drift`: what moved since the last apply, in git or live."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from reconciler import declarations, drift, planner, workflow
from reconciler.commands import common
from reconciler.endpoint import Endpoint, open_endpoint
from reconciler.essence import Essence
from reconciler.settings import Settings
from reconciler.state import locked


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser(
        "drift", help="compare declared, last applied and live; exit 2 on drift"
    )
    common.add_paths(parser)
    common.add_run_options(parser)
    parser.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    where = common.paths(args)
    config = common.settings_for(args, where)
    now = int(time.time())
    declared = declarations.load(where, config, now)
    common.print_problems(declared.warnings)

    # Held while reading so that no apply changes the state mid-comparison.
    with locked(workflow.state_path(config), args.lock_timeout) as state:
        scope = planner.scope(declared, state)
        with open_endpoint(config) as endpoint:
            live = asyncio.run(_read(scope, endpoint, config, now))
        report = drift.compare(declared, state, live, now)

    sys.stdout.write(_render(report, config, args.format))
    return common.EXIT_CHANGES if report.found else common.EXIT_OK


async def _read(
    scope: list[str], endpoint: Endpoint, config: Settings, now: int
) -> dict[str, Essence]:
    async with workflow.client_for(endpoint, config) as client:
        return await planner.read_live(client, scope, now, config.parallelism)


def _render(report: drift.DriftReport, config: Settings, fmt: str) -> str:
    if fmt == "json":
        return drift.json_text(report)
    if fmt == "markdown":
        return drift.markdown(report, config.tz)
    return drift.text(report, config.tz)
