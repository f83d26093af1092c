"""Saved plans: what `plan --out FILE` writes and `apply FILE` reads.

A plan file is the JSON plan of `schemas/plan.schema.json` plus what apply
needs to prove that applying it now does exactly what a reviewer read:

- ``paths`` and ``declarations_digest``: the declarations it was computed
  from; apply reads them again and refuses the plan if they differ;
- ``state_serial``: the state it was computed against; any apply since
  makes it stale;
- ``fingerprints``: a SHA-256 of what was read live for each number; apply
  reads the numbers it changes again and refuses the whole plan if any moved;
- ``desired``: what the state records once a number's changes are applied;
- ``checksum``: the SHA-256 of all of the above in canonical JSON, so an
  edited file is refused. It detects edits and corruption and names the plan
  in the ledger; it is not a signature (where the file comes from is the
  CI's business: see examples/github/README.md).

It never holds credentials: API calls carry business fields only, and
``dumps`` refuses to write a text that contains a configured secret.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import render, schemas
from reconciler.errors import PlanFileError
from reconciler.plan import Change, Note, Plan
from reconciler.state import write_atomically

log = logging.getLogger(__name__)

CHECKSUM_PREFIX = "sha256:"
# Declaration files are YAML; a single path with another suffix is taken for
# a saved plan by `apply`.
DECLARATION_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SavedPlan:
    """A plan read back from its file, with what it was computed against."""

    plan: Plan
    paths: list[str]
    state_serial: int
    checksum: str


def is_plan_path(path: Path) -> bool:
    """True when ``path`` should be read as a saved plan, not declarations."""
    return path.is_file() and path.suffix.lower() not in DECLARATION_SUFFIXES


def fingerprint_digest(fingerprint: str) -> str:
    """What the file keeps of a number's fingerprint: its hash, not its text."""
    return hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()


def document(plan: Plan, paths: list[str], state_serial: int) -> dict[str, Any]:
    """The plan file's content, checksum left out."""
    return {
        **render.to_json_data(plan),
        "paths": paths,
        "state_serial": state_serial,
        "fingerprints": {
            number: fingerprint_digest(text)
            for number, text in sorted(plan.fingerprints.items())
        },
        "desired": dict(sorted(plan.desired.items())),
    }


def checksum(doc: dict[str, Any]) -> str:
    """The SHA-256 of ``doc`` in canonical JSON, ``checksum`` itself left out."""
    fields = {k: v for k, v in doc.items() if k != "checksum"}
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return CHECKSUM_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def dumps(
    plan: Plan, paths: list[str], state_serial: int, secrets: tuple[str, ...] = ()
) -> tuple[str, str]:
    """The file's text and its checksum; refuses to carry a credential."""
    doc = document(plan, paths, state_serial)
    doc["checksum"] = checksum(doc)
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    if any(secret and secret in text for secret in secrets):
        raise PlanFileError(
            "refusing to write the plan: its text would contain a configured "
            "credential (a declared value equals the API token or SSID?)"
        )
    return text, doc["checksum"]


def save(
    path: Path,
    plan: Plan,
    paths: list[str],
    state_serial: int,
    secrets: tuple[str, ...] = (),
) -> str:
    """Write the plan file atomically; returns its checksum."""
    text, digest = dumps(plan, paths, state_serial, secrets)
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot write the plan: {exc}") from None
    log.info("saved the plan of %d changes to %s", len(plan.changes), path)
    return digest


# Reading -------------------------------------------------------------------


def load(path: Path) -> SavedPlan:
    """Read a plan file; refuse it unless it is intact and of this version."""
    doc = _read_json(path)
    _check_format(path, doc)
    _check_checksum(path, doc)
    _check_schema(path, doc)
    if not doc["refreshed"]:
        raise PlanFileError(
            f"{path}: an offline plan (--no-refresh) cannot be applied; "
            "plan again with live reads"
        )
    return SavedPlan(
        plan=_plan_from(doc),
        paths=list(doc["paths"]),
        state_serial=int(doc["state_serial"]),
        checksum=str(doc["checksum"]),
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: cannot read the plan file: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(
            f"{path}:{exc.lineno}:{exc.colno}: not a plan file: {exc.msg}"
        ) from None
    if not isinstance(doc, dict):
        raise PlanFileError(f"{path}: not a plan file: expected a JSON object")
    return doc


def _check_format(path: Path, doc: dict[str, Any]) -> None:
    if doc.get("format") != render.PLAN_FORMAT:
        raise PlanFileError(
            f'{path}: not a reconciler plan file (no "format": '
            f'"{render.PLAN_FORMAT}"); save one with `reconciler plan --out FILE`'
        )
    version = doc.get("format_version")
    if version != render.PLAN_FORMAT_VERSION:
        made_by = doc.get("reconciler_version", "an unknown version")
        raise PlanFileError(
            f"{path}: plan format version {version!r} (written by reconciler "
            f"{made_by}) is not supported; this reconciler reads version "
            f"{render.PLAN_FORMAT_VERSION}. Plan again with this version."
        )
    if "checksum" not in doc:
        raise PlanFileError(
            f"{path}: a plan printed with --format json is not a saved plan; "
            "save one with `reconciler plan --out FILE`"
        )


def _check_checksum(path: Path, doc: dict[str, Any]) -> None:
    expected = checksum(doc)
    if doc["checksum"] != expected:
        raise PlanFileError(
            f"{path}: the plan file was edited after it was saved (checksum "
            f"{str(doc['checksum'])[:19]}… does not match its content "
            f"{expected[:19]}…); plan again instead of editing it"
        )


def _check_schema(path: Path, doc: dict[str, Any]) -> None:
    errors = sorted(
        schemas.validator(schemas.PLAN).iter_errors(doc), key=lambda e: e.json_path
    )
    if errors:
        where = "; ".join(f"{e.json_path}: {e.message}" for e in errors[:5])
        raise PlanFileError(f"{path}: the plan file is not valid: {where}")
    required = ("paths", "state_serial", "fingerprints", "desired")
    missing = [k for k in required if k not in doc]
    if missing:
        raise PlanFileError(f"{path}: the plan file lacks {', '.join(missing)}")


def _plan_from(doc: dict[str, Any]) -> Plan:
    return Plan(
        changes=[Change.from_dict(c) for c in doc["changes"]],
        as_of=int(doc["as_of"]),
        numbers_read=int(doc["numbers_read"]),
        notes=[Note(n["number"], n["kind"], n["message"]) for n in doc["notes"]],
        warnings=list(doc["warnings"]),
        refreshed=bool(doc["refreshed"]),
        fingerprints=dict(doc["fingerprints"]),
        desired=dict(doc.get("desired", {})),
        digest=str(doc.get("declarations_digest", "")),
        targets=dict(doc.get("targets", {})),
    )
