"""Counters and the request log under /_sandbox/."""

from __future__ import annotations

import json

from reconciler import contract
from reconciler.sandbox.monitor import Monitor

from .conftest import Api


def _reset(api: Api) -> int:
    seq: int = api.client.post("/_sandbox/reset-stats").json()["seq"]
    return seq


def test_stats_count_requests_outcomes_and_real_writes(api: Api, number: str) -> None:
    _reset(api)
    api.ok("setDnc", contact=number, dnc=-1)
    api.ok("setDnc", contact=number, dnc=-1)  # same value: no write
    api.error("setDnc", contact=number, dnc=1)
    api.ok("getDnc", contact=number)

    stats = api.client.get("/_sandbox/stats").json()
    assert stats == {
        "getDnc": {"requests": 1, "ok": 1, "errors": 0, "faults": 0, "writes": 0},
        "setDnc": {"requests": 3, "ok": 2, "errors": 1, "faults": 0, "writes": 1},
    }


def test_sticky_and_blacklist_writes_count_only_changes(api: Api, number: str) -> None:
    _reset(api)
    rule = {"contact": number, "type": "all", "agentId": "1077", "expiry": -1}
    for _ in range(2):
        api.ok("setSticky", **rule)
        api.ok("Blacklist", contact=number, DID=["08045678901"])
        api.ok("setAM", contact=number, AcManId="AM-1")
    api.ok("removeSticky", contact=number, type="all")
    api.ok("removeSticky", contact=number, type="all")
    api.ok("unsetAm", contact=number)
    api.ok("unsetAm", contact=number)

    stats = api.client.get("/_sandbox/stats").json()
    assert {action: row["writes"] for action, row in stats.items()} == {
        "setSticky": 1,
        "Blacklist": 1,
        "setAM": 1,
        "removeSticky": 1,
        "unsetAm": 1,
    }


def test_request_log_pages_by_seq(api: Api, number: str) -> None:
    start = _reset(api)
    api.ok("setDnc", contact=f"+{number}", dnc=-1)
    api.error("getInfo", cn="123")
    api.ok("groupList")

    page = api.client.get(f"/_sandbox/requests?since={start}&limit=2").json()
    assert [r["seq"] for r in page["requests"]] == [start + 1, start + 2]
    assert page["last_seq"] == start + 3
    first, second = page["requests"]
    assert {
        k: first[k] for k in ("action", "contact", "outcome", "code", "changed")
    } == {
        "action": "setDnc",
        "contact": number,
        "outcome": "ok",
        "code": 200,
        "changed": True,
    }
    assert (second["outcome"], second["code"], second["contact"]) == (
        "error",
        1005,
        None,
    )

    rest = api.client.get(f"/_sandbox/requests?since={start + 2}").json()["requests"]
    assert [(r["action"], r["contact"]) for r in rest] == [("groupList", None)]


def test_request_log_holds_no_credentials(api: Api, number: str) -> None:
    start = _reset(api)
    api.ok("setDnc", contact=number, dnc=-1)
    api.post("setDnc", auth={"ssid": contract.SANDBOX_SSID}, contact=number, dnc=-1)

    text = json.dumps(api.client.get(f"/_sandbox/requests?since={start}").json())
    for secret in (contract.SANDBOX_TOKEN, contract.SANDBOX_SSID):
        assert secret not in text


def test_request_log_rejects_bad_paging(api: Api) -> None:
    assert api.client.get("/_sandbox/requests?since=x").status_code == 400


def test_health(api: Api) -> None:
    assert api.client.get("/_sandbox/health").json() == {"status": "ok"}


def test_log_is_a_bounded_ring_with_continuing_seq() -> None:
    monitor = Monitor(log_size=3)
    for index in range(5):
        monitor.record("getDnc", str(index), result="ok", code=200)

    records, last = monitor.since(0, 10)
    assert [r.seq for r in records] == [3, 4, 5] and last == 5
    assert [r.seq for r in monitor.since(4, 10)[0]] == [5]
    assert monitor.reset() == 5
    assert monitor.since(0, 10) == ([], 5)
    assert monitor.stats() == {}
