"""End to end: the CLI against the sandbox over real HTTP on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from tests.conftest import Sandbox


def _edit(path: Path, section: str, keep: Any) -> None:
    """Keep only the entries of ``section`` for which ``keep(entry)`` is true."""
    text = path.read_text()
    data = yaml.safe_load(text)
    data[section] = [e for e in data[section] if keep(e)]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_first_plan_shows_creates_updates_and_deletes(run: Any, workdir: Path) -> None:
    result = run("plan", workdir, "--detailed-exitcode")

    assert result.code == 2
    assert "Plan: 6 to create, 3 to update, 2 to delete." in result.out
    assert "~ dnc" in result.out
    assert "- sticky_agents[cli cli=+918045678902]" in result.out
    assert "~ account_managers  'AM-09' -> 'AM-17'" in result.out


def test_plan_sends_only_reads(run: Any, workdir: Path, sandbox: Sandbox) -> None:
    run("plan", workdir)

    assert sandbox.writes() == 0
    assert sandbox.stats()["getInfo"]["requests"] == 13


def test_apply_then_plan_is_empty(run: Any, workdir: Path, sandbox: Sandbox) -> None:
    applied = run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    assert applied.code == 0, applied.err
    assert "Apply complete: 11 applied." in applied.out
    assert sandbox.writes() == 11

    again = run("plan", workdir, "--detailed-exitcode")
    assert again.code == 0
    assert "No changes." in again.out


def test_dnc_lift_needs_its_own_flag(run: Any, workdir: Path, sandbox: Sandbox) -> None:
    result = run("apply", workdir, "--auto-approve")

    assert result.code == 3
    assert "--allow-dnc-removal" in result.err
    assert sandbox.writes() == 0


def test_removed_sticky_and_manager_are_deleted(run: Any, workdir: Path) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    _edit(
        workdir / "sticky_agents.yaml", "sticky_agents", lambda e: e["agent"] != "1077"
    )
    _edit(
        workdir / "account_managers.yaml",
        "account_managers",
        lambda e: e["manager"] != "AM-17",
    )

    result = run("plan", workdir)

    assert "- sticky_agents[cli cli=+918045678901]" in result.out
    assert "- sticky_agents[cli_group cli=+918045678901 group=12]" in result.out
    assert "- account_managers  'AM-17'" in result.out
    assert "Plan: 0 to create, 0 to update, 3 to delete." in result.out


def test_removed_dnc_line_leaves_the_dnc_in_place(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    _edit(workdir / "dnc.yaml", "dnc", lambda e: "98450 12345" not in e["number"])

    plan = run("plan", workdir, "--detailed-exitcode")
    assert plan.code == 0
    assert "+919845012345 dnc: no longer declared" in plan.out

    run("apply", workdir, "--auto-approve")
    state = json.loads((workdir / ".reconciler" / "state.json").read_text())
    assert "+919845012345" not in state["numbers"]
    live = _get_info(sandbox, "919845012345")
    assert live["dnc"] == -1


def test_api_error_surfaces_with_its_code(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    (workdir / "bad_cli.yaml").write_text(
        "sticky_agents:\n"
        '  - number: "+91 98450 99999"\n'
        '    agent: "1077"\n'
        "    scope: cli\n"
        '    cli: "08011112222"\n'
    )

    result = run("apply", workdir, "--auto-approve", "--allow-dnc-removal")

    assert result.code == 1
    assert "failed   +919845099999 sticky_agents[cli cli=+918011112222]" in result.out
    assert "(code 1505)" in result.out
    assert "Apply complete: 11 applied, 1 failed." in result.out


def test_bad_declaration_is_located_and_nothing_is_sent(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    (workdir / "broken.yaml").write_text(
        "dnc:\n  - number: 919845012399\n    until: permanent\n"
    )

    result = run("apply", workdir, "--auto-approve", "--allow-dnc-removal")

    assert result.code == 1
    assert f"{workdir / 'broken.yaml'}:2:13: error: number 919845012399" in result.err
    assert "quote phone numbers" in result.err
    assert sandbox.total() == 0


def test_offline_plan_uses_the_state(run: Any, workdir: Path, sandbox: Sandbox) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    before = sandbox.total()

    result = run("plan", workdir, "--no-refresh", "--detailed-exitcode")

    assert result.code == 0
    assert "NOT read live" in result.out
    assert "The declarations match what the state records as applied." in result.out
    assert "records nothing applied yet" not in result.out
    assert sandbox.total() == before


def test_offline_plan_without_a_state_says_it_plans_everything_as_new(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    result = run("plan", workdir, "--no-refresh")

    assert result.code == 0
    assert "records nothing applied yet" in result.out
    assert "every declared entry is planned as new" in result.out
    assert sandbox.total() == 0


def _get_info(sandbox: Sandbox, number: str) -> dict[str, Any]:
    import httpx

    response = httpx.post(
        f"{sandbox.base_url}/api/v2/Directory/getInfo",
        json={
            "userId": "sandbox",
            "token": "sandbox-token",
            "cn": number,
            "field": "all",
        },
    )
    data: dict[str, Any] = response.json()["data"]
    return data


def test_one_file_of_a_project_plans_its_numbers_and_removes_nothing_else(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    writes = sandbox.writes()

    result = run("apply", workdir / "sticky_agents.yaml", "--auto-approve")

    assert result.code == 0, result.err
    assert "Working on the 4 numbers declared in" in result.err
    assert "Plan: 0 to create, 0 to update, 0 to delete." in result.out
    assert sandbox.writes() == writes
    # The whole project still holds: the managers and rules stay in place.
    assert "Plan: 0 to create, 0 to update, 0 to delete." in run("plan", workdir).out


def test_a_missing_sandbox_seed_is_an_error_that_creates_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "reconciler.yaml").write_text(
        "version: 1\nsandbox:\n  seed: ../nowhere.yaml\n"
    )

    code = main(["plan", str(workdir)])

    assert code == 1
    assert "nowhere.yaml (sandbox.seed in the project file) does not exist" in (
        capsys.readouterr().err
    )
    assert not (workdir / ".reconciler" / "sandbox.db").exists()


def test_a_broken_sandbox_seed_leaves_no_half_seeded_database(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir.parent / "seed.yaml").write_text("reference: [\n")
    (workdir / "reconciler.yaml").write_text(
        "version: 1\nsandbox:\n  seed: ../seed.yaml\n"
    )

    code = main(["plan", str(workdir)])

    assert code == 1
    assert "the sandbox seed cannot be loaded" in capsys.readouterr().err
    assert not (workdir / ".reconciler" / "sandbox.db").exists()
