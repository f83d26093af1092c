"""The DeepCall Directory API client, on httpx.

Every call is a POST of a JSON body that carries the credentials; success is
decided by the envelope's ``status``, never by the HTTP status. Errors of
httpx and aiohttp are translated here into reconciler's own, which carry the
action, the number and the API code, and never the credentials.

Requests go out through aiohttp's connection pool (httpx-aiohttp), under
httpx's API: httpx's own pool hands an idle connection to every waiting
request at once, and the losers' retries cost several milliseconds of CPU a
request at a parallelism of 32, more than the reads they wait for.

Concurrency is bounded by a semaphore and, optionally, a request rate.
Transient failures are retried with jittered exponential backoff (tenacity),
honouring Retry-After. A write whose outcome is unknown (the request may have
reached the server) is not retried here: the caller re-reads the number first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
import httpx
import tenacity
from aiolimiter import AsyncLimiter
from httpx_aiohttp import AiohttpTransport

from reconciler import contract, numbers
from reconciler.errors import ApiError, ApiResponseError, SettingsError, TransportError
from reconciler.essence import Essence, from_api
from reconciler.settings import Credentials

log = logging.getLogger(__name__)

_HEADERS = {"User-Agent": "reconciler"}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, total time, and the backoff curve."""

    attempts: int = 8
    total_seconds: float = 120.0
    initial: float = 0.2
    maximum: float = 10.0
    jitter: float = 0.5


class DirectoryClient:
    """One connection pool to one DeepCall endpoint, used from asyncio."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 10.0,
        parallelism: int = 16,
        rate: float | None = None,
        region: str = contract.DEFAULT_REGION,
        wire_format: str = contract.WIRE_NUMBER_FORMAT,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.credentials = credentials
        self.region = region
        self.wire_format = wire_format
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0
        self._semaphore = asyncio.Semaphore(parallelism)
        self._limiter = _limiter(rate) if rate else None
        self._urls = _urls(base_url)
        self._host = httpx.URL(base_url).host  # no user or password in it
        self._said_unreachable = False
        self._timeout = httpx.Timeout(timeout).as_dict()
        # Requests go to the transport itself: httpx's client layer (URL
        # merging, cookies, auth and redirect handling) would double the CPU
        # of a read and does nothing for a JSON POST to a fixed path.
        self._transport = transport or _pooled_transport(base_url, parallelism)

    async def __aenter__(self) -> DirectoryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._transport.aclose()

    def wire(self, number: str) -> str:
        return numbers.to_wire(number, self.wire_format)

    # Reads ---------------------------------------------------------------

    async def read(self, number: str, now: int) -> Essence:
        """The live essence of ``number``; an empty one if it has no entry."""
        try:
            data = await self.call(
                "getInfo", {"cn": self.wire(number), "field": "all"}, number=number
            )
        except ApiResponseError as exc:
            if exc.code == contract.Code.NO_DATA:
                return Essence(exists=False)
            raise
        return from_api(data or {}, now, self.region)

    # Calls ---------------------------------------------------------------

    async def call(
        self,
        action: str,
        params: dict[str, Any],
        *,
        number: str | None = None,
        retry_ambiguous: bool | None = None,
        payload_key: str = contract.PAYLOAD_KEY,
    ) -> Any:
        """POST ``action`` and return the envelope's payload.

        Reads retry every transient failure. Writes retry only failures that
        certainly did not reach the server, unless ``retry_ambiguous``. The
        reference endpoints carry their payload under another key.
        """
        if retry_ambiguous is None:
            retry_ambiguous = action not in contract.WRITE_ACTIONS
        retryable = _retryable(retry_ambiguous)
        started = time.monotonic()
        try:
            return await self._send(action, params, number, payload_key)
        except ApiError as exc:
            if not retryable(exc) or self.retry.attempts < 2:
                raise
            pause = self.delay(1, exc)
            self._log_retry(exc, 1, pause)
        await asyncio.sleep(pause)

        # tenacity takes over from the second try. The first is made above:
        # almost every call succeeds there, and tenacity's machinery cost a
        # tenth of a read's CPU, most of it in reference cycles for the
        # collector.
        budget = self.retry.total_seconds - (time.monotonic() - started)
        retrying = tenacity.AsyncRetrying(
            stop=(
                tenacity.stop_after_attempt(self.retry.attempts - 1)
                | tenacity.stop_after_delay(max(budget, 0.0))
            ),
            wait=self._wait,
            retry=tenacity.retry_if_exception(retryable),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send(action, params, number, payload_key)
        raise AssertionError("unreachable")  # pragma: no cover

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before try ``attempt + 1``: exponential, jittered."""
        base: float = min(self.retry.initial * 2 ** (attempt - 1), self.retry.maximum)
        return base + random.uniform(0, self.retry.jitter)

    def delay(self, attempt: int, failure: BaseException | None) -> float:
        """Seconds to wait after ``failure``: its Retry-After, or the backoff."""
        backoff = self.backoff(attempt)
        retry_after = getattr(failure, "retry_after", None)
        if retry_after is not None:
            return max(float(retry_after), 0.0) + min(backoff, self.retry.jitter)
        return backoff

    # tenacity counts from the second try: its attempt n is the call's n + 1.

    def _wait(self, state: tenacity.RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        return self.delay(state.attempt_number + 1, failure)

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        self._log_retry(failure, state.attempt_number + 1, state.upcoming_sleep)

    def _log_retry(
        self, failure: BaseException | None, attempt: int, pause: float
    ) -> None:
        # Said once out loud: otherwise a server that cannot be reached looks
        # like a command that hangs until the retries run out.
        unreachable = (
            isinstance(failure, TransportError)
            and not failure.ambiguous
            and failure.status is None
        )
        if unreachable and not self._said_unreachable:
            self._said_unreachable = True
            log.warning(
                "cannot reach %s (%s); trying again for up to %.0fs",
                self._host,
                failure,
                self.retry.total_seconds,
            )
            return
        log.info(
            "retrying after %s (attempt %d, waiting %.2fs)", failure, attempt, pause
        )

    async def _send(
        self,
        action: str,
        params: dict[str, Any],
        number: str | None,
        payload_key: str = contract.PAYLOAD_KEY,
    ) -> Any:
        body = {**params, **self.credentials.body_fields()}
        async with self._semaphore:
            if self._limiter is not None:
                await self._limiter.acquire()
            started = time.monotonic()
            self.requests_sent += 1
            try:
                response = await self._post(contract.PATHS[action], body)
            except (httpx.HTTPError, aiohttp.ClientError) as exc:
                raise _transport_error(exc, action, number) from None
        log.debug(
            "%s %s -> HTTP %d in %.0f ms",
            action,
            number or "-",
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return self._payload(response, action, number, payload_key)

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        request = httpx.Request(
            "POST",
            self._urls[path],
            json=body,
            headers=_HEADERS,
            extensions={"timeout": self._timeout},
        )
        response = await self._transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def _payload(
        self,
        response: httpx.Response,
        action: str,
        number: str | None,
        payload_key: str = contract.PAYLOAD_KEY,
    ) -> Any:
        status = response.status_code
        if status == 429 or status >= 500:
            raise TransportError(
                f"HTTP {status}",
                action=action,
                number=number,
                status=status,
                retry_after=_retry_after(response),
                ambiguous=status != 429,
            )
        try:
            envelope = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise TransportError(
                f"HTTP {status} with a body that is not JSON",
                action=action,
                number=number,
                status=status if status >= 400 else None,
                ambiguous=True,
            ) from None

        if not isinstance(envelope, dict):
            raise TransportError(
                "the answer is not a JSON object",
                action=action,
                number=number,
                ambiguous=True,
            )
        if envelope.get("status") == contract.STATUS_SUCCESS:
            return envelope.get(payload_key)
        raise self._response_error(envelope, action, number)

    def _response_error(
        self, envelope: dict[str, Any], action: str, number: str | None
    ) -> ApiResponseError:
        code = envelope.get("code")
        message = self._redact(str(envelope.get("message", "unknown error")))
        return ApiResponseError(
            message,
            action=action,
            number=number,
            code=code if isinstance(code, int) else None,
        )

    def _redact(self, text: str) -> str:
        for secret in self.credentials.secrets():
            text = text.replace(secret, "***")
        return text


# The user and password a URL may carry, kept out of messages.
_USERINFO = re.compile(r"//[^/@]*@")


def _urls(base_url: str) -> dict[str, httpx.URL]:
    """The URL of every API path under ``base_url``, made once."""
    root = base_url.rstrip("/")
    try:
        parsed = httpx.URL(root)
        if parsed.query or parsed.fragment:
            raise httpx.InvalidURL("the API takes no query string or fragment")
        return {path: httpx.URL(root + path) for path in contract.PATHS.values()}
    except httpx.InvalidURL as exc:
        raise SettingsError(
            f"the endpoint {_USERINFO.sub('//', base_url)!r} is not a valid URL "
            f"({exc}); "
            f"write it as {contract.DEFAULT_BASE_URL}"
        ) from None


def _pooled_transport(base_url: str, parallelism: int) -> AiohttpTransport:
    """aiohttp's pool of ``parallelism`` connections, TLS checked as httpx does."""

    def session() -> aiohttp.ClientSession:
        # Made on first use: aiohttp wants the running event loop.
        connector = aiohttp.TCPConnector(
            limit=parallelism, ssl=httpx.create_ssl_context()
        )
        return aiohttp.ClientSession(connector=connector)

    return AiohttpTransport(client=session, proxy=_environment_proxy(base_url))


def _environment_proxy(base_url: str) -> httpx.Proxy | None:
    """The proxy that HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY give.

    Looked up once: aiohttp's own lookup (trust_env) reads the environment
    and ~/.netrc in a worker thread for every request.
    """
    url = httpx.URL(base_url)
    if urllib.request.proxy_bypass(url.host):
        return None
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy:
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy  # as curl and httpx read `host:port`
    try:
        return httpx.Proxy(proxy)
    except (ValueError, httpx.InvalidURL) as exc:
        raise SettingsError(
            f"the proxy for {url.scheme} URLs is not usable: {exc}; fix "
            f"{url.scheme.upper()}_PROXY (or ALL_PROXY), or unset it"
        ) from None


def _limiter(rate: float) -> AsyncLimiter:
    # A bucket of a twentieth of a second's worth: a full second's bucket
    # would let twice the rate through in the first second, a burst that a
    # throttled server answers with 429s.
    period = 0.05
    return AsyncLimiter(max(rate * period, 1.0), max(period, 1.0 / rate))


def _retryable(retry_ambiguous: bool) -> Callable[[BaseException], bool]:
    def predicate(exc: BaseException) -> bool:
        if not isinstance(exc, ApiError) or not exc.transient:
            return False
        if isinstance(exc, TransportError) and exc.ambiguous:
            return retry_ambiguous
        if isinstance(exc, ApiResponseError):
            # 1009/1010: the server failed midway; a write may have landed.
            return retry_ambiguous
        return True

    return predicate


# aiohttp's failures that leave the request unsent. httpx-aiohttp maps a
# connection lost after the request went out to httpx.ConnectTimeout too, so
# the cause, when there is one, decides.
_UNSENT_CAUSES = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
_UNSENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# TLS that fails (a certificate that does not check out, or https:// to a
# server that speaks plain HTTP) fails the same way on every try.
_PERMANENT_CAUSES = (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch)


def _transport_error(exc: Exception, action: str, number: str | None) -> ApiError:
    cause = exc.__cause__ if isinstance(exc.__cause__, aiohttp.ClientError) else exc
    if isinstance(cause, aiohttp.ClientError):
        unsent = isinstance(cause, _UNSENT_CAUSES)
    else:
        unsent = isinstance(exc, _UNSENT_ERRORS)
    return TransportError(
        _describe(cause),
        action=action,
        number=number,
        ambiguous=not unsent,
        permanent=isinstance(cause, _PERMANENT_CAUSES),
    )


def _describe(cause: BaseException) -> str:
    """The failure on one line: aiohttp's parser errors span several."""
    kind = type(cause).__name__
    if isinstance(cause, aiohttp.ClientResponseError):
        text = str(cause.message)  # str() shows its newlines as \n
    else:
        text = str(cause)
    text = " ".join(text.split()).removesuffix(" ^")  # the parser's caret line
    return f"{kind}: {text}" if text else kind


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
