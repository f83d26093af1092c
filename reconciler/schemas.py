"""The JSON Schemas shipped with reconciler, loaded once.

Declaration files are checked in two layers: the document without its
entries (unknown sections, the version, section types), then each entry with
the schema of its kind. Entries are checked by jsonschema-rs, compiled from
the same schema, first; only an entry it refuses goes through jsonschema,
which stays the authority and writes the messages. A large directory is thus
checked at the speed of compiled code while every message still comes from
one place.

The project file's schema errors are turned into Problems here too, each at
the place of its value (or of its key, for a key the schema does not know),
with what is wrong and how to fix it in the reader's words.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.protocols import Validator

from reconciler import yamlfile
from reconciler.errors import Location, Problem

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

_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
}
_BOUNDS = {
    "minimum": "at least",
    "exclusiveMinimum": "greater than",
    "maximum": "at most",
    "exclusiveMaximum": "less than",
}


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

    Valid means valid as jsonschema reads the schema and as JSON Schema
    itself does, whose patterns follow ECMA-262 as editors do: the two part
    on a few characters (U+FEFF, U+001C to U+001F and U+0085 as spaces, a
    newline before the end). Both readings are compiled by jsonschema-rs,
    with jsonschema's own format checks.
    """
    python, ecma = _python_validator(section), _ecma_validator(section)
    return lambda entry: bool(python.is_valid(entry) and ecma.is_valid(entry))


def ecma_errors(section: str, entry: Any) -> list[jsonschema.ValidationError]:
    """Where JSON Schema's own reading refuses an entry, as jsonschema errors.

    For an entry that jsonschema passes and the ECMA-262 reading does not:
    the messages are then made from these, as from jsonschema's.
    """
    schema = _entry_schema(section)
    return [
        jsonschema.ValidationError(
            error.message,
            validator=error.kind.name,  # type: ignore[arg-type]
            path=error.instance_path,
            instance=error.instance,
            schema=_subschema(schema, error.schema_path[:-1]),
        )
        for error in _ecma_validator(section).iter_errors(entry)
    ]


@functools.cache
def _entry_schema(section: str) -> dict[str, Any]:
    root = load(DIRECTORY)
    return {
        "$schema": root["$schema"],
        "$defs": root["$defs"],
        "$ref": f"#/$defs/{ENTRY_DEFS[section]}",
    }


@functools.cache
def _ecma_validator(section: str) -> jsonschema_rs.Validator:
    return _compiled(_entry_schema(section))


@functools.cache
def _python_validator(section: str) -> jsonschema_rs.Validator:
    return _compiled(_python_spaces(_entry_schema(section)))


def _compiled(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    checker = validator(DIRECTORY).FORMAT_CHECKER
    return jsonschema_rs.validator_for(
        schema,
        formats={
            name: functools.partial(_conforms, checker, name)
            for name in ("date", "email")
        },
        validate_formats=True,
        offline=True,
    )


def _subschema(schema: dict[str, Any], path: list[str | int]) -> Any:
    """The part of ``schema`` at ``path``: jsonschema-rs's paths run through
    the $defs that $refs name, so a plain walk finds it."""
    node: Any = schema
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return {}
    return node


def _conforms(checker: jsonschema.FormatChecker, name: str, value: str) -> bool:
    return checker.conforms(value, name)


# The characters Python's re takes for ``\s`` in a str pattern. jsonschema
# matches patterns with re; jsonschema-rs reads ``\s`` as ECMA-262 does,
# which counts U+FEFF and leaves out U+001C to U+001F and U+0085.
_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(
    map(chr, [*range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
)


def _python_spaces(schema: Any) -> Any:
    """``schema`` with every ``\\s`` of a pattern written out as Python's set.

    Only inside a character class, where the directory schema uses it; a
    pattern with ``\\s`` outside one is refused, so that none slips through
    with another meaning.
    """
    if isinstance(schema, list):
        return [_python_spaces(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    rewritten = {key: _python_spaces(value) for key, value in schema.items()}
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and "\\s" in pattern:
        rewritten["pattern"] = _CLASS.sub(_spell_spaces, pattern)
        if "\\s" in rewritten["pattern"]:
            raise ValueError(f"\\s outside a character class in {pattern!r}")
    return rewritten


_CLASS = re.compile(r"\[(?:\\.|[^\]\\])*\]")


def _spell_spaces(found: re.Match[str]) -> str:
    return found.group(0).replace("\\s", _SPACES)


def project_problems(display: str, data: Any) -> list[Problem]:
    """Every way ``data``, a project file read by yamlfile, breaks its schema."""
    problems: list[Problem] = []
    for error in project_validator().iter_errors(data):
        path = list(error.absolute_path)
        if error.validator == "additionalProperties":
            problems += _unknown_keys(display, data, path, error)
            continue
        line, column = yamlfile.walk_positions(data, path) or (0, 0)
        message, hint = _explain(error, path)
        problems.append(Problem(Location(display, line, column), message, hint))
    return sorted(problems, key=Problem.sort_key)


def _unknown_keys(
    display: str, data: Any, path: list[Any], error: jsonschema.ValidationError
) -> list[Problem]:
    container: Any = error.instance
    allowed = list(_schema_of(error).get("properties", {}))
    positions = getattr(container, "key_positions", {})
    fallback = yamlfile.walk_positions(data, path) or (0, 0)
    problems = []
    for key in container:
        if key not in allowed:
            line, column = positions.get(key, fallback)
            problems.append(
                Problem(
                    Location(display, line, column),
                    f"unknown setting {_name([*path, key])!r}",
                    _did_you_mean(str(key), allowed),
                )
            )
    return problems


def _did_you_mean(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "known here: " + ", ".join(allowed)


def _explain(error: jsonschema.ValidationError, path: list[Any]) -> tuple[str, str]:
    """What is wrong with the value at ``path``, and how to fix it."""
    wanted: Any = error.validator_value
    if error.validator == "uniqueItems":
        hint = "remove the repeated value"
    elif error.validator == "const":
        hint = f"write `{_name(path)}: {json.dumps(wanted)}`"
    else:
        hint = _example(path, _schema_of(error))
    return _message(error, _name(path)), hint


def _message(error: jsonschema.ValidationError, name: str) -> str:
    kind = str(error.validator)
    value: Any = error.instance
    wanted: Any = error.validator_value
    if kind == "type":
        return f"{name} must be {type_words(wanted)}, not {yamlfile.describe(value)}"
    if kind in ("const", "enum"):
        choices = [wanted] if kind == "const" else wanted
        listed = " or ".join(json.dumps(choice) for choice in choices)
        return f"{name} must be {listed}, not {_shown(value)}"
    if kind in ("oneOf", "anyOf"):
        forms = " or ".join(_form(schema) for schema in wanted)
        return f"{name} must be {forms}, not {_shown(value)}"
    if kind in _BOUNDS:
        return f"{name} must be {_BOUNDS[kind]} {wanted}, not {value!r}"
    if kind == "uniqueItems":
        return f"{name} lists {_repeated(value)!r} more than once"
    if kind == "minLength":
        return f"{name} must not be empty"
    if kind in ("pattern", "format"):
        return f"{name}: {value!r} is not in the expected form"
    return f"{name}: {error.message}"


def _shown(value: Any) -> str:
    return yamlfile.describe(value) if isinstance(value, dict | list) else repr(value)


def _schema_of(error: jsonschema.ValidationError) -> dict[str, Any]:
    return error.schema if isinstance(error.schema, dict) else {}


def _name(path: list[Any]) -> str:
    """A setting's path as written in prose: ``reference.caller_lines[0]``."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text or "the project file"


def type_words(expected: Any) -> str:
    """A JSON Schema type, or a list of them, in words: ``a string``."""
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_WORDS.get(str(n), str(n)) for n in names)


def _form(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return json.dumps(schema["const"])
    words = type_words(schema.get("type", "any value"))
    item_type = schema.get("items", {}).get("type")
    if item_type == "string":
        words += " of strings"
    return words


def _repeated(values: list[Any]) -> Any:
    seen: list[Any] = []
    for value in values:
        if value in seen:
            return value
        seen.append(value)
    return None


def _example(path: list[Any], schema: dict[str, Any]) -> str:
    """``for example `region: "IN"```, from the schema's examples or default."""
    examples = list(schema.get("examples", []))
    if not examples and "default" in schema:
        examples = [schema["default"]]
    if not examples:
        known = list(schema.get("properties", {}))
        return f"its settings are: {', '.join(known)}" if known else ""
    leaf = path[-1] if path else ""
    written = [json.dumps(v) for v in examples[:2]]
    if isinstance(leaf, str) and leaf:
        written = [f"{leaf}: {w}" for w in written]
    return "for example " + " or ".join(f"`{w}`" for w in written)
