"""The credentials the sandbox accepts and the body-auth rules (section 2.2).

A request carries either ``ssid`` or ``userId`` + ``token`` in its body. Both
methods at once, neither, or an unknown identity is 1000; a known user with a
wrong token is 1014.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import contract
from reconciler.sandbox.validate import ApiError

Code = contract.Code

# Fields that are never copied into logs or the request log.
SECRET_FIELDS = frozenset({"ssid", "userId", "token"})


@dataclass(frozen=True)
class Credentials:
    """One accepted user (id and token) and one accepted session id."""

    user_id: str = contract.SANDBOX_USER_ID
    token: str = contract.SANDBOX_TOKEN
    ssid: str = contract.SANDBOX_SSID

    def __repr__(self) -> str:
        # Keep the token and the session id out of tracebacks and debug output.
        return f"Credentials(user_id={self.user_id!r}, token=***, ssid=***)"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Credentials from the DEEPCALL_* variables, defaults where unset."""
        env = os.environ if environ is None else environ
        return cls(
            user_id=env.get(contract.ENV_USER_ID) or contract.SANDBOX_USER_ID,
            token=env.get(contract.ENV_TOKEN) or contract.SANDBOX_TOKEN,
            ssid=env.get(contract.ENV_SSID) or contract.SANDBOX_SSID,
        )

    def describe(self) -> str:
        """A one-line announcement; each credential only if it is the default.

        The built-in values are public (clients fall back to them too), so
        they are shown; configured ones are secrets and only named.
        """
        user = _shown(self.user_id, contract.SANDBOX_USER_ID, contract.ENV_USER_ID)
        token = _shown(self.token, contract.SANDBOX_TOKEN, contract.ENV_TOKEN)
        ssid = _shown(self.ssid, contract.SANDBOX_SSID, contract.ENV_SSID)
        return f"userId={user} token={token} ssid={ssid}"

    def check(self, body: Mapping[str, Any]) -> None:
        """Raise :class:`ApiError` unless ``body`` authenticates."""
        has_ssid = _given(body, "ssid")
        has_user = _given(body, "userId") or _given(body, "token")
        if has_ssid and has_user:
            raise ApiError(Code.INVALID_PARAMETER, "Send either ssid or userId+token")
        if has_ssid:
            if not _same(body["ssid"], self.ssid):
                raise ApiError(Code.INVALID_PARAMETER, "Invalid ssid")
            return
        if not (_given(body, "userId") and _given(body, "token")):
            raise ApiError(Code.INVALID_PARAMETER, "Authentication required")
        if not _same(body["userId"], self.user_id):
            raise ApiError(Code.INVALID_PARAMETER, "Invalid userId")
        if not _same(body["token"], self.token):
            raise ApiError(Code.INVALID_TOKEN)


def _shown(value: str, default: str, variable: str) -> str:
    return value if value == default else f"<from {variable}>"


def _given(body: Mapping[str, Any], name: str) -> bool:
    return body.get(name) not in (None, "")


def _same(sent: Any, expected: str) -> bool:
    return hmac.compare_digest(str(sent).encode(), expected.encode())
