"""Admin endpoints under ``/_sandbox/``: not part of DeepCall.

They need no DeepCall credentials and are never subject to faults:

* ``GET /_sandbox/health``: ``{"status": "ok"}``
* ``GET /_sandbox/stats``: ``{action: {requests, ok, errors, faults, writes}}``
* ``GET /_sandbox/requests?since=N&limit=M``: ``{"requests": [...], "last_seq"}``
* ``GET|PUT|PATCH /_sandbox/faults``: read, replace or merge fault settings
* ``POST /_sandbox/reset-stats``: clear counters and log; ``{"seq": N}``
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from reconciler.sandbox.faults import FaultInjector, FaultSettings
from reconciler.sandbox.monitor import Monitor

logger = logging.getLogger(__name__)

PREFIX = "/_sandbox"
DEFAULT_PAGE = 10_000
MAX_PAGE = 1_000_000


def routes(faults: FaultInjector, monitor: Monitor) -> list[BaseRoute]:
    """The admin routes bound to the sandbox's fault injector and monitor."""

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(monitor.stats())

    async def requests(request: Request) -> JSONResponse:
        try:
            since = int(request.query_params.get("since", "0"))
            limit = int(request.query_params.get("limit", str(DEFAULT_PAGE)))
        except ValueError:
            return _bad("since and limit must be integers")
        records, last = monitor.since(since, max(0, min(limit, MAX_PAGE)))
        return JSONResponse(
            {"requests": [record.to_json() for record in records], "last_seq": last}
        )

    async def get_faults(request: Request) -> JSONResponse:
        return JSONResponse(faults.settings.to_json())

    async def put_faults(request: Request) -> JSONResponse:
        try:
            data = await _json(request)
            if request.method == "PATCH" and isinstance(data, dict):
                data = {**faults.settings.to_json(), **data}
            settings = FaultSettings.from_json(data)
        except ValueError as exc:
            return _bad(str(exc))
        faults.replace(settings)
        logger.info("fault settings replaced: %s", settings)
        return JSONResponse(settings.to_json())

    async def reset(request: Request) -> JSONResponse:
        return JSONResponse({"seq": monitor.reset()})

    return [
        Route(f"{PREFIX}/health", health, methods=["GET"]),
        Route(f"{PREFIX}/stats", stats, methods=["GET"]),
        Route(f"{PREFIX}/requests", requests, methods=["GET"]),
        Route(f"{PREFIX}/faults", get_faults, methods=["GET"]),
        Route(f"{PREFIX}/faults", put_faults, methods=["PUT", "PATCH"]),
        Route(f"{PREFIX}/reset-stats", reset, methods=["POST"]),
    ]


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError as exc:  # not UTF-8, not JSON, or too long an integer
        raise ValueError(f"body is not JSON: {exc}") from None


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)
