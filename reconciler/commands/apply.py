"""`reconciler apply`: plan, confirm, apply, read back, report."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from reconciler import declarations, render, safety, workflow
from reconciler.commands import common
from reconciler.endpoint import Endpoint, open_endpoint
from reconciler.settings import Settings
from reconciler.state import State, locked


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser("apply", help="plan, confirm, and apply")
    common.add_paths(parser)
    common.add_run_options(parser)
    parser.add_argument("--auto-approve", action="store_true", help="do not ask")
    parser.add_argument("--force", action="store_true", help="ignore thresholds")
    parser.add_argument(
        "--allow-dnc-removal",
        action="store_true",
        help="allow the plan to lift DNC entries declared `ensure: absent`",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    where = common.paths(args)
    config = common.settings_for(args, where)
    now = int(time.time())
    declared = declarations.load(where, config, now)

    with (
        locked(workflow.state_path(config), args.lock_timeout) as state,
        open_endpoint(config) as endpoint,
    ):
        return asyncio.run(_apply(args, declared, state, endpoint, config, now))


async def _apply(
    args: argparse.Namespace,
    declared: declarations.Declarations,
    state: State,
    endpoint: Endpoint,
    config: Settings,
    now: int,
) -> int:
    async with workflow.client_for(endpoint, config) as client:
        plan = await workflow.refresh_plan(declared, state, client, config, now)
        common.print_plan(plan, config, "text")
        reasons = safety.check(
            plan,
            state,
            config,
            force=args.force,
            allow_dnc_removal=args.allow_dnc_removal,
        )
        if reasons:
            common.print_refusal(reasons)
            return common.EXIT_UNSAFE
        if not args.auto_approve and not plan.empty and not common.confirm():
            print("Apply cancelled.", file=sys.stderr)
            return common.EXIT_ERROR

        report = await workflow.execute(plan, state, client, config, now)
        state.write()
    print_report(report)
    return common.EXIT_OK if report.ok else common.EXIT_ERROR


def print_report(report: workflow.ApplyReport) -> None:
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
