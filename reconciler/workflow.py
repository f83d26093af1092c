"""The steps shared by the commands: read, plan, apply, read back."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import apply, ledger, planner, progress, reference
from reconciler.declarations import Declarations
from reconciler.endpoint import Endpoint
from reconciler.errors import ApiError
from reconciler.essence import Essence
from reconciler.plan import Change, Plan
from reconciler.settings import Settings
from reconciler.state import State

if TYPE_CHECKING:
    from reconciler.client import DirectoryClient

log = logging.getLogger(__name__)


def client_for(endpoint: Endpoint, settings: Settings) -> DirectoryClient:
    # Imported here: httpx and aiohttp take a fifth of a second to import,
    # which validate and an offline plan never need.
    from reconciler.client import DirectoryClient

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
    # Before any number is read: a declared ID the API would refuse is an error.
    await reference.check(declarations, client, settings, scope)
    log.info("reading %d numbers", len(scope))
    with progress.bar("Reading", len(scope)) as advance:
        live = await planner.read_live(
            client, scope, now, settings.parallelism, advance
        )
    return planner.build(declarations, state, live, now, settings.wire_number_format)


def offline_plan(
    declarations: Declarations,
    state: State,
    settings: Settings,
    now: int,
    numbers: list[str] | None = None,
) -> Plan:
    """Plan against the state's last-applied values, without reading live."""
    scope = planner.scope(declarations, state) if numbers is None else numbers
    live = LastApplied(state, scope)
    plan = planner.build(
        declarations, state, live, now, settings.wire_number_format, refreshed=False
    )
    if not state.numbers:
        plan.warnings.append(
            f"the state at {state.path} records nothing applied yet: every "
            "declared entry is planned as new, whatever the live directory "
            "holds; drop --no-refresh to read it"
        )
    return plan


class LastApplied(Mapping[str, Essence]):
    """The state's last-applied values as essences, each made when it is read.

    A plan looks at one number at a time; making every essence first held
    them all at once (a tenth of the memory of a large offline plan).
    """

    def __init__(self, state: State, numbers: list[str]) -> None:
        self._state = state
        self._numbers = numbers
        self._known = set(numbers)

    def __getitem__(self, number: str) -> Essence:
        if number not in self._known:
            raise KeyError(number)
        return planner.from_state(self._state.kinds(number))

    def __iter__(self) -> Iterator[str]:
        return iter(self._numbers)

    def __len__(self) -> int:
        return len(self._numbers)


@dataclass(frozen=True)
class Targets:
    """The numbers and kinds a command is narrowed to; empty means all.

    ``within``, when set, holds the numbers that the declaration files named
    on the command line declare, when those are only part of the project.
    """

    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    within: frozenset[str] | None = None

    def numbers(self, scope: list[str]) -> list[str]:
        chosen = sorted(set(self.only)) if self.only else scope
        if self.within is not None:
            chosen = [n for n in chosen if n in self.within]
        return [n for n in chosen if n not in self.exclude]

    def to_dict(self) -> dict[str, list[str]]:
        given = {"only": self.only, "exclude": self.exclude, "kinds": self.kinds}
        return {name: sorted(values) for name, values in given.items() if values}


def narrow(plan: Plan, targets: Targets, state: State) -> Plan:
    """Keep the changes of the targeted kinds only.

    Applying a plan records its ``desired`` values in the state, so the kinds
    left out keep what the state holds: they are neither applied nor released.
    """
    plan.targets = targets.to_dict()
    if not targets.kinds:
        return plan
    kinds = set(targets.kinds)
    desired = {}
    for number, declared in plan.desired.items():
        kept = {k: v for k, v in state.kinds(number).items() if k not in kinds}
        kept.update({k: v for k, v in declared.items() if k in kinds})
        desired[number] = copy.deepcopy(kept)
    return replace(
        plan,
        changes=[c for c in plan.changes if c.kind in kinds],
        notes=[n for n in plan.notes if n.kind in kinds],
        desired=desired,
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
) -> ApplyReport:
    """Apply ``plan``, then read back every touched number."""
    audit = ledger.Ledger(settings.resolve(settings.ledger_path))
    base = {
        "actor": ledger.actor(),
        "commit": ledger.git_commit(settings.root),
        "plan_checksum": plan_checksum,
    }
    # Where the outcomes go must take them before the first call is made.
    state.open_journal()
    audit.check_writable()
    context = apply.ApplyContext(client, state, audit, base, now, planner.holds)
    await apply.resolve_interrupted(context)
    applier = apply.Applier(plan, context, settings.parallelism)
    with progress.bar("Applying", len(plan.changes)) as advance:
        applier.progress = advance
        outcomes = await applier.run()

    applied = [o.change for o in outcomes if o.result == apply.APPLIED]
    unconverged = await read_back(applied, client, settings, now)
    for change in unconverged:
        audit.append(
            {
                **base,
                **apply.change_record(change),
                "result": apply.UNCONVERGED,
                "message": "applied, but the number does not read back so",
            }
        )
    state.ledger_head = audit.head
    return ApplyReport(outcomes, unconverged)


async def read_back(
    changes: list[Change], client: DirectoryClient, settings: Settings, now: int
) -> list[Change]:
    """The applied changes that the live directory does not show.

    A number that cannot be read back cannot be shown to hold its changes:
    they count as not converged, and the report still lists every outcome.
    """
    numbers = sorted({c.number for c in changes})
    unread: dict[str, ApiError] = {}
    live = await planner.read_live(
        client, numbers, now, settings.parallelism, failures=unread
    )
    missing = [
        c for c in changes if c.number in unread or not planner.holds(c, live[c.number])
    ]
    for change in missing:
        why = unread.get(change.number)
        log.warning(
            "%s %s did not converge%s",
            change.number,
            change.address,
            f" (cannot read it back: {why})" if why else "",
        )
    return missing


def state_path(settings: Settings) -> Path:
    return settings.resolve(settings.state_path)
