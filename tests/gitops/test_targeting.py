"""Targeting: --only and --exclude (any spelling, repeatable), --kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Sandbox


def test_only_reads_and_plans_the_given_numbers_in_any_spelling(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    result = run("plan", workdir, "--only", "098450 12345", "--only", "+91-98765-00003")

    assert result.code == 0, result.err
    assert "Plan: 0 to create, 2 to update, 0 to delete." in result.out
    assert "# +919845012345" in result.out
    assert "# +919876500003" in result.out
    assert "Targeted plan: only +919845012345, +919876500003." in result.out
    assert sandbox.stats()["getInfo"]["requests"] == 2


def test_exclude_leaves_numbers_out(run: Any, workdir: Path) -> None:
    result = run(
        "plan", workdir, "--exclude", "0091 98123 45678", "--exclude", "9740055667"
    )

    assert "# +919812345678" not in result.out
    assert "# +919740055667" not in result.out
    assert "Plan: 5 to create, 3 to update, 1 to delete." in result.out
    assert "excluding +919740055667, +919812345678." in result.out


def test_kind_keeps_only_changes_of_that_kind(run: Any, workdir: Path) -> None:
    result = run("plan", workdir, "--kind", "account_managers", "--format", "json")

    data = json.loads(result.out)
    assert {c["kind"] for c in data["changes"]} == {"account_managers"}
    assert data["targets"] == {"kinds": ["account_managers"]}


def test_applying_one_kind_leaves_the_others_to_a_later_plan(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    applied = run("apply", workdir, "--auto-approve", "--kind", "account_managers")
    assert applied.code == 0, applied.err
    assert sandbox.writes() == 2

    state = json.loads((workdir / ".reconciler" / "state.json").read_text())
    kinds = {kind for entry in state["numbers"].values() for kind in entry}
    assert kinds == {"account_managers"}
    rest = run("plan", workdir)
    assert "Plan: 5 to create, 2 to update, 2 to delete." in rest.out


def test_kind_narrowed_saved_plan_applies_that_kind_only(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = workdir.parent / "plan.json"
    assert run("plan", workdir, "--kind", "dnc", "--out", out).code == 0

    assert run("apply", out, "--allow-dnc-removal").code == 0
    assert sandbox.writes() == 6
    assert "Plan: 2 to create, 2 to update, 1 to delete." in run("plan", workdir).out


def test_invalid_only_number_is_an_error_naming_the_flag(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    result = run("plan", workdir, "--only", "12345")

    assert result.code == 1
    assert "--only: '12345' is not a valid phone number" in result.err
    assert sandbox.total() == 0


def test_only_a_number_out_of_scope_warns(run: Any, workdir: Path) -> None:
    result = run("plan", workdir, "--only", "+919999900000")

    assert result.code == 0
    assert "--only +919999900000: neither declared nor managed" in result.out
    assert "No changes." in result.out
