"""The sandbox as an ASGI application: DeepCall paths plus admin endpoints.

Each DeepCall path (and the same path with a trailing slash) is served by an
:class:`ActionEndpoint`, which reads the body as JSON whatever its declared
type, applies any injected fault, authenticates, runs the action and answers
with the envelope of the working contract (HTTP 200 for API errors too).
"""

from __future__ import annotations

import asyncio
import http
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from reconciler import contract, numbers
from reconciler.sandbox import actions, admin
from reconciler.sandbox.auth import Credentials
from reconciler.sandbox.faults import Decision, FaultInjector, FaultSettings
from reconciler.sandbox.monitor import DEFAULT_LOG_SIZE, Monitor
from reconciler.sandbox.protocol import close_without_response
from reconciler.sandbox.reference import stored_form
from reconciler.sandbox.store import Store
from reconciler.sandbox.validate import ApiError

logger = logging.getLogger(__name__)

Code = contract.Code

# Headers of the documented example response, minus the ones a local HTTP
# server has no business sending (HSTS, ETag).
_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS, PATCH, DELETE",
    "Access-Control-Allow-Headers": "X-Requested-With, content-type",
    "Access-Control-Allow-Credentials": "true",
    "Vary": "Origin",
}
_JSON_TYPE = "application/json; charset=utf-8"
# How long a dropped connection waits to see the transport go away.
_DROP_WAIT_SECONDS = 1.0
# How often a hung request checks whether the server is stopping.
_POLL_SECONDS = 0.1


@dataclass
class Sandbox:
    """Everything the endpoints share."""

    store: Store
    credentials: Credentials
    faults: FaultInjector
    monitor: Monitor
    # Set when the server shuts down, so that hung requests end at once.
    stopping: bool = False


@dataclass(frozen=True)
class Handled:
    """The Directory logic's answer to one request, with what the log needs."""

    response: Response
    result: str
    code: int
    contact: str | None
    changed: bool


def create_app(
    store: Store,
    credentials: Credentials | None = None,
    faults: FaultSettings | None = None,
    *,
    log_size: int = DEFAULT_LOG_SIZE,
) -> Starlette:
    """The sandbox application; its :class:`Sandbox` is ``app.state.sandbox``."""
    sandbox = Sandbox(
        store=store,
        credentials=credentials or Credentials(),
        faults=FaultInjector(faults),
        monitor=Monitor(log_size),
    )
    routes: list[BaseRoute] = []
    endpoints: dict[str, ActionEndpoint] = {}
    for action, path in contract.PATHS.items():
        endpoint = ActionEndpoint(action, sandbox)
        routes.append(Route(path, endpoint, methods=["POST"], name=action))
        routes.append(Route(path + "/", endpoint, methods=["POST"]))
        endpoints[path] = endpoints[path + "/"] = endpoint
    routes.extend(admin.routes(sandbox.faults, sandbox.monitor))

    app = _App(routes, endpoints)
    # Both spellings are routed explicitly; never answer with a redirect.
    app.router.redirect_slashes = False
    app.state.sandbox = sandbox
    return app


class _App(Starlette):
    """Starlette, with a POST to a DeepCall path handed to its endpoint at once.

    The endpoints answer every error themselves, so the middleware and the
    route-by-route matching in between (a tenth of a request's time) are
    skipped for them; everything else goes through Starlette as usual.
    """

    def __init__(
        self, routes: list[BaseRoute], endpoints: dict[str, ActionEndpoint]
    ) -> None:
        super().__init__(routes=routes)
        self._endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self._endpoints.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def envelope(payload: dict[str, Any]) -> Response:
    """A compact JSON body, key order as given, HTTP 200."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return Response(body, media_type=_JSON_TYPE, headers=_HEADERS)


def error_response(error: ApiError) -> Response:
    return envelope(
        {"status": contract.STATUS_ERROR, "message": error.message, "code": error.code}
    )


class ActionEndpoint:
    """The raw ASGI endpoint of one action."""

    def __init__(self, action: str, sandbox: Sandbox) -> None:
        self.action = action
        self.sandbox = sandbox
        self.write = action in contract.WRITE_ACTIONS
        self.run = actions.ACTIONS[action]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        arrived = time.time()
        raw = await _read_body(receive)
        decision = self.sandbox.faults.decide(self.write)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.kind is not None:
            self._record_fault(decision, raw, arrived)
            await self._fault(decision, scope, receive, send)
            return

        if self.write:
            # A write waits for its commit to reach the disk: off the loop.
            handled = await anyio.to_thread.run_sync(self._handle, raw)
        else:
            # A read is a primary-key lookup or two, far cheaper than the
            # hand-over to a worker thread and back.
            handled = self._handle(raw)
        fault = f"ambiguous_{decision.after}" if decision.after else None
        self.sandbox.monitor.record(
            self.action,
            handled.contact,
            result=handled.result,
            code=handled.code,
            changed=handled.changed,
            fault=fault,
            arrived=arrived,
        )
        if decision.after == "drop":
            await _drop(scope, receive)
            return
        if decision.after == "hang" and await self._hang(scope, receive):
            return
        await handled.response(scope, receive, send)

    def _handle(self, raw: bytes) -> Handled:
        contact = None
        try:
            body = _parse(raw)
            contact = _contact_of(body)
            self.sandbox.credentials.check(body)
            outcome = self.run(self.sandbox.store, body)
        except ApiError as error:
            logger.debug("%s %s: error %d", self.action, contact, error.code)
            return Handled(error_response(error), "error", error.code, contact, False)
        except sqlite3.Error:
            logger.exception("%s %s: database failure", self.action, contact)
            failure = ApiError(Code.DB_CONNECT)
            return Handled(
                error_response(failure), "error", failure.code, contact, False
            )
        except Exception:
            # A bug in the sandbox must still answer like the API would, with
            # its generic server error, rather than drop the connection.
            logger.exception("%s %s: unexpected failure", self.action, contact)
            failure = ApiError(Code.SERVER_ERROR)
            return Handled(
                error_response(failure), "error", failure.code, contact, False
            )

        response = envelope(
            {
                "status": contract.STATUS_SUCCESS,
                "code": contract.SUCCESS_CODE,
                outcome.key: outcome.payload,
            }
        )
        logger.debug("%s %s: ok (changed=%s)", self.action, contact, outcome.changed)
        code = contract.SUCCESS_CODE
        return Handled(response, "ok", code, outcome.contact, outcome.changed)

    def _record_fault(self, decision: Decision, raw: bytes, arrived: float) -> None:
        contact = _peek_contact(raw)
        logger.debug("%s %s: injected %s", self.action, contact, decision.kind)
        self.sandbox.monitor.record(
            self.action,
            contact,
            result=None,
            code=decision.status,
            fault=decision.kind,
            arrived=arrived,
        )

    async def _fault(
        self, decision: Decision, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer with the injected fault instead of running the action."""
        kind = decision.kind
        settings = self.sandbox.faults.settings

        if kind == "drop":
            await _drop(scope, receive)
            return
        status = decision.status or 504
        if kind == "hang" and await self._hang(scope, receive):
            return

        headers = {}
        if status == 429:
            headers["Retry-After"] = settings.retry_after_header
        phrase = http.HTTPStatus(status).phrase
        response = PlainTextResponse(phrase, status_code=status, headers=headers)
        await response(scope, receive, send)

    async def _hang(self, scope: Scope, receive: Receive) -> bool:
        """Sit on the request for ``hang_seconds``; True if it must not be
        answered any more (the client left, or the server is stopping)."""
        seconds = self.sandbox.faults.settings.hang_seconds
        gone = await _wait_disconnect(receive, seconds, lambda: self.sandbox.stopping)
        if gone and self.sandbox.stopping:
            await _drop(scope, receive)
        return gone


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _parse(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, whatever the Content-Type said (1047)."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except ValueError:  # not UTF-8, not JSON, or an integer of 4,300 digits
        raise ApiError(Code.INVALID_REQUEST) from None
    if not isinstance(body, dict):
        raise ApiError(Code.INVALID_REQUEST)
    return body


def _peek_contact(raw: bytes) -> str | None:
    try:
        return _contact_of(_parse(raw))
    except ApiError:
        return None


def _contact_of(body: dict[str, Any]) -> str | None:
    """The stored form of the request's number, for the log; None if invalid."""
    value = body.get("contact", body.get("cn"))
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        return stored_form(value)
    except numbers.InvalidNumber:
        return None


async def _wait_disconnect(
    receive: Receive, seconds: float, stopping: Callable[[], bool] = lambda: False
) -> bool:
    """Wait until the client goes away, ``stopping()`` turns true or
    ``seconds`` pass; False only in the last case."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    waiter = asyncio.ensure_future(_disconnected(receive))
    try:
        while not waiter.done() and not stopping():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await asyncio.wait({waiter}, timeout=min(remaining, _POLL_SECONDS))
        return True
    finally:
        waiter.cancel()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _drop(scope: Scope, receive: Receive) -> None:
    """Close the connection without a response."""
    if not close_without_response(scope):
        # Only happens outside the sandbox's own server; an abrupt failure is
        # the closest thing left.
        raise ConnectionAbortedError("sandbox fault: connection dropped")
    await _wait_disconnect(receive, _DROP_WAIT_SECONDS)
