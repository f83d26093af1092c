"""Running the sandbox: in-process for tests and the CLI's embedded default,
or in the foreground as ``reconciler sandbox``."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from reconciler.errors import SandboxError
from reconciler.sandbox.app import Sandbox, create_app
from reconciler.sandbox.auth import Credentials
from reconciler.sandbox.faults import FaultSettings
from reconciler.sandbox.monitor import DEFAULT_LOG_SIZE
from reconciler.sandbox.options import (
    DEFAULT_HOST,
    fault_settings,
)
from reconciler.sandbox.protocol import SandboxProtocol
from reconciler.sandbox.seed import SeedError, load_seed
from reconciler.sandbox.store import Store

logger = logging.getLogger(__name__)

_START_TIMEOUT = 10.0
# Requests still running (a hang fault) are cancelled after this on stop.
_GRACEFUL_SECONDS = 1


class EmbeddedSandbox:
    """A sandbox served from a background thread on a free loopback port.

    Use it as a context manager; ``base_url`` is set while it runs::

        with EmbeddedSandbox(".reconciler/sandbox.db", seed=None) as sandbox:
            httpx.post(sandbox.base_url + "/api/v2/Directory/getDnc", json=...)

    Unless ``credentials`` are given it accepts those of the DEEPCALL_*
    variables, the built-in sandbox ones where unset: the same ones a client
    started from the same environment sends.
    """

    def __init__(
        self,
        db_path: str | Path,
        seed: str | Path | None = None,
        *,
        credentials: Credentials | None = None,
        faults: FaultSettings | None = None,
        host: str = DEFAULT_HOST,
        log_size: int = DEFAULT_LOG_SIZE,
        durable: bool = True,
    ) -> None:
        self.db_path = Path(db_path)
        self.seed = seed
        self.credentials = credentials or Credentials.from_env()
        self.host = host
        self._faults = faults
        self._log_size = log_size
        self._durable = durable
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.store: Store | None = None
        self.app: Starlette | None = None
        self.base_url = ""

    @property
    def sandbox(self) -> Sandbox:
        """The running app's shared state (store, faults, monitor)."""
        if self.app is None:
            raise RuntimeError("the sandbox is not running")
        state: Sandbox = self.app.state.sandbox
        return state

    def __enter__(self) -> EmbeddedSandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.db_path, durable=self._durable)
        if self.seed is not None:
            load_seed(self.store, self.seed)
        self.app = create_app(
            self.store, self.credentials, self._faults, log_size=self._log_size
        )

        sock = bind(self.host, 0)
        port = sock.getsockname()[1]
        self._server = _Server(self.app, quiet_logging=True)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name="reconciler-sandbox",
            daemon=True,
        )
        self._thread.start()
        self._wait_started()
        self.base_url = f"http://{self.host}:{port}"
        logger.info("embedded sandbox serving at %s", self.base_url)

    def _wait_started(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the embedded sandbox did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=_GRACEFUL_SECONDS + 5)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=5)
        self._server = self._thread = None
        if self.store is not None:
            self.store.close()
            self.store = None


class _Server(uvicorn.Server):
    """uvicorn's server, telling the app first when it shuts down."""

    def __init__(self, app: Starlette, *, quiet_logging: bool = False) -> None:
        super().__init__(_config(app, quiet_logging=quiet_logging))
        self.sandbox: Sandbox = app.state.sandbox

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.sandbox.stopping = True
        await super().shutdown(sockets)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _config(app: Starlette, *, quiet_logging: bool = False) -> uvicorn.Config:
    # Embedded in another program, leave its logging configuration alone.
    return uvicorn.Config(
        app,
        log_level="warning",
        log_config=None if quiet_logging else uvicorn.config.LOGGING_CONFIG,
        lifespan="off",
        # Dropped connections are asyncio transports closed under a request;
        # uvloop, when installed, closes them differently.
        loop="asyncio",
        http=SandboxProtocol,
        timeout_graceful_shutdown=_GRACEFUL_SECONDS,
    )


def run(args: argparse.Namespace) -> int:
    """``reconciler sandbox``: serve in the foreground until Ctrl-C."""
    try:
        faults = fault_settings(args)
        # The port first: a bad one must leave no database behind.
        sock = bind(args.host, args.port)
        db = Path(args.db)
        db.parent.mkdir(parents=True, exist_ok=True)
        store = Store(db)
        if args.seed:
            load_seed(store, args.seed)
    except (OSError, ValueError, OverflowError, SeedError, SandboxError) as exc:
        print(f"reconciler sandbox: {exc}", file=sys.stderr)
        return 1

    credentials = Credentials.from_env()
    app = create_app(store, credentials, faults)
    port = sock.getsockname()[1]
    _announce(f"http://{args.host}:{port}", db, args.seed, credentials, faults)
    try:
        _Server(app).run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully on Ctrl-C, then re-raises it.
        pass
    finally:
        store.close()
    print("reconciler sandbox: stopped", file=sys.stderr)
    return 0


def _announce(
    url: str,
    db: Path,
    seed: str | None,
    credentials: Credentials,
    faults: FaultSettings,
) -> None:
    lines = [
        f"reconciler sandbox: DeepCall Directory API v2 at {url}",
        f"  database {db}" + (f", seed {seed}" if seed else ""),
        f"  accepts {credentials.describe()}",
    ]
    if faults != FaultSettings():
        lines.append(f"  faults {faults.to_json()}")
    lines.append("  admin endpoints under /_sandbox/; Ctrl-C to stop")
    print("\n".join(lines), file=sys.stderr, flush=True)
