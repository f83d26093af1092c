"""How long `declarations.load` takes on a large directory, and its peak memory.

    .venv/bin/python bench/validate.py [--entries 100000] [--files 20] [--keep DIR]

Writes a directory of declaration files with every kind mixed, numbers spelt
the ways people write them, `until` in each accepted form and metadata on
most entries, then loads it once as `reconciler validate` does. It prints the
wall time of the load and the peak resident memory of the process; nothing is
asserted (the target is at most 1.5 s for 100,000 entries).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from reconciler import declarations, settings

KINDS = ("dnc", "sticky_agents", "account_managers", "contacts", "blacklist")
SPELLINGS = (
    "+91 {a} {b}",
    "0{a} {b}",
    "{a}{b}",
    "+91-{a}-{b}",
    "(+91) {a} {b}",
    "+91{a}{b}",
    "91 {a} {b}",
)
UNTILS = ("permanent", "never", "2031-06-30", '"2031-09-15T18:00:00+05:30"', None)
NAMES = ("Asha Rao", "R. K. Narayan", "Meera Iyer", "Vikram Sethi", "Dr. Anil Kumar")


def main() -> int:
    args = _parse()
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        size = _write_directory(root, args.entries, args.files)
        config = settings.load(root, environ={})

        started = time.perf_counter()
        loaded = declarations.load([root], config, int(time.time()))
        elapsed = time.perf_counter() - started

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"declarations.load: {len(loaded.entries):,} entries in "
        f"{len(loaded.files)} files ({size / 1e6:.1f} MB of YAML)"
    )
    print(f"wall time: {elapsed:.3f} s")
    print(f"peak memory (process RSS): {peak_mib:.0f} MiB")
    return 0


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--keep", help="write the directory here and keep it")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)
    return args


def _write_directory(root: Path, entries: int, files: int) -> int:
    """Spread ``entries`` over ``files`` files, each kind in its own sections."""
    per_file = -(-entries // files)
    serial = iter(range(entries))
    size = 0
    for index in range(files):
        count = min(per_file, entries - index * per_file)
        if count <= 0:
            break
        text = _file_text(serial, count)
        path = root / f"part-{index:03d}.yaml"
        path.write_text(text, encoding="utf-8")
        size += len(text)
    return size


def _file_text(serial: Iterator[int], count: int) -> str:
    lines = [
        "# yaml-language-server: $schema=../schemas/directory.schema.json",
        "version: 1",
    ]
    share = -(-count // len(KINDS))
    left = count
    for kind in KINDS:
        take = min(share, left)
        left -= take
        lines.append(f"{kind}:")
        for _ in range(take):
            lines.extend(_entry(kind, next(serial)))
    return "\n".join(lines) + "\n"


def _entry(kind: str, serial: int) -> list[str]:
    # Each serial is its own number, so no two entries of a kind collide.
    lines = [f'  - number: "{_number(serial)}"']
    if kind == "dnc":
        until = random.choice(UNTILS)
        if until is not None:
            lines.append(f"    until: {until}")
    elif kind == "sticky_agents":
        lines.extend(_sticky(serial))
    elif kind == "account_managers":
        lines.append(f'    manager: "AM-{serial % 97}"')
    elif kind == "contacts":
        lines.append(f'    name: "{random.choice(NAMES)}"')
        lines.append(f'    email: "user{serial}@example.com"')
        lines.append(
            f'    dob: "19{serial % 90 + 10:02d}-0{serial % 9 + 1}-1{serial % 9}"'
        )
    else:
        lines.append('    dids: ["08045678901", "080 4567 8902"]')
    if serial % 3:
        lines.append(f'    reason: "bench entry {serial}, asked on the call"')
        lines.append(f'    ticket: "CR-{serial}"')
    if serial % 50 == 0:
        lines.append("    ensure: absent")
    return lines


def _sticky(serial: int) -> list[str]:
    lines = [f'    agent: "{1000 + serial % 300}"']
    scope = ("all", "cli", "cli_group")[serial % 3]
    lines.append(f"    scope: {scope}")
    if scope != "all":
        lines.append('    cli: "08045678901"')
    if scope == "cli_group":
        lines.append(f'    group: "{serial % 20}"')
    until = random.choice(UNTILS)
    if until is not None:
        lines.append(f"    until: {until}")
    return lines


def _number(serial: int) -> str:
    digits = f"{9_000_000_000 + serial * 7:010d}"
    spelling = SPELLINGS[serial % len(SPELLINGS)]
    return spelling.format(a=digits[:5], b=digits[5:])


if __name__ == "__main__":
    sys.exit(main())
