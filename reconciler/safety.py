"""Safety rules a plan must pass before it is applied.

Like octoDNS's unsafe-plan check: too many updates and deletes of one kind
refuse the plan unless forced, and lifting a DNC (a legal control) needs its
own explicit flag on top of the reviewed `ensure: absent`.
"""

from __future__ import annotations

from reconciler.declarations import DNC
from reconciler.plan import DELETE, UPDATE, Plan
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
        lifts = [c.number for c in plan.changes if c.kind == DNC and c.action == DELETE]
        if lifts:
            reasons.append(
                f"the plan lifts {len(lifts)} DNC(s) ({', '.join(lifts[:5])}"
                f"{', …' if len(lifts) > 5 else ''}); pass --allow-dnc-removal "
                "to apply it"
            )
    return reasons


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
