"""The JSON Schemas: complete, usable by editors, and agreeing with the loader."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconciler import schemas, yamlfile
from tests.conftest import EXAMPLES, ROOT
from tests.declarations.conftest import FIXTURES

SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")
DECLARATION_EXAMPLES = sorted((EXAMPLES / "directory").glob("*.yaml")) + sorted(
    (EXAMPLES / "invalid").glob("*.yaml")
)


def schema_of(path: Path) -> dict[str, Any]:
    first = path.read_text().splitlines()[0]
    match = SCHEMA_LINE.match(first)
    assert match, f"{path} does not start with a yaml-language-server line"
    schema: dict[str, Any] = json.loads((path.parent / match[1]).read_text())
    return schema


@pytest.mark.parametrize("path", DECLARATION_EXAMPLES, ids=lambda p: p.name)
def test_every_example_points_editors_at_a_schema(path: Path) -> None:
    assert schema_of(path)["$id"].endswith(".schema.json")


@pytest.mark.parametrize(
    "path", sorted((EXAMPLES / "directory").glob("*.yaml")), ids=lambda p: p.name
)
def test_every_valid_example_validates_against_its_schema(path: Path) -> None:
    schema = schema_of(path)
    # Read as an editor does: plain YAML, no reconciler in between.
    data = yaml.safe_load(path.read_text())
    data = json.loads(json.dumps(data, default=str))

    jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())


def undescribed(root: dict[str, Any], node: Any, where: str = "#") -> Iterator[str]:
    """Places of fields whose schema (or the $def it refers to) has no description."""
    if isinstance(node, list):
        for index, sub in enumerate(node):
            yield from undescribed(root, sub, f"{where}/{index}")
        return
    if not isinstance(node, dict):
        return
    for name, sub in node.get("properties", {}).items():
        if isinstance(sub, bool):
            continue  # allows or forbids a field described where it is defined
        target = sub
        if "$ref" in sub:
            target = root["$defs"][sub["$ref"].rsplit("/", 1)[1]]
        if "description" not in sub and "description" not in target:
            yield f"{where}/properties/{name}"
    for key, sub in node.items():
        if key not in ("if", "properties"):  # conditions name no new field
            yield from undescribed(root, sub, f"{where}/{key}")
    for name, sub in node.get("properties", {}).items():
        yield from undescribed(root, sub, f"{where}/properties/{name}")


@pytest.mark.parametrize("name", [schemas.DIRECTORY, schemas.PROJECT])
def test_every_field_has_a_description(name: str) -> None:
    schema = json.loads((ROOT / "schemas" / name).read_text())

    assert list(undescribed(schema, schema)) == []
    assert all("description" in d for d in schema.get("$defs", {}).values())


def entries_of_fixtures() -> Iterator[tuple[str, Any]]:
    for path in sorted(FIXTURES.rglob("*.yaml")):
        try:
            data = yamlfile.load(path)
        except yamlfile.YamlFileError:
            continue
        if not isinstance(data, dict):
            continue
        for section in schemas.ENTRY_DEFS:
            for item in data.get(section) or []:
                yield section, json.loads(json.dumps(item, default=str))


@pytest.mark.parametrize(("section", "entry"), list(entries_of_fixtures()))
def test_the_fast_check_agrees_with_jsonschema(section: str, entry: Any) -> None:
    python = not list(schemas.entry_validator(section).iter_errors(entry))
    ecma = not schemas.ecma_errors(section, entry)

    assert schemas.entry_fast_check(section)(entry) == (python and ecma)


# Characters where regular expression engines disagree about `\s`, and
# values where the formats of the two validators could differ.
ODD_VALUES = [
    *(chr(code) for code in (0x1C, 0x1F, 0x85, 0xA0, 0x2007, 0x3000, 0xFEFF)),
    "\n",
]


@pytest.mark.parametrize("odd", ODD_VALUES, ids=[f"U+{ord(c):04X}" for c in ODD_VALUES])
@pytest.mark.parametrize(
    ("section", "field", "text"),
    [
        ("contacts", "name", "Asha{}Rao"),
        ("contacts", "email", "asha{}@example.com"),
        ("dnc", "number", "+91{}98765 43210"),
        ("sticky_agents", "cli", "080{}45678901"),
    ],
)
def test_the_fast_check_passes_what_both_readings_of_a_pattern_pass(
    section: str, field: str, text: str, odd: str
) -> None:
    # jsonschema matches patterns with Python's re; JSON Schema (and editors)
    # with ECMA-262. An entry is valid only when both pass it.
    entry = {"number": "+91 98765 43210", field: text.format(odd)}
    if section == "sticky_agents":
        entry |= {"agent": "1077", "scope": "cli"}
    python = not list(schemas.entry_validator(section).iter_errors(entry))
    ecma = not schemas.ecma_errors(section, entry)

    assert schemas.entry_fast_check(section)(entry) == (python and ecma)


@pytest.mark.parametrize(
    ("dob", "email"),
    [
        ("1990-02-28", "a@b.co"),
        ("1990-02-30", "a@b.co"),
        ("19900228", "a@b.co"),
        ("1990-W08-1", "a@b.co"),
        ("1990-02-28", "a@b.c@d.co"),
    ],
)
def test_the_fast_check_reads_formats_as_jsonschema_does(dob: str, email: str) -> None:
    entry = {"number": "+91 98765 43210", "dob": dob, "email": email}
    python = not list(schemas.entry_validator("contacts").iter_errors(entry))
    ecma = not schemas.ecma_errors("contacts", entry)

    assert schemas.entry_fast_check("contacts")(entry) == (python and ecma)


@pytest.mark.parametrize(
    "fixture", ["sticky-cli-on-scope-all.yaml", "sticky-group-on-scope-cli.yaml"]
)
def test_editors_flag_a_field_the_sticky_scope_does_not_take(fixture: str) -> None:
    schema = json.loads((ROOT / "schemas" / schemas.DIRECTORY).read_text())
    data = yaml.safe_load((FIXTURES / fixture).read_text())

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
