"""Safe YAML loading that remembers where every value came from.

The parser is libyaml's when present (``CSafeLoader``), else PyYAML's own.
Documents are composed into nodes and built here rather than by PyYAML's
constructor, so that each mapping and list keeps the line and column of its
keys and items, duplicate keys are caught, dates stay the strings the author
wrote, and aliases cannot expand without bound.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from reconciler.errors import Location, Problem

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # libyaml is not installed
    _BaseLoader = yaml.SafeLoader

# Nodes that may be built again through aliases before a file is refused:
# plenty for hand-written anchors, far below what an alias bomb expands to.
ALIAS_EXPANSION_LIMIT = 100_000

YAML_SUFFIXES = (".yaml", ".yml")

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int": SafeConstructor.construct_yaml_int,
    "tag:yaml.org,2002:float": SafeConstructor.construct_yaml_float,
    "tag:yaml.org,2002:bool": SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:null": SafeConstructor.construct_yaml_null,
}

Position = tuple[int, int]


# Plain scalars whose tag was resolved already: keys and values such as
# `number` or `permanent` recur on every entry. Bounded, for files of
# unquoted values that never repeat.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_LIMIT = 4096


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader whose resolver leaves timestamps as plain strings."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: Any) -> str:
        # Most values are quoted strings: answer them without the regular
        # expressions, which only plain scalars need (same answer as PyYAML).
        if kind is not yaml.ScalarNode:
            tag: str = super().resolve(kind, value, implicit)
            return tag
        if not implicit[0]:
            return _STR_TAG
        # A plain scalar's tag depends on its text alone (no path resolvers).
        known = _PLAIN_TAGS.get(value)
        if known is None:
            known = super().resolve(kind, value, implicit)
            if len(_PLAIN_TAGS) < _PLAIN_TAGS_LIMIT:
                _PLAIN_TAGS[value] = known
        return known


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class LocatedMap(dict[str, Any]):
    """A mapping that knows where it, its keys and its values stand."""

    __slots__ = ("key_positions", "position", "sources", "value_positions")

    def __init__(self, position: Position) -> None:
        super().__init__()
        self.position = position
        self.key_positions: dict[str, Position] = {}
        self.value_positions: dict[str, Position] = {}
        # The text as written of values YAML did not read as strings, so that
        # an error can show `0123` rather than the 83 it became.
        self.sources: dict[str, str] = {}


class LocatedList(list[Any]):
    """A list that knows where it and each of its items stand."""

    __slots__ = ("item_positions", "position", "sources")

    def __init__(self, position: Position) -> None:
        super().__init__()
        self.position = position
        self.item_positions: list[Position] = []
        # As in LocatedMap: the text of items YAML did not read as strings.
        self.sources: dict[int, str] = {}


class YamlFileError(Exception):
    """A file that cannot be read as YAML; carries its Problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def load(path: Path) -> Any:
    """Read one YAML document with positions, or raise YamlFileError."""
    display = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlFileError(
            Problem(Location(display), f"cannot read the file: {exc.strerror}")
        ) from None

    text = _decode(raw, display)
    node = _compose(text, display)
    if node is None:
        return None
    return _Builder(display).build(node)


def _decode(raw: bytes, display: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlFileError(
            Problem(
                Location(display, line, column),
                f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                "save the file as UTF-8",
            )
        ) from None


def _compose(text: str, display: str) -> yaml.Node | None:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # the pure-Python reader checks here
        raise _reader_error(exc, text, display) from None
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, display) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context:
            # "found unexpected end of stream" needs the opening it belongs to.
            message += f" {exc.context}"
            if exc.context_mark and exc.context_mark is not mark:
                started = exc.context_mark
                message += f" that starts at {started.line + 1}:{started.column + 1}"
        raise YamlFileError(
            Problem(Location(display, line, column), f"invalid YAML: {message}")
        ) from None
    except yaml.YAMLError as exc:
        raise YamlFileError(
            Problem(Location(display), f"invalid YAML: {exc}")
        ) from None
    finally:
        loader.dispose()


def _reader_error(
    exc: yaml.reader.ReaderError, text: str, display: str
) -> YamlFileError:
    # A character YAML refuses (a control character): no mark, only an offset.
    offset = min(exc.position, len(text))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return YamlFileError(
        Problem(
            Location(display, line, column),
            f"invalid YAML: character #x{code:04x} is not allowed ({exc.reason})",
            "remove the character or write it as an escape in a quoted string",
        )
    )


class _Builder:
    """Turns composed nodes into LocatedMap, LocatedList and plain scalars."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.seen: set[int] = set()
        self.expanded = 0
        self.constructor = SafeConstructor()

    def build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            self._count(node)
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            self._count(node)
            return self._sequence(node)
        return self._scalar(node)

    def _count(self, node: yaml.CollectionNode) -> None:
        # A collection built a second time was reached through an alias; its
        # values are built again. A scalar reached through an alias costs no
        # more than one written out, so only collections are counted.
        key = id(node)
        if key not in self.seen:
            self.seen.add(key)
            return
        self.expanded += len(node.value)
        if self.expanded > ALIAS_EXPANSION_LIMIT:
            raise self._error(
                node,
                "aliases expand to too many values",
                f"a file may repeat at most {ALIAS_EXPANSION_LIMIT:,} values "
                "through aliases; write the values out instead",
            )

    def _mapping(self, node: yaml.MappingNode) -> LocatedMap:
        result = LocatedMap(_position(node))
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                raise self._error(
                    key_node,
                    "merge keys (<<) are not supported",
                    "write the keys out in each entry",
                )
            key = self.build(key_node)
            if not isinstance(key, str):
                raise self._error(
                    key_node,
                    f"a key must be a string, not {type(key).__name__} {key!r}",
                    "quote the key",
                )
            if key in result:
                first = result.key_positions[key]
                raise self._error(
                    key_node,
                    f"duplicate key {key!r}; first at line {first[0]}",
                    "remove one of the two",
                )
            result.key_positions[key] = _position(key_node)
            result.value_positions[key] = _position(value_node)
            if isinstance(value_node, yaml.ScalarNode) and value_node.tag != _STR_TAG:
                result.sources[key] = value_node.value
            result[key] = self.build(value_node)
        return result

    def _sequence(self, node: yaml.SequenceNode) -> LocatedList:
        result = LocatedList(_position(node))
        for index, item in enumerate(node.value):
            result.item_positions.append(_position(item))
            if isinstance(item, yaml.ScalarNode) and item.tag != _STR_TAG:
                result.sources[index] = item.value
            result.append(self.build(item))
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR_TAG or node.tag == _TIMESTAMP_TAG:
            return node.value
        construct = _SCALAR_TAGS.get(node.tag)
        if construct is None:
            raise self._error(node, f"unsupported YAML tag {node.tag!r}", "remove it")
        try:
            return construct(self.constructor, node)  # type: ignore[arg-type]
        except ValueError:  # an integer of more digits than Python converts
            raise self._error(
                node,
                f"the value is too long to be read as a number "
                f"({len(node.value):,} characters)",
                "quote it, or shorten it",
            ) from None

    def _error(self, node: yaml.Node, message: str, hint: str) -> YamlFileError:
        line, column = _position(node)
        return YamlFileError(
            Problem(Location(self.display, line, column), message, hint)
        )


def _position(node: yaml.Node) -> Position:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


def walk_positions(data: Any, path: list[Any]) -> Position | None:
    """The position of the value at ``path`` (keys and indexes), or nearest."""
    best: Position | None = getattr(data, "position", None)
    current = data
    for step in path:
        if isinstance(current, LocatedMap) and step in current:
            best = current.value_positions[step]
            current = current[step]
        elif isinstance(current, LocatedList) and isinstance(step, int):
            if step >= len(current):
                break
            best = current.item_positions[step]
            current = current[step]
        else:
            break
    return best


def iter_files(
    paths: list[Path],
    skip: tuple[str, ...] = (),
    unreadable: Callable[[Path, OSError], None] | None = None,
) -> Iterator[Path]:
    """YAML files named by ``paths``; folders are searched recursively.

    Hidden files and folders are passed over, and so are folders reached
    through a symbolic link. A folder that cannot be listed is handed to
    ``unreadable`` (if given) rather than passed over without a word.
    """
    given: set[Path] = set()
    for path in paths:
        found = sorted(_walk(path, skip, unreadable)) if path.is_dir() else [path]
        for file in found:
            # A file named twice (or within a folder named too) is read once.
            if _identity(file) not in given:
                given.add(_identity(file))
                yield file


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:  # a symlink loop: its own problem is reported when read
        return path.absolute()


def _walk(
    root: Path,
    skip: tuple[str, ...],
    unreadable: Callable[[Path, OSError], None] | None,
) -> Iterator[Path]:
    def refused(exc: OSError) -> None:
        if unreadable is not None:
            unreadable(Path(exc.filename or root), exc)

    for folder, subfolders, names in os.walk(root, onerror=refused):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if _wanted(name, skip):
                yield Path(folder, name)


def _wanted(name: str, skip: tuple[str, ...]) -> bool:
    return (
        name.endswith(YAML_SUFFIXES) and not name.startswith(".") and name not in skip
    )
