"""Safe YAML reading that remembers where every field is.

Only `yaml.SafeLoader` is used: a scenario can never run code. Besides the
data, `read_yaml` returns a map from field path (a tuple of keys and list
indices) to its 1-based line, so that validation errors can name the line.
Duplicate keys, which PyYAML would silently collapse, are reported.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError, format_path
from sim.spec import limits
from sim.spec.yaml_errors import yaml_problem

PathKey = tuple[str | int, ...]


class LineMap:
    """Field path -> line number, with the nearest enclosing line as a fallback."""

    def __init__(self, lines: dict[PathKey, int] | None = None, problems: list[Problem] | None = None):
        self.lines: dict[PathKey, int] = dict(lines or {})
        self.problems: list[Problem] = list(problems or [])
        """Problems found while reading (duplicate keys), reported with the others."""

    def line(self, path: PathKey) -> int | None:
        """The line of `path`, or of its closest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


class _RefusedError(Exception):
    """The reader stops: the document goes past a limit (`sim.spec.limits`) at a line."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class _GuardedLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that measures while it composes, before anything is expanded or built.

    It counts the nesting and the values of the document, an alias at the size of the value
    it names (so an alias bomb is refused at its first large alias, never expanded), refuses
    an alias inside the value it names, and reads a number with an exponent and no dot
    (``1e300``) as a number, as YAML 1.2 does (PyYAML's YAML 1.1 rule wants a dot).
    """

    def __init__(self, text: str, allow_large: bool):
        super().__init__(text)
        self.allow_large = allow_large
        self.depth = 0
        self.total = 0
        self.sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        """Compose one node, counting it (and, for an alias, what it names) first."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = super().compose_node(parent, index)
            named = self.sizes.get(id(node))
            line = event.start_mark.line + 1
            if named is None:
                raise _RefusedError(line, f"the alias *{event.anchor} is inside the value it names, "
                                     "so that value would contain itself")  # fmt: skip
            self._count(named, line, f" (the alias *{event.anchor} names {limits.count(named)} of them)")
            return node
        line = self.peek_event().start_mark.line + 1
        self.depth += 1
        if self.depth > limits.MAX_YAML_DEPTH:
            raise _too_deep(line)
        before = self.total
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        self._count(1, line, "")
        self.sizes[id(node)] = self.total - before
        return node

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        """Refuse a ``[`` or ``{`` too deep as the scanner meets it (its look-ahead is quadratic in the depth)."""
        if self.flow_level >= limits.MAX_YAML_DEPTH:
            raise _too_deep(self.get_mark().line + 1)
        super().fetch_flow_collection_start(token_class)

    def _count(self, values: int, line: int, how: str) -> None:
        self.total += values
        if self.total > limits.MAX_YAML_NODES and not self.allow_large:
            raise _RefusedError(line, f"more than {limits.count(limits.MAX_YAML_NODES)} values{how}, aliases counted "
                                 f"at the size of what they name; the limit is {limits.count(limits.MAX_YAML_NODES)} "
                                 f"values; raise it with {limits.ALLOW}")  # fmt: skip


def _too_deep(line: int) -> _RefusedError:
    return _RefusedError(line, f"nested more than {limits.MAX_YAML_DEPTH} levels deep (lists and mappings inside "
                               "each other); a scenario nests about 6")  # fmt: skip


_GuardedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def parse_yaml(text: str, label: str, allow_large: bool = False) -> tuple[Any, LineMap]:
    """Parse YAML text safely, within the limits of `sim.spec.limits`.

    Args:
        text: the YAML document.
        label: how to name the source in errors (usually the file path).
        allow_large: lift the limits on size and values (`sim.spec.limits`); nesting stays limited.

    Returns:
        The data and its line map.

    Raises:
        ScenarioError: on a syntax error, several documents, or a document past a limit (too
            long, too deep, too many values once aliases are counted). Duplicate keys are kept
            in the line map's `problems`, to be reported with the rest.
    """
    if len(text) > limits.MAX_FILE_BYTES:
        _check_size(len(text.encode("utf-8")), label, allow_large)
    return _parse(text, label, allow_large)


def _parse(text: str, label: str, allow_large: bool) -> tuple[Any, LineMap]:
    loader = _GuardedLoader(text, allow_large)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([Problem(label, None, "", "the file is empty")])
        problems: list[Problem] = []
        lines: dict[PathKey, int] = {}
        if loader.total > limits.MAX_YAML_NODES:
            limits.enforce([limits.Excess((), f"{limits.count(loader.total)} values, aliases counted at the size "
                                          "of what they name", f"{limits.count(limits.MAX_YAML_NODES)} values")],
                           label, lambda path: None, allow_large)  # fmt: skip
        _walk(node, (), lines, problems, label)
        data = loader.construct_document(node)
    except _RefusedError as exc:
        raise ScenarioError([Problem(label, exc.line, "", exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([yaml_problem(text, label, exc)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(label, None, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return data, LineMap(lines, problems)


def load_value(text: str, label: str, allow_large: bool = False) -> Any:
    """One YAML value (a ``--set`` value), read within the same limits as a file.

    Raises:
        ScenarioError: a value past a limit, named by `label`.
        yaml.YAMLError: text that is not valid YAML.
    """
    if len(text) > limits.MAX_FILE_BYTES:
        _check_size(len(text.encode("utf-8")), label, allow_large)
    loader = _GuardedLoader(text, allow_large)
    try:
        return loader.get_single_data()
    except _RefusedError as exc:
        raise ScenarioError([Problem(label, None, "", exc.message)]) from None
    finally:
        loader.dispose()


def _check_size(length: int, label: str, allow_large: bool) -> None:
    if length > limits.MAX_FILE_BYTES:
        limits.enforce([limits.Excess((), f"is {limits.size(length)}",
                                      f"{limits.size(limits.MAX_FILE_BYTES)} ({limits.count(limits.MAX_FILE_BYTES)} "
                                      "bytes)")], label, lambda path: None, allow_large)  # fmt: skip


def read_yaml(path: str | Path, allow_large: bool = False) -> tuple[Any, LineMap]:
    """Read and parse a YAML file; errors name the file as the user gave it.

    A file longer than `sim.spec.limits.MAX_FILE_BYTES` is refused after reading only that
    much of it (unless `allow_large`).
    """
    label = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read() if allow_large else handle.read(limits.MAX_FILE_BYTES + 1)
            if len(raw) > limits.MAX_FILE_BYTES and not allow_large:
                _check_size(max(os.fstat(handle.fileno()).st_size, len(raw)), label, allow_large)
        _check_size(len(raw), label, allow_large)
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # newlines as read_text gives them
    except FileNotFoundError:
        raise ScenarioError([Problem(label, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(label, None, "", "is a folder, not a file")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem(label, None, "", "is not UTF-8 text")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(label, None, "", f"cannot be read: {exc.strerror}")]) from None
    return _parse(text, label, allow_large)


def _walk(
    node: yaml.Node,
    path: PathKey,
    lines: dict[PathKey, int],
    problems: list[Problem],
    label: str,
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(
                        label,
                        line,
                        format_path((*path, key)),
                        f"duplicate key (first given on line {seen[key]})",
                    )
                )
            seen[key] = line
            _walk(value_node, (*path, key), lines, problems, label)
            lines[(*path, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, problems, label)


class _PlainDumper(yaml.SafeDumper):
    """A safe dumper that writes shared values out in full (no ``&id001`` anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    """Dump data as block-style YAML, keeping key order (deterministic), without anchors."""
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)
