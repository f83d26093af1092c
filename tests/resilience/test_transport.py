"""How the client tells an unsent request from one whose answer was lost.

A write is retried at once only when it certainly never reached the server;
otherwise the applier must read the number first. These go through the
client's own connection pool, over real HTTP on loopback.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import client as client_module
from reconciler import contract
from reconciler.client import DirectoryClient, RetryPolicy
from reconciler.errors import SettingsError, TransportError
from reconciler.sandbox import EmbeddedSandbox
from reconciler.settings import Credentials

ONE_TRY = RetryPolicy(attempts=1, total_seconds=5)
NUMBER = "+919800000007"


@pytest.fixture
def sandbox(tmp_path: Path) -> Any:
    with EmbeddedSandbox(tmp_path / "sandbox.db") as running:
        yield running


def _write(base_url: str, **options: Any) -> TransportError:
    async def attempt() -> None:
        async with DirectoryClient(
            base_url, Credentials.sandbox_default(), retry=ONE_TRY, **options
        ) as api:
            params = {"contact": api.wire(NUMBER), "dnc": -1}
            await api.call("setDnc", params, number=NUMBER)

    with pytest.raises(TransportError) as caught:
        asyncio.run(attempt())
    return caught.value


def _requests(base_url: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base_url}/_sandbox/requests", params={"since": 0})
    records: list[dict[str, Any]] = answer.json()["requests"]
    return records


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_refused_connection_is_unsent() -> None:
    error = _write(f"http://127.0.0.1:{_free_port()}")

    assert not error.ambiguous
    assert error.number == NUMBER


def test_tls_to_a_plain_http_server_fails_at_the_first_try(
    sandbox: EmbeddedSandbox,
) -> None:
    https = sandbox.base_url.replace("http://", "https://", 1)
    patient = RetryPolicy(attempts=8, total_seconds=12, initial=4, jitter=0)

    async def attempt() -> int:
        async with DirectoryClient(
            https, Credentials.sandbox_default(), retry=patient
        ) as api:
            with pytest.raises(TransportError) as caught:
                await api.call("getInfo", {"contact": api.wire(NUMBER)}, number=NUMBER)
            assert caught.value.permanent
            assert not caught.value.transient
            assert "SSL" in str(caught.value)
            return api.requests_sent

    # One try, not eight: a handshake that fails fails the same way again.
    assert asyncio.run(attempt()) == 1


def test_an_answer_that_is_not_http_is_described_on_one_line() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")

    server = threading.Thread(target=answer, daemon=True)
    server.start()
    with listener:
        error = _write(f"http://127.0.0.1:{port}")
    server.join(5)

    assert error.ambiguous  # the request went out before the answer failed
    assert "Bad status line" in str(error)
    assert "SSH-2.0-OpenSSH_9.2" in str(error)
    assert "\\n" not in str(error) and "\n" not in str(error)


def test_a_server_that_cannot_be_reached_is_said_once_out_loud(
    caplog: pytest.LogCaptureFixture,
) -> None:
    base_url = f"http://user:secret@127.0.0.1:{_free_port()}"
    quick = RetryPolicy(attempts=3, total_seconds=5, initial=0.01, jitter=0)

    async def attempt() -> None:
        async with DirectoryClient(
            base_url, Credentials.sandbox_default(), retry=quick
        ) as api:
            await api.call("getInfo", {"contact": api.wire(NUMBER)}, number=NUMBER)

    with (
        caplog.at_level(logging.INFO, logger="reconciler.client"),
        pytest.raises(TransportError),
    ):
        asyncio.run(attempt())

    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("cannot reach 127.0.0.1 (getInfo +919800000007")
    assert "secret" not in caplog.text


def test_a_dropped_answer_is_ambiguous(sandbox: EmbeddedSandbox) -> None:
    httpx.patch(f"{sandbox.base_url}/_sandbox/faults", json={"drop_rate": 1.0})

    error = _write(sandbox.base_url)

    assert error.ambiguous
    assert "Disconnected" in str(error)
    # Sent once: the client leaves the retry of an unknown outcome to the
    # applier, which reads the number first.
    assert [r["action"] for r in _requests(sandbox.base_url)] == ["setDnc"]


def test_an_answer_after_the_timeout_is_ambiguous(sandbox: EmbeddedSandbox) -> None:
    faults = {"hang_rate": 1.0, "hang_seconds": 2.0}
    httpx.patch(f"{sandbox.base_url}/_sandbox/faults", json=faults)

    error = _write(sandbox.base_url, timeout=0.3)

    assert error.ambiguous
    assert "Timeout" in str(error)


def test_a_write_that_landed_is_not_sent_again(sandbox: EmbeddedSandbox) -> None:
    faults = {"ambiguous_rate": 1.0, "ambiguous_kind": "drop"}
    httpx.patch(f"{sandbox.base_url}/_sandbox/faults", json=faults)

    error = _write(sandbox.base_url)

    assert error.ambiguous
    records = _requests(sandbox.base_url)
    assert [(r["action"], r["changed"]) for r in records] == [("setDnc", True)]


def test_the_proxy_comes_from_the_environment_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "directory.internal")

    proxy = client_module._environment_proxy(contract.DEFAULT_BASE_URL)
    bypassed = client_module._environment_proxy("https://directory.internal/v2")

    assert proxy is not None and proxy.url == "http://proxy.internal:3128"
    assert bypassed is None


def test_a_proxy_without_scheme_is_an_http_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "proxy.internal:3128")

    proxy = client_module._environment_proxy(contract.DEFAULT_BASE_URL)

    assert proxy is not None and proxy.url == "http://proxy.internal:3128"


@pytest.mark.parametrize(
    ("base_url", "proxy", "words"),
    [
        ("http://[::1", None, "is not a valid URL"),
        (contract.DEFAULT_BASE_URL, "http://[::1", "fix HTTPS_PROXY"),
    ],
)
def test_an_unusable_endpoint_or_proxy_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, base_url: str, proxy: str | None, words: str
) -> None:
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    if proxy is not None:
        monkeypatch.setenv("HTTPS_PROXY", proxy)

    with pytest.raises(SettingsError, match=words):
        DirectoryClient(base_url, Credentials.sandbox_default())


def test_an_endpoint_with_a_query_string_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="no query string") as caught:
        DirectoryClient(
            "https://user:secret@api.example.com/?x=1", Credentials.sandbox_default()
        )

    assert "secret" not in str(caught.value)
