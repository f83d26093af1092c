"""Credentials kept out of what reconciler shows and writes.

Whatever a declaration file holds may be shown in a plan, a message or a
CI log, and written to the ledger; none of them may ever hold a credential.
A file in which the configured token or ssid stands is refused at each place
it stands, and for that alone: any other word about it might quote part of
the credential. Every problem printed has the credentials masked besides,
whatever it came from.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from reconciler import contract, yamlfile
from reconciler.errors import Location, Problem

# Shorter credentials are not looked for: they would be found by chance in
# numbers and dates.
SHORTEST = 8
MASK = "***"


def looked_for(secrets: tuple[str | None, ...]) -> tuple[str, ...]:
    """The credentials worth looking for in declaration files."""
    return tuple(s for s in secrets if s is not None and len(s) >= SHORTEST)


def configured() -> tuple[str, ...]:
    """The credentials the environment gives, worth looking for."""
    return looked_for(
        (os.environ.get(contract.ENV_TOKEN), os.environ.get(contract.ENV_SSID))
    )


def problems(
    display: str, text: str, data: Any, secrets: tuple[str, ...]
) -> list[Problem]:
    """A problem at each place of ``text`` where one of ``secrets`` stands.

    The text is searched as written. Where it holds an escape, the values
    YAML made of it are searched too (``\\x2d`` is a ``-``), each found at
    the place of its value.
    """
    places = {place for secret in secrets for place in _written(text, secret)}
    if data is not None and "\\" in text:
        lines = {line for line, _ in places}
        for value, (line, column) in yamlfile.iter_strings(data):
            if line not in lines and any(secret in value for secret in secrets):
                places.add((line, column))
    return [
        Problem(
            Location(display, line, column),
            "the configured DeepCall credential stands here; plans and the "
            "ledger would show it",
            "remove it: a credential belongs in DEEPCALL_TOKEN or DEEPCALL_SSID alone",
        )
        for line, column in sorted(places)
    ]


def masked(problem: Problem, secrets: tuple[str, ...]) -> Problem:
    """``problem`` with every credential in its words replaced by ***."""
    message, hint = problem.message, problem.hint
    for secret in secrets:
        message, hint = message.replace(secret, MASK), hint.replace(secret, MASK)
    return dataclasses.replace(problem, message=message, hint=hint)


def _written(text: str, secret: str) -> list[yamlfile.Position]:
    places = []
    start = text.find(secret)
    while start >= 0:
        places.append(yamlfile.position_at(text, start))
        start = text.find(secret, start + len(secret))
    return places
