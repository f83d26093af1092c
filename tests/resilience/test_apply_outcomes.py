"""Apply against a scripted server: retry bounds, read-back failures, ledger.

A handler function plays the DeepCall API, so that each test says exactly
which answer each request gets.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from reconciler import declarations, ledger, settings, workflow
from reconciler.client import DirectoryClient, RetryPolicy
from reconciler.commands.apply import print_report
from reconciler.state import State

NUMBER = "+919876543210"
WIRE = "919876543210"
QUICK = RetryPolicy(attempts=4, total_seconds=30, initial=0.001, maximum=0.002)
Handler = Callable[[str, dict[str, object]], httpx.Response]


def _ok(data: object = None) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "code": 200, "data": data})


def _no_entry() -> httpx.Response:
    return httpx.Response(
        200, json={"status": "error", "message": "No data found", "code": 1012}
    )


def _entry(dnc: int) -> httpx.Response:
    return _ok(
        {"contact": WIRE, "contactinfo": {}, "dnc": dnc, "blacklist": [], "sticky": []}
    )


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "directory"
    folder.mkdir()
    (folder / "dnc.yaml").write_text(
        f'version: 1\ndnc:\n  - number: "{NUMBER}"\n    until: permanent\n'
    )
    return folder


def _apply(folder: Path, handler: Handler) -> tuple[workflow.ApplyReport, Counter[str]]:
    sent: Counter[str] = Counter()

    def transport(request: httpx.Request) -> httpx.Response:
        action = request.url.path.rsplit("/", 1)[-1]
        sent[action] += 1
        return handler(action, json.loads(request.content))

    config = settings.Settings(root=folder, parallelism=4)
    now = int(time.time())
    declared = declarations.load([folder], config, now)
    state = State.read(folder / ".reconciler" / "state.json")

    async def run() -> workflow.ApplyReport:
        async with DirectoryClient(
            "http://deepcall.test",
            settings.Credentials.sandbox_default(),
            retry=QUICK,
            transport=httpx.MockTransport(transport),
        ) as client:
            plan = await workflow.refresh_plan(declared, state, client, config, now)
            return await workflow.execute(plan, state, client, config, now)

    report = asyncio.run(run())
    state.close_journal()
    return report, sent


def test_a_throttled_write_is_sent_at_most_attempts_times(tmp_path: Path) -> None:
    def handler(action: str, body: dict[str, object]) -> httpx.Response:
        if action == "setDnc":
            return httpx.Response(429, headers={"Retry-After": "0"})
        return _no_entry()

    report, sent = _apply(_folder(tmp_path), handler)

    assert [o.result for o in report.outcomes] == ["failed"]
    assert sent["setDnc"] == QUICK.attempts


def test_a_write_whose_answer_is_lost_is_sent_again_only_if_it_did_not_land(
    tmp_path: Path,
) -> None:
    landed = {"dnc": 0}

    def handler(action: str, body: dict[str, object]) -> httpx.Response:
        if action == "setDnc":
            landed["dnc"] = -1
            return httpx.Response(503)
        return _entry(landed["dnc"]) if landed["dnc"] else _no_entry()

    report, sent = _apply(_folder(tmp_path), handler)

    assert report.ok
    assert sent["setDnc"] == 1


def test_a_failed_read_back_reports_every_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reads = Counter[str]()

    def handler(action: str, body: dict[str, object]) -> httpx.Response:
        if action == "setDnc":
            return _ok({"contact": WIRE, "dnc": -1})
        reads[action] += 1
        # The plan's read sees no entry; every read after the write fails.
        return _no_entry() if reads[action] == 1 else httpx.Response(503)

    report, _ = _apply(_folder(tmp_path), handler)
    print_report(report)

    assert [o.result for o in report.outcomes] == ["applied"]
    assert [c.number for c in report.unconverged] == [NUMBER]
    assert not report.ok
    out = capsys.readouterr().out
    assert "did not converge" in out
    assert "Apply complete: 1 failed." in out


def test_every_change_is_ledgered_before_it_is_sent(tmp_path: Path) -> None:
    ledger_path = tmp_path / "directory" / ".reconciler" / "ledger.jsonl"
    seen_in_ledger: list[list[str]] = []

    def handler(action: str, body: dict[str, object]) -> httpx.Response:
        if action == "setDnc":
            lines = ledger_path.read_text().splitlines()
            seen_in_ledger.append([json.loads(line)["result"] for line in lines])
            return _ok({"contact": WIRE, "dnc": -1})
        return _no_entry() if not seen_in_ledger else _entry(-1)

    report, _ = _apply(_folder(tmp_path), handler)

    assert report.ok
    assert seen_in_ledger == [["started"]]
    records = [json.loads(line) for line in ledger_path.read_text().splitlines()]
    assert [r["result"] for r in records] == ["started", "applied"]
    assert records[1]["started"] == records[0]["hash"]
    assert ledger.verify(ledger_path) == []


def test_a_change_an_interrupted_apply_left_open_is_resolved_by_reading(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path)
    audit = ledger.Ledger(folder / ".reconciler" / "ledger.jsonl")
    audit.append(
        {
            "number": NUMBER,
            "kind": "dnc",
            "key": "",
            "action": "create",
            "before": None,
            "after": -1,
            "result": "started",
        }
    )

    def handler(action: str, body: dict[str, object]) -> httpx.Response:
        return _entry(-1)  # the interrupted write had landed

    report, sent = _apply(folder, handler)

    records = [json.loads(line) for line in audit.path.read_text().splitlines()]
    assert sent["setDnc"] == 0
    assert report.ok
    assert [r["result"] for r in records] == ["started", "applied"]
    assert records[1]["message"] == "outcome read after an interrupted apply"
    assert audit.unresolved() == []
    assert ledger.verify(audit.path) == []
