"""`reconciler plan`: read live state and print what apply would change."""

from __future__ import annotations

import argparse
import asyncio
import time

from reconciler import declarations, safety, workflow
from reconciler.commands import common
from reconciler.endpoint import Endpoint, open_endpoint
from reconciler.plan import Plan
from reconciler.settings import Settings
from reconciler.state import State, locked


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser("plan", help="show the changes apply would make")
    common.add_paths(parser)
    common.add_run_options(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when there are changes, 0 when there are none",
    )
    parser.add_argument(
        "--no-refresh",
        action="store_true",
        help="plan from the state's last-applied values, without live reads",
    )
    parser.add_argument("--force", action="store_true", help="ignore thresholds")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    where = common.paths(args)
    config = common.settings_for(args, where)
    now = int(time.time())
    declared = declarations.load(where, config, now)

    with locked(workflow.state_path(config), args.lock_timeout) as state:
        if args.no_refresh:
            plan = workflow.offline_plan(declared, state, config, now)
        else:
            with open_endpoint(config) as endpoint:
                plan = asyncio.run(_refresh(declared, state, endpoint, config, now))
        # Lifting a DNC is checked at apply time; a plan only shows it.
        reasons = safety.check(
            plan, state, config, force=args.force, allow_dnc_removal=True
        )

    common.print_plan(plan, config, args.format)
    if reasons:
        common.print_refusal(reasons)
        return common.EXIT_UNSAFE
    if args.detailed_exitcode and not plan.empty:
        return common.EXIT_CHANGES
    return common.EXIT_OK


async def _refresh(
    declared: declarations.Declarations,
    state: State,
    endpoint: Endpoint,
    config: Settings,
    now: int,
) -> Plan:
    async with workflow.client_for(endpoint, config) as client:
        return await workflow.refresh_plan(declared, state, client, config, now)
