"""The JSON Schemas shipped with reconciler, loaded once.

Declaration files are checked in two layers: the document without its
entries (unknown sections, the version, section types), then each entry with
the schema of its kind. Entries are checked by a validator compiled from the
same schema by fastjsonschema first; only an entry it refuses goes through
jsonschema, which stays the authority and writes the messages. A large
directory is thus checked at the speed of compiled code while every message
still comes from one place.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema
from jsonschema.protocols import Validator

DIRECTORY = "directory.schema.json"
PROJECT = "reconciler.schema.json"
PLAN = "plan.schema.json"

# Section name -> the $defs entry that describes one of its items.
ENTRY_DEFS = {
    "dnc": "dnc_entry",
    "sticky_agents": "sticky_agent_entry",
    "account_managers": "account_manager_entry",
    "contacts": "contact_entry",
    "blacklist": "blacklist_entry",
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    """The whole declaration schema, entries included (used by tests and tools)."""
    return validator(DIRECTORY)


def project_validator() -> Validator:
    return validator(PROJECT)


@functools.cache
def document_validator() -> Validator:
    """The declaration schema with the entries of each section left unchecked."""
    schema = copy.deepcopy(load(DIRECTORY))
    for section in ENTRY_DEFS:
        schema["properties"][section].pop("items", None)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


@functools.cache
def entry_validator(section: str) -> Validator:
    """jsonschema's validator for one entry of ``section``; $refs resolve as usual."""
    entry_schema = load(DIRECTORY)["$defs"][ENTRY_DEFS[section]]
    return directory_validator().evolve(schema=entry_schema)


@functools.cache
def entry_fast_check(section: str) -> Callable[[Any], bool]:
    """A compiled check of one entry of ``section``: True when it is valid.

    It must never pass an entry that jsonschema refuses; where fastjsonschema
    is laxer than jsonschema (it checks only the shape of a `date`), the
    format is given here with jsonschema's meaning.
    """
    root = load(DIRECTORY)
    schema = {"$defs": root["$defs"], "$ref": f"#/$defs/{ENTRY_DEFS[section]}"}
    compiled = fastjsonschema.compile(
        schema,
        use_default=False,  # never write defaults into the declarations
        formats={"date": _is_date},
    )

    def check(entry: Any) -> bool:
        try:
            compiled(entry)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return check


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True  # formats only apply to strings
    if not _ISO_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True
