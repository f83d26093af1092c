"""Random documents either load or fail with located problems, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import declarations
from reconciler import settings as config
from reconciler.errors import DeclarationError
from tests.declarations.conftest import NOW

FIELDS = [
    "number", "ensure", "until", "agent", "scope", "cli", "group", "manager",
    "name", "email", "dob", "dids", "reason", "ticket", "owner", "company", "nmae",
]  # fmt: skip
SECTIONS = ["version", "dnc", "sticky_agents", "account_managers", "contacts"]
SECTIONS += ["blacklist", "dcn"]
TEXTS = st.sampled_from(
    [
        "+91 98765 43210", "098765 43210", "12345", "08045678901", "permanent",
        "never", "2027-01-31", "2027-02-30", "2027-01-31T18:00:00",
        "2027-01-31T18:00:00+05:30", "absent", "present", "all", "cli",
        "cli_group", "Asha Rao", "a@b.co", "1990-05-12", "", "AM-17",
    ]
) | st.text(max_size=12)  # fmt: skip
SCALARS = TEXTS | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(TEXTS, inner, max_size=3)
    ),
    max_leaves=6,
)
ENTRIES = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6)
DOCUMENTS = st.dictionaries(
    st.sampled_from(SECTIONS), st.lists(ENTRIES, max_size=4) | VALUES, max_size=4
)


@st.composite
def texts(draw: st.DrawFn) -> bytes:
    """A dumped document, sometimes damaged by a few random bytes."""
    document = draw(DOCUMENTS | st.lists(ENTRIES, max_size=2) | SCALARS)
    flow = draw(st.sampled_from([None, True, False]))
    raw = yaml.safe_dump(document, default_flow_style=flow).encode()
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, len(raw)))
        raw = raw[:where] + draw(st.binary(min_size=1, max_size=3)) + raw[where:]
    return raw


def load(raw: bytes) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.yaml"
        path.write_bytes(raw)
        return declarations.load([path], config.Settings(), NOW)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts())
def test_a_random_document_loads_or_fails_with_located_problems(raw: bytes) -> None:
    try:
        loaded = load(raw)
    except DeclarationError as exc:
        assert exc.problems
        assert all(p.location.line >= 1 for p in exc.problems), exc.problems
        assert all(p.message for p in exc.problems)
        return

    assert all(isinstance(e, declarations.Entry) for e in loaded.entries)
    assert all(e.location.line >= 1 for e in loaded.entries)
