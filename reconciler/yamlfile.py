"""Safe YAML loading that remembers where every value came from.

The parser is libyaml's when present (``CSafeLoader``), else PyYAML's own.
Its events are built here into values, without PyYAML's node tree or
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

from reconciler.errors import Location, Problem, quoted, shortened

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # libyaml is not installed
    _BaseLoader = yaml.SafeLoader

# Values that aliases may repeat before a file is refused: plenty for
# hand-written anchors, far below what an alias bomb expands to.
ALIAS_EXPANSION_LIMIT = 100_000
# Lists and mappings one inside another: a declaration needs four; far
# deeper would only exhaust the checks that walk the values.
NESTING_LIMIT = 64

YAML_SUFFIXES = (".yaml", ".yml")

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# The tags a list or mapping may carry: none, `!`, or its own.
_UNTAGGED = frozenset({None, "!"})
_TYPE_WORDS = {
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
}
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

    def plain_tag(self, value: str) -> str:
        """The tag of a plain scalar: it depends on its text alone (there
        are no path resolvers), so it is resolved once per text."""
        known = _PLAIN_TAGS.get(value)
        if known is None:
            known = self.resolve(yaml.ScalarNode, value, (True, False))
            if len(_PLAIN_TAGS) < _PLAIN_TAGS_LIMIT:
                _PLAIN_TAGS[value] = known
        return known


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def position_at(text: str, offset: int) -> Position:
    """The line and column (1-based) of character ``offset`` of ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _where(mark: Any) -> Position:
    """A parser's mark (0-based) as a 1-based line and column."""
    if mark.__class__ is tuple:
        return mark  # type: ignore[no-any-return]  # a position already
    return (mark.line + 1, mark.column + 1)


class Positions(dict[Any, Any]):
    """Where each key or value stands, read as (line, column).

    It holds the parser's marks as they come and turns one into a position
    only when it is read: a large file has millions of them, and most are
    never asked for.
    """

    __slots__ = ()

    def __getitem__(self, key: Any) -> Position:
        return _where(dict.__getitem__(self, key))

    def get(self, key: Any, default: Any = None) -> Any:
        mark = dict.get(self, key)
        return default if mark is None else _where(mark)


class ItemPositions(list[Any]):
    """Where each item of a list stands, read as (line, column); see Positions."""

    __slots__ = ()

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [_where(mark) for mark in list.__getitem__(self, index)]
        return _where(list.__getitem__(self, index))

    def __iter__(self) -> Iterator[Position]:
        return (_where(mark) for mark in list.__iter__(self))


class LocatedMap(dict[str, Any]):
    """A mapping that knows where it, its keys and its values stand."""

    __slots__ = ("key_positions", "position", "sources", "value_positions")

    def __init__(self, position: Position) -> None:
        super().__init__()
        self.position = position
        self.key_positions = Positions()
        self.value_positions = Positions()
        # The text as written of values YAML did not read as strings, so that
        # an error can show `0123` rather than the 83 it became.
        self.sources: dict[str, str] = {}


class LocatedList(list[Any]):
    """A list that knows where it and each of its items stand."""

    __slots__ = ("item_positions", "position", "sources")

    def __init__(self, position: Position) -> None:
        super().__init__()
        self.position = position
        self.item_positions = ItemPositions()
        # As in LocatedMap: the text of items YAML did not read as strings.
        self.sources: dict[int, str] = {}


class YamlFileError(Exception):
    """A file that cannot be read as YAML; carries its Problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def load(path: Path) -> Any:
    """Read one YAML document with positions, or raise YamlFileError."""
    return parse(read(path), str(path))


def read(path: Path) -> str:
    """The text of a YAML file, or raise YamlFileError: unreadable, not UTF-8."""
    display = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlFileError(
            Problem(Location(display), f"cannot read the file: {exc.strerror}")
        ) from None

    return _decode(raw, display)


def parse(text: str, display: str) -> Any:
    """The one YAML document of ``text``, with positions; see ``load``."""
    return _parse(text, display)


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


def _parse(text: str, display: str) -> Any:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # the pure-Python reader checks here
        raise _reader_error(exc, text, display) from None
    try:
        return _Builder(display, loader).document()
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, display) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, display) from None
    except yaml.YAMLError as exc:
        raise YamlFileError(
            Problem(Location(display), f"invalid YAML: {exc}")
        ) from None
    finally:
        loader.dispose()


def _syntax_error(exc: yaml.MarkedYAMLError, display: str) -> YamlFileError:
    mark = exc.problem_mark or exc.context_mark
    line, column = _where(mark) if mark else (0, 0)
    message = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.context:
        # "found unexpected end of stream" needs the opening it belongs to.
        message += f" {exc.context}"
        if exc.context_mark and exc.context_mark is not mark:
            started = _where(exc.context_mark)
            message += f" that starts at {started[0]}:{started[1]}"
    return YamlFileError(
        Problem(Location(display, line, column), f"invalid YAML: {message}")
    )


def _reader_error(
    exc: yaml.reader.ReaderError, text: str, display: str
) -> YamlFileError:
    # A character YAML refuses (a control character): no mark, only an offset.
    line, column = position_at(text, min(exc.position, len(text)))
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return YamlFileError(
        Problem(
            Location(display, line, column),
            f"invalid YAML: character #x{code:04x} is not allowed ({exc.reason})",
            "remove the character or write it as an escape in a quoted string",
        )
    )


# What a mapping on the builder's stack waits for when it wants a key.
_KEY = object()
_Container = LocatedMap | LocatedList


class _Builder:
    """Builds LocatedMap, LocatedList and plain scalars from parser events.

    The events come straight from the parser, one at a time: no tree of
    nodes is composed first, which halves the cost of a large file. Each
    mapping or list being filled sits on a stack beside what it waits for
    (a key, or the value of a key it has); every finished value lands in the
    container on top. A value reached through an alias is the anchored value
    itself, shared, and counts for all the values inside it, so that an
    alias bomb is refused long before it could be walked.
    """

    def __init__(self, display: str, loader: _Loader) -> None:
        self.display = display
        self.loader = loader
        self.constructor = SafeConstructor()
        # Anchor name -> its value, where it stands, and its text if a scalar.
        self.anchors: dict[str, tuple[Any, Position, str | None]] = {}
        self.measures: dict[int, tuple[int, int]] = {}
        self.expanded = 0

    def document(self) -> Any:
        """The stream's one document, or None for a stream with none."""
        next_event = self.loader.get_event
        next_event()  # the stream starts
        event = next_event()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        value = self._contents()
        event = next_event()
        if not isinstance(event, yaml.StreamEndEvent):
            raise self._error(
                _where(event.start_mark),
                "a second YAML document starts here; a file holds one",
                "remove the `---` and what follows it, or give it a file of its own",
            )
        return value

    def _contents(self) -> Any:
        """Everything up to the end of the document, as one value."""
        next_event = self.loader.get_event
        plain_tag, known_tags = self.loader.plain_tag, _PLAIN_TAGS
        scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
        map_start, map_end = yaml.MappingStartEvent, yaml.MappingEndEvent
        list_start, list_end = yaml.SequenceStartEvent, yaml.SequenceEndEvent
        # Typed loosely: the loop below is the hot path of a large load, and a
        # list's and a mapping's attributes are used only where each stands.
        stack: list[Any] = []
        # Beside each container: the key it waits to fill (_KEY when it wants
        # a key; None for a list), and the anchor it will be known by.
        waiting: list[Any] = []
        anchors: list[str | None] = []
        root: Any = None
        while True:
            event = next_event()
            kind = event.__class__
            source: str | None = None
            if kind is scalar:
                position = event.start_mark
                value = event.value
                tag = event.tag
                if tag is None or tag == "!":
                    if not event.implicit[0]:
                        tag = _STR_TAG  # quoted: a string
                    else:  # keys and common values are known already
                        tag = known_tags.get(value) or plain_tag(value)
                if tag != _STR_TAG:
                    wants_key = bool(waiting) and waiting[-1] is _KEY
                    source = value
                    value = self._scalar(tag, value, _where(position), wants_key)
                if event.anchor is not None:
                    self._anchor(event.anchor, value, _where(position), source)
            elif kind is map_start or kind is list_start:
                mark = event.start_mark
                mapping = kind is map_start
                opened = LocatedMap if mapping else LocatedList
                if len(stack) >= NESTING_LIMIT or event.tag not in _UNTAGGED:
                    self._check_opening(event, len(stack), mapping)
                stack.append(opened(_where(mark)))
                waiting.append(_KEY if mapping else None)
                anchors.append(event.anchor)
                continue
            elif kind is map_end or kind is list_end:
                value = stack.pop()
                waiting.pop()
                position = value.position
                anchor = anchors.pop()
                if anchor is not None:
                    self._anchor(anchor, value, position, None)
            elif kind is alias:
                value, position, source = self._alias(event, len(stack))
            else:  # the document ends
                return root

            if not stack:
                root = value
                continue
            container = stack[-1]
            key = waiting[-1]
            if key is None:
                if source is not None:
                    container.sources[len(container)] = source
                container.item_positions.append(position)
                container.append(value)
            elif key is _KEY:
                if value.__class__ is not str or value in container:
                    self._check_key(container, value, _where(position))
                container.key_positions[value] = position
                waiting[-1] = value
            else:
                if source is not None:
                    container.sources[key] = source
                container.value_positions[key] = position
                container[key] = value
                waiting[-1] = _KEY

    def _scalar(self, tag: str, text: str, position: Position, key: bool) -> Any:
        """A scalar that is not a string: a number, a boolean or null."""
        if tag == _TIMESTAMP_TAG:
            return text  # dates stay as written; `until` reads them itself
        if tag == _MERGE_TAG and key:
            raise self._error(
                position,
                "merge keys (<<) are not supported",
                "write the keys out in each entry",
            )
        construct = _SCALAR_TAGS.get(tag)
        if construct is None:
            raise self._error(
                position, f"unsupported YAML tag {quoted(tag)}", "remove it"
            )
        node = yaml.ScalarNode(tag, text)
        try:
            return construct(self.constructor, node)
        except (ValueError, KeyError, IndexError):
            raise self._unreadable(tag, text, position) from None

    def _unreadable(self, tag: str, text: str, position: Position) -> YamlFileError:
        """A scalar its tag cannot make a value of: `!!bool maybe`, `!!int x`."""
        # Written as the tag's own kind of value: digits, more than Python takes.
        if self.loader.plain_tag(text) == tag:
            return self._error(
                position,
                f"the value is too long to be read as a number "
                f"({len(text):,} characters)",
                "quote it, or shorten it",
            )
        return self._error(
            position,
            f"{quoted(text)} is not {_TYPE_WORDS.get(tag, tag)}, as its tag says",
            "remove the tag, or write a value of that type",
        )

    def _check_opening(
        self, event: yaml.CollectionStartEvent, depth: int, mapping: bool
    ) -> None:
        """Refuse a list or mapping nested too deep, or one with a foreign tag."""
        position = _where(event.start_mark)
        if depth >= NESTING_LIMIT:
            raise self._error(
                position,
                f"lists and mappings nest more than {NESTING_LIMIT} deep here",
                "a declaration nests four deep at most; flatten the value",
            )
        if event.tag != (_MAP_TAG if mapping else _SEQ_TAG):
            raise self._error(
                position, f"unsupported YAML tag {quoted(event.tag)}", "remove it"
            )

    def _check_key(self, container: Any, key: Any, position: Position) -> None:
        if not isinstance(key, str):
            raise self._error(
                position,
                f"a key must be a string, not {describe(key)}",
                "write the key as a name, such as `number:`, quoted if need be",
            )
        if key in container:
            first = container.key_positions[key]
            raise self._error(
                position,
                f"duplicate key {quoted(key)}; first at line {first[0]}",
                "remove one of the two",
            )

    def _anchor(
        self, name: str, value: Any, position: Position, source: str | None
    ) -> None:
        if name in self.anchors:
            first = self.anchors[name][1]
            raise self._error(
                position,
                f"duplicate anchor {quoted(name)}; first at line {first[0]}",
                "give each anchor its own name",
            )
        self.anchors[name] = (value, position, source)

    def _alias(
        self, event: yaml.AliasEvent, depth: int
    ) -> tuple[Any, Position, str | None]:
        mark = event.start_mark
        position = _where(mark) if mark else (0, 0)
        anchored = self.anchors.get(event.anchor or "")
        if anchored is None:
            # An alias inside its own anchor lands here too: the anchor is
            # known only once its value is complete, so nothing can recurse.
            raise self._error(
                position,
                f"the alias *{shortened(str(event.anchor))} names no anchor before it",
                f"define &{shortened(str(event.anchor))} before using it",
            )
        value, _, source = anchored
        if isinstance(value, LocatedMap | LocatedList):
            weight, nesting = self._measure(value)
            if depth + nesting > NESTING_LIMIT:
                raise self._error(
                    position,
                    f"through this alias, lists and mappings nest more than "
                    f"{NESTING_LIMIT} deep",
                    "a declaration nests four deep at most; flatten the value",
                )
            self.expanded += weight
            if self.expanded > ALIAS_EXPANSION_LIMIT:
                raise self._error(
                    position,
                    "aliases expand to too many values",
                    f"a file may repeat at most {ALIAS_EXPANSION_LIMIT:,} values "
                    "through aliases; write the values out instead",
                )
        return value, position, source

    def _measure(self, value: _Container) -> tuple[int, int]:
        """How many values ``value`` holds, counting those inside its values,
        and how deep its lists and mappings nest.

        Recursive, and safe: nothing built nests deeper than NESTING_LIMIT.
        """
        known = self.measures.get(id(value))
        if known is None:
            children = value.values() if isinstance(value, LocatedMap) else value
            inner = [
                self._measure(child)
                for child in children
                if isinstance(child, LocatedMap | LocatedList)
            ]
            known = (
                len(value) + sum(weight for weight, _ in inner),
                1 + max((nesting for _, nesting in inner), default=0),
            )
            self.measures[id(value)] = known
        return known

    def _error(self, position: Position, message: str, hint: str) -> YamlFileError:
        return YamlFileError(Problem(Location(self.display, *position), message, hint))


def describe(value: Any) -> str:
    """A YAML value as the reader wrote it: ``a list``, ``int 5``, ..."""
    if value is None:
        return "empty (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {quoted(value)}"


def iter_strings(
    data: Any, position: Position = (1, 1)
) -> Iterator[tuple[str, Position]]:
    """Every string in ``data``, keys included, with where it stands.

    Recursive, and safe: nothing built nests deeper than NESTING_LIMIT.
    """
    if isinstance(data, LocatedMap):
        for key, value in data.items():
            yield from iter_strings(key, data.key_positions[key])
            yield from iter_strings(value, data.value_positions[key])
    elif isinstance(data, LocatedList):
        for index, item in enumerate(data):
            yield from iter_strings(item, data.item_positions[index])
    elif isinstance(data, str):
        yield data, position


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
