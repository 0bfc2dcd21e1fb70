"""Safe YAML reading that remembers where every field is.

Only `yaml.SafeLoader` is used: a scenario can never run code. Besides the
data, `read_yaml` returns a map from field path (a tuple of keys and list
indices) to its 1-based line, so that validation errors can name the line.
Duplicate keys, which PyYAML would silently collapse, are reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.spec.yaml_errors import yaml_problem

PathKey = tuple[str | int, ...]


def format_path(path: PathKey) -> str:
    """Render ``("sharing", "links", 0, "trust")`` as ``sharing.links[0].trust``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


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


def parse_yaml(text: str, label: str) -> tuple[Any, LineMap]:
    """Parse YAML text safely.

    Args:
        text: the YAML document.
        label: how to name the source in errors (usually the file path).

    Returns:
        The data and its line map.

    Raises:
        ScenarioError: on a syntax error or several documents. Duplicate keys are
            kept in the line map's `problems`, to be reported with the rest.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([Problem(label, None, "", "the file is empty")])
        problems: list[Problem] = []
        lines: dict[PathKey, int] = {}
        _walk(node, (), lines, problems, label)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([yaml_problem(text, label, exc)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(label, None, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return data, LineMap(lines, problems)


def read_yaml(path: str | Path) -> tuple[Any, LineMap]:
    """Read and parse a YAML file; errors name the file as the user gave it."""
    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(label, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(label, None, "", "is a folder, not a file")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem(label, None, "", "is not UTF-8 text")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(label, None, "", f"cannot be read: {exc.strerror}")]) from None
    return parse_yaml(text, label)


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
