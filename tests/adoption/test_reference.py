"""Reference checks at plan time: what the API would refuse is a located error."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import contract, declarations, reference
from reconciler.client import DirectoryClient
from reconciler.declarations import Declarations
from reconciler.settings import Credentials, Settings
from tests.conftest import Sandbox

SEED_LINES = '  caller_lines: ["08045678901", "08045678902"]\n'


def _declare(workdir: Path, text: str) -> Path:
    path = workdir / "extra.yaml"
    path.write_text(text)
    return path


def _sticky(agent: str, scope: str = "all", cli: str = "", group: str = "") -> str:
    text = f'sticky_agents:\n  - number: "+91 98450 99999"\n    agent: "{agent}"\n'
    text += f"    scope: {scope}\n"
    if cli:
        text += f'    cli: "{cli}"\n'
    if group:
        text += f'    group: "{group}"\n'
    return text


def _project(workdir: Path, reference: str) -> None:
    (workdir / "reconciler.yaml").write_text(f"version: 1\nreference:\n{reference}")


def _reads(sandbox: Sandbox) -> int:
    return sandbox.stats().get("getInfo", {}).get("requests", 0)


def test_unknown_agent_is_a_plan_error_before_any_number_is_read(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    path = _declare(workdir, _sticky("2001"))

    result = run("plan", workdir)

    assert result.code == 1
    assert f"{path}:2:5: error: sticky agent '2001' does not exist" in result.err
    assert "known agents: 1077, 1078, 1079" in result.err
    assert _reads(sandbox) == 0
    assert sandbox.writes() == 0


def test_unknown_group_is_an_error_the_api_would_answer_1506(
    run: Any, workdir: Path
) -> None:
    _declare(workdir, _sticky("1077", "cli_group", "08045678901", "99"))

    result = run("plan", workdir)

    assert result.code == 1
    assert "group '99' does not exist on the account" in result.err
    assert "1506" in result.err


def test_agent_outside_the_group_is_an_error_the_api_would_answer_1507(
    run: Any, workdir: Path
) -> None:
    _declare(workdir, _sticky("1079", "cli_group", "08045678901", "12"))

    result = run("plan", workdir)

    assert result.code == 1
    assert "agent '1079' is not a member of group '12'" in result.err
    assert "members of group 12: 1077, 1078" in result.err


def test_unknown_caller_line_is_an_error_when_lines_are_configured(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    _project(workdir, SEED_LINES)
    _declare(workdir, _sticky("1077", "cli", "08011112222"))

    result = run("apply", workdir, "--auto-approve", "--allow-dnc-removal")

    assert result.code == 1
    assert "caller line +918011112222 is not one of the account's" in result.err
    assert "1505" in result.err
    assert sandbox.writes() == 0


def test_caller_lines_are_left_to_the_api_when_not_configured(
    run: Any, workdir: Path
) -> None:
    _declare(workdir, _sticky("1077", "cli", "08011112222"))

    result = run("plan", workdir)

    assert result.code == 0, result.err
    assert "+ sticky_agents[cli cli=+918011112222]" in result.out


def test_every_problem_is_reported_at_once(run: Any, workdir: Path) -> None:
    _declare(
        workdir,
        "sticky_agents:\n"
        '  - {number: "+919845099991", agent: "2001"}\n'
        '  - {number: "+919845099992", agent: "1079", scope: cli_group,'
        ' cli: "08045678901", group: "12"}\n',
    )

    result = run("plan", workdir)

    assert "extra.yaml:2:5: error: sticky agent '2001'" in result.err
    assert "extra.yaml:3:5: error: agent '1079' is not a member" in result.err


def test_managers_are_checked_against_a_configured_list(
    run: Any, workdir: Path
) -> None:
    _project(workdir, '  managers: ["AM-04", "AM-21"]\n')

    result = run("plan", workdir)

    assert result.code == 1
    assert "account manager 'AM-17' is not a known manager ID" in result.err
    assert "account_managers.yaml:15:5" in result.err


def test_managers_can_be_agent_ids(run: Any, workdir: Path) -> None:
    _project(workdir, "  managers: agents\n")

    result = run("plan", workdir)

    assert result.code == 1
    assert "account manager 'AM-04' is not a known manager ID" in result.err
    assert "known managers: 1077, 1078, 1079" in result.err


def test_example_passes_with_the_seed_reference_data(run: Any, workdir: Path) -> None:
    _project(workdir, SEED_LINES + '  managers: ["AM-04", "AM-17", "AM-21"]\n')

    result = run("plan", workdir, "--detailed-exitcode")

    assert result.code == 2, result.err
    assert "Plan: 6 to create, 3 to update, 2 to delete." in result.out


def test_reference_data_is_read_once_per_run(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    run("plan", workdir)

    stats = sandbox.stats()
    assert stats["agentList"]["requests"] == 1
    assert stats["groupList"]["requests"] == 1
    # Only group 12 is named by a declaration.
    assert stats["groupAgentRelation"]["requests"] == 1


def test_no_reference_reads_without_sticky_rules(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    (workdir / "sticky_agents.yaml").unlink()

    run("plan", workdir)

    assert "agentList" not in sandbox.stats()


def test_unreadable_reference_list_leaves_its_check_to_the_api(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == contract.PATHS["agentList"]:
            error = {"status": "error", "message": "Permission denied", "code": 1015}
            return httpx.Response(200, json=error)
        return httpx.Response(200, json={"status": "success", "response": []})

    declared = _entries(
        tmp_path, 'sticky_agents:\n  - {number: "+919845099991", agent: "2001"}\n'
    )

    async def check() -> None:
        client = DirectoryClient(
            "http://api.test",
            Credentials(user_id="u", token="t"),
            transport=httpx.MockTransport(handler),
        )
        async with client:
            await reference.check(declared, client, Settings())

    asyncio.run(check())

    assert "reference check skipped: agentList: Permission denied" in caplog.text


def _entries(folder: Path, text: str) -> Declarations:
    path = folder / "d.yaml"
    path.write_text(text)
    return declarations.load([path], Settings(), int(time.time()))
