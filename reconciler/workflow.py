"""The steps shared by the commands: read, plan, apply, read back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler import apply, ledger, planner
from reconciler.client import DirectoryClient
from reconciler.declarations import Declarations
from reconciler.endpoint import Endpoint
from reconciler.plan import Change, Plan
from reconciler.settings import Settings
from reconciler.state import State

log = logging.getLogger(__name__)


def client_for(endpoint: Endpoint, settings: Settings) -> DirectoryClient:
    return DirectoryClient(
        endpoint.base_url,
        endpoint.credentials,
        timeout=settings.timeout,
        parallelism=settings.parallelism,
        rate=settings.rate,
        region=settings.region,
        wire_format=settings.wire_number_format,
    )


async def refresh_plan(
    declarations: Declarations,
    state: State,
    client: DirectoryClient,
    settings: Settings,
    now: int,
    numbers: list[str] | None = None,
) -> Plan:
    """Read every number in scope live and plan against what was read."""
    scope = planner.scope(declarations, state) if numbers is None else numbers
    log.info("reading %d numbers", len(scope))
    live = await planner.read_live(client, scope, now, settings.parallelism)
    return planner.build(declarations, state, live, now, settings.wire_number_format)


def offline_plan(
    declarations: Declarations, state: State, settings: Settings, now: int
) -> Plan:
    """Plan against the state's last-applied values, without reading live."""
    scope = planner.scope(declarations, state)
    live = {number: planner.from_state(state.kinds(number)) for number in scope}
    return planner.build(
        declarations, state, live, now, settings.wire_number_format, refreshed=False
    )


@dataclass
class ApplyReport:
    outcomes: list[apply.Outcome]
    unconverged: list[Change] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not apply.failed(self.outcomes) and not self.unconverged


async def execute(
    plan: Plan,
    state: State,
    client: DirectoryClient,
    settings: Settings,
    now: int,
    plan_checksum: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ApplyReport:
    """Apply ``plan``, then read back every touched number."""
    audit = ledger.Ledger(settings.resolve(settings.ledger_path))
    base = {
        "actor": ledger.actor(),
        "commit": ledger.git_commit(settings.root),
        "plan_checksum": plan_checksum,
    }
    context = apply.ApplyContext(client, state, audit, base, now, planner.holds)
    applier = apply.Applier(plan, context, settings.parallelism)
    if progress is not None:
        applier.progress = progress
    outcomes = await applier.run()

    applied = [o.change for o in outcomes if o.result == apply.APPLIED]
    unconverged = await read_back(applied, client, settings, now)
    return ApplyReport(outcomes, unconverged)


async def read_back(
    changes: list[Change], client: DirectoryClient, settings: Settings, now: int
) -> list[Change]:
    """The applied changes that the live directory does not show."""
    numbers = sorted({c.number for c in changes})
    live = await planner.read_live(client, numbers, now, settings.parallelism)
    missing = [c for c in changes if not planner.holds(c, live[c.number])]
    for change in missing:
        log.warning("%s %s did not converge", change.number, change.address)
    return missing


def state_path(settings: Settings) -> Path:
    return settings.resolve(settings.state_path)
