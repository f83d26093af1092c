"""Where requests go: the configured DeepCall endpoint or the embedded sandbox.

With no DEEPCALL_BASE_URL, commands start the sandbox in-process on a
loopback port, with its database under `.reconciler/` beside the
declarations, and say so on stderr. The example seed (if the project file
names one) is loaded only when that database is first created, so that
what was applied survives the next run.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import contract
from reconciler.errors import SettingsError
from reconciler.settings import Credentials, Settings

if TYPE_CHECKING:
    from reconciler.sandbox import EmbeddedSandbox

log = logging.getLogger(__name__)

SANDBOX_DB = ".reconciler/sandbox.db"


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    credentials: Credentials
    embedded: bool


@contextlib.contextmanager
def open_endpoint(settings: Settings) -> Iterator[Endpoint]:
    if settings.base_url:
        if not settings.credentials.body_fields():
            raise SettingsError(
                "no DeepCall credentials: set DEEPCALL_USER_ID and "
                "DEEPCALL_TOKEN (or DEEPCALL_SSID) for "
                f"{_host(settings.base_url)}"
            )
        _warn_if_in_clear(settings.base_url)
        yield Endpoint(settings.base_url, settings.credentials, embedded=False)
        return
    if settings.base_url_blank:
        # An unset CI variable expands to "": falling back to the embedded
        # sandbox would let an apply "succeed" without touching DeepCall.
        raise SettingsError(
            "DEEPCALL_BASE_URL is set but empty; give the endpoint's URL (such "
            f"as {contract.DEFAULT_BASE_URL}), or unset the variable to use the "
            "embedded sandbox"
        )

    # Imported here: a real endpoint needs no server.
    from reconciler.sandbox import EmbeddedSandbox

    db = settings.resolve(settings.state_path).parent / "sandbox.db"
    seed = settings.resolve(settings.sandbox_seed) if settings.sandbox_seed else None
    if db.exists():
        seed = None
    elif seed is not None and not seed.is_file():
        raise SettingsError(
            f"sandbox seed {seed} (sandbox.seed in the project file) does not "
            "exist; fix the path, or remove the setting to start the embedded "
            "sandbox empty"
        )
    credentials = _sandbox_credentials(settings.credentials)
    with _started(EmbeddedSandbox(db_path=db, seed=seed), db) as sandbox:
        print(
            f"Using the embedded DeepCall sandbox at {sandbox.base_url} "
            f"(database {db}); set DEEPCALL_BASE_URL to use a real endpoint.",
            file=sys.stderr,
        )
        yield Endpoint(sandbox.base_url, credentials, embedded=True)


@contextlib.contextmanager
def _started(sandbox: EmbeddedSandbox, db: Path) -> Iterator[EmbeddedSandbox]:
    """Start ``sandbox``; a seed that fails leaves no half-seeded database."""
    from reconciler.sandbox.seed import SeedError

    try:
        sandbox.start()
    except SeedError as exc:
        sandbox.stop()
        db.unlink(missing_ok=True)
        raise SettingsError(f"the sandbox seed cannot be loaded: {exc}") from None
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _sandbox_credentials(configured: Credentials) -> Credentials:
    if configured.body_fields():
        return configured
    return Credentials.sandbox_default()


def _warn_if_in_clear(base_url: str) -> None:
    """Say so when the credentials would cross a network unencrypted.

    Plain HTTP is left to loopback (a sandbox on this machine) without a
    word; elsewhere it is allowed, for a sandbox beside a CI job, but said.
    """
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme != "http" or _loopback(parts.hostname or ""):
        return
    print(
        f"Warning: the credentials go to {_host(base_url)} over plain HTTP, "
        "unencrypted; use an https:// URL for a real DeepCall endpoint.",
        file=sys.stderr,
    )


def _loopback(host: str) -> bool:
    if host.rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _host(base_url: str) -> str:
    """The endpoint's host, without any user or password the URL holds."""
    return urllib.parse.urlsplit(base_url).hostname or "the endpoint"
