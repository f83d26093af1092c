"""The YAML reader builds what PyYAML's safe loader builds, and knows where."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import yamlfile


class _Reference(yaml.SafeLoader):
    """PyYAML's own safe loader, with dates left as the strings written."""


_Reference.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith(":timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def reference(text: str) -> Any:
    return yaml.load(text, Loader=_Reference)


def read(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    return yamlfile.load(path)


def plain(value: Any) -> Any:
    """LocatedMap and LocatedList as the dict and list they are."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


DOCUMENTS = [
    "",
    "# only a comment\n",
    "---\n",
    "just a scalar\n",
    "- a\n- 1\n- 1.5\n- true\n- ~\n- null\n-\n",
    "a: 1\nb: [1, 2, {c: d}]\ne: {f: g, h: [i]}\n",
    "a: 0123\nb: 0x1F\nc: 1_000\nd: .inf\ne: no\nf: 'no'\ng: \"0123\"\n",
    "a: 2027-01-31\nb: 2027-01-31T18:00:00+05:30\n",
    "a: !!str 12\nb: !!int '12'\nc: !!float '1.5'\nd: ! 12\ne: !!null ''\n",
    "text: |\n  two\n  lines\nfolded: >\n  one\n  line\n",
    "a: &x {b: 1}\nc: *x\nd: &y [1, 2]\ne: [*y, *y]\nf: &z s\ng: *z\n",
    "? complex\n: key\n'quoted key': 1\n\"double\": 2\n",
    "nested:\n  - - a\n    - b\n  - - c\n",
    "empty_map: {}\nempty_list: []\nempty_value:\n",
    "--- \na: 1\n...\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: 'it''s'\nb: \"tab\\there\"\nc: \"\\u00e9\"\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_a_document_reads_as_pyyaml_reads_it(tmp_path: Path, text: str) -> None:
    assert plain(read(tmp_path, text)) == reference(text)


SCALARS = (
    st.text(max_size=8)
    | st.integers()
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.none()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from([None, True, False]), st.sampled_from(["'", '"', None]))
def test_any_dumped_value_reads_back_as_pyyaml_reads_it(
    value: Any, flow: bool | None, style: str | None
) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, default_style=style)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.yaml"
        path.write_text(text, encoding="utf-8")
        assert plain(yamlfile.load(path)) == reference(text)


def test_every_key_value_and_item_knows_its_line_and_column(tmp_path: Path) -> None:
    text = "version: 1\ndnc:\n  - number: '+91 98765 43210'\n    until: never\n"

    data = read(tmp_path, text)

    entry = data["dnc"][0]
    assert data.key_positions["dnc"] == (2, 1)
    assert data.value_positions["dnc"] == (3, 3)
    assert data["dnc"].item_positions[0] == (3, 5)
    assert entry.position == (3, 5)
    assert entry.key_positions["until"] == (4, 5)
    assert entry.value_positions["until"] == (4, 12)
    assert yamlfile.walk_positions(data, ["dnc", 0, "number"]) == (3, 13)
    assert data.sources == {"version": "1"}


def test_a_value_that_is_not_a_string_keeps_its_text(tmp_path: Path) -> None:
    data = read(tmp_path, "a: 0123\nb: [0x1F, 'x', no]\n")

    assert data["a"] == 83
    assert data.sources["a"] == "0123"
    assert data["b"].sources == {0: "0x1F", 2: "no"}


def test_a_date_stays_the_text_written_even_when_tagged(tmp_path: Path) -> None:
    # `until` and `dob` read dates themselves, with the time zone in mind.
    data = read(tmp_path, "a: 2027-01-31\nb: !!timestamp 2027-01-31\n")

    assert data == {"a": "2027-01-31", "b": "2027-01-31"}
