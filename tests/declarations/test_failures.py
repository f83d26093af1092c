"""Each bad input gives one located, actionable problem: message, hint, place."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import declarations, settings
from reconciler.errors import DeclarationError
from tests.declarations.conftest import NOW, load, place, problems

CASES = [
    # fixture, (line, column), words in the message, words in the hint
    ("unknown-section", (2, 1), "unknown section 'dcn'", "did you mean 'dnc'"),
    ("unknown-field", (4, 5), "dnc[0]: unknown field 'untill'", "did you mean 'until'"),
    ("unsupported-version", (1, 10), "unsupported version 2", "version: 1"),
    ("top-level-list", (1, 1), "must be a mapping of sections", "version: 1"),
    ("syntax-error", (5, 1), "invalid YAML: found unexpected end of stream", ""),
    ("non-utf8", (4, 17), "not valid UTF-8 (byte 0xe9)", "UTF-8"),
    (
        "billion-laughs",
        (7, 8),  # the first alias that takes the expansion over the limit
        "aliases expand to too many values",
        "write the values out",
    ),
    ("alias-undefined", (4, 12), "the alias *later names no anchor", "&later"),
    ("alias-inside-its-anchor", (3, 5), "*loop names no anchor", "&loop"),
    ("anchor-twice", (3, 4), "duplicate anchor 'when'; first at line 2", "own name"),
    ("duplicate-key", (5, 5), "duplicate key 'until'; first at line 4", "remove one"),
    ("unquoted-octal-number", (3, 13), "`0123` became 83", 'number: "0123"'),
    (
        "unquoted-float-number",
        (3, 13),
        "read by YAML as a float",
        'number: "98765.43210"',
    ),
    (
        "invalid-number",
        (3, 13),
        "number: '12345' is not a valid phone number",
        "country code",
    ),
    ("datetime-without-zone", (4, 12), "has no time zone", "offset"),
    (
        "sticky-agent-empty",
        (4, 12),
        "sticky_agents[0].agent: the value is empty",
        "between the quotes",
    ),
    ("until-a-list", (4, 12), "until must be a quoted string, not a list", "permanent"),
    (
        "until-with-a-space-for-its-t",
        (4, 12),
        "until: '2027-01-31 18:00:00+05:30' is not a valid `until`",
        "such as 2027-01-31T18:00:00+05:30",
    ),
    (
        # phonenumbers reads past the `*`; the schema, and so editors, do not.
        "number-with-a-character-the-schema-refuses",
        (3, 13),
        "dnc[0].number: '*98765 43210' is not a valid number",
        "with its country code",
    ),
    (
        "until-not-a-calendar-date",
        (5, 12),
        "'2027-02-30' is not a calendar date",
        "2027-01-31",
    ),
    (
        "contact-name-with-digits",
        (4, 11),
        "contacts[0].name: 'Asha Rao 2' is not a valid name",
        "letters",
    ),
    (
        "contact-email-ending-in-a-newline",
        (4, 12),
        "email: 'asha@example.com\\n' starts or ends with white space",
        "remove it from the start and the end",
    ),
    (
        "contact-name-with-a-separator-character",
        (4, 11),
        "contacts[0].name: 'Asha\\x1cRao' is not a valid name",
        "letters",
    ),
    (
        "contact-name-ending-in-a-space",
        (4, 11),
        "name: 'Asha Rao ' starts or ends with white space",
        "remove it from the start and the end",
    ),
    (
        "contact-invalid-email",
        (4, 12),
        "contacts[0].email: 'asha at example.com' is not a valid email",
        "one @",
    ),
    (
        "contact-dob-not-a-date",
        (4, 10),
        "contacts[0].dob: '1990-02-30' is not a valid dob",
        "calendar day",
    ),
    (
        "blacklist-unquoted-did",
        (4, 27),
        "`+918045678902` became 918045678902",
        'dids: ["+918045678902", ...]',
    ),
    (
        "blacklist-did-twice-in-two-spellings",
        (4, 27),
        "dids[1]: '+91 80456 78901' is the same line as dids[0]",
        "list each line once",
    ),
    (
        "blacklist-invalid-did",
        (4, 27),
        "dids[1]: '123' is not a valid phone number",
        "the account's lines",
    ),
    (
        "sticky-missing-agent",
        (3, 5),
        "sticky_agents[0]: 'agent' is a required property",
        "add `agent:`",
    ),
    (
        "sticky-cli-scope-without-cli",
        (3, 5),
        "'cli' is a required property",
        "add `cli:`",
    ),
    (
        "account-manager-missing-manager",
        (3, 5),
        "'manager' is a required property",
        "add `manager:`",
    ),
    ("entry-not-a-mapping", (3, 5), "dnc[0]: an entry must be a mapping", "- number:"),
    ("unsupported-tag", (3, 13), "unsupported YAML tag", "remove it"),
    ("merge-key", (5, 5), "merge keys (<<) are not supported", "write the keys out"),
    ("two-documents", (2, 1), "a second YAML document starts here", "---"),
    ("tag-on-a-mapping", (3, 5), "unsupported YAML tag '!custom'", "remove it"),
    (
        "tag-the-value-does-not-fit",
        (4, 13),
        "'maybe' is not true or false, as its tag says",
        "remove the tag",
    ),
    ("nested-too-deep", (4, 74), "nest more than 64 deep here", "four deep"),
    ("alias-nests-too-deep", (5, 43), "through this alias", "four deep"),
    ("empty-number", (3, 12), "number: the value is empty", 'number: "+91'),
    ("number-too-long", (3, 13), "300 characters are too many", "country code"),
    (
        "unquoted-integer-too-long",
        (4, 13),
        "too long to be read as a number (5,000 characters)",
        "quote it",
    ),
    ("until-too-far", (4, 12), "too far in the future", "permanent"),
    (
        "sticky-agent-unquoted",
        (4, 12),
        "sticky_agents[0].agent: must be a string, not `1077`",
        'quote it: agent: "1077"',
    ),
    (
        "ensure-read-as-boolean",
        (4, 13),
        "not `no` (which YAML reads as False)",
        "write `present` or `absent`",
    ),
    (
        "ensure-unknown-value",
        (4, 13),
        "dnc[0].ensure: 'gone' is not allowed",
        "write `present` or `absent`",
    ),
    ("section-empty", (2, 5), "dnc: must be a list, not empty", "`- `"),
    ("section-a-mapping", (3, 3), "dnc: must be a list, not a mapping", "`- `"),
    ("empty-until", (4, 11), "until: the value is empty", "permanent"),
    (
        "sticky-cli-on-scope-all",
        (5, 5),
        "cli: a rule of scope `all` takes no cli",
        "set `scope: cli`",
    ),
    (
        "sticky-group-on-scope-cli",
        (7, 5),
        "group: a rule of scope `cli` takes no group",
        "set `scope: cli_group`",
    ),
]


@pytest.mark.parametrize(
    ("fixture", "where", "message", "hint"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_is_one_located_error(
    fixture: str, where: tuple[int, int], message: str, hint: str
) -> None:
    found = problems(f"{fixture}.yaml")

    assert len(found) == 1, [str(p) for p in found]
    assert place(found[0]) == (f"{fixture}.yaml", *where)
    assert found[0].is_error
    assert message in found[0].message
    assert hint in found[0].hint


def test_the_same_number_twice_across_files_names_both_places() -> None:
    found = problems("duplicate-across-files")

    assert len(found) == 1
    assert place(found[0]) == ("second.yaml", 3, 5)
    assert "duplicate account_managers entry for +919876543210" in found[0].message
    assert "first.yaml:3:5" in found[0].message


def test_a_sticky_rule_is_a_duplicate_only_with_the_same_identity() -> None:
    found = problems("duplicate-sticky-rule.yaml")

    # Lines 3 and 11 are one rule (cli spelt twice); line 7 is another cli.
    assert [place(p) for p in found] == [("duplicate-sticky-rule.yaml", 11, 5)]
    assert "(cli cli=+918045678901)" in found[0].message
    assert "duplicate-sticky-rule.yaml:3:5" in found[0].message


def test_a_number_declared_again_after_an_expired_entry_is_a_duplicate() -> None:
    found = problems("duplicate-of-an-expired-entry.yaml")

    assert [(place(p), p.severity) for p in found] == [
        (("duplicate-of-an-expired-entry.yaml", 3, 5), "warning"),
        (("duplicate-of-an-expired-entry.yaml", 5, 5), "error"),
    ]
    assert "duplicate dnc entry for +919876543210" in found[1].message
    assert "duplicate-of-an-expired-entry.yaml:3:5" in found[1].message


def test_a_number_declared_again_after_an_invalid_entry_is_a_duplicate() -> None:
    found = problems("duplicate-of-an-invalid-entry.yaml")

    duplicates = [p for p in found if "duplicate" in p.message]
    assert [place(p) for p in duplicates] == [
        ("duplicate-of-an-invalid-entry.yaml", 5, 5)
    ]
    assert "account_managers entry for +919876543210" in duplicates[0].message
    assert "duplicate-of-an-invalid-entry.yaml:3:5" in duplicates[0].message
    assert any("manager" in p.message for p in found if p not in duplicates)


def test_every_problem_of_every_file_is_listed_sorted() -> None:
    names = ["unknown-field.yaml", "invalid-number.yaml", "duplicate-key.yaml"]
    found = problems(*names)

    assert [place(p)[0] for p in found] == sorted(names)


def test_an_expired_entry_is_a_warning_and_counts_as_absent() -> None:
    loaded = load("expired-entry.yaml")

    assert [e.number for e in loaded.entries] == ["+919876543211"]
    assert [place(w) for w in loaded.warnings] == [("expired-entry.yaml", 3, 5)]
    assert loaded.warnings[0].severity == "warning"
    assert "expired already" in loaded.warnings[0].message


def test_a_long_value_is_quoted_in_part(tmp_path: Path) -> None:
    until = "x" * 5000
    path = tmp_path / "long.yaml"
    path.write_text(
        f'version: 1\ndnc:\n  - number: "+91 98765 43210"\n    until: {until}\n'
    )

    with pytest.raises(DeclarationError) as caught:
        declarations.load([path], settings.Settings(), NOW)

    [problem] = caught.value.problems
    assert (problem.location.line, problem.location.column) == (4, 12)
    assert "(5,000 characters)" in problem.message
    assert len(problem.message) < 300


@pytest.mark.parametrize(
    "field",
    [
        f"reason: {'1' * 400}",
        f"ensure: {'1' * 400}",
        f'ensure: "{"a" * 300}"',
        f"{'z' * 300}: x",  # an unknown field
        f"reason: a\n    {'k' * 300}: 1\n    {'k' * 300}: 2",  # a duplicate key
    ],
)
def test_a_long_value_of_the_wrong_type_or_choice_is_quoted_in_part(
    tmp_path: Path, field: str
) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(f'version: 1\ndnc:\n  - number: "+91 98765 43210"\n    {field}\n')

    with pytest.raises(DeclarationError) as caught:
        declarations.load([path], settings.Settings(), NOW)

    [problem] = caught.value.problems
    assert "characters)" in problem.message
    assert len(str(problem)) < 250 + len(str(path))
