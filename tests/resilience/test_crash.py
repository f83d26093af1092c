"""An apply killed with SIGKILL at any point is finished by the next run.

The apply runs as its own process against a sandbox on loopback with some
latency, and is killed once the sandbox has taken a given share of its
writes. Each next run plans from what the sandbox holds, so it issues only
the calls still needed: across all the runs every change is written once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import contract
from reconciler.sandbox import EmbeddedSandbox
from tests.conftest import Sandbox

NUMBERS = 200
# Each number gains a contact (create) and a DNC (setDnc): two writes.
CHANGES = 2 * NUMBERS


@pytest.fixture
def slow_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with EmbeddedSandbox(tmp_path / "sandbox.db") as running:
        sandbox = Sandbox(running)
        sandbox.set_faults(latency_ms=15)
        yield sandbox


def _write_directory(folder: Path) -> None:
    folder.mkdir()
    numbers = [f"+91{9_700_000_000 + i * 13}" for i in range(NUMBERS)]
    dnc = ["version: 1", "dnc:"]
    contacts = ["version: 1", "contacts:"]
    for number in numbers:
        dnc += [f'  - number: "{number}"', "    until: permanent"]
        contacts += [f'  - number: "{number}"', '    name: "Caller Rao"']
    (folder / "dnc.yaml").write_text("\n".join(dnc) + "\n")
    (folder / "contacts.yaml").write_text("\n".join(contacts) + "\n")


def _environment(sandbox: Sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPCALL_")}
    env[contract.ENV_BASE_URL] = sandbox.base_url
    env[contract.ENV_USER_ID] = contract.SANDBOX_USER_ID
    env[contract.ENV_TOKEN] = contract.SANDBOX_TOKEN
    return env


def _command(folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args, str(folder)]


def _successful_writes(sandbox: Sandbox) -> int:
    stats = sandbox.stats()
    return sum(stats.get(action, {}).get("ok", 0) for action in contract.WRITE_ACTIONS)


def _apply_until_killed(
    folder: Path, sandbox: Sandbox, after_writes: int, how: int = signal.SIGKILL
) -> tuple[int, str]:
    """Stop an apply with ``how`` once it wrote that much; its exit and stderr."""
    command = _command(folder, "apply", "--auto-approve", "--parallelism", "8")
    process = subprocess.Popen(
        command,
        env=_environment(sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while _successful_writes(sandbox) < after_writes:
        assert process.poll() is None, "the apply ended before it could be killed"
        assert time.monotonic() < deadline, "the apply made no progress"
        time.sleep(0.005)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=30)
    # Requests already on the wire may still land; let them, as they would.
    time.sleep(0.3)
    return process.returncode, stderr


def test_apply_stopped_by_sigterm_says_so_and_a_rerun_finishes_it(
    slow_sandbox: Sandbox, tmp_path: Path
) -> None:
    folder = tmp_path / "directory"
    _write_directory(folder)

    code, stderr = _apply_until_killed(
        folder, slow_sandbox, CHANGES // 3, signal.SIGTERM
    )

    assert code == 143
    assert stderr.rstrip().endswith("Terminated.")
    assert "Traceback" not in stderr
    assert _successful_writes(slow_sandbox) < CHANGES
    rerun = subprocess.run(
        _command(folder, "apply", "--auto-approve"),
        env=_environment(slow_sandbox),
        capture_output=True,
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert _successful_writes(slow_sandbox) == CHANGES


def test_apply_killed_at_several_points_is_finished_by_a_rerun(
    slow_sandbox: Sandbox, tmp_path: Path
) -> None:
    folder = tmp_path / "directory"
    _write_directory(folder)

    for share in (0.15, 0.5, 0.8):
        _apply_until_killed(folder, slow_sandbox, int(CHANGES * share))
    assert _successful_writes(slow_sandbox) < CHANGES

    env = _environment(slow_sandbox)
    rerun = subprocess.run(
        _command(folder, "apply", "--auto-approve"), env=env, capture_output=True
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    # Every change written once across all runs: none lost, none repeated.
    assert _successful_writes(slow_sandbox) == CHANGES

    after = subprocess.run(
        _command(folder, "plan", "--detailed-exitcode"), env=env, capture_output=True
    )
    assert after.returncode == 0, after.stdout.decode()
    ledger = subprocess.run(
        [sys.executable, "-m", "reconciler", "ledger", "verify"],
        cwd=folder,
        env=env,
        capture_output=True,
    )
    assert ledger.returncode == 0, ledger.stdout.decode() + ledger.stderr.decode()
    # And the ledger tells of every change that landed, killed runs included.
    records = [json.loads(line) for line in _ledger_path(folder).open()]
    applied = {(r["number"], r["kind"]) for r in records if r["result"] == "applied"}
    assert len(applied) == CHANGES


def _ledger_path(folder: Path) -> Path:
    return folder / ".reconciler" / "ledger.jsonl"
