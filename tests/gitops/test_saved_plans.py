"""Saved plans: `plan --out FILE`, then `apply FILE` exactly, or nothing."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import jsonschema

from tests.conftest import Call, Sandbox
from tests.gitops.conftest import ledger_lines, rewrite_plan


def _save(run: Any, workdir: Path, *extra: str) -> Path:
    out = workdir.parent / "plan.json"
    result = run("plan", workdir, "--out", out, *extra)
    assert result.code in (0, 3), result.err
    return out


def test_saved_plan_applies_exactly_its_changes(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)
    checksum = json.loads(out.read_text())["checksum"]

    result = run("apply", out, "--allow-dnc-removal")

    assert result.code == 0, result.err
    assert "Apply complete: 11 applied." in result.out
    assert sandbox.writes() == 11
    records = [json.loads(line) for line in ledger_lines(workdir)]
    assert {r["plan_checksum"] for r in records} == {checksum}
    assert run("plan", workdir, "--detailed-exitcode").code == 0


def test_stale_plan_is_refused_listing_the_number_and_nothing_is_written(
    run: Any, workdir: Path, sandbox: Sandbox, live: Call
) -> None:
    out = _save(run, workdir)
    # Someone changes a number the plan touches, behind reconciler's back.
    live("setAM", contact="919876500003", AcManId="AM-99")
    writes = sandbox.writes()

    result = run("apply", out, "--allow-dnc-removal")

    assert result.code == 4
    assert "stale" in result.err
    assert "+919876500003" in result.err
    assert "+919845012346" not in result.err
    assert sandbox.writes() == writes
    assert not (workdir / ".reconciler" / "ledger.jsonl").exists()


def test_edited_plan_is_refused_before_any_request(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)
    doc = json.loads(out.read_text())
    doc["changes"][0]["after"] = "AM-66"
    out.write_text(json.dumps(doc))
    requests = sandbox.total()

    result = run("apply", out, "--allow-dnc-removal")

    assert result.code == 1
    assert "edited after it was saved" in result.err
    assert sandbox.total() == requests


def test_plan_of_another_format_version_is_refused(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)
    rewrite_plan(out, lambda doc: doc.update(format_version=2))

    result = run("apply", out, "--allow-dnc-removal")

    assert result.code == 1
    assert "plan format version 2" in result.err
    assert "reads version 1" in result.err
    assert sandbox.writes() == 0


def test_printed_json_plan_is_not_a_saved_plan(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    printed = workdir.parent / "printed.json"
    printed.write_text(run("plan", workdir, "--format", "json").out)

    result = run("apply", printed, "--allow-dnc-removal")

    assert result.code == 1
    assert "not a saved plan" in result.err
    assert sandbox.writes() == 0


def test_garbage_file_is_refused_with_its_place(run: Any, workdir: Path) -> None:
    bad = workdir.parent / "plan.json"
    bad.write_text('{"format": "reconciler-plan",\n  oops}')

    result = run("apply", bad)

    assert result.code == 1
    assert f"{bad}:2:3: not a plan file" in result.err


def test_changed_declarations_make_a_saved_plan_outdated(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)
    dnc = workdir / "dnc.yaml"
    dnc.write_text(dnc.read_text().replace("2027-06-30", "2027-07-31"))
    requests = sandbox.total()

    result = run("apply", out, "--allow-dnc-removal")

    assert result.code == 4
    assert "declarations" in result.err
    assert "changed since the plan was saved" in result.err
    assert sandbox.total() == requests


def test_a_saved_plan_cannot_be_applied_twice(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)
    assert run("apply", out, "--allow-dnc-removal").code == 0
    writes = sandbox.writes()

    again = run("apply", out, "--allow-dnc-removal")

    assert again.code == 4
    assert "state was written by another apply" in again.err
    assert sandbox.writes() == writes


def test_dnc_lift_in_a_saved_plan_needs_its_flag(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)

    refused = run("apply", out)

    assert refused.code == 3
    assert "--allow-dnc-removal" in refused.err
    assert "Plan: 6 to create, 3 to update, 2 to delete." in refused.out
    assert sandbox.writes() == 0
    assert run("apply", out, "--allow-dnc-removal").code == 0


def test_targeting_flags_belong_to_plan_not_to_a_saved_plan(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)

    result = run("apply", out, "--kind", "dnc")

    assert result.code == 1
    assert "reconciler plan --out" in result.err
    assert sandbox.writes() == 0


def test_offline_plan_cannot_be_saved(run: Any, workdir: Path) -> None:
    result = run("plan", workdir, "--no-refresh", "--out", workdir.parent / "p.json")

    assert result.code == 1
    assert "--out needs live reads" in result.err
    assert not (workdir.parent / "p.json").exists()


def test_saved_plan_file_follows_the_schema(
    run: Any, workdir: Path, plan_schema: jsonschema.protocols.Validator
) -> None:
    doc = json.loads(_save(run, workdir).read_text())

    plan_schema.validate(doc)
    assert doc["format_version"] == 1
    assert len(doc["fingerprints"]) == doc["numbers_read"] == 13
    assert doc["checksum"].startswith("sha256:")


def test_a_plan_whose_calls_were_rewritten_and_resealed_is_refused(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)

    def forge(doc: dict[str, Any]) -> None:
        change = next(c for c in doc["changes"] if c["kind"] == "account_managers")
        change["calls"][0]["params"]["AcManId"] = "AM-99"

    rewrite_plan(out, forge)

    result = run("apply", out, "--allow-dnc-removal")

    assert result.code == 4
    assert "changes are not what its declarations" in result.err
    assert sandbox.writes() == 0


def test_a_plan_with_a_change_added_and_resealed_is_refused(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)

    def forge(doc: dict[str, Any]) -> None:
        change = dict(doc["changes"][0])
        change["calls"] = [
            {"action": "Blacklist", "params": {"contact": "919876543210", "RESET": 1}}
        ]
        doc["changes"].append(change)

    rewrite_plan(out, forge)

    result = run("apply", out, "--allow-dnc-removal")

    assert result.code == 4
    assert sandbox.writes() == 0


def test_a_plan_applied_from_another_folder_says_where_to_apply_it(
    run: Any, workdir: Path, sandbox: Sandbox, monkeypatch: Any
) -> None:
    monkeypatch.chdir(workdir.parent)
    out = _save(run, Path(workdir.name)).resolve()
    monkeypatch.chdir(workdir)

    result = run("apply", out, "--allow-dnc-removal")

    assert result.code == 1
    assert "apply it from the folder it was planned in" in result.err
    assert sandbox.writes() == 0


def test_a_saved_plan_beside_declarations_is_refused(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    out = _save(run, workdir)

    result = run("apply", out, workdir / "dnc.yaml", "--auto-approve")

    assert result.code == 1
    assert "a saved plan is applied on its own" in result.err
    assert sandbox.writes() == 0


def test_a_plan_whose_expiry_has_passed_is_stale_and_says_why(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=2)
    (workdir / "soon.yaml").write_text(
        f'dnc:\n  - number: "+919811100001"\n    until: "{soon.isoformat()}"\n'
    )
    out = _save(run, workdir)
    time.sleep(max(soon.timestamp() - time.time(), 0) + 1.1)
    writes = sandbox.writes()

    result = run("apply", out, "--allow-dnc-removal")

    assert result.code == 4
    assert "an expiry it would set has passed: +919811100001" in result.err
    assert "changed live since" not in result.err
    assert sandbox.writes() == writes
