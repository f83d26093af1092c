"""The locked state, the hash-chained ledger, and no credentials anywhere."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock
import pytest

from reconciler.cli import main
from reconciler.sandbox import EmbeddedSandbox
from reconciler.sandbox.auth import Credentials
from tests.conftest import EXAMPLES, Sandbox
from tests.gitops.conftest import ledger_lines

SECRET = "tok-7f3a9c1e5b2d-do-not-leak"


@contextlib.contextmanager
def _held_lock(workdir: Path) -> Iterator[None]:
    """The state's lock, held as another reconciler command would hold it."""
    lock_path = workdir / ".reconciler" / "state.json.lock"
    lock_path.parent.mkdir(parents=True)
    with filelock.FileLock(str(lock_path)):
        yield


def test_locked_state_makes_apply_wait_then_give_up(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    with _held_lock(workdir):
        result = run(
            "apply", workdir, "--auto-approve", "--allow-dnc-removal",
            "--lock-timeout", "0.5",
        )  # fmt: skip

    assert result.code == 1
    assert "locked by another reconciler command; waiting up to 0.5s" in result.err
    assert "still locked after 0.5s" in result.err
    assert sandbox.total() == 0
    assert run("plan", workdir, "--lock-timeout", "0.5").code == 0


def test_no_lock_timeout_gives_up_at_once_without_saying_it_waits(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    with _held_lock(workdir):
        result = run("plan", workdir, "--lock-timeout", "0")

    assert result.code == 1
    assert "waiting" not in result.err
    assert "still locked after 0s" in result.err


def test_ledger_records_every_applied_change_with_its_context(
    run: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTOR", "octo-reviewer")
    monkeypatch.setenv("GITHUB_SHA", "c0ffee" * 6 + "beef")
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")

    records = [json.loads(line) for line in ledger_lines(workdir)]

    # Each change is ledgered before it is sent, then with its outcome.
    started = {r["hash"] for r in records if r["result"] == "started"}
    outcomes = [r for r in records if r["result"] != "started"]
    assert len(started) == len(outcomes) == 11
    assert {r["started"] for r in outcomes} == started
    lift = next(r for r in outcomes if r["number"] == "+919812345678")
    assert lift["actor"] == "octo-reviewer"
    assert lift["commit"] == "c0ffee" * 6 + "beef"
    assert lift["plan_checksum"].startswith("sha256:")
    assert (lift["kind"], lift["before"], lift["after"]) == ("dnc", -1, None)
    assert (lift["result"], lift["ticket"]) == ("applied", "CR-1201")
    assert lift["reason"] == "Consent re-confirmed in writing on the 14 Jan call"
    assert all(r["time"].endswith("Z") for r in records)


def test_ledger_verify_accepts_an_intact_chain(run: Any, workdir: Path) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")

    result = run("ledger", "verify", workdir)

    assert result.code == 0
    assert "the hash chain of 22 records is intact" in result.out


def test_ledger_verify_names_an_edited_line(run: Any, workdir: Path) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    lines = ledger_lines(workdir)
    edited = next(i for i, line in enumerate(lines) if '"result":"applied"' in line)
    lines[edited] = lines[edited].replace('"result":"applied"', '"result":"skipped"')
    (workdir / ".reconciler" / "ledger.jsonl").write_text("\n".join(lines) + "\n")

    result = run("ledger", "verify", workdir)

    assert result.code == 1
    assert f"line {edited + 1}: edited" in result.err
    assert f"line {edited + 2}" not in result.err


def test_ledger_verify_names_where_a_line_went_missing(run: Any, workdir: Path) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    lines = ledger_lines(workdir)
    del lines[4]
    (workdir / ".reconciler" / "ledger.jsonl").write_text("\n".join(lines) + "\n")

    result = run("ledger", "verify", workdir)

    assert result.code == 1
    assert "line 5: chain broken" in result.err


def test_ledger_verify_catches_an_edited_last_line(run: Any, workdir: Path) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    lines = ledger_lines(workdir)
    lines[-1] = lines[-1].replace('"actor":"', '"actor":"x')
    (workdir / ".reconciler" / "ledger.jsonl").write_text("\n".join(lines) + "\n")

    result = run("ledger", "verify", workdir)

    assert result.code == 1
    assert "line 22: edited" in result.err


@pytest.mark.parametrize("kept", [19, 0, None], ids=["cut", "emptied", "deleted"])
def test_ledger_verify_catches_records_lost_from_the_end(
    run: Any, workdir: Path, kept: int | None
) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")
    path = workdir / ".reconciler" / "ledger.jsonl"
    if kept is None:
        path.unlink()
    else:
        path.write_text("".join(f"{line}\n" for line in ledger_lines(workdir)[:kept]))

    result = run("ledger", "verify", workdir)

    assert result.code == 1
    assert "the end is missing" in result.err


def test_ledger_verify_of_a_folder_that_does_not_exist_fails(
    run: Any, tmp_path: Path
) -> None:
    result = run("ledger", "verify", tmp_path / "typo")

    assert result.code == 1
    assert "no such folder" in result.err


def test_no_credentials_in_plan_file_ledger_state_or_output(
    workdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    credentials = Credentials(user_id="acme", token=SECRET)
    seed = EXAMPLES / "sandbox-seed.yaml"
    with EmbeddedSandbox(tmp_path / "s.db", seed=seed, credentials=credentials) as box:
        monkeypatch.setenv("DEEPCALL_BASE_URL", box.base_url)
        monkeypatch.setenv("DEEPCALL_USER_ID", "acme")
        monkeypatch.setenv("DEEPCALL_TOKEN", SECRET)
        monkeypatch.delenv("DEEPCALL_SSID", raising=False)
        out = tmp_path / "plan.json"
        assert main(["-vv", "plan", str(workdir), "--out", str(out)]) == 0
        assert main(["-vv", "apply", str(out), "--allow-dnc-removal"]) == 0

    captured = capsys.readouterr()
    written = [out, *(workdir / ".reconciler").iterdir()]
    assert len(written) >= 3  # the plan, the state and the ledger at least
    for path in written:
        assert SECRET not in path.read_text(), path
    assert SECRET not in captured.out + captured.err + caplog.text


def test_a_credential_in_the_declarations_is_refused_before_any_call(
    run: Any, workdir: Path, sandbox: Sandbox
) -> None:
    # The token the `run` fixture configures, pasted into a reason.
    dnc = workdir / "dnc.yaml"
    text = dnc.read_text().replace("dnc:\n", "dnc:\n  # sandbox-token\n", 1)
    dnc.write_text(text)

    planned = run("plan", "--format", "json", workdir)
    applied = run("apply", "--auto-approve", workdir)

    assert planned.code == applied.code == 1
    [problem] = json.loads(planned.out)["problems"]
    assert (problem["file"], problem["line"], problem["column"]) == (str(dnc), 9, 5)
    assert f"{dnc}:9:5: error: the configured DeepCall credential" in applied.err
    for result in (planned, applied):
        assert "sandbox-token" not in result.out + result.err
    assert sandbox.total() == 0
