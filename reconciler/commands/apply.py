"""`reconciler apply`: plan, confirm, apply, read back, report.

`reconciler apply PLANFILE` applies a saved plan instead, exactly: it is
refused (exit 4) unless the declarations and the state are those it was
computed from and every number it changes still reads as it did. The safety
rules are checked again, against the state as it is now.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import declarations, expiry, planfile, planner, render, safety, workflow
from reconciler.apply import APPLIED, FAILED
from reconciler.commands import common
from reconciler.commands import plan as plan_command
from reconciler.declarations import DNC, STICKY
from reconciler.endpoint import Endpoint, open_endpoint
from reconciler.errors import OutdatedPlanError, PlanFileError, StalePlanError
from reconciler.essence import Essence
from reconciler.plan import Change, Plan
from reconciler.settings import Settings
from reconciler.state import State, locked

if TYPE_CHECKING:
    from reconciler.client import DirectoryClient


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser(
        "apply",
        help="plan, confirm, and apply; or apply a saved plan file",
        description="With one PATH that is a saved plan (not .yaml/.yml), apply "
        "exactly that plan, without a prompt, after checking it is not stale.",
    )
    common.add_paths(parser)
    common.add_run_options(parser)
    common.add_target_options(parser)
    parser.add_argument("--auto-approve", action="store_true", help="do not ask")
    parser.add_argument("--force", action="store_true", help="ignore thresholds")
    parser.add_argument(
        "--allow-dnc-removal",
        action="store_true",
        help="allow the plan to lift DNC entries declared `ensure: absent`, "
        "and to make a DNC end sooner than it ends now",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    where = common.paths(args)
    if len(where) == 1 and planfile.is_plan_path(where[0]):
        return run_saved(args, where[0])
    plans = [str(path) for path in where if planfile.is_plan_path(path)]
    if plans:
        raise PlanFileError(
            f"{', '.join(plans)}: a saved plan is applied on its own, as "
            "`reconciler apply PLAN`; it names the declarations it was made from"
        )

    config = common.settings_for(args, where)
    now = int(time.time())
    declared, targets = common.load_declarations(args, where, config, now)

    with (
        locked(
            workflow.state_path(config), args.lock_timeout, common.lock_waiting
        ) as state,
        open_endpoint(config) as endpoint,
    ):
        plan = asyncio.run(_plan(declared, state, endpoint, config, now, targets))
        common.print_plan(plan, config, "text")
        if _refused(args, plan, state, config):
            return common.EXIT_UNSAFE
        # Asked outside the event loop, so that Ctrl-C at the prompt stops.
        if not args.auto_approve and not plan.empty and not common.confirm():
            print("Apply cancelled.", file=sys.stderr)
            return common.EXIT_ERROR

        paths = [str(path) for path in where]
        checksum = planfile.checksum(planfile.document(plan, paths, state.serial))
        report = asyncio.run(_execute(plan, state, endpoint, config, now, checksum))
    print_report(report)
    return common.EXIT_OK if report.ok else common.EXIT_ERROR


async def _plan(
    declared: declarations.Declarations,
    state: State,
    endpoint: Endpoint,
    config: Settings,
    now: int,
    targets: workflow.Targets,
) -> Plan:
    async with workflow.client_for(endpoint, config) as client:
        numbers, unknown = plan_command.scope(declared, state, targets)
        plan = await workflow.refresh_plan(
            declared, state, client, config, now, numbers
        )
    return plan_command.finish(plan, declared, state, targets, unknown)


async def _execute(
    plan: Plan,
    state: State,
    endpoint: Endpoint,
    config: Settings,
    now: int,
    checksum: str,
) -> workflow.ApplyReport:
    async with workflow.client_for(endpoint, config) as client:
        report = await workflow.execute(plan, state, client, config, now, checksum)
    state.write()
    return report


def _refused(
    args: argparse.Namespace, plan: Plan, state: State, config: Settings
) -> bool:
    reasons = safety.check(
        plan,
        state,
        config,
        force=args.force,
        allow_dnc_removal=args.allow_dnc_removal,
    )
    if reasons:
        common.print_refusal(reasons)
    return bool(reasons)


# A saved plan ----------------------------------------------------------------


def run_saved(args: argparse.Namespace, path: Path) -> int:
    if args.only or args.exclude or args.kind:
        raise PlanFileError(
            "--only, --exclude and --kind choose what a plan covers: give them "
            "to `reconciler plan --out`, not when applying a saved plan"
        )
    saved = planfile.load(path)
    where = [Path(p) for p in saved.paths]
    missing = [str(p) for p in where if not p.exists()]
    if missing:
        raise PlanFileError(
            f"{path}: the declarations it was planned from are not here: "
            f"{', '.join(missing)}; apply it from the folder it was planned in"
        )
    config = common.settings_for(args, where)
    now = int(time.time())
    declared, _ = common.load_declarations(args, where, config, now)
    if declared.digest != saved.plan.digest:
        raise OutdatedPlanError(
            f"{path}: the declarations in {', '.join(saved.paths)} changed since "
            "the plan was saved; plan again and have it reviewed"
        )

    with locked(
        workflow.state_path(config), args.lock_timeout, common.lock_waiting
    ) as state:
        if state.serial != saved.state_serial:
            raise OutdatedPlanError(
                f"{path}: the state was written by another apply since the plan "
                f"was saved (serial {saved.state_serial}, now {state.serial}); "
                "plan again"
            )
        with open_endpoint(config) as endpoint:
            return asyncio.run(
                _apply_saved(args, saved, declared, state, endpoint, config, now)
            )


async def _apply_saved(
    args: argparse.Namespace,
    saved: planfile.SavedPlan,
    declared: declarations.Declarations,
    state: State,
    endpoint: Endpoint,
    config: Settings,
    now: int,
) -> int:
    plan = saved.plan
    print(f"Applying the saved plan {saved.checksum}.", file=sys.stderr)
    common.print_plan(plan, config, "text", checksum=saved.checksum)
    if _refused(args, plan, state, config):
        return common.EXIT_UNSAFE

    async with workflow.client_for(endpoint, config) as client:
        live = await check_fresh(plan, client, config, now)
        check_derived(plan, declared, state, live, config)
        report = await workflow.execute(
            plan, state, client, config, now, saved.checksum
        )
        state.write()
    print_report(report)
    return common.EXIT_OK if report.ok else common.EXIT_ERROR


async def check_fresh(
    plan: Plan, client: DirectoryClient, config: Settings, now: int
) -> dict[str, Essence]:
    """What the changed numbers read now; StalePlanError unless as they did.

    An expiry the plan would send that has passed since is stale too: the API
    rejects past expiries.
    """
    touched = sorted({change.number for change in plan.changes})
    live = await planner.read_live(client, touched, now, config.parallelism)
    moved = {
        number
        for number in touched
        if planfile.fingerprint_digest(live[number].fingerprint())
        != plan.fingerprints.get(number)
    }
    lapsed = {change.number for change in plan.changes if _lapsed(change, now)}
    if moved or lapsed:
        raise StalePlanError(sorted(moved), sorted(lapsed - moved))
    return live


def check_derived(
    plan: Plan,
    declared: declarations.Declarations,
    state: State,
    live: dict[str, Essence],
    config: Settings,
) -> None:
    """Refuse a plan whose changes are not those its inputs give.

    The declarations, the state and every changed number are as the plan
    was computed from, so planning those numbers again must give the same
    changes and calls. A file whose calls were rewritten, and its checksum
    computed anew, fails here: what is sent is only ever what was derived.
    """
    again = planner.build(declared, state, live, plan.as_of, config.wire_number_format)
    kinds = tuple(plan.targets.get("kinds", ()))
    again = workflow.narrow(again, workflow.Targets(kinds=kinds), state)

    ours, theirs = _per_number(again), _per_number(plan)
    differ = sorted(
        number
        for number in live
        if ours.get(number) != theirs.get(number)
        or _plain(again.desired.get(number)) != _plain(plan.desired.get(number))
    )
    if differ:
        raise OutdatedPlanError(
            "the saved plan's changes are not what its declarations, state and "
            f"live reads give for {', '.join(differ)}; plan again"
        )


def _per_number(plan: Plan) -> dict[str, Any]:
    grouped = plan.by_number()
    return {n: _plain([c.to_dict() for c in cs]) for n, cs in grouped.items()}


def _plain(value: Any) -> Any:
    """``value`` as its JSON reads back, so tuples and lists compare equal."""
    return json.loads(json.dumps(value, sort_keys=True))


def _lapsed(change: Change, now: int) -> bool:
    if change.after is None:
        return False
    if change.kind == DNC:
        return not expiry.is_active(change.after, now)
    if change.kind == STICKY:
        return not expiry.is_active(change.after["until"], now)
    return False


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
    # A change that did not converge was sent, but is a failure all the same.
    unconverged = len(report.unconverged)
    if unconverged:
        counts[APPLIED] -= unconverged
        counts[FAILED] = counts.get(FAILED, 0) + unconverged
    counts = {result: n for result, n in counts.items() if n}
    summary = ", ".join(f"{n} {r}" for r, n in sorted(counts.items())) or "nothing"
    print(f"\nApply complete: {summary}.")
