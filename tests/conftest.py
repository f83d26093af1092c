"""Shared fixtures: a sandbox on loopback and a CLI runner pointed at it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.cli import main
from reconciler.sandbox import EmbeddedSandbox

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

Call = Callable[..., Any]


@dataclass
class Result:
    code: int
    out: str
    err: str


class Sandbox:
    """A running sandbox plus helpers to read its counters."""

    def __init__(self, sandbox: EmbeddedSandbox) -> None:
        self.inner = sandbox
        self.base_url = sandbox.base_url

    def stats(self) -> dict[str, dict[str, int]]:
        data: dict[str, dict[str, int]] = httpx.get(
            f"{self.base_url}/_sandbox/stats"
        ).json()
        return data

    def total(self, counter: str = "requests") -> int:
        return sum(values.get(counter, 0) for values in self.stats().values())

    def writes(self) -> int:
        return self.total("writes")

    def set_faults(self, **faults: object) -> None:
        response = httpx.patch(f"{self.base_url}/_sandbox/faults", json=faults)
        response.raise_for_status()


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see none of the DEEPCALL_* or RECONCILER_* variables of the shell."""
    for name in list(os.environ):
        if name.startswith(("DEEPCALL_", "RECONCILER_")):
            monkeypatch.delenv(name)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the example directory, with its own state."""
    target = tmp_path / "directory"
    # A quickstart run leaves its state and sandbox beside the example.
    shutil.copytree(
        EXAMPLES / "directory", target, ignore=shutil.ignore_patterns(".reconciler")
    )
    (target / "reconciler.yaml").unlink()
    return target


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    seed = EXAMPLES / "sandbox-seed.yaml"
    with EmbeddedSandbox(tmp_path / "sandbox.db", seed=seed) as running:
        yield Sandbox(running)


@pytest.fixture
def live(sandbox: Sandbox) -> Call:
    """Call a sandbox action directly, as someone using the panel would."""

    def call(action: str, **params: Any) -> Any:
        response = httpx.post(
            f"{sandbox.base_url}/api/v2/Directory/{action}",
            json={"userId": "sandbox", "token": "sandbox-token", **params},
        )
        envelope = response.json()
        assert envelope["status"] == "success", envelope
        return envelope.get("data")

    return call


@pytest.fixture
def run(
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[object]:
    """Run the CLI in-process against the sandbox; returns a Result."""
    monkeypatch.setenv("DEEPCALL_BASE_URL", sandbox.base_url)
    monkeypatch.delenv("DEEPCALL_SSID", raising=False)
    monkeypatch.setenv("DEEPCALL_USER_ID", "sandbox")
    monkeypatch.setenv("DEEPCALL_TOKEN", "sandbox-token")

    def invoke(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    yield invoke
