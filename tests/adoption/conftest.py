"""Helpers of the adoption tests: change the sandbox behind reconciler's back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Sandbox

Call = Callable[..., Any]


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
