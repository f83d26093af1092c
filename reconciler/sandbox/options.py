"""The command-line options of ``reconciler sandbox``.

Apart from the server so that the command line can be built without
importing uvicorn and starlette, which only serving needs.
"""

from __future__ import annotations

import argparse

from reconciler.sandbox.faults import AMBIGUOUS_KINDS, FaultSettings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_DB = ".reconciler/sandbox.db"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``reconciler sandbox``."""
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0: any free")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLite database file")
    parser.add_argument("--seed", help="seed YAML: reference data and entries")
    faults = parser.add_argument_group("fault injection")
    for flag, kind, text in _FAULT_FLAGS:
        faults.add_argument(flag, type=kind, help=text)
    faults.add_argument(
        "--ambiguous-kind",
        choices=AMBIGUOUS_KINDS,
        help="what loses the answer of an ambiguous write (default drop)",
    )


_FAULT_FLAGS: list[tuple[str, type, str]] = [
    ("--latency-ms", float, "added to every request"),
    ("--jitter-ms", float, "random extra latency, 0 to this"),
    ("--error-rate", float, "share answered with HTTP 500/502/503"),
    ("--throttle-rate", float, "share answered with HTTP 429"),
    ("--retry-after", float, "Retry-After seconds of a 429 (may be fractional)"),
    ("--hang-rate", float, "share that hangs before answering"),
    ("--hang-seconds", float, "how long a hang lasts (default 30)"),
    ("--drop-rate", float, "share whose connection is closed unanswered"),
    ("--ambiguous-rate", float, "share of writes applied, then left unanswered"),
    ("--rate-limit", float, "requests per second; more get HTTP 429"),
    ("--fault-seed", int, "random seed, so that runs repeat"),
]


def fault_settings(args: argparse.Namespace) -> FaultSettings:
    """Fault settings from parsed flags; unset flags keep their defaults."""
    values: dict[str, object] = {}
    for flag in [flag for flag, _, _ in _FAULT_FLAGS] + ["--ambiguous-kind"]:
        name = flag[2:].replace("-", "_")
        value = getattr(args, name, None)
        if value is not None:
            values["seed" if name == "fault_seed" else name] = value
    return FaultSettings(**values)  # type: ignore[arg-type]
