"""Running the benchmark's phases: real CLI commands in fresh processes.

Each phase is one ``reconciler`` command in a child process, so that its
peak memory is its own (``ru_maxrss`` of that child, read with ``wait4``)
and its wall time includes start-up as a user sees it. The sandbox is a
separate ``reconciler sandbox`` process on its own port and database; its
admin routes set the latency and give the counters and the request log.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler import contract

_SUMMARY = re.compile(r"^Plan: (\d+) to create, (\d+) to update, (\d+) to delete\.$")
_ANNOUNCED = re.compile(r"DeepCall Directory API v2 at (http://\S+)")
_START_SECONDS = 60.0


@dataclass(frozen=True)
class Run:
    """One finished command: exit code, wall time, peak RSS, its output."""

    code: int
    wall: float
    cpu: float
    peak_bytes: int
    stdout: Path
    stderr: Path

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 1e6

    def changes(self) -> tuple[int, int, int]:
        """Creates, updates and deletes of the plan the command printed."""
        with self.stdout.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("No changes."):
                    return 0, 0, 0
                found = _SUMMARY.match(line.strip())
                if found:
                    create, update, delete = (int(n) for n in found.groups())
                    return create, update, delete
        raise PhaseError(f"no plan summary in {self.stdout}", self)


class PhaseError(RuntimeError):
    """A command that did not do what the benchmark needs."""

    def __init__(self, message: str, run: Run | None = None) -> None:
        if run is not None:
            tail = run.stderr.read_text(encoding="utf-8", errors="replace")[-2000:]
            message += f" (exit {run.code}; stderr of {run.stderr}):\n{tail}"
        super().__init__(message)


def reconciler(
    args: list[str], logs: Path, name: str, env: dict[str, str] | None = None
) -> Run:
    """Run ``reconciler ARGS`` to the end; its output goes to ``logs/name.*``."""
    logs.mkdir(parents=True, exist_ok=True)
    stdout, stderr = logs / f"{name}.out", logs / f"{name}.err"
    command = [sys.executable, "-m", "reconciler", *args]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        # wait4 gives this child's own resource usage, peak RSS included.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    # Linux reports ru_maxrss in KiB.
    return Run(process.returncode, wall, cpu, usage.ru_maxrss * 1024, stdout, stderr)


def client_env(base_url: str | None = None) -> dict[str, str]:
    """The environment of a client command: sandbox credentials, the URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPCALL_")}
    env[contract.ENV_USER_ID] = contract.SANDBOX_USER_ID
    env[contract.ENV_TOKEN] = contract.SANDBOX_TOKEN
    if base_url is not None:
        env[contract.ENV_BASE_URL] = base_url
    return env


class SandboxProcess:
    """``reconciler sandbox`` in its own process, on a free port."""

    def __init__(self, db: Path, logs: Path) -> None:
        self.db = db
        self.log = logs / "sandbox.err"
        self.base_url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(timeout=60.0)

    def __enter__(self) -> SandboxProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "reconciler", "sandbox"]
        command += ["--port", "0", "--db", str(self.db)]
        with self.log.open("wb") as err:
            self._process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=err, env=client_env()
            )
        self.base_url = self._wait_announced()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def _wait_announced(self) -> str:
        deadline = time.monotonic() + _START_SECONDS
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise PhaseError(f"the sandbox exited; see {self.log}")
            found = _ANNOUNCED.search(self.log.read_text(errors="replace"))
            if found:
                return found.group(1)
            time.sleep(0.05)
        raise PhaseError(f"the sandbox did not start; see {self.log}")

    def cpu_seconds(self) -> float:
        """CPU time the sandbox process has used so far (user and system)."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().split()
        # utime and stime, fields 14 and 15, in clock ticks.
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")

    # Admin routes ----------------------------------------------------------

    def set_latency(self, milliseconds: float) -> None:
        faults = {"latency_ms": milliseconds, "jitter_ms": 0.0}
        response = self._http.patch(f"{self.base_url}/_sandbox/faults", json=faults)
        response.raise_for_status()

    def reset_stats(self) -> int:
        response = self._http.post(f"{self.base_url}/_sandbox/reset-stats")
        response.raise_for_status()
        seq: int = response.json()["seq"]
        return seq

    def stats(self) -> dict[str, dict[str, int]]:
        response = self._http.get(f"{self.base_url}/_sandbox/stats")
        response.raise_for_status()
        data: dict[str, dict[str, int]] = response.json()
        return data

    def requests_since(self, seq: int) -> list[dict[str, Any]]:
        """Every logged request after ``seq``, paged."""
        records: list[dict[str, Any]] = []
        while True:
            response = self._http.get(
                f"{self.base_url}/_sandbox/requests",
                params={"since": seq, "limit": 200_000},
            )
            response.raise_for_status()
            page = response.json()["requests"]
            if not page:
                return records
            records.extend(page)
            seq = page[-1]["seq"]


def reads(stats: dict[str, dict[str, int]]) -> int:
    return sum(
        counters["requests"]
        for action, counters in stats.items()
        if action not in contract.WRITE_ACTIONS
    )


def writes(stats: dict[str, dict[str, int]], counter: str = "requests") -> int:
    """Write requests issued (or, with ``counter="writes"``, those that changed)."""
    return sum(
        counters[counter]
        for action, counters in stats.items()
        if action in contract.WRITE_ACTIONS
    )


def read_window(records: list[dict[str, Any]], latency: float) -> float:
    """Seconds from the first read's arrival to the last read's answer.

    The sandbox logs when each request arrived, before the injected latency;
    the last read is answered ``latency`` after it arrived.
    """
    times = [r["time"] for r in records if r["action"] not in contract.WRITE_ACTIONS]
    if not times:
        return 0.0
    return max(times) - min(times) + latency


@dataclass(frozen=True)
class Floor:
    """What validate's libraries alone take for the data (see floor.py)."""

    startup: float
    libraries: float
    loader: float
    processes: int

    @property
    def total(self) -> float:
        return self.startup + self.libraries


def floor(declarations: Path, size: int) -> Floor:
    """Run floor.py in a fresh process over ``declarations``."""
    script = Path(__file__).with_name("floor.py")
    command = [sys.executable, str(script), str(declarations), str(size)]
    done = subprocess.run(command, capture_output=True, text=True, env=client_env())
    if done.returncode != 0:
        raise PhaseError(f"floor.py failed (exit {done.returncode}):\n{done.stderr}")
    figures = json.loads(done.stdout)
    return Floor(
        figures["startup"],
        figures["libraries"],
        figures["loader"],
        figures["processes"],
    )
