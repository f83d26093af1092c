"""Body authentication: ssid or userId + token, never both (section 2.2)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import contract
from reconciler.sandbox.auth import Credentials

from .conftest import Api

USER = contract.SANDBOX_USER_ID
TOKEN = contract.SANDBOX_TOKEN
SSID = contract.SANDBOX_SSID


@pytest.mark.parametrize(
    "auth",
    [{"ssid": SSID}, {"userId": USER, "token": TOKEN}],
    ids=["ssid", "user-token"],
)
def test_either_method_authenticates(api: Api, number: str, auth: Any) -> None:
    answer = api.post("setDnc", auth=auth, contact=number, dnc=-1)
    assert answer["status"] == "success"


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        ({}, 1000),
        ({"ssid": SSID, "userId": USER, "token": TOKEN}, 1000),
        ({"ssid": SSID, "token": TOKEN}, 1000),
        ({"ssid": "other-ssid"}, 1000),
        ({"userId": USER}, 1000),
        ({"token": TOKEN}, 1000),
        ({"userId": "someone", "token": TOKEN}, 1000),
        ({"userId": USER, "token": "wrong"}, 1014),
    ],
    ids=[
        "missing",
        "both-methods",
        "ssid-with-token",
        "unknown-ssid",
        "user-without-token",
        "token-without-user",
        "unknown-user",
        "wrong-token",
    ],
)
def test_bad_credentials(api: Api, number: str, auth: Any, code: int) -> None:
    answer = api.post("setDnc", auth=auth, contact=number, dnc=-1)

    assert list(answer) == ["status", "message", "code"]
    assert (answer["status"], answer["code"]) == ("error", code)
    assert api.error("getDnc", contact=number) == 1012  # nothing was written


def test_auth_is_checked_before_the_action(api: Api) -> None:
    answer = api.post("setDnc", auth={}, contact="not a number", dnc=1)
    assert answer["code"] == 1000


def test_credentials_from_env_default_per_field() -> None:
    env = {contract.ENV_USER_ID: "ops", contract.ENV_TOKEN: "s3cr3t-value"}
    credentials = Credentials.from_env(env)

    assert credentials.user_id == "ops"
    assert credentials.token == "s3cr3t-value"
    assert credentials.ssid == SSID
    assert Credentials.from_env({}) == Credentials(USER, TOKEN, SSID)


def test_announcement_never_shows_a_configured_credential() -> None:
    custom = Credentials("ops-7731", "s3cr3t-value", "sess-1")
    for secret in ("s3cr3t-value", "sess-1"):
        assert secret not in custom.describe()
        assert secret not in repr(custom)
    assert "ops-7731" not in custom.describe()
    assert "userId=<from DEEPCALL_USER_ID>" in custom.describe()
    assert TOKEN in Credentials().describe() and SSID in Credentials().describe()
