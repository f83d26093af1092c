"""The essence of one directory entry: what counts when comparing.

Live answers, the state's last-applied values and the declarations are all
brought to this one form (E.164 numbers, expiries as instants, lapsed values
as absent, lists as sets, empty as absent) so that comparing them yields only
real differences, and a plan computed right after an apply is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler import contract, expiry, numbers
from reconciler.declarations import StickyKey, StickyValue


@dataclass(slots=True)
class Essence:
    """One number's directory entry as far as reconciler manages it."""

    exists: bool = False
    dnc: int | None = None
    sticky: dict[StickyKey, StickyValue] = field(default_factory=dict)
    manager: str | None = None
    contact: dict[str, str] = field(default_factory=dict)
    blacklist: frozenset[str] = frozenset()

    def fingerprint(self) -> str:
        """A stable text of the essence, to tell whether it changed."""
        rules = sorted(
            f"{k.encode()}={v.agent}@{v.until}" for k, v in self.sticky.items()
        )
        contact = sorted(f"{k}={v}" for k, v in self.contact.items())
        return ";".join(
            [
                f"exists={int(self.exists)}",
                f"dnc={self.dnc}",
                "sticky=" + ",".join(rules),
                f"manager={self.manager}",
                "contact=" + ",".join(contact),
                "blacklist=" + ",".join(sorted(self.blacklist)),
            ]
        )


def from_api(data: dict[str, Any], now: int, region: str) -> Essence:
    """Fold a getInfo answer (field "all") into an Essence."""
    return Essence(
        exists=True,
        dnc=_dnc(data.get("dnc"), now),
        sticky=_sticky_rules(data.get("sticky") or [], now, region),
        manager=_text(data.get("AcManId")),
        contact=_contact(data.get("contactinfo") or {}),
        blacklist=frozenset(
            numbers.from_wire(did, region) for did in data.get("blacklist") or []
        ),
    )


def _dnc(value: Any, now: int) -> int | None:
    try:
        code = int(value)
    except (TypeError, ValueError):
        return None
    # A lapsed expiry means "no DNC", just as 0 does.
    return code if expiry.is_active(code, now) else None


def _sticky_rules(
    rules: list[dict[str, Any]], now: int, region: str
) -> dict[StickyKey, StickyValue]:
    result: dict[StickyKey, StickyValue] = {}
    for rule in rules:
        until = int(rule.get("expiry", contract.STICKY_NEVER))
        if not expiry.is_active(until, now):
            continue
        cli = rule.get("cli")
        key = StickyKey(
            scope=str(rule.get("type")),
            cli=numbers.from_wire(cli, region) if cli else None,
            group=_text(rule.get("groupid")),
        )
        result[key] = StickyValue(agent=str(rule.get("agentId", "")), until=until)
    return result


def _contact(info: dict[str, Any]) -> dict[str, str]:
    return {
        name: str(info[name])
        for name in contract.CONTACT_FIELDS
        if info.get(name) not in (None, "")
    }


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)
