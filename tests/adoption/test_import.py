"""`reconciler import` against the sandbox: adopt live entries as declarations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

from reconciler import adopt, schemas
from reconciler.essence import Essence
from tests.conftest import Call, Sandbox

# Seeded numbers with every kind the seed holds between them: a DNC with an
# expiry, a permanent DNC, two sticky rules, a cli_group rule, managers and
# contact fields.
SEEDED = ["919845012345", "+91 98765 43210", "9008765432", "919876500002"]


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_import_writes_one_file_per_kind_and_plan_is_empty(
    run: Any, tmp_path: Path
) -> None:
    out = tmp_path / "adopted"

    result = run("import", *SEEDED, "--out", out)

    assert result.code == 0, result.err
    written = sorted(p.name for p in out.glob("*.yaml"))
    assert written == [
        "account_managers.yaml",
        "contacts.yaml",
        "dnc.yaml",
        "sticky_agents.yaml",
    ]
    plan = run("plan", out, "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert "No changes." in plan.out


def test_imported_files_are_schema_valid_with_quoted_numbers(
    run: Any, tmp_path: Path
) -> None:
    out = tmp_path / "adopted"
    run("import", *SEEDED, "--out", out)

    for path in out.glob("*.yaml"):
        text = path.read_text()
        first = text.splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        schema = out / first.split("=", 1)[1]
        assert schema.resolve().name == "directory.schema.json"
        assert schema.exists()
        assert not list(schemas.directory_validator().iter_errors(_load(path)))
        assert '  - number: "+91' in text


def _schema_line(path: Path) -> str:
    return path.read_text().splitlines()[0]


def test_schema_line_points_to_the_checkouts_schemas_folder(
    run: Any, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "schemas").mkdir()
    (checkout / "schemas" / schemas.DIRECTORY).write_text("{}")
    out = checkout / "directory" / "imported"

    result = run("import", "919845012345", "--out", out)

    assert result.code == 0, result.err
    line = "# yaml-language-server: $schema=../../schemas/directory.schema.json"
    assert _schema_line(out / "dnc.yaml") == line
    assert not (out / ".schemas").exists()


def test_without_a_schemas_folder_in_the_checkout_a_copy_is_written_beside(
    run: Any, tmp_path: Path
) -> None:
    # A schemas folder above the checkout is in no one else's clone.
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / schemas.DIRECTORY).write_text("{}")
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    out = checkout / "directory"

    run("import", "919845012345", "--out", out)
    again = run("import", "919876500002", "--out", out)

    assert again.code == 0, again.err
    for name in ("dnc.yaml", "account_managers.yaml"):
        line = "# yaml-language-server: $schema=.schemas/directory.schema.json"
        assert _schema_line(out / name) == line
    copy = json.loads((out / ".schemas" / schemas.DIRECTORY).read_text())
    assert copy == schemas.load(schemas.DIRECTORY)


def test_imported_values_are_written_as_declarations_read_them(
    run: Any, tmp_path: Path
) -> None:
    out = tmp_path / "adopted"
    run("import", *SEEDED, "--out", out)

    dnc = _load(out / "dnc.yaml")["dnc"]
    assert dnc == [
        {"number": "+919845012345", "until": "2028-01-01T05:29:59+05:30"},
        {"number": "+919876543210", "until": "permanent"},
    ]
    sticky = _load(out / "sticky_agents.yaml")["sticky_agents"]
    assert sticky == [
        {
            "number": "+919008765432",
            "agent": "1078",
            "scope": "all",
            "until": "permanent",
        },
        {
            "number": "+919008765432",
            "agent": "1079",
            "scope": "cli",
            "cli": "+918045678902",
            "until": "permanent",
        },
        {
            "number": "+919876500002",
            "agent": "1078",
            "scope": "cli_group",
            "cli": "+918045678901",
            "group": "12",
            "until": "permanent",
        },
    ]
    managers = _load(out / "account_managers.yaml")["account_managers"]
    assert managers == [{"number": "+919876500002", "manager": "AM-21"}]


def test_import_order_does_not_change_the_files(run: Any, tmp_path: Path) -> None:
    forward, backward = tmp_path / "forward", tmp_path / "backward"
    for number in SEEDED:
        run("import", number, "--out", forward)
    for number in reversed(SEEDED):
        run("import", number, "--out", backward)

    for path in forward.glob("*.yaml"):
        assert path.read_text() == (backward / path.name).read_text()


def test_imported_numbers_are_managed_so_dropping_them_plans_removal(
    run: Any, tmp_path: Path
) -> None:
    out = tmp_path / "adopted"
    run("import", *SEEDED, "--out", out)
    state = json.loads((out / ".reconciler" / "state.json").read_text())
    assert set(state["numbers"]["+919008765432"]) == {"sticky_agents", "contacts"}

    (out / "sticky_agents.yaml").unlink()
    plan = run("plan", out)

    assert "- sticky_agents[all]" in plan.out
    assert "- sticky_agents[cli_group cli=+918045678901 group=12]" in plan.out
    assert "Plan: 0 to create, 0 to update, 3 to delete." in plan.out


def test_import_into_a_project_skips_what_it_declares(run: Any, workdir: Path) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")

    result = run("import", "919876500002", "--out", workdir / "imported")

    assert result.code == 0, result.err
    assert "Imported +919876500002: contacts" in result.out
    assert "Skipped +919876500002 sticky_agents: already declared at" in result.out
    assert [p.name for p in (workdir / "imported").glob("*.yaml")] == ["contacts.yaml"]
    state = json.loads((workdir / ".reconciler" / "state.json").read_text())
    assert state["numbers"]["+919876500002"]["contacts"] == {
        "name": "Arjun Shetty",
        "company": "Shetty Textiles",
    }
    assert run("plan", workdir, "--detailed-exitcode").code == 0


def test_import_never_overwrites_a_file_it_did_not_write(
    run: Any, tmp_path: Path, sandbox: Sandbox
) -> None:
    out = tmp_path / "adopted"
    out.mkdir()
    hand_written = "# kept as it is\ndnc: []\n"
    (out / "dnc.yaml").write_text(hand_written)

    result = run("import", "919876543210", "--out", out)

    assert result.code == 1
    assert "was not written by `reconciler import`" in result.err
    assert (out / "dnc.yaml").read_text() == hand_written
    assert not (out / ".reconciler" / "state.json").exists()
    assert sandbox.writes() == 0


def test_invalid_number_is_an_error_and_nothing_is_sent(
    run: Any, tmp_path: Path, sandbox: Sandbox
) -> None:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("# to adopt\n919876543210\n  12345  # typo\n")

    result = run("import", "--numbers-file", numbers, "--out", tmp_path / "out")

    assert result.code == 1
    assert f"{numbers}:3:3: error: '12345' is not a valid phone number" in result.err
    assert sandbox.total() == 0


def test_numbers_file_is_read_with_comments(run: Any, tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("# key accounts\n919876500002\n\n+919876500003  # Kavya\n")
    out = tmp_path / "out"

    result = run("import", "--numbers-file", numbers, "--out", out)

    assert result.code == 0, result.err
    managers = _load(out / "account_managers.yaml")["account_managers"]
    assert [m["number"] for m in managers] == ["+919876500002", "+919876500003"]


def test_number_without_an_entry_is_skipped(run: Any, tmp_path: Path) -> None:
    result = run("import", "919000000001", "--out", tmp_path / "out")

    assert result.code == 0
    assert "Skipped +919000000001: no directory entry" in result.out
    assert not list((tmp_path / "out").glob("*.yaml"))


def test_date_of_birth_is_imported_in_declaration_form_and_plan_is_empty(
    run: Any, tmp_path: Path, live: Call
) -> None:
    # The API holds dates of birth as dd-mm-YYYY; declarations write YYYY-MM-DD.
    info = {"name": "Asha Rao", "dob": "15-08-1990"}
    live("create", contact="919845077777", contactinfo=info)
    out = tmp_path / "out"

    result = run("import", "919845077777", "--out", out)

    assert result.code == 0, result.err
    assert "dob" not in result.err
    contacts = _load(out / "contacts.yaml")["contacts"]
    assert contacts == [
        {"number": "+919845077777", "name": "Asha Rao", "dob": "1990-08-15"}
    ]
    plan = run("plan", out, "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert "No changes." in plan.out


def test_live_value_the_schema_cannot_express_is_left_out_with_a_warning(
    run: Any, tmp_path: Path, live: Call
) -> None:
    # The API takes a name in any script; declarations allow Latin letters only.
    info = {"name": "\u0905\u092e\u0930", "company": "Rao Traders"}
    live("create", contact="919845077777", contactinfo=info)
    out = tmp_path / "out"

    result = run("import", "919845077777", "--out", out)

    assert "Warning: +919845077777 contacts.name: " in result.err
    assert "left out (declare it by hand to manage it)" in result.err
    contacts = _load(out / "contacts.yaml")["contacts"]
    assert contacts == [{"number": "+919845077777", "company": "Rao Traders"}]
    assert run("plan", out, "--detailed-exitcode").code == 0


def test_loosely_written_live_dob_is_kept_for_the_schema_to_refuse() -> None:
    live = Essence(exists=True, contact={"name": "Asha Rao", "dob": "1-8-1990"})

    items = adopt.items_of("+919845077777", live, dt.UTC)

    # Turned around it would read 01-08-1990, a change the next plan would send.
    assert items["contacts"][0]["dob"] == "1-8-1990"
