"""uvicorn's httptools protocol, adapted to what the documented samples send.

Two additions:

* Most DeepCall code samples set an *empty* ``Content-Length:`` header and
  still send a body. An HTTP parser rejects such a request with 400, so the
  header is rewritten to the length of the body that arrives with it:
  everything up to the end of the first complete JSON value (or all of it,
  if it is not JSON).
* The connection's transport is put into the ASGI scope (under
  ``extensions``), so that fault injection can close a connection without
  sending any response, as a dropped connection would.

httptools (llhttp) rather than h11: it parses in C, which halves the
sandbox's CPU a request, and so the delay a busy sandbox adds to the
latency it was told to inject.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import MutableMapping
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)

TRANSPORT_KEY = "reconciler.sandbox.transport"
_MAX_HEAD = 64 * 1024
_MAX_WAIT_BODY = 1024 * 1024
# How long to wait for the rest of a body sent with an empty Content-Length.
_BODY_WAIT_SECONDS = 0.5


class SandboxProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that tolerates an empty Content-Length and exposes
    the transport to the application."""

    _pending: bytes = b""
    _timer: asyncio.TimerHandle | None = None
    # No request is partway through the parser: the next bytes start one.
    _between: bool = True

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        # Headers and body go out in separate writes; without TCP_NODELAY,
        # Nagle and delayed ACKs add ~40 ms to every response.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._cancel_timer()
        if self._pending or self._between:
            fixed = self._fix_head(self._pending + data)
            if fixed is None:
                return
            data = fixed
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._between = False
        scope = cast(dict[str, Any], self.scope)
        scope.setdefault("extensions", {})[TRANSPORT_KEY] = self.transport

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._between = True

    def _fix_head(self, buffer: bytes, final: bool = False) -> bytes | None:
        """The buffer with an empty Content-Length fixed, or None to wait.

        ``final`` says no more data is coming soon: decide with what is there.
        """
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            self._pending = buffer if len(buffer) < _MAX_HEAD else b""
            return None if self._pending else buffer

        head, body = buffer[:end], buffer[end + 4 :]
        lines = head.split(b"\r\n")
        empty = [i for i, line in enumerate(lines) if i and _is_empty_length(line)]
        if not empty:
            self._pending = b""
            return buffer
        # Clients often send the head and the body in separate writes: wait a
        # little for a body that has not (fully) arrived yet.
        waiting = not body or not _body_complete(body)
        if waiting and not final and len(body) < _MAX_WAIT_BODY:
            self._pending = buffer
            self._timer = self.loop.call_later(_BODY_WAIT_SECONDS, self._flush)
            return None

        self._pending = b""
        logger.debug("empty Content-Length replaced by %d", len(body))
        kept = [line for i, line in enumerate(lines) if i not in empty]
        if not any(_is_length(line) for line in kept):
            kept.append(b"Content-Length: %d" % len(body))
        return b"\r\n".join(kept) + b"\r\n\r\n" + body

    def _flush(self) -> None:
        """No more body arrived in time: pass on what there is."""
        self._timer = None
        if not self._pending or self.transport.is_closing():
            return
        data = self._fix_head(self._pending, final=True)
        if data is not None:
            super().data_received(data)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _is_length(line: bytes) -> bool:
    name, _, _ = line.partition(b":")
    return name.strip().lower() == b"content-length"


def _is_empty_length(line: bytes) -> bool:
    return _is_length(line) and not line.partition(b":")[2].strip()


def _body_complete(body: bytes) -> bool:
    """False only for the start of a JSON object or array that is cut off."""
    text = body.decode("utf-8", "replace").lstrip()
    if not text or text[0] not in "{[":
        return True

    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return True
    return False


def close_without_response(scope: MutableMapping[str, Any]) -> bool:
    """Close the request's connection at once; False if no transport is known."""
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if not isinstance(transport, asyncio.Transport):
        return False
    transport.close()
    return True
