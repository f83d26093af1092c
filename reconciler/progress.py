"""A progress bar on stderr for long reads and applies, on a terminal only."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

Advance = Callable[[int], None]

# Below this many steps a bar only flickers; say nothing.
MINIMUM_STEPS = 50


@contextlib.contextmanager
def bar(description: str, total: int) -> Iterator[Advance]:
    """Yield a function that advances a bar by n steps; a no-op off a TTY."""
    if total < MINIMUM_STEPS or not sys.stderr.isatty():
        yield _nothing
        return

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    console = Console(file=sys.stderr)
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def _nothing(_: int) -> None:
    return None
