"""`reconciler sandbox`: run the local DeepCall-compatible server."""

from __future__ import annotations

import argparse

from reconciler.commands import common
from reconciler.sandbox import options


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser("sandbox", help="run the local DeepCall sandbox")
    options.add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: uvicorn and starlette are needed only to serve.
    from reconciler.sandbox import server

    return server.run(args)
