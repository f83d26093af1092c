"""The documented samples work unchanged: body parsed as JSON whatever the
Content-Type, an empty Content-Length header, a number as a JSON number."""

from __future__ import annotations

import http.client
import socket
import time

import httpx
import pytest

from reconciler import contract
from reconciler.sandbox import EmbeddedSandbox

from .conftest import Api

SAMPLE = '{"ssid":"sandbox-ssid","contact": 919876543210,"dnc": 1685577600}'
EXPECTED = b'{"status":"error","message":"Please provide valid date","code":1001}'
SET_DNC = contract.PATHS["setDnc"]


def _address(sandbox: EmbeddedSandbox) -> tuple[str, int]:
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    return host, int(port)


def test_documented_setdnc_sample_is_answered_byte_for_byte(
    running: EmbeddedSandbox,
) -> None:
    conn = http.client.HTTPConnection(*_address(running), timeout=5)
    conn.request(
        "POST",
        SET_DNC,
        SAMPLE,
        {"Content-Length": "", "Content-Type": "text/plain"},
    )
    response = conn.getresponse()

    assert response.status == 200
    assert response.read() == EXPECTED
    assert response.getheader("Content-Type") == "application/json; charset=utf-8"
    assert response.getheader("Content-Length") == "68"
    conn.close()


def test_pretty_printed_sample_with_empty_content_length(
    running: EmbeddedSandbox,
) -> None:
    body = (
        '{\n "ssid":"sandbox-ssid",\n "contact": 919876543210,\n "dnc": 1685577600\n\n}'
    )
    conn = http.client.HTTPConnection(*_address(running), timeout=5)
    conn.request("POST", SET_DNC, body, {"Content-Length": ""})

    assert conn.getresponse().read() == EXPECTED
    conn.close()


def _dnc_body(number: str) -> bytes:
    return f'{{"ssid":"sandbox-ssid","contact": {number},"dnc": -1}}'.encode()


def _head(*fields: str) -> bytes:
    lines = [f"POST {SET_DNC} HTTP/1.1", "Host: x", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_empty_content_length_waits_for_a_body_split_across_packets(
    running: EmbeddedSandbox, number: str
) -> None:
    body = _dnc_body(number)
    head = _head("Content-Length: ", "Connection: close")
    with socket.create_connection(_address(running), timeout=5) as sock:
        sock.sendall(head + body[:20])
        time.sleep(0.05)
        sock.sendall(body[20:])
        reply = sock.makefile("rb").read()

    assert reply.startswith(b"HTTP/1.1 200")
    assert reply.endswith(
        b'{"status":"success","code":200,"data":{"contact":"%s","dnc":-1}}'
        % number.encode()
    )


def _exchange(running: EmbeddedSandbox, data: bytes) -> bytes:
    """Send ``data`` in one write; everything answered until the server closes."""
    with socket.create_connection(_address(running), timeout=5) as sock:
        sock.sendall(data)
        return sock.makefile("rb").read()


def _set_dnc(number: str, length: str, close: bool = False) -> bytes:
    body = _dnc_body(number)
    value = str(len(body)) if length == "exact" else ""
    ending = ["Connection: close"] if close else []
    return _head(f"Content-Length: {value}", *ending) + body


def _successes(reply: bytes) -> int:
    return reply.count(b'{"status":"success","code":200,')


def test_each_pipelined_request_is_fixed_and_answered(
    running: EmbeddedSandbox, number: str
) -> None:
    # A proper request, then one with an empty Content-Length, then another.
    data = (
        _set_dnc(number, "exact")
        + _set_dnc(number, "empty")
        + _set_dnc(number, "empty", close=True)
    )

    reply = _exchange(running, data)

    assert reply.count(b"HTTP/1.1 200") == 3
    assert _successes(reply) == 3


def test_empty_content_length_beside_chunked_is_left_to_the_chunks(
    running: EmbeddedSandbox, number: str
) -> None:
    body = _dnc_body(number)
    head = _head("Content-Length: ", "Transfer-Encoding: chunked", "Connection: close")
    data = head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)

    reply = _exchange(running, data)

    assert reply.startswith(b"HTTP/1.1 200")
    assert _successes(reply) == 1


def test_a_head_that_never_ends_is_refused_at_once(running: EmbeddedSandbox) -> None:
    started = time.monotonic()
    reply = _exchange(running, b"POST / HTTP/1.1\r\nX-Long: " + b"a" * 70_000)

    assert reply.startswith(b"HTTP/1.1 400")
    assert time.monotonic() - started < 2


def test_bytes_that_are_not_http_are_refused_at_once(
    running: EmbeddedSandbox,
) -> None:
    # The start of a TLS handshake, as an https:// client sends it.
    started = time.monotonic()
    reply = _exchange(running, bytes.fromhex("160301020001000200"))

    assert reply.startswith(b"HTTP/1.1 400")
    assert time.monotonic() - started < 2


def test_empty_content_length_without_body_is_invalid_request(
    running: EmbeddedSandbox,
) -> None:
    conn = http.client.HTTPConnection(*_address(running), timeout=5)
    conn.request("POST", SET_DNC, None, {"Content-Length": ""})

    assert conn.getresponse().read() == (
        b'{"status":"error","message":"Invalid request data","code":1047}'
    )
    conn.close()


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", None, "application/json"],
)
def test_body_is_json_whatever_the_content_type(
    client: httpx.Client, number: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = f'{{"ssid":"sandbox-ssid","contact": {number},"dnc": -1}}'
    response = client.post(SET_DNC, content=body, headers=headers)

    assert response.json() == {
        "status": "success",
        "code": 200,
        "data": {"contact": number, "dnc": -1},
    }


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"[1, 2]",
        b'"text"',
        b"\xff",
        b'{"dnc": ' + b"9" * 5000 + b"}",
    ],
)
def test_empty_or_malformed_body_is_1047(client: httpx.Client, body: bytes) -> None:
    response = client.post(SET_DNC, content=body)

    assert response.status_code == 200
    assert response.content == (
        b'{"status":"error","message":"Invalid request data","code":1047}'
    )


@pytest.mark.parametrize("action", sorted(contract.PATHS))
def test_every_path_answers_with_and_without_trailing_slash(
    client: httpx.Client, action: str
) -> None:
    for path in (contract.PATHS[action], contract.PATHS[action] + "/"):
        response = client.post(path, content=b"")
        assert response.status_code == 200, path
        assert response.json()["code"] == 1047


def test_get_is_not_allowed(client: httpx.Client) -> None:
    assert client.get(SET_DNC).status_code == 405


def test_unknown_path_is_404(client: httpx.Client) -> None:
    assert client.post("/api/v2/Directory/delete", content=b"{}").status_code == 404


def test_success_envelope_is_compact_with_data_key(api: Api, number: str) -> None:
    response = api.client.post(
        contract.PATHS["setDnc"],
        json={"ssid": contract.SANDBOX_SSID, "contact": number, "dnc": -1},
    )
    assert response.content == (
        b'{"status":"success","code":200,"data":{"contact":"%s","dnc":-1}}'
        % number.encode()
    )
