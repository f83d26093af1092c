"""`reconciler import`: write live entries as declarations and manage them.

(The module cannot be called ``import``, a Python keyword.)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from reconciler import (
    adopt,
    declarations,
    numbers,
    planner,
    settings,
    workflow,
    yamlfile,
)
from reconciler.commands import common
from reconciler.declarations import Declarations, Entry
from reconciler.endpoint import Endpoint, open_endpoint
from reconciler.errors import DeclarationError, Location, Problem, SettingsError
from reconciler.essence import Essence
from reconciler.settings import Settings
from reconciler.state import locked


def register(commands: common.Subparsers) -> None:
    parser = commands.add_parser(
        "import",
        help="write the live state of numbers as declarations and adopt them",
        description="Write the live entries of the numbers as declarations, "
        "one file per kind, and adopt them into the state. "
        "Each written file starts with a `# yaml-language-server: "
        "$schema=...` line for editors. It points to the nearest "
        "schemas/directory.schema.json in DIR or a folder above it, up to the "
        "top of the git checkout; without one, import copies the schema to "
        "DIR/.schemas/directory.schema.json and points there. Commit that "
        "copy with the files.",
    )
    parser.add_argument(
        "numbers", nargs="*", metavar="NUMBER", help="numbers to import"
    )
    parser.add_argument(
        "--numbers-file",
        type=Path,
        metavar="FILE",
        help="a file of numbers, one a line (# starts a comment)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="declarations folder to write into (default: the current folder)",
    )
    common.add_run_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    root = project_root(out)
    config = common.with_flags(settings.load(root), args)
    now = int(time.time())
    wanted = _numbers(args, config)
    existing = _existing(root, config, now)

    with (
        locked(workflow.state_path(config), args.lock_timeout) as state,
        open_endpoint(config) as endpoint,
    ):
        live = asyncio.run(_read(wanted, endpoint, config, now))
        adoption = adopt.collect(live, existing, config.tz)
        written = adopt.write(out, adoption)
        if written:
            imported = declarations.load(written, config, now)
            adopt.record(state, imported.entries, adoption.imported)
            state.write()

    _report(adoption, written)
    return common.EXIT_OK


def project_root(out: Path) -> Path:
    """The declarations root that ``out`` belongs to, for its settings and state.

    Importing into a subfolder of a project (``--out directory/imported``)
    must adopt the numbers into that project's state, so the nearest folder
    holding a project file or a ``.reconciler`` folder wins; else ``out``.
    """
    start = out.resolve()
    for folder in (start, *start.parents):
        if settings.find_project_file(folder) or (folder / ".reconciler").is_dir():
            return out if folder == start else folder
    return out


def _numbers(args: argparse.Namespace, config: Settings) -> list[str]:
    """The E.164 form of every number asked for; every bad one is an error."""
    given = [(Location("command line"), raw) for raw in args.numbers]
    if args.numbers_file is not None:
        given += _file_numbers(args.numbers_file)
    if not given:
        raise SettingsError("name the numbers to import, or pass --numbers-file FILE")

    found: list[str] = []
    problems: list[Problem] = []
    for where, raw in given:
        try:
            number = numbers.normalise(raw, config.region)
        except numbers.InvalidNumber as exc:
            problems.append(Problem(where, str(exc), "write it with its country code"))
            continue
        if number not in found:
            found.append(number)
    if problems:
        raise DeclarationError(problems)
    return found


def _file_numbers(path: Path) -> list[tuple[Location, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the numbers file: {exc}") from None
    result = []
    for index, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if text:
            column = line.index(text) + 1
            result.append((Location(str(path), index, column), text))
    return result


def _existing(root: Path, config: Settings, now: int) -> dict[tuple[str, str], Entry]:
    """What ``root`` declares already, by number and kind; checked like a plan."""
    if not root.is_dir():
        return {}
    if not any(yamlfile.iter_files([root], skip=settings.PROJECT_FILE_NAMES)):
        return {}
    found: Declarations = declarations.load([root], config, now)
    return {(e.number, e.kind): e for e in found.entries}


async def _read(
    wanted: list[str], endpoint: Endpoint, config: Settings, now: int
) -> dict[str, Essence]:
    async with workflow.client_for(endpoint, config) as client:
        return await planner.read_live(client, wanted, now, config.parallelism)


def _report(adoption: adopt.Adoption, written: list[Path]) -> None:
    for number, kinds in sorted(adoption.imported.items()):
        print(f"Imported {number}: {', '.join(kinds)}")
    for line in adoption.skipped:
        print(f"Skipped {line}")
    for warning in adoption.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    for path in written:
        print(f"Wrote {path}")
    count = len(adoption.imported)
    imported = "1 number" if count == 1 else f"{count} numbers"
    print(f"\n{imported} imported and now managed; run `reconciler plan` next.")
