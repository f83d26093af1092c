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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler import contract
from reconciler.client import DirectoryClient
from reconciler.declarations import CONTACT, DNC, STICKY
from reconciler.errors import ApiError, ApiResponseError, TransportError
from reconciler.essence import Essence
from reconciler.ledger import Ledger
from reconciler.plan import CREATE, UPDATE, ApiCall, Change, Plan
from reconciler.state import State

log = logging.getLogger(__name__)

APPLIED = "applied"
FAILED = "failed"
SKIPPED = "skipped"

# How many times a write with an unknown outcome is checked and sent again.
UNKNOWN_OUTCOME_ROUNDS = 5


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
            outcome = await self._apply_change(change)
            self._record(outcome)
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
        """Send one call; after an unknown outcome, read before sending again."""
        client = self.ctx.client
        attempts = client.retry.attempts
        for attempt in range(1, attempts + 1):
            try:
                await client.call(call.action, call.params, number=change.number)
                return
            except ApiResponseError as exc:
                if not exc.transient:
                    await self._recover(change, call, exc)
                    return
                failure: ApiError = exc
            except TransportError as exc:
                if not exc.transient:
                    raise
                failure = exc

            # The request may have landed: look before sending it again.
            if await self._landed(change, failure):
                return
            if attempt == attempts:
                raise failure
            await asyncio.sleep(client.backoff(attempt))

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

    def _record(self, outcome: Outcome) -> None:
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
                    "number": change.number,
                    "kind": change.kind,
                    "key": change.key,
                    "action": change.action,
                    "before": change.before,
                    "after": change.after,
                    "result": outcome.result,
                    "code": outcome.code,
                    "message": outcome.message or None,
                    "reason": change.meta.get("reason"),
                    "ticket": change.meta.get("ticket"),
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
