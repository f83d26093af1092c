"""The floor under ``reconciler validate``: what its two libraries alone take.

Reading a directory costs at least two things that reconciler leaves to
libraries: libyaml's events, as PyYAML's C parser hands them to Python, for
every file; and phonenumbers' validity rules (``is_valid_number_for_region``)
for every number declared. This script times exactly those two over the
benchmark's files, shared between one process per core as reconciler shares
them, and no code of reconciler's: each number is made into phonenumbers'
object before the clock starts. Start-up is timed apart, as a fresh
interpreter importing what ``validate`` imports.

    python bench/floor.py DECLARATIONS SIZE

It prints one JSON object: ``startup`` and ``libraries`` in seconds, and the
``processes`` used. Their sum is a lower bound of any ``validate`` built on
PyYAML and phonenumbers, on this machine, for this data. ``loader`` is the
same as ``libraries`` with PyYAML's own C loader (``yaml.load`` with
``CSafeLoader``, which builds plain values and keeps no positions) in place
of the bare events: the cost of the values as the library makes them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import generate
import phonenumbers
import yaml

REGION = "IN"
COUNTRY_CODE = 91

# Filled before the processes fork, so that none of it is sent to them.
_FILES: list[Path] = []
_NUMBERS: list[phonenumbers.PhoneNumber] = []


def main() -> int:
    root, size = Path(sys.argv[1]), int(sys.argv[2])
    _FILES.extend(sorted(root.glob("*.yaml")))
    _NUMBERS.extend(_declared_numbers(size))
    processes = min(len(_FILES), len(os.sched_getaffinity(0)))
    figures = {
        "startup": _startup(),
        "libraries": _libraries(processes, _share),
        "loader": _libraries(processes, _share_loaded),
        "processes": processes,
    }
    print(json.dumps(figures))
    return 0


def _declared_numbers(size: int) -> list[phonenumbers.PhoneNumber]:
    """Each distinct number the files declare, as phonenumbers' object.

    CLI lines and DIDs repeat a handful of values, which a reader checks
    once each; they are left out.
    """
    return [
        phonenumbers.PhoneNumber(
            country_code=COUNTRY_CODE, national_number=int(number.digits)
        )
        for number in generate.plan_of(size)
        if number.declared
    ]


def _startup() -> float:
    """The best of three fresh interpreters importing what validate imports."""
    code = "import reconciler.cli, reconciler.commands.validate"
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def _libraries(processes: int, share: Callable[[int, int], int]) -> float:
    """Wall time of ``share`` run over ``processes``, each with its part."""
    started = time.perf_counter()
    if processes < 2:
        share(0, 1)
        return time.perf_counter() - started
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes - 1, mp_context=context) as pool:
        others = [pool.submit(share, part, processes) for part in range(1, processes)]
        share(0, processes)
        for other in others:
            other.result()
    return time.perf_counter() - started


def _share(part: int, parts: int) -> int:
    """One process's files and numbers: every ``parts``-th, from ``part``."""
    events = 0
    for path in _FILES[part::parts]:
        loader = yaml.CSafeLoader(path.read_text(encoding="utf-8"))
        next_event, end = loader.get_event, yaml.StreamEndEvent
        while next_event().__class__ is not end:
            events += 1
        loader.dispose()
    return events + _valid(part, parts)


def _share_loaded(part: int, parts: int) -> int:
    """As ``_share``, with each file loaded by PyYAML's C loader."""
    values = 0
    for path in _FILES[part::parts]:
        text = path.read_text(encoding="utf-8")
        values += len(yaml.load(text, Loader=yaml.CSafeLoader))
    return values + _valid(part, parts)


def _valid(part: int, parts: int) -> int:
    valid = phonenumbers.is_valid_number_for_region
    return sum(valid(n, REGION) for n in _NUMBERS[part::parts])


if __name__ == "__main__":
    sys.exit(main())
