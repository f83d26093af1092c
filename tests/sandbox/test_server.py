"""The `reconciler sandbox` command: flags, announcement, credentials."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from reconciler import contract
from reconciler.sandbox import EmbeddedSandbox
from reconciler.sandbox.faults import FaultSettings
from reconciler.sandbox.options import add_arguments, fault_settings

from .conftest import AUTH

RUN = (
    "import argparse, sys\n"
    "from reconciler.sandbox import options, server\n"
    "parser = argparse.ArgumentParser()\n"
    "options.add_arguments(parser)\n"
    "sys.exit(server.run(parser.parse_args(sys.argv[1:])))\n"
)


def test_flags_become_fault_settings() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    flags = "--db x.db --error-rate 0.2 --retry-after 0.05 --fault-seed 3"
    args = parser.parse_args([*flags.split(), "--ambiguous-kind", "hang"])

    assert (args.host, args.db) == ("127.0.0.1", "x.db")
    assert fault_settings(args) == FaultSettings(
        error_rate=0.2, retry_after=0.05, seed=3, ambiguous_kind="hang"
    )


def test_command_serves_env_credentials_and_hides_token_and_ssid(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        contract.ENV_USER_ID: "ops-user",
        contract.ENV_TOKEN: "very-secret-token",
        contract.ENV_SSID: "ops-session",
    }
    db = tmp_path / "cli" / "sandbox.db"
    process = subprocess.Popen(
        [sys.executable, "-c", RUN, "--port", "0", "--db", str(db)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines = [process.stderr.readline() for _ in range(4)]
        url = lines[0].split(" at ")[1].strip()
        body = {"userId": "ops-user", "token": "very-secret-token"}
        answer = httpx.post(
            url + contract.PATHS["setDnc"],
            json={**body, "contact": "919876543210", "dnc": -1},
        ).json()
        wrong = httpx.post(
            url + contract.PATHS["getDnc"],
            json={"ssid": contract.SANDBOX_SSID, "contact": "919876543210"},
        ).json()
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=10)

    announcement = "".join(lines) + rest
    assert answer["status"] == "success"
    assert wrong["code"] == 1000
    assert f"userId=<from {contract.ENV_USER_ID}>" in announcement
    assert f"ssid=<from {contract.ENV_SSID}>" in announcement
    assert "very-secret-token" not in announcement
    assert "ops-session" not in announcement
    assert process.returncode == 0
    assert db.exists()


def test_command_reports_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", RUN, "--port", str(port), "--db", "x.db"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert result.returncode == 1
    assert "reconciler sandbox:" in result.stderr


def test_stopping_ends_hung_requests_at_once(tmp_path: Path) -> None:
    errors: list[Exception] = []
    with EmbeddedSandbox(tmp_path / "hang.db") as sandbox:
        httpx.put(
            sandbox.base_url + "/_sandbox/faults",
            json={"hang_rate": 1.0, "hang_seconds": 30},
        )

        def wait_forever() -> None:
            try:
                httpx.post(
                    sandbox.base_url + contract.PATHS["groupList"],
                    json={"ssid": contract.SANDBOX_SSID},
                    timeout=60,
                )
            except httpx.TransportError as exc:
                errors.append(exc)

        waiter = threading.Thread(target=wait_forever)
        waiter.start()
        time.sleep(0.2)
        started = time.monotonic()
    stopped = time.monotonic() - started
    waiter.join(timeout=5)

    assert stopped < 1.0
    assert len(errors) == 1 and isinstance(errors[0], httpx.RemoteProtocolError)


def test_embedded_sandbox_accepts_the_environment_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(contract.ENV_USER_ID, "ci-user")
    monkeypatch.setenv(contract.ENV_TOKEN, "ci-token")
    with EmbeddedSandbox(tmp_path / "env.db") as sandbox:
        url = sandbox.base_url + contract.PATHS["groupList"]
        good = httpx.post(url, json={"userId": "ci-user", "token": "ci-token"})
        default = httpx.post(url, json=AUTH)

    assert good.json()["status"] == "success"
    assert default.json()["code"] == 1000
