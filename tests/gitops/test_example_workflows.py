"""The example GitHub workflows keep the promises their messages make."""

from __future__ import annotations

from typing import Any

import yaml

from tests.conftest import EXAMPLES

FORCE_LABEL = "reconciler-force"


def _workflow(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((EXAMPLES / "github" / name).read_text())
    return data


def test_adding_the_force_label_plans_again_with_force() -> None:
    plan = _workflow("reconciler-plan.yml")
    # YAML 1.1 reads the key `on` as True.
    trigger = plan.get("on", plan.get(True))["pull_request"]
    job = plan["jobs"]["plan"]
    command = next(step["run"] for step in job["steps"] if step.get("id") == "plan")
    refusal = next(step["run"] for step in job["steps"] if step.get("if"))

    assert {"labeled", "unlabeled", "synchronize"} <= set(trigger["types"])
    force = job["env"]["FORCE"]
    assert f"labels.*.name, '{FORCE_LABEL}')" in force and "'--force'" in force
    assert "reconciler plan " in command and "$FORCE" in command
    assert FORCE_LABEL in refusal
