"""Apply: issue a plan's calls, record each outcome, and check the result.

Numbers are worked on concurrently by a bounded pool; the changes of one
number run in order (a new contact is created before anything else is set on
it), and numbers that gain a DNC go first. A change that fails does not stop
the others. Each success is recorded in the state at once, and each outcome
in the ledger, so a process killed at any point leaves nothing that a re-run
cannot finish.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler import contract
from reconciler.declarations import CONTACT, DNC, STICKY
from reconciler.errors import ApiError, ApiResponseError, TransportError
from reconciler.essence import Essence
from reconciler.ledger import STARTED, Ledger
from reconciler.plan import CREATE, UPDATE, ApiCall, Change, Plan
from reconciler.state import State

if TYPE_CHECKING:
    from reconciler.client import DirectoryClient

log = logging.getLogger(__name__)

APPLIED = "applied"
FAILED = "failed"
SKIPPED = "skipped"
# An interrupted apply's change that, read afterwards, had not landed.
NOT_APPLIED = "not applied"
# An applied change that the number's read-back does not show.
UNCONVERGED = "did not converge"

# Fields the ledger sets itself on every record.
_CHAIN_FIELDS = ("time", "prev", "hash")


@dataclass
class Outcome:
    change: Change
    result: str
    code: int | None = None
    message: str = ""


@dataclass
class ApplyContext:
    client: DirectoryClient
    state: State
    ledger: Ledger | None
    record_base: dict[str, Any]
    now: int
    converged: Callable[[Change, Essence], bool]


class Applier:
    def __init__(self, plan: Plan, context: ApplyContext, workers: int) -> None:
        self.plan = plan
        self.ctx = context
        self.workers = max(1, workers)
        self.outcomes: list[Outcome] = []
        self.progress: Callable[[int], None] = lambda n: None

    async def run(self) -> list[Outcome]:
        queue: asyncio.Queue[tuple[str, list[Change]]] = asyncio.Queue()
        for number, changes in _schedule(self.plan):
            queue.put_nowait((number, changes))

        async def worker() -> None:
            while True:
                try:
                    number, changes = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await self._apply_number(number, changes)

        await asyncio.gather(*(worker() for _ in range(self.workers)))
        return self.outcomes

    async def _apply_number(self, number: str, changes: list[Change]) -> None:
        all_ok = True
        for change in changes:
            started = self._started(change)
            outcome = await self._apply_change(change)
            self._record(outcome, started)
            all_ok = all_ok and outcome.result == APPLIED
            self.progress(1)

        if all_ok:
            self._settle(number)

    async def _apply_change(self, change: Change) -> Outcome:
        try:
            for call in change.calls:
                await self._issue(change, call)
        except ApiError as exc:
            log.warning("%s %s failed: %s", change.number, change.address, exc)
            return Outcome(change, FAILED, exc.code, exc.detail)
        log.info("%s %s %s applied", change.number, change.address, change.action)
        return Outcome(change, APPLIED)

    async def _issue(self, change: Change, call: ApiCall) -> None:
        """Send one call; after an unknown outcome, read before sending again.

        The client retries what certainly never reached the server (a 429, a
        refused connection) on its own. What may have landed comes back here:
        the number is read after a pause, and the call is sent again only if
        the read shows it did not land. Both loops share one policy, so a
        change is bounded by its attempts and its total time.
        """
        client = self.ctx.client
        policy = client.retry
        deadline = time.monotonic() + policy.total_seconds
        for attempt in range(1, policy.attempts + 1):
            try:
                await client.call(call.action, call.params, number=change.number)
                return
            except ApiResponseError as exc:
                if not exc.transient:
                    await self._recover(change, call, exc)
                    return
                failure: ApiError = exc
            except TransportError as exc:
                if not (exc.transient and exc.ambiguous):
                    raise
                failure = exc

            # Give a write still queued on the server the time to land.
            await asyncio.sleep(client.delay(attempt, failure))
            if await self._landed(change, failure):
                return
            if attempt == policy.attempts or time.monotonic() >= deadline:
                raise failure

    async def _landed(self, change: Change, exc: ApiError) -> bool:
        """After an unknown outcome, read the number: did the write land?"""
        log.info(
            "%s %s: outcome unknown (%s); reading the number again",
            change.number,
            change.address,
            exc,
        )
        live = await self.ctx.client.read(change.number, self.ctx.now)
        landed = self.ctx.converged(change, live)
        if landed:
            log.info("%s %s: the write had landed", change.number, change.address)
        return landed

    async def _recover(
        self, change: Change, call: ApiCall, exc: ApiResponseError
    ) -> None:
        """Errors that mean the goal is reached, or reachable another way."""
        code = exc.code
        if call.action in contract.ABSENT_OK_ACTIONS and code == contract.Code.NO_DATA:
            return  # already absent
        if call.action == "create" and code == contract.Code.CREATE_FAILED:
            # Someone (or an earlier setter) created the entry meanwhile.
            await self.ctx.client.call("update", call.params, number=change.number)
            return
        raise exc

    def _started(self, change: Change) -> str | None:
        """Ledger the change before its calls go out, so none goes unrecorded."""
        if self.ctx.ledger is None:
            return None
        return self.ctx.ledger.append(
            {**self.ctx.record_base, **change_record(change), "result": STARTED}
        )

    def _record(self, outcome: Outcome, started: str | None = None) -> None:
        self.outcomes.append(outcome)
        change = outcome.change
        if outcome.result == APPLIED:
            self.ctx.state.record(
                change.number, change.kind, change.key, _state_value(change)
            )
        if self.ctx.ledger is not None:
            self.ctx.ledger.append(
                {
                    **self.ctx.record_base,
                    **change_record(change),
                    "result": outcome.result,
                    "code": outcome.code,
                    "message": outcome.message or None,
                    "started": started,
                }
            )

    def _settle(self, number: str) -> None:
        """Every change of ``number`` applied: the state takes the declarations."""
        desired = self.plan.desired.get(number, {})
        managed = self.ctx.state.kinds(number)
        for kind in list(managed):
            if kind not in desired:
                self.ctx.state.release(number, kind)
        for kind, value in desired.items():
            if kind == STICKY:
                self.ctx.state.release(number, kind)
                for key, rule in value.items():
                    self.ctx.state.record(number, kind, key, rule)
                if not value:
                    self.ctx.state.record(number, kind, "", None)
            else:
                self.ctx.state.record(number, kind, "", value)


def change_record(change: Change) -> dict[str, Any]:
    """What the ledger says of a change, whatever its outcome."""
    return {
        "number": change.number,
        "kind": change.kind,
        "key": change.key,
        "action": change.action,
        "before": change.before,
        "after": change.after,
        "reason": change.meta.get("reason"),
        "ticket": change.meta.get("ticket"),
    }


async def resolve_interrupted(context: ApplyContext) -> int:
    """Ledger the outcome of changes an earlier apply began and never recorded.

    A process stopped between sending a change and recording its outcome
    (killed, or its machine lost) leaves a started record alone. The number
    is read: the change either shows live, and was applied, or it does not.
    Returns how many records were resolved.
    """
    audit = context.ledger
    if audit is None:
        return 0
    open_records = audit.unresolved()
    for record in open_records:
        change = Change.from_dict({**record, "calls": []})
        live = await context.client.read(change.number, context.now)
        landed = context.converged(change, live)
        log.info(
            "%s %s: an interrupted apply's change %s",
            change.number,
            change.address,
            "had landed" if landed else "had not landed",
        )
        audit.append(
            {
                **{k: v for k, v in record.items() if k not in _CHAIN_FIELDS},
                "result": APPLIED if landed else NOT_APPLIED,
                "message": "outcome read after an interrupted apply",
                "started": record["hash"],
            }
        )
    return len(open_records)


def _state_value(change: Change) -> Any:
    return change.after


def _schedule(plan: Plan) -> list[tuple[str, list[Change]]]:
    """Numbers gaining a DNC first; in a number, contact creation first."""
    groups = plan.by_number()
    for number in plan.desired:
        groups.setdefault(number, [])

    def dnc_first(item: tuple[str, list[Change]]) -> tuple[int, str]:
        number, changes = item
        adds = any(c.kind == DNC and c.action in (CREATE, UPDATE) for c in changes)
        return (0 if adds else 1, number)

    def in_number(change: Change) -> int:
        if change.kind == CONTACT and change.action == CREATE:
            return 0
        return 1 if change.kind == DNC else 2

    ordered = sorted(groups.items(), key=dnc_first)
    return [(n, sorted(cs, key=in_number)) for n, cs in ordered]


def failed(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.result == FAILED]
