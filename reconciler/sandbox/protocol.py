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
import re
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
# What an unfinished request line may start with: a method, after any blank
# lines left between pipelined requests.
_REQUEST_START = re.compile(rb"(?:\r?\n)*[A-Z]*(?: |\r?\n?\Z)")


class SandboxProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that tolerates an empty Content-Length and exposes
    the transport to the application.

    Bytes go to the parser request by request: each head is looked at before
    the parser sees it, its body is passed through by its length, and then
    the next head is looked at, so that pipelined requests are fixed each.
    """

    _pending: bytes = b""
    _timer: asyncio.TimerHandle | None = None
    # Body bytes of the current request still to pass through unexamined.
    _skip: int = 0
    # A chunked body is being parsed: the parser frames it, up to its end.
    _through: bool = False

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
        buffer, self._pending = self._pending + data, b""
        framed = self._frame(buffer)
        if framed:
            super().data_received(framed)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        scope = cast(dict[str, Any], self.scope)
        scope.setdefault("extensions", {})[TRANSPORT_KEY] = self.transport

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._through = False

    def _frame(self, buffer: bytes, final: bool = False) -> bytes:
        """What the parser may have of ``buffer`` now, empty lengths fixed.

        What has to wait for more data is kept in ``_pending``. ``final``
        says no more data is coming soon: decide with what is there.
        """
        out: list[bytes] = []
        while buffer and not self._through:
            if self._skip:
                passed = buffer[: self._skip]
                out.append(passed)
                self._skip -= len(passed)
                buffer = buffer[len(passed) :]
                continue
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) >= _MAX_HEAD:
                    self.send_400_response("Request header is too large.")
                    return b""
                if not _REQUEST_START.match(buffer):
                    # Not HTTP (a TLS handshake, say): the parser refuses it
                    # at once, rather than wait for a head that never comes.
                    out.append(buffer)
                    return b"".join(out)
                self._pending = buffer
                return b"".join(out)
            head = self._head(buffer[:end].split(b"\r\n"), buffer[end + 4 :], final)
            if head is None:  # waiting for the body of an empty Content-Length
                self._pending = buffer
                self._timer = self.loop.call_later(_BODY_WAIT_SECONDS, self._flush)
                return b"".join(out)
            out.append(head)
            buffer = buffer[end + 4 :]
        out.append(buffer)
        return b"".join(out)

    def _head(self, lines: list[bytes], rest: bytes, final: bool) -> bytes | None:
        """The head to pass on, its body's length set in ``_skip``; None: wait."""
        if any(i and _is_transfer_encoding(line) for i, line in enumerate(lines)):
            self._through = True
            kept = [line for line in lines if not _is_empty_length(line)]
            return b"\r\n".join(kept) + b"\r\n\r\n"

        empty = [i for i, line in enumerate(lines) if i and _is_empty_length(line)]
        kept = [line for i, line in enumerate(lines) if i not in empty]
        declared = _declared_length(kept)
        if empty and not any(i and _is_length(line) for i, line in enumerate(kept)):
            # Clients often send the head and the body in separate writes:
            # wait a little for a body that has not (fully) arrived yet.
            size = _json_length(rest)
            if size is None and not final and len(rest) < _MAX_WAIT_BODY:
                return None
            declared = len(rest) if size is None else size
            logger.debug("empty Content-Length replaced by %d", declared)
            kept.append(b"Content-Length: %d" % declared)
        if declared is None:
            self._through = True  # an invalid length: the parser refuses it
            declared = 0
        self._skip = declared
        return b"\r\n".join(kept) + b"\r\n\r\n"

    def _flush(self) -> None:
        """No more body arrived in time: pass on what there is."""
        self._timer = None
        if not self._pending or self.transport.is_closing():
            return
        buffer, self._pending = self._pending, b""
        framed = self._frame(buffer, final=True)
        if framed:
            super().data_received(framed)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _field(line: bytes) -> tuple[bytes, bytes]:
    name, _, value = line.partition(b":")
    return name.strip().lower(), value.strip()


def _is_length(line: bytes) -> bool:
    return _field(line)[0] == b"content-length"


def _is_empty_length(line: bytes) -> bool:
    return _field(line) == (b"content-length", b"")


def _is_transfer_encoding(line: bytes) -> bool:
    return _field(line)[0] == b"transfer-encoding"


def _declared_length(lines: list[bytes]) -> int | None:
    """The head's body length: 0 without a Content-Length, None if invalid."""
    values = {_field(line)[1] for line in lines[1:] if _is_length(line)}
    if not values:
        return 0
    if len(values) == 1 and (value := values.pop()).isdigit():
        return int(value)
    return None


def _json_length(body: bytes) -> int | None:
    """Bytes up to the end of the JSON object or array that ``body`` starts
    with; all of it if it is not JSON; None if it is cut off (or empty)."""
    start = len(body) - len(body.lstrip())
    if start == len(body):
        return None
    if body[start : start + 1] not in (b"{", b"["):
        return len(body)

    depth, in_string, escaped = 0, False, False
    # Structural characters are ASCII: no byte of a UTF-8 sequence equals one.
    for index in range(start, len(body)):
        char = body[index : index + 1]
        if in_string:
            if escaped:
                escaped = False
            elif char == b"\\":
                escaped = True
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"{", b"["):
            depth += 1
        elif char in (b"}", b"]"):
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def close_without_response(scope: MutableMapping[str, Any]) -> bool:
    """Close the request's connection at once; False if no transport is known."""
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if not isinstance(transport, asyncio.Transport):
        return False
    transport.close()
    return True
