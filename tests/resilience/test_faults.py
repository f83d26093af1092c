"""Apply survives a hostile sandbox: errors, throttling, hangs, lost answers.

These go through real HTTP on loopback. Backoff is shortened so that the
suite stays quick; the behaviour under test is the same.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import declarations, settings, workflow
from reconciler.client import DirectoryClient, RetryPolicy
from reconciler.endpoint import Endpoint
from reconciler.sandbox import EmbeddedSandbox
from reconciler.state import State

FAST_RETRY = RetryPolicy(
    attempts=40, total_seconds=60, initial=0.01, maximum=0.2, jitter=0.02
)


def _stats(base_url: str) -> dict[str, dict[str, int]]:
    data: dict[str, dict[str, int]] = httpx.get(f"{base_url}/_sandbox/stats").json()
    return data


def _set_faults(base_url: str, **faults: Any) -> None:
    httpx.patch(f"{base_url}/_sandbox/faults", json=faults).raise_for_status()


async def _plan_and_apply(
    base_url: str, folder: Path, state_path: Path, **client_options: Any
) -> tuple[int, workflow.ApplyReport, int]:
    config = settings.Settings(root=folder, parallelism=32)
    now = int(time.time())
    declared = declarations.load([folder], config, now)
    state = State.read(state_path)
    endpoint = Endpoint(base_url, settings.Credentials.sandbox_default(), True)
    options = {"timeout": 0.3, "parallelism": 32, "retry": FAST_RETRY}
    options.update(client_options)
    async with DirectoryClient(
        endpoint.base_url, endpoint.credentials, **options
    ) as client:
        plan = await workflow.refresh_plan(declared, state, client, config, now)
        report = await workflow.execute(plan, state, client, config, now)
        state.write()
        after = await workflow.refresh_plan(declared, state, client, config, now)
    return len(plan.changes), report, len(after.changes)


@pytest.fixture
def hostile(tmp_path: Path) -> Any:
    with EmbeddedSandbox(tmp_path / "sandbox.db") as sandbox:
        yield sandbox


def test_apply_converges_through_errors_throttling_and_hangs(
    hostile: EmbeddedSandbox, big_directory: Path, tmp_path: Path
) -> None:
    _set_faults(
        hostile.base_url,
        error_rate=0.20,
        throttle_rate=0.10,
        retry_after=0.05,
        hang_rate=0.05,
        hang_seconds=1.0,
        seed=11,
    )

    planned, report, left = asyncio.run(
        _plan_and_apply(hostile.base_url, big_directory, tmp_path / "state.json")
    )

    stats = _stats(hostile.base_url)["setDnc"]
    assert planned == 2000
    assert report.ok, [o.message for o in report.outcomes if o.result != "applied"]
    assert stats["writes"] == 2000  # nothing lost
    assert stats["ok"] == 2000  # nothing applied twice
    assert stats["faults"] > 0
    assert left == 0


def test_unknown_outcome_is_read_before_it_is_sent_again(
    hostile: EmbeddedSandbox, big_directory: Path, tmp_path: Path
) -> None:
    _set_faults(hostile.base_url, ambiguous_rate=0.25, seed=5)

    # Answers are dropped, not delayed: no request needs to time out, and a
    # long timeout keeps a busy machine from making one look lost.
    planned, report, left = asyncio.run(
        _plan_and_apply(
            hostile.base_url, big_directory, tmp_path / "state.json", timeout=10
        )
    )

    stats = _stats(hostile.base_url)["setDnc"]
    assert report.ok
    assert stats["writes"] == planned == 2000
    # A write that landed but whose answer was lost is never sent again.
    assert stats["requests"] == 2000
    assert left == 0


def test_parallelism_bounds_requests_in_flight(
    hostile: EmbeddedSandbox, big_directory: Path, tmp_path: Path
) -> None:
    _set_faults(hostile.base_url, latency_ms=20)

    asyncio.run(
        _plan_and_apply(
            hostile.base_url, big_directory, tmp_path / "state.json", parallelism=8
        )
    )

    log = httpx.get(f"{hostile.base_url}/_sandbox/requests?limit=1000000").json()
    assert _max_in_flight(log["requests"], 0.020) <= 8


def test_rate_bounds_requests_per_second(
    hostile: EmbeddedSandbox, tmp_path: Path
) -> None:
    from tests.resilience.conftest import write_directory

    folder = tmp_path / "small"
    write_directory(folder, 150)

    asyncio.run(
        _plan_and_apply(hostile.base_url, folder, tmp_path / "state.json", rate=100)
    )

    times = sorted(
        r["time"]
        for r in httpx.get(f"{hostile.base_url}/_sandbox/requests").json()["requests"]
    )
    assert len(times) >= 450
    # Two seconds' worth: the limiter's burst of a twentieth of a second plus
    # 5% for requests that the loopback server logs in clumps.
    assert _max_in_window(times, 2.0) <= 2 * 100 + 5 + 10


def _max_in_flight(records: list[dict[str, Any]], latency: float) -> int:
    """Requests whose service overlapped, from the log's arrival times."""
    times = sorted(r["time"] for r in records)
    return _max_in_window(times, latency * 0.9)


def _max_in_window(times: list[float], window: float) -> int:
    best = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
