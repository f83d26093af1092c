"""Safety rules a plan must pass before it is applied.

Like octoDNS's unsafe-plan check: too many updates and deletes of one kind
refuse the plan unless forced, and lifting a DNC (a legal control) needs its
own explicit flag on top of the reviewed `ensure: absent`. So does ending a
DNC sooner than it ends now (a permanent one given a date, a date moved
earlier): protection that lapses in an hour is a lift in all but name.
"""

from __future__ import annotations

from typing import Any

from reconciler import expiry
from reconciler.declarations import DNC
from reconciler.plan import DELETE, UPDATE, Change, Plan
from reconciler.settings import Settings
from reconciler.state import KEYED_KINDS, State


def managed_counts(state: State) -> dict[str, int]:
    """How many entries of each kind the state manages."""
    counts: dict[str, int] = {}
    for kinds in state.numbers.values():
        for kind, value in kinds.items():
            size = len(value) if kind in KEYED_KINDS else 1
            counts[kind] = counts.get(kind, 0) + size
    return counts


def check(
    plan: Plan,
    state: State,
    settings: Settings,
    *,
    force: bool = False,
    allow_dnc_removal: bool = False,
) -> list[str]:
    """Reasons to refuse ``plan``; empty when it may be applied."""
    reasons: list[str] = []
    if not force:
        reasons += _threshold_reasons(plan, state, settings)
    if not allow_dnc_removal:
        lifts = dnc_lifts(plan)
        if lifts:
            reasons.append(
                f"the plan lifts {len(lifts)} DNC(s) ({_some(lifts)}); "
                "pass --allow-dnc-removal to apply it"
            )
        shortened = dnc_shortenings(plan)
        if shortened:
            reasons.append(
                f"the plan ends {len(shortened)} DNC(s) sooner than now "
                f"({_some(shortened)}); pass --allow-dnc-removal to apply it"
            )
    return reasons


def dnc_lifts(plan: Plan) -> list[str]:
    """The numbers whose DNC the plan lifts."""
    return [c.number for c in plan.changes if c.kind == DNC and c.action == DELETE]


def dnc_shortenings(plan: Plan) -> list[str]:
    """The numbers whose DNC the plan makes end sooner than it ends now."""
    return [c.number for c in plan.changes if _shortens_dnc(c)]


def _shortens_dnc(change: Change) -> bool:
    if change.kind != DNC or change.action != UPDATE:
        return False
    return _end(change.after) < _end(change.before)


def _end(until: Any) -> float:
    """An expiry as the instant it ends, permanent as never."""
    return float("inf") if until == expiry.PERMANENT else float(until)


def _some(numbers: list[str]) -> str:
    return ", ".join(numbers[:5]) + (", …" if len(numbers) > 5 else "")


def _threshold_reasons(plan: Plan, state: State, settings: Settings) -> list[str]:
    reasons = []
    managed = managed_counts(state)
    for kind, counts in sorted(plan.counts_by_kind().items()):
        threshold = settings.threshold(kind)
        existing = managed.get(kind, 0)
        if existing < threshold.min_entries:
            continue
        touched = counts[UPDATE] + counts[DELETE]
        percent = 100.0 * touched / existing
        if percent > threshold.max_change_percent:
            reasons.append(
                f"{kind}: {touched} updates and deletes touch {percent:.0f}% of "
                f"{existing} managed entries (limit "
                f"{threshold.max_change_percent:g}%); pass --force to apply"
            )
    return reasons
