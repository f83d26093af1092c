"""A local DeepCall-compatible Directory API server on SQLite."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.sandbox.server import EmbeddedSandbox

__all__ = ["EmbeddedSandbox"]


def __getattr__(name: str) -> Any:
    # The server is imported on first use: uvicorn and starlette are heavy,
    # and most commands never start a sandbox.
    if name == "EmbeddedSandbox":
        from reconciler.sandbox.server import EmbeddedSandbox

        return EmbeddedSandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
