"""`reconciler plan`: read live state and print what apply would change.

With ``--out FILE`` the plan is also saved, for `reconciler apply FILE` to
apply exactly it (see planfile.py). A plan refused by a safety rule is still
printed, and saved, in full: reviewers see why; the exit code is 3.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from reconciler import declarations, planfile, planner, safety, workflow
from reconciler.commands import common
from reconciler.endpoint import Endpoint, open_endpoint
from reconciler.errors import PlanFileError
from reconciler.plan import Plan
from reconciler.settings import Settings
from reconciler.state import State, locked

FORMATS = ("text", "markdown", "json")


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser("plan", help="show the changes apply would make")
    common.add_paths(parser)
    common.add_run_options(parser)
    common.add_target_options(parser)
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="also save the plan, for `reconciler apply FILE`",
    )
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
    if args.out is not None and args.no_refresh:
        raise PlanFileError(
            "--out needs live reads: apply checks a saved plan against what "
            "was read; drop --no-refresh"
        )
    now = int(time.time())
    declared, targets = common.load_declarations(args, where, config, now)

    with locked(
        workflow.state_path(config), args.lock_timeout, common.lock_waiting
    ) as state:
        plan = compute(declared, state, config, now, targets, not args.no_refresh)
        # Lifting a DNC is checked at apply time; a plan only shows it.
        reasons = safety.check(
            plan, state, config, force=args.force, allow_dnc_removal=True
        )
        serial = state.serial

    checksum = None
    if args.out is not None:
        paths = [str(path) for path in where]
        secrets = config.credentials.secrets()
        checksum = planfile.save(args.out, plan, paths, serial, secrets)
    common.print_plan(plan, config, args.format, refusal=reasons, checksum=checksum)
    if reasons:
        common.print_refusal(reasons)
        return common.EXIT_UNSAFE
    if args.detailed_exitcode and not plan.empty:
        return common.EXIT_CHANGES
    return common.EXIT_OK


def compute(
    declared: declarations.Declarations,
    state: State,
    config: Settings,
    now: int,
    targets: workflow.Targets,
    refresh: bool = True,
) -> Plan:
    """The plan of the targeted numbers and kinds, live or from the state."""
    numbers, unknown = scope(declared, state, targets)
    if refresh:
        with open_endpoint(config) as endpoint:
            plan = asyncio.run(
                _refresh(declared, state, endpoint, config, now, numbers)
            )
    else:
        plan = workflow.offline_plan(declared, state, config, now, numbers)
    return finish(plan, declared, state, targets, unknown)


def scope(
    declared: declarations.Declarations, state: State, targets: workflow.Targets
) -> tuple[list[str], list[str]]:
    """The numbers to read, and the --only numbers there is nothing to plan for."""
    everything = planner.scope(declared, state)
    unknown = sorted(set(targets.only) - set(everything))
    chosen = targets.numbers(everything)
    return [n for n in chosen if n not in unknown], unknown


def finish(
    plan: Plan,
    declared: declarations.Declarations,
    state: State,
    targets: workflow.Targets,
    unknown: list[str],
) -> Plan:
    """Stamp the declarations' digest, narrow to the kinds, warn of strays."""
    plan.digest = declared.digest
    plan.warnings += [
        f"--only {number}: neither declared nor managed; nothing to plan for it"
        for number in unknown
    ]
    return workflow.narrow(plan, targets, state)


async def _refresh(
    declared: declarations.Declarations,
    state: State,
    endpoint: Endpoint,
    config: Settings,
    now: int,
    numbers: list[str],
) -> Plan:
    async with workflow.client_for(endpoint, config) as client:
        return await workflow.refresh_plan(
            declared, state, client, config, now, numbers
        )
