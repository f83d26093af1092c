"""Helpers for the declaration tests: load a fixture, get its problems."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler import declarations, settings
from reconciler.errors import DeclarationError, Problem

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A fixed "now" (2026-01-01T00:00:00Z) so that expiry checks do not drift.
NOW = 1_767_225_600


def load(*names: str, **overrides: str) -> declarations.Declarations:
    config = settings.override(settings.Settings(), **overrides)
    return declarations.load([FIXTURES / n for n in names], config, NOW)


def problems(*names: str) -> list[Problem]:
    with pytest.raises(DeclarationError) as caught:
        load(*names)
    return caught.value.problems


def place(problem: Problem) -> tuple[str, int, int]:
    loc = problem.location
    return Path(loc.path).name, loc.line, loc.column


__all__ = ["FIXTURES", "NOW", "load", "place", "problems", "time"]
