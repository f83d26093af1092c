"""Injected faults, each as a client sees it, with a fixed seed."""

from __future__ import annotations

import time

import httpx
import pytest

from reconciler import contract

from .conftest import AUTH, Api

GET_DNC = contract.PATHS["getDnc"]
SET_DNC = contract.PATHS["setDnc"]


def _statuses(client: httpx.Client, count: int, number: str) -> list[int]:
    body = {**AUTH, "contact": number}
    return [client.post(GET_DNC, json=body).status_code for _ in range(count)]


def test_error_rate_answers_a_share_with_5xx_repeatably(api: Api, number: str) -> None:
    api.faults(error_rate=0.3, seed=7)
    first = _statuses(api.client, 100, number)
    api.faults(error_rate=0.3, seed=7)
    second = _statuses(api.client, 100, number)

    errors = [status for status in first if status != 200]
    assert first == second
    assert 15 <= len(errors) <= 45
    assert set(errors) <= {500, 502, 503} and len(set(errors)) >= 2


def test_faulted_write_is_not_applied_and_is_counted(api: Api, number: str) -> None:
    seq = api.client.post("/_sandbox/reset-stats").json()["seq"]
    api.faults(error_rate=1.0, seed=1)
    response = api.client.post(SET_DNC, json={**AUTH, "contact": number, "dnc": -1})
    assert response.status_code in (500, 502, 503)

    api.faults()
    assert api.error("getDnc", contact=number) == 1012
    stats = api.client.get("/_sandbox/stats").json()
    assert stats["setDnc"] == {
        "requests": 1,
        "ok": 0,
        "errors": 0,
        "faults": 1,
        "writes": 0,
    }
    log = api.client.get(f"/_sandbox/requests?since={seq}").json()["requests"]
    assert (log[0]["outcome"], log[0]["code"], log[0]["contact"]) == (
        "server_error",
        response.status_code,
        number,
    )


@pytest.mark.parametrize(("retry_after", "header"), [(1.0, "1"), (0.05, "0.05")])
def test_throttle_answers_429_with_retry_after(
    api: Api, number: str, retry_after: float, header: str
) -> None:
    api.faults(throttle_rate=1.0, retry_after=retry_after, seed=3)
    response = api.client.post(SET_DNC, json={**AUTH, "contact": number, "dnc": -1})

    assert response.status_code == 429
    assert response.headers["Retry-After"] == header
    api.faults()
    assert api.error("getDnc", contact=number) == 1012


def test_rate_limit_throttles_beyond_requests_per_second(api: Api, number: str) -> None:
    api.faults(rate_limit=5, retry_after=0.5)
    statuses = _statuses(api.client, 12, number)

    assert statuses.count(429) >= 6
    assert statuses[:5] == [200] * 5
    response = api.client.post(GET_DNC, json={**AUTH, "contact": number})
    assert response.headers.get("Retry-After") == "0.5"


def test_hang_outlasts_the_client_timeout_and_is_not_applied(
    api: Api, number: str
) -> None:
    api.faults(hang_rate=1.0, hang_seconds=5, seed=2)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        api.client.post(
            SET_DNC, json={**AUTH, "contact": number, "dnc": -1}, timeout=0.3
        )
    assert time.monotonic() - started < 2

    api.faults()
    assert api.error("getDnc", contact=number) == 1012


def test_hang_shorter_than_timeout_ends_in_504(api: Api, number: str) -> None:
    api.faults(hang_rate=1.0, hang_seconds=0.2)
    started = time.monotonic()
    response = api.client.post(GET_DNC, json={**AUTH, "contact": number})

    assert response.status_code == 504
    assert time.monotonic() - started >= 0.2


def test_drop_closes_the_connection_without_a_response(api: Api, number: str) -> None:
    api.faults(drop_rate=1.0, seed=4)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.client.post(SET_DNC, json={**AUTH, "contact": number, "dnc": -1})

    api.faults()
    assert api.error("getDnc", contact=number) == 1012


def test_ambiguous_drop_applies_the_write_then_drops(api: Api, number: str) -> None:
    seq = api.client.post("/_sandbox/reset-stats").json()["seq"]
    api.faults(ambiguous_rate=1.0, seed=5)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.client.post(SET_DNC, json={**AUTH, "contact": number, "dnc": -1})

    # Reads are never ambiguous: the write is visible at once.
    assert api.ok("getDnc", contact=number) == {"contact": number, "dnc": -1}
    log = api.client.get(f"/_sandbox/requests?since={seq}").json()["requests"]
    assert [(r["action"], r["outcome"], r["changed"]) for r in log] == [
        ("setDnc", "ambiguous_drop", True),
        ("getDnc", "ok", False),
    ]


def test_ambiguous_hang_applies_the_write_then_hangs(api: Api, number: str) -> None:
    api.faults(ambiguous_rate=1.0, ambiguous_kind="hang", hang_seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        api.client.post(
            SET_DNC, json={**AUTH, "contact": number, "dnc": -1}, timeout=0.3
        )

    api.faults()
    assert api.ok("getDnc", contact=number)["dnc"] == -1


def test_latency_delays_every_answer_and_log_keeps_arrival_time(
    api: Api, number: str
) -> None:
    seq = api.client.post("/_sandbox/reset-stats").json()["seq"]
    api.faults(latency_ms=150, jitter_ms=50, seed=9)
    sent, started = time.time(), time.monotonic()
    api.error("getDnc", contact=number)
    assert time.monotonic() - started >= 0.15

    log = api.client.get(f"/_sandbox/requests?since={seq}").json()["requests"]
    assert log[0]["time"] - sent < 0.1


def test_admin_endpoints_are_never_faulted(api: Api) -> None:
    api.faults(drop_rate=1.0)
    assert api.client.get("/_sandbox/stats").status_code == 200
    assert api.client.get("/_sandbox/faults").json()["drop_rate"] == 1.0


def test_fault_settings_are_validated(api: Api) -> None:
    for bad in ({"error_rate": 2}, {"bogus": 1}, {"error_rate": 0.6, "drop_rate": 0.6}):
        response = api.client.put("/_sandbox/faults", json=bad)
        assert response.status_code == 400, bad
        assert "error" in response.json()
    assert api.client.put("/_sandbox/faults", content=b"nope").status_code == 400
    for text in (b'{"latency_ms": 1e999}', b'{"latency_ms": "100"}'):
        response = api.client.put("/_sandbox/faults", content=text)
        assert response.status_code == 400, text
    assert api.client.get("/_sandbox/faults").status_code == 200


def test_patch_merges_fault_settings(api: Api) -> None:
    api.faults(latency_ms=5, seed=11)
    merged = api.client.patch("/_sandbox/faults", json={"error_rate": 0.1}).json()
    assert (merged["latency_ms"], merged["error_rate"], merged["seed"]) == (5, 0.1, 11)
