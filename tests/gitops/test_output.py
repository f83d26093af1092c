"""Plan output: Markdown for one GitHub comment, JSON by schema, text."""

from __future__ import annotations

import io
import json
import re
import zoneinfo
from pathlib import Path
from typing import Any

import jsonschema
from rich.console import Console

from reconciler import render
from reconciler.plan import CREATE, DELETE, UPDATE, ApiCall, Change, Note, Plan

TZ = zoneinfo.ZoneInfo("Asia/Kolkata")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _big_plan(count: int) -> Plan:
    kinds = ("dnc", "sticky_agents", "account_managers")
    actions = (CREATE, UPDATE, DELETE)
    changes = []
    for index in range(count):
        number = f"+9198{index:08d}"
        kind = kinds[index % 3]
        key = "cli|+918045678901|12" if kind == "sticky_agents" else ""
        value: Any = {"agent": "1077", "until": -1} if key else "AM-17"
        if kind == "dnc":
            value = -1
        action = actions[index % 3]
        changes.append(
            Change(
                number,
                kind,
                action,
                key,
                None if action == CREATE else value,
                None if action == DELETE else value,
                (ApiCall("setDnc", {"contact": number[1:], "dnc": -1}),),
            )
        )
    notes = [Note("+919800000001", "dnc", "no longer declared")]
    return Plan(changes=changes, as_of=1_800_000_000, numbers_read=count, notes=notes)


def test_markdown_of_5000_changes_fits_one_comment_with_a_note() -> None:
    text = render.markdown(_big_plan(5000), TZ, checksum="sha256:" + "a" * 64)

    assert len(text) <= render.GITHUB_COMMENT_LIMIT
    assert len(text) > render.GITHUB_COMMENT_LIMIT // 2  # it used the room
    assert text.index("Plan: 1667 to create, 1667 to update, 1666 to delete.") < 100
    assert "**Truncated:**" in text
    assert "changes" in text[text.index("**Truncated:**") :]
    assert text.count("<details>") == text.count("</details>")
    assert text.count("```") % 2 == 0
    assert "sha256:" + "a" * 64 in text  # the footer survives truncation
    assert "the saved plan file holds it" in text


def test_a_truncated_comment_names_a_saved_plan_only_when_there_is_one() -> None:
    text = render.markdown(_big_plan(5000), TZ)

    assert "**Truncated:**" in text
    assert "`reconciler plan` prints the whole plan as text." in text
    assert "saved plan" not in text


def test_small_markdown_plan_is_whole_and_collapsed_per_kind() -> None:
    text = render.markdown(_big_plan(30), TZ)

    assert "Truncated" not in text
    assert text.count("<details>") == 4  # three kinds and the notes
    assert "<summary>dnc: 10 to create</summary>" in text
    assert "+ +919800000000 dnc  until permanent" in text
    assert "- +919800000029 account_managers  'AM-17'" in text


def _creates(kind: str, count: int, key: str, value: Any, prefix: str) -> list[Change]:
    return [
        Change(f"+91{prefix}{i:08d}", kind, CREATE, key, None, value, ())
        for i in range(count)
    ]


def _sections(text: str) -> dict[str, tuple[str, list[str]]]:
    """Each collapsed section's summary and its lines, by kind."""
    found = {}
    for block in text.split("<details><summary>")[1:]:
        summary, rest = block.split("</summary>", 1)
        lines = [line for line in rest.splitlines() if line.startswith("+ ")]
        found[summary.split(":", 1)[0]] = (summary, lines)
    return found


def test_truncated_markdown_gives_every_kind_its_section_and_a_fair_share() -> None:
    sticky = {"agent": "1077", "until": -1}
    changes = (
        _creates("dnc", 3000, "", -1, "98")
        + _creates("sticky_agents", 500, "all||", sticky, "97")
        + _creates("account_managers", 20, "", "AM-````-17", "96")
    )

    text = render.markdown(Plan(changes, 1_800_000_000, 3520), TZ)

    assert len(text) <= render.GITHUB_COMMENT_LIMIT
    sections = _sections(text)
    assert sections["account_managers"][0] == "account_managers: 20 to create"
    assert len(sections["account_managers"][1]) == 20
    shown = {}
    for kind, total in (("dnc", 3000), ("sticky_agents", 500)):
        summary, lines = sections[kind]
        hidden = total - len(lines)
        assert summary == (
            f"{kind}: {total} to create ({hidden:,} of {total:,} changes not shown)"
        )
        shown[kind] = sum(len(line) + 1 for line in lines)
    # Both truncated kinds get the same room, to within one line.
    assert abs(shown["dnc"] - shown["sticky_agents"]) < 80
    assert shown["dnc"] > render.MARKDOWN_LIMIT // 3
    hidden = 3520 - sum(len(lines) for _, lines in sections.values())
    assert f"**Truncated:** {hidden:,} changes not shown" in text
    assert text.count("<details>") == text.count("</details>") == 3
    assert text.count("`````diff\n") == 1  # the backticks stay fenced


def test_markdown_keeps_backticks_in_values_inside_the_fence() -> None:
    change = Change("+919800000001", "account_managers", CREATE, "", None, "A```B", ())
    text = render.markdown(Plan([change], 1_800_000_000, 1), TZ)

    assert "````diff\n+ +919800000001 account_managers  'A```B'\n````" in text


def test_refused_plan_in_markdown_says_why() -> None:
    text = render.markdown(_big_plan(3), TZ, refusal=["dnc: too many <updates>"])

    assert "Refused by a safety rule" in text
    assert "dnc: too many &lt;updates&gt;" in text
    assert text.index("Refused") < text.index("<details>")


def test_markdown_plan_from_the_cli(run: Any, workdir: Path) -> None:
    result = run("plan", workdir, "--format", "markdown", "--detailed-exitcode")

    assert result.code == 2
    assert result.out.startswith("### reconciler plan")
    assert "lifts 1 DNC entry" in result.out
    assert "<details><summary>dnc: 4 to create, 1 to update, 1 to delete" in result.out


def test_json_plan_follows_its_schema(
    run: Any, workdir: Path, plan_schema: jsonschema.protocols.Validator
) -> None:
    result = run("plan", workdir, "--format", "json")

    data = json.loads(result.out)
    plan_schema.validate(data)
    assert data["format_version"] == render.PLAN_FORMAT_VERSION
    assert data["summary"] == {"create": 6, "update": 3, "delete": 2}
    assert "refused" not in data


def test_schema_rejects_a_plan_with_an_unknown_action(
    plan_schema: jsonschema.protocols.Validator,
) -> None:
    data = render.to_json_data(_big_plan(3))
    data["changes"][0]["action"] = "replace"

    assert not plan_schema.is_valid(data)


def test_text_is_plain_when_not_a_terminal(run: Any, workdir: Path) -> None:
    out = run("plan", workdir).out

    assert not ANSI.search(out)
    assert "[green]" not in out
    assert "- sticky_agents[cli cli=+918045678902]" in out


def test_coloured_text_keeps_brackets_of_values() -> None:
    change = Change(
        "+919800000001",
        "sticky_agents",
        DELETE,
        "cli|+918045678902|",
        {
            "agent": "1079",
            "until": -1,
        },
        None,
        (),
    )
    plan = Plan([change], 1_800_000_000, 1)
    sink = io.StringIO()

    Console(file=sink, force_terminal=True, color_system="standard").print(
        render.text(plan, TZ, colour=True), end=""
    )

    coloured = sink.getvalue()
    assert ANSI.search(coloured)
    assert "- sticky_agents[cli cli=+918045678902]" in ANSI.sub("", coloured)
