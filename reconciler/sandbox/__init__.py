"""A local DeepCall-compatible Directory API server on SQLite."""

from __future__ import annotations

from reconciler.sandbox.server import EmbeddedSandbox

__all__ = ["EmbeddedSandbox"]
