"""Seeding, persistence and bulk loading."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from reconciler import contract
from reconciler.errors import SandboxError
from reconciler.sandbox import EmbeddedSandbox
from reconciler.sandbox.reference import number_forms, stored_form
from reconciler.sandbox.seed import (
    SeedError,
    apply_seed,
    read_seed,
    synthetic_entries,
)
from reconciler.sandbox.store import Store

from .conftest import AUTH, FIXTURES

SEED = FIXTURES / "seed-small-account.yaml"


def _post(sandbox: EmbeddedSandbox, action: str, **body: object) -> dict[str, object]:
    response = httpx.post(
        sandbox.base_url + contract.PATHS[action], json={**AUTH, **body}
    )
    answer: dict[str, object] = response.json()
    return answer


def test_seed_entries_and_reference_are_served(tmp_path: Path) -> None:
    with EmbeddedSandbox(tmp_path / "db" / "seeded.db", seed=SEED) as sandbox:
        info = _post(sandbox, "getInfo", cn="+919876500002", field="all")["data"]
        groups = _post(sandbox, "groupList")["response"]
        unknown = _post(
            sandbox,
            "setSticky",
            contact="919876500009",
            type="cli_group",
            agentId="1078",
            cli="08045678901",
            groupid="12",
            expiry=-1,
        )

    assert info == {
        "contact": "919876500002",
        "contactinfo": {"name": "Asha Rao", "email": "asha@example.com"},
        "dnc": -1,
        "blacklist": ["918045678901"],
        "sticky": [
            {
                "type": "cli_group",
                "agentId": "1077",
                "groupid": "12",
                "cli": "918045678901",
                "expiry": -1,
            }
        ],
        "AcManId": "AM-17",
        "other": info["other"],  # type: ignore[index]
    }
    assert groups == [{"groupId": "12", "name": "Sales", "agents": ["1077"]}]
    assert unknown["code"] == 1507


def test_loading_the_same_seed_twice_keeps_the_same_state(tmp_path: Path) -> None:
    db = tmp_path / "twice.db"
    with EmbeddedSandbox(db, seed=SEED) as sandbox:
        first = _post(sandbox, "getInfo", cn="919876500003")["data"]
        _post(sandbox, "setDnc", contact="919876500003", dnc=-1)
    with EmbeddedSandbox(db, seed=SEED) as sandbox:
        second = _post(sandbox, "getInfo", cn="919876500003")["data"]

    assert first == second
    assert second["sticky"] == [  # type: ignore[index]
        {"type": "all", "agentId": "1078", "groupid": None, "cli": None, "expiry": -1}
    ]


def test_state_and_reference_survive_a_restart_without_seed(tmp_path: Path) -> None:
    db = tmp_path / "persist.db"
    with EmbeddedSandbox(db, seed=SEED) as sandbox:
        _post(sandbox, "setAM", contact="919812300001", AcManId="AM-3")
    with EmbeddedSandbox(db) as sandbox:
        manager = _post(sandbox, "getInfo", cn="919812300001")["data"]
        agents = _post(sandbox, "agentList")["response"]

    assert manager["AcManId"] == "AM-3"  # type: ignore[index]
    assert [a["agentId"] for a in agents] == ["1077", "1078"]  # type: ignore[attr-defined]


def test_new_database_without_seed_has_the_default_reference(tmp_path: Path) -> None:
    store = Store(tmp_path / "default.db")
    try:
        assert sorted(store.reference.agents) == ["1077", "1078", "1079"]
        assert sorted(store.reference.groups) == ["12", "14"]
        assert "918045678901" in store.reference.clis
    finally:
        store.close()


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"entries": [{"contact": "123"}]}, "entries[0]"),
        ({"entries": [{"contact": "+919876500002"}, {"dnc": -1}]}, "entries[1]"),
        ({"entries": {"contact": "x"}}, "list"),
        ({"reference": [1]}, "mapping"),
    ],
)
def test_bad_seed_names_the_problem(
    tmp_path: Path, seed: dict[str, object], message: str
) -> None:
    store = Store(tmp_path / "bad.db")
    try:
        with pytest.raises(SeedError, match=message.replace("[", r"\[")):
            apply_seed(store, seed)
    finally:
        store.close()


def test_bulk_load_is_fast_and_lookups_stay_cheap(tmp_path: Path) -> None:
    store = Store(tmp_path / "bulk.db")
    try:
        started = time.monotonic()
        assert store.bulk_load(synthetic_entries(50_000)) == 50_000
        assert time.monotonic() - started < 5

        started = time.monotonic()
        for index in range(0, 50_000, 50):
            entry = store.get(f"919{index:09d}")
            assert entry is not None and entry.dnc == (-1 if index % 2 else 0)
        assert time.monotonic() - started < 1
        assert store.count() == 50_000
        assert store.get("919999999999") is None
    finally:
        store.close()


@pytest.mark.parametrize(
    "spelling",
    ["+919876543210", "919876543210", "9876543210", "09876543210", 919876543210],
)
def test_stored_form_of_number_spellings(spelling: str | int) -> None:
    assert stored_form(spelling) == "919876543210"


def test_reference_numbers_match_national_and_international_forms() -> None:
    assert number_forms("18001234567")[0] == "9118001234567"
    assert "9118001234567" in number_forms("9118001234567")
    assert number_forms("08045678901") == ["918045678901", "08045678901"]


def test_a_file_that_is_not_a_database_is_an_error_that_names_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sandbox.db"
    path.write_text("garbage\n")

    with pytest.raises(SandboxError, match="not a sandbox database") as caught:
        Store(path)

    assert str(path) in str(caught.value)
    assert path.read_text() == "garbage\n"  # left for its owner to look at


def test_a_seed_that_is_not_yaml_is_located_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text('entries:\n  - number: "+91 1\n')

    with pytest.raises(SeedError) as caught:
        read_seed(path)

    message = str(caught.value)
    assert message.startswith(f"{path}:3:1: not valid YAML: found unexpected end")
    assert "\n" not in message
