"""`reconciler sandbox`: run the local DeepCall-compatible server."""

from __future__ import annotations

from reconciler.commands import common
from reconciler.sandbox import server


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser("sandbox", help="run the local DeepCall sandbox")
    server.add_arguments(parser)
    parser.set_defaults(handler=server.run)
