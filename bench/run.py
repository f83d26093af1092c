"""The reconciler benchmark: validate, offline plan, live plan and apply.

    .venv/bin/python bench/run.py                # 10k and 100k numbers
    .venv/bin/python bench/run.py --size 1m      # 1M: validate + offline plan
    .venv/bin/python bench/run.py --size 1m --full   # 1M with live plan and apply

For each size it generates a directory of that many declared numbers, every
kind mixed, against a seeded state and a seeded sandbox database such that
10% of the numbers are creates, 10% updates and 10% (more) removals (see
generate.py). Each phase is a real ``reconciler`` command in its own process
(phases.py), timed from start to exit, with that process's peak RSS:

- validate: ``reconciler validate``;
- offline plan: ``reconciler plan --no-refresh``;
- live plan: ``reconciler plan --parallelism 32`` against ``reconciler
  sandbox`` in another process with 20 ms of injected latency. Reads are the
  sandbox's read requests; the read phase runs from the first read's arrival
  to the last one's answer (the sandbox's request log); the theoretical time
  is reads x latency / parallelism, and the ratio is theoretical / achieved;
- apply: ``reconciler apply --auto-approve --force --parallelism 32`` with
  the latency back at 0; the write requests the sandbox counted, divided by
  the changes the apply planned; then a live plan, which must be empty.

It prints one table, each figure beside its target. Nothing is asserted: the
exit code is 0 when every phase ran (targets missed or not), 1 when a command
failed to do its part (its stderr is shown).
"""

from __future__ import annotations

import argparse
import compileall
import functools
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import generate
import phases

import reconciler

LATENCY_MS = 20.0
PARALLELISM = 32
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
DEFAULT_SIZES = ("10k", "100k")


@dataclass
class Row:
    size: str
    phase: str
    figure: str
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("pass" if self.ok else "MISS")


class Bench:
    """One size: its data, its phases, its rows of the table."""

    def __init__(self, label: str, size: int, root: Path) -> None:
        self.label = label
        self.size = size
        self.root = root
        self.declarations = root / "declarations"
        self.state = self.declarations / ".reconciler" / "state.json"
        self.db = root / "sandbox.db"
        self.logs = root / "logs"
        self.expected = generate.expected(size)
        self.rows: list[Row] = []
        self.notes: list[str] = []

    def row(
        self, phase: str, figure: str, target: str = "", ok: bool | None = None
    ) -> None:
        self.rows.append(Row(self.label, phase, figure, target, ok))

    # Data --------------------------------------------------------------------

    def prepare(self, seed: bool = True) -> None:
        started = time.perf_counter()
        written = generate.write_declarations(self.declarations, self.size)
        managed = generate.write_state(self.state, self.size)
        seeded = generate.seed_sandbox(self.db, self.size) if seed else 0
        self.notes.append(
            f"{self.label}: {self.size:,} numbers declared ({written / 1e6:.1f} MB "
            f"of YAML), {managed:,} in the state, {seeded:,} in the sandbox; "
            f"generated in {time.perf_counter() - started:.1f} s"
        )

    # Offline phases ------------------------------------------------------------

    def validate(self) -> None:
        run = self._cli("validate", ["validate", str(self.declarations)])
        target, ok = _at_most(self.size == 100_000, run.wall, 1.5, "s")
        self.row("validate: wall", f"{run.wall:.2f} s", target, ok)
        self.row("validate: peak memory", f"{run.peak_mb:.0f} MB")
        floor = phases.floor(self.declarations, self.size)
        self.row(
            "validate: floor of PyYAML + phonenumbers",
            f"{floor.total:.2f} s ({floor.startup:.2f} s start-up, "
            f"{floor.libraries:.2f} s on {floor.processes} processes)",
            target,
            None if not target else floor.total <= 1.5,
        )
        self.row(
            "validate: the same with PyYAML's C loader",
            f"{floor.startup + floor.loader:.2f} s",
        )

    def offline_plan(self) -> None:
        args = ["plan", str(self.declarations), "--no-refresh", "--force"]
        run = self._cli("plan-offline", args)
        self._check_counts("offline plan", run)
        completes = self.size >= 1_000_000
        target, ok = _at_most(self.size == 100_000, run.wall, 2.0, "s")
        if completes:
            target, ok = "completes", True
        self.row("offline plan: wall", f"{run.wall:.2f} s", target, ok)
        target, ok = _at_most(self.size == 100_000, run.peak_mb, 300, "MB")
        self.row("offline plan: peak memory", f"{run.peak_mb:.0f} MB", target, ok)

    # Live phases ---------------------------------------------------------------

    def live(self) -> None:
        with phases.SandboxProcess(self.db, self.logs) as sandbox:
            self.live_plan(sandbox)
            self.apply(sandbox)

    def live_plan(self, sandbox: phases.SandboxProcess) -> None:
        sandbox.set_latency(LATENCY_MS)
        seq = sandbox.reset_stats()
        args = ["plan", str(self.declarations), "--force"]
        args += ["--parallelism", str(PARALLELISM)]
        sandbox_cpu = sandbox.cpu_seconds()
        run = self._cli("plan-live", args, phases.client_env(sandbox.base_url))
        sandbox_cpu = sandbox.cpu_seconds() - sandbox_cpu
        self._check_counts("live plan", run)

        reads = phases.reads(sandbox.stats())
        latency = LATENCY_MS / 1000
        window = phases.read_window(sandbox.requests_since(seq), latency)
        theoretical = reads * latency / PARALLELISM
        ratio = theoretical / window if window else 0.0
        per_number = reads / self.expected.numbers
        self.row("live plan: reads per number", f"{per_number:.4f} ({reads:,})")
        self.row(
            "live plan: wall (read phase)",
            f"{run.wall:.1f} s ({window:.1f} s)",
        )
        self.row(
            "live plan: achieved / theoretical",
            f"{ratio:.1%} ({theoretical:.1f} s / {window:.1f} s)",
            ">= 85%",
            ratio >= 0.85,
        )
        self.row(
            "live plan: CPU of plan / sandbox",
            f"{run.cpu:.1f} s / {sandbox_cpu:.1f} s "
            f"({run.cpu / run.wall:.0%} / {sandbox_cpu / run.wall:.0%} of a core)",
        )

    def apply(self, sandbox: phases.SandboxProcess) -> None:
        sandbox.set_latency(0)
        sandbox.reset_stats()
        env = phases.client_env(sandbox.base_url)
        args = ["apply", str(self.declarations), "--auto-approve", "--force"]
        # Updates move DNC expiries both ways; ending one sooner needs the flag.
        args.append("--allow-dnc-removal")
        args += ["--parallelism", str(PARALLELISM)]
        run = self._cli("apply", args, env)
        planned = sum(self._check_counts("apply's plan", run))
        stats = sandbox.stats()
        issued, changed = phases.writes(stats), phases.writes(stats, "writes")
        ratio = issued / planned if planned else 0.0
        self.row(
            "apply: writes / changes",
            f"{ratio:.2f} ({issued:,} / {planned:,}; {changed:,} changed)",
            "= 1.00",
            issued == planned,
        )
        self.row("apply: wall", f"{run.wall:.1f} s")

        args = ["plan", str(self.declarations), "--parallelism", str(PARALLELISM)]
        after = self._cli("plan-after-apply", args, env)
        left = sum(after.changes())
        self.row("plan after apply: changes", f"{left:,}", "= 0", left == 0)

    # Helpers -------------------------------------------------------------------

    def _cli(
        self, name: str, args: list[str], env: dict[str, str] | None = None
    ) -> phases.Run:
        run = phases.reconciler(args, self.logs, name, env or phases.client_env())
        if run.code != 0:
            raise phases.PhaseError(f"{self.label} {name} failed", run)
        return run

    def _check_counts(self, what: str, run: phases.Run) -> tuple[int, int, int]:
        got = run.changes()
        wanted = (self.expected.creates, self.expected.updates, self.expected.deletes)
        if got != wanted:
            self.notes.append(
                f"{self.label} {what}: planned {got} (create, update, delete); "
                f"the data should give {wanted}"
            )
        return got


def _at_most(
    applies: bool, value: float, limit: float, unit: str
) -> tuple[str, bool | None]:
    if not applies:
        return "", None
    return f"<= {limit:g} {unit}", value <= limit


# Running -----------------------------------------------------------------------


def main() -> int:
    args = _parse()
    _compile_package()
    labels = args.size or list(DEFAULT_SIZES)
    started = time.perf_counter()
    benches: list[Bench] = []
    workdir = Path(args.workdir) if args.workdir else None
    base = workdir or Path(tempfile.mkdtemp(prefix="reconciler-bench-"))
    failed = False
    try:
        for label in labels:
            bench = Bench(label, SIZES[label], base / label)
            benches.append(bench)
            failed = not _run_one(bench, live=args.full or SIZES[label] < 1_000_000)
            if failed:
                break
    finally:
        if workdir is None and not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    _print_table(benches)
    print(f"\nTotal wall time: {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


def _compile_package() -> None:
    """Write reconciler's bytecode once, as installing the package does.

    Each phase is a fresh interpreter: with PYTHONDONTWRITEBYTECODE set and
    a source checkout, every one of them would compile every module again.
    """
    compileall.compile_dir(Path(reconciler.__file__).parent, quiet=1)


def _run_one(bench: Bench, live: bool) -> bool:
    if bench.root.exists():
        shutil.rmtree(bench.root)
    steps: list[Callable[[], None]] = [
        functools.partial(bench.prepare, seed=live),
        bench.validate,
        bench.offline_plan,
    ]
    if live:
        steps.append(bench.live)
    else:
        bench.notes.append(
            f"{bench.label}: live plan and apply skipped (pass --full to run them)"
        )
    for step in steps:
        name = getattr(step, "__name__", "prepare")
        print(f"[{bench.label}] {name} ...", file=sys.stderr, flush=True)
        try:
            step()
        except phases.PhaseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            bench.notes.append(f"{bench.label}: {name} failed: see above")
            return False
    return True


def _print_table(benches: list[Bench]) -> None:
    rows = [row for bench in benches for row in bench.rows]
    header = ("size", "phase", "figure", "target", "")
    table = [header] + [(r.size, r.phase, r.figure, r.target, r.verdict) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print()
    for index, line in enumerate(table):
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        print("  ".join(cells).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    notes = [note for bench in benches for note in bench.notes]
    if notes:
        print()
        for note in notes:
            print(f"- {note}")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        action="append",
        choices=sorted(SIZES),
        help="a size to run (repeatable; default: 10k and 100k)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="run the live plan and apply at 1m too (about half an hour)",
    )
    parser.add_argument("--workdir", help="generate the data here and keep it")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
