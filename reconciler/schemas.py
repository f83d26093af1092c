"""The JSON Schemas shipped with reconciler, loaded once."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

DIRECTORY = "directory.schema.json"
PROJECT = "reconciler.schema.json"
PLAN = "plan.schema.json"


@functools.cache
def load(name: str) -> dict[str, Any]:
    text = resources.files("reconciler").joinpath("schemas_data", name).read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def validator(name: str) -> Validator:
    schema = load(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


def directory_validator() -> Validator:
    return validator(DIRECTORY)


def project_validator() -> Validator:
    return validator(PROJECT)
