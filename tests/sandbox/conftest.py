"""Fixtures: one sandbox per session on a free loopback port, a client, and a
fresh contact number per test so that tests never share an entry."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import contract
from reconciler.sandbox import EmbeddedSandbox
from reconciler.sandbox.auth import Credentials

FIXTURES = Path(__file__).resolve().parent / "fixtures"
AUTH = {"userId": contract.SANDBOX_USER_ID, "token": contract.SANDBOX_TOKEN}

_numbers = itertools.count(1)


class Api:
    """A thin caller of the sandbox: action name in, decoded envelope out."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def post(self, action: str, auth: dict[str, Any] | None = None, **body: Any) -> Any:
        payload = {**(AUTH if auth is None else auth), **body}
        response = self.client.post(contract.PATHS[action], json=payload)
        assert response.status_code == 200, response.text
        return response.json()

    def ok(self, action: str, **body: Any) -> Any:
        answer = self.post(action, **body)
        assert answer["status"] == "success", answer
        assert answer["code"] == 200
        return answer.get("data", answer.get("response"))

    def error(self, action: str, **body: Any) -> int:
        answer = self.post(action, **body)
        assert answer["status"] == "error", answer
        assert list(answer) == ["status", "message", "code"]
        assert answer["message"]
        code: int = answer["code"]
        return code

    def faults(self, **settings: Any) -> None:
        response = self.client.put("/_sandbox/faults", json=settings)
        assert response.status_code == 200, response.text


@pytest.fixture(autouse=True)
def no_credentials_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sandboxes started in a test accept the built-in credentials."""
    for name in (contract.ENV_USER_ID, contract.ENV_TOKEN, contract.ENV_SSID):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSandbox]:
    db = tmp_path_factory.mktemp("sandbox") / "nested" / "directory.db"
    # Explicit credentials: the suite must not depend on DEEPCALL_* variables.
    with EmbeddedSandbox(db, credentials=Credentials()) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def session_client(running: EmbeddedSandbox) -> Iterator[httpx.Client]:
    # One client for the session: building one per test costs more than the
    # tests themselves (TLS context set-up).
    with httpx.Client(base_url=running.base_url, timeout=5.0) as http:
        yield http


@pytest.fixture
def client(session_client: httpx.Client) -> Iterator[httpx.Client]:
    yield session_client
    # Faults are server-wide: never let one test's faults leak into the next.
    session_client.put("/_sandbox/faults", json={}).raise_for_status()


@pytest.fixture
def api(client: httpx.Client) -> Api:
    return Api(client)


@pytest.fixture
def number() -> str:
    """A valid Indian mobile number in stored form, unique to the test."""
    return f"9198{next(_numbers):08d}"


@pytest.fixture
def other_number() -> str:
    return f"9197{next(_numbers):08d}"
