"""Where requests go: the configured DeepCall endpoint or the embedded sandbox.

With no DEEPCALL_BASE_URL, commands start the sandbox in-process on a
loopback port, with its database under `.reconciler/` beside the
declarations, and say so on stderr. The example seed (if the project file
names one) is loaded only when that database is first created, so that
what was applied survives the next run.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from reconciler.settings import Credentials, Settings

log = logging.getLogger(__name__)

SANDBOX_DB = ".reconciler/sandbox.db"


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    credentials: Credentials
    embedded: bool


@contextlib.contextmanager
def open_endpoint(settings: Settings) -> Iterator[Endpoint]:
    if not settings.embedded:
        assert settings.base_url is not None
        yield Endpoint(settings.base_url, settings.credentials, embedded=False)
        return

    from reconciler.sandbox import EmbeddedSandbox

    db = settings.resolve(settings.state_path).parent / "sandbox.db"
    seed = settings.resolve(settings.sandbox_seed) if settings.sandbox_seed else None
    if db.exists():
        seed = None
    credentials = _sandbox_credentials(settings.credentials)
    with EmbeddedSandbox(db_path=db, seed=seed) as sandbox:
        print(
            f"Using the embedded DeepCall sandbox at {sandbox.base_url} "
            f"(database {db}); set DEEPCALL_BASE_URL to use a real endpoint.",
            file=sys.stderr,
        )
        yield Endpoint(sandbox.base_url, credentials, embedded=True)


def _sandbox_credentials(configured: Credentials) -> Credentials:
    if configured.body_fields():
        return configured
    return Credentials.sandbox_default()
