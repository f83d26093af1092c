"""Safety: thresholds per kind, --force, and refused plans shown in full."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Sandbox

THRESHOLDS = "thresholds:\n  dnc: {max_change_percent: 10, min_entries: 1}\n"


def _managed_then_two_dnc_updates(run: Any, workdir: Path) -> None:
    """Apply the example, then change two of its seven DNC expiries (28%)."""
    (workdir / "reconciler.yaml").write_text(THRESHOLDS)
    assert run("apply", workdir, "--auto-approve", "--allow-dnc-removal").code == 0
    dnc = workdir / "dnc.yaml"
    text = dnc.read_text().replace("2027-06-30", "2027-07-31")
    dnc.write_text(text.replace("2027-09-15T18:00", "2027-10-15T18:00"))


def test_refused_plan_renders_in_full_and_exits_3(run: Any, workdir: Path) -> None:
    _managed_then_two_dnc_updates(run, workdir)

    result = run("plan", workdir, "--detailed-exitcode")

    assert result.code == 3
    assert "Plan: 0 to create, 2 to update, 0 to delete." in result.out
    assert "~ dnc  until 2027-06-30T23:59:59+05:30 -> until 2027-07-31" in result.out
    assert "~ dnc  until 2027-09-15T18:00:00+05:30 -> until 2027-10-15" in result.out
    assert "Refused by a safety rule" in result.err
    assert "dnc: 2 updates and deletes touch 29% of 7 managed entries" in result.err


def test_refused_plan_says_why_in_json(run: Any, workdir: Path) -> None:
    _managed_then_two_dnc_updates(run, workdir)

    result = run("plan", workdir, "--format", "json")

    assert result.code == 3
    assert "limit 10%" in json.loads(result.out)["refused"][0]


def test_refused_apply_writes_nothing_and_force_applies(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    _managed_then_two_dnc_updates(run, workdir)
    writes = sandbox.writes()

    refused = run("apply", workdir, "--auto-approve")
    assert refused.code == 3
    assert "Plan: 0 to create, 2 to update, 0 to delete." in refused.out
    assert sandbox.writes() == writes

    forced = run("apply", workdir, "--auto-approve", "--force")
    assert forced.code == 0, forced.err
    assert sandbox.writes() == writes + 2


def test_saved_refused_plan_is_checked_again_at_apply(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    _managed_then_two_dnc_updates(run, workdir)
    out = workdir.parent / "plan.json"
    assert run("plan", workdir, "--out", out).code == 3
    writes = sandbox.writes()

    assert run("apply", out).code == 3
    assert sandbox.writes() == writes
    assert run("apply", out, "--force").code == 0
    assert sandbox.writes() == writes + 2


def test_a_dnc_made_to_end_sooner_needs_the_flag_to_apply(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    assert run("apply", workdir, "--auto-approve", "--allow-dnc-removal").code == 0
    dnc = workdir / "dnc.yaml"
    # A permanent DNC given a date, and a dated one moved later (which is fine).
    text = dnc.read_text().replace("until: permanent", "until: 2027-01-31", 1)
    dnc.write_text(text.replace("2027-06-30", "2027-07-31"))
    writes = sandbox.writes()

    planned = run("plan", workdir, "--format", "markdown")
    text = run("plan", workdir)
    refused = run("apply", workdir, "--auto-approve")

    assert planned.code == text.code == 0
    assert "ends 1 DNC entry sooner than now" in planned.out
    flag = "Apply needs --allow-dnc-removal: this plan ends 1 DNC entry sooner"
    assert flag in text.out
    assert refused.code == 3
    assert "the plan ends 1 DNC(s) sooner than now (+919876543210)" in refused.err
    assert sandbox.writes() == writes
    allowed = run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    assert allowed.code == 0, allowed.err
    assert sandbox.writes() == writes + 2
