"""`reconciler drift` against the sandbox: which side moved since the apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Call, Sandbox

KAVYA = "919876500003"  # managed for its account manager only


def _applied(run: Any, workdir: Path) -> None:
    result = run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    assert result.code == 0, result.err


def _set_manager_in_git(workdir: Path, old: str, new: str) -> None:
    path = workdir / "account_managers.yaml"
    path.write_text(path.read_text().replace(f'"{old}"', f'"{new}"'))


def test_no_drift_right_after_apply(run: Any, workdir: Path) -> None:
    _applied(run, workdir)

    result = run("drift", workdir)

    assert result.code == 0
    assert "No drift" in result.out


def test_drift_sends_only_reads(run: Any, workdir: Path, sandbox: Sandbox) -> None:
    _applied(run, workdir)
    writes = sandbox.writes()

    run("drift", workdir)

    assert sandbox.writes() == writes


def test_live_change_is_reported_as_changed_live(
    run: Any, workdir: Path, live: Call
) -> None:
    _applied(run, workdir)
    live("setAM", contact=KAVYA, AcManId="AM-99")

    result = run("drift", workdir)

    assert result.code == 2
    assert "# +919876500003" in result.out
    assert (
        "~ account_managers  changed live: declared 'AM-17', applied 'AM-17', "
        "live 'AM-99'" in result.out
    )


def test_declaration_change_is_reported_as_changed_in_git(
    run: Any, workdir: Path
) -> None:
    _applied(run, workdir)
    _set_manager_in_git(workdir, "AM-17", "AM-18")

    result = run("drift", workdir, "--format", "json")

    assert result.code == 2
    data = json.loads(result.out)
    assert data["summary"] == {"live": 0, "git": 1, "both": 0, "candidates": 0}
    [change] = data["changes"]
    assert change["number"] == "+919876500003"
    assert change["side"] == "git"
    assert (change["declared"], change["applied"], change["live"]) == (
        "AM-18",
        "AM-17",
        "AM-17",
    )


def test_change_on_both_sides_is_reported_as_both(
    run: Any, workdir: Path, live: Call
) -> None:
    _applied(run, workdir)
    _set_manager_in_git(workdir, "AM-17", "AM-18")
    live("setAM", contact=KAVYA, AcManId="AM-99")

    result = run("drift", workdir, "--format", "json")

    [change] = json.loads(result.out)["changes"]
    assert change["side"] == "both"
    assert change["converged"] is False


def test_live_sticky_rule_on_a_managed_number_is_drift(
    run: Any, workdir: Path, live: Call
) -> None:
    _applied(run, workdir)
    rule = {"type": "cli", "cli": "08045678902", "agentId": "1079", "expiry": -1}
    live("setSticky", contact="919886044556", **rule)

    result = run("drift", workdir)

    assert result.code == 2
    assert "~ sticky_agents[cli cli=+918045678902]  changed live" in result.out


def test_undeclared_live_dnc_is_a_candidate_never_planned_for_removal(
    run: Any, workdir: Path, live: Call
) -> None:
    _applied(run, workdir)
    live("setDnc", contact=KAVYA, dnc=-1)

    drift = run("drift", workdir, "--format", "json")
    plan = run("plan", workdir, "--format", "json", "--detailed-exitcode")

    assert drift.code == 2
    data = json.loads(drift.out)
    assert data["changes"] == []
    assert data["candidates"] == [
        {"number": "+919876500003", "kind": "dnc", "live": -1}
    ]
    assert plan.code == 0
    assert json.loads(plan.out)["changes"] == []


def test_candidate_is_shown_with_the_command_that_adopts_it(
    run: Any, workdir: Path, live: Call
) -> None:
    _applied(run, workdir)
    live("setDnc", contact=KAVYA, dnc=-1)

    result = run("drift", workdir)

    assert "Candidates to adopt" in result.out
    assert "+ +919876500003 dnc  until permanent" in result.out
    assert "reconciler import +919876500003" in result.out


def test_markdown_lists_each_drift_in_a_table(
    run: Any, workdir: Path, live: Call
) -> None:
    _applied(run, workdir)
    live("setAM", contact=KAVYA, AcManId="AM-99")

    result = run("drift", workdir, "--format", "markdown")

    assert result.code == 2
    assert result.out.startswith("### reconciler drift\n")
    assert (
        "| `+919876500003` | `account_managers` | changed live | 'AM-17' | "
        "'AM-17' | 'AM-99' |" in result.out
    )


def test_never_applied_declarations_are_pending_not_drift(
    run: Any, workdir: Path
) -> None:
    result = run("drift", workdir, "--format", "json")

    data = json.loads(result.out)
    assert result.code == 2
    assert {c["side"] for c in data["changes"]} == {"git"}
    numbers = {c["number"] for c in data["changes"]}
    assert "+919876543210" not in numbers  # declared as it is live
