"""Field paths: address any scenario field for ``--set`` and sweeps.

A path is dotted keys with bracketed selectors on lists::

    sharing.delay_scale
    sharing.links[NOR-INT->HUB].trust      # a link by its ends
    sharing.links[*].delay_hours           # every link
    agencies[NOR-BRD].screening.biometric  # an item by id
    travellers.groups[returnees].share     # a group by name
    intelligence[0].covers                 # an item by position

A selector is a position, ``*``, or a name matched against the items' ``id``,
``name`` or ``agency`` field (links: ``FROM->TO``). Selecting one direction of a
``both_ways`` link splits that entry in two, so only that direction changes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.spec.yaml_files import LineMap

_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]|(\.)")


def parse_path(path: str) -> list[str | tuple[str]]:
    """Split a path into keys (str) and selectors (1-tuples).

    Raises:
        ValueError: when the path is malformed.
    """
    if not path or path.strip() != path:
        raise ValueError("empty path" if not path else "a path has no spaces around it")
    parts: list[str | tuple[str]] = []
    pos = 0
    expect_key = True
    for match in _TOKEN.finditer(path):
        if match.start() != pos:
            raise ValueError(f"cannot read the path at {path[pos:]!r}")
        key, selector, dot = match.groups()
        if key is not None:
            if not expect_key:
                raise ValueError(f"missing '.' before {key!r}")
            parts.append(key)
            expect_key = False
        elif selector is not None:
            if expect_key and not parts:
                raise ValueError("a path starts with a field name")
            parts.append((selector.strip(),))
            expect_key = False
        else:
            if expect_key:
                raise ValueError("two dots, or a dot at the start")
            expect_key = True
        pos = match.end()
    if pos != len(path) or expect_key:
        raise ValueError("a path ends with a field name or a selector")
    return parts


def _matches(item: Any, selector: str) -> bool:
    if not isinstance(item, dict):
        return False
    if "->" in selector and "from" in item:
        a, _, b = selector.partition("->")
        a, b = a.strip(), b.strip()
        if item.get("from") == a and item.get("to") == b:
            return True
        return item.get("both_ways") is True and item.get("from") == b and item.get("to") == a
    return any(item.get(k) == selector for k in ("id", "name", "agency"))


def _split_both_ways(seq: list[Any], selector: str) -> None:
    """Split both_ways links selected in the reverse direction into two one-way entries."""
    a, _, b = (s.strip() for s in selector.partition("->"))
    for index, item in enumerate(list(seq)):
        if isinstance(item, dict) and item.get("both_ways") is True and {item.get("from"), item.get("to")} == {a, b}:
            forward = {**item, "both_ways": False}
            backward = {**item, "from": item["to"], "to": item["from"], "both_ways": False}
            seq[index : index + 1] = [forward, backward]
            return


def set_path(data: dict[str, Any], path: str, value: Any) -> list[str]:
    """Set the field(s) at `path` to `value`, in place.

    Returns:
        The concrete paths that were set (a wildcard may set several).

    Raises:
        ValueError: when the path is malformed or selects nothing.
    """
    parts = parse_path(path)
    done: list[str] = []

    def walk(node: Any, index: int, trail: str) -> None:
        part = parts[index]
        last = index == len(parts) - 1
        if isinstance(part, str):
            if not isinstance(node, dict):
                raise ValueError(f"{trail or 'the scenario'} is not a mapping, so it has no field {part!r}")
            here = f"{trail}.{part}" if trail else part
            if last:
                node[part] = copy.deepcopy(value)
                done.append(here)
                return
            if part not in node or node[part] is None:
                nxt = parts[index + 1]
                node[part] = {} if isinstance(nxt, str) else []
            walk(node[part], index + 1, here)
            return
        selector = part[0]
        if not isinstance(node, list):
            raise ValueError(f"{trail} is not a list, so [{selector}] selects nothing")
        if "->" in selector:
            _split_both_ways(node, selector)
        if selector == "*":
            chosen = list(range(len(node)))
        elif re.fullmatch(r"-?\d+", selector):
            position = int(selector)
            if not -len(node) <= position < len(node):
                raise ValueError(f"{trail} has {len(node)} items, so [{selector}] is out of range")
            chosen = [position % len(node)]
        else:
            chosen = [i for i, item in enumerate(node) if _matches(item, selector)]
        if not chosen:
            raise ValueError(f"no item of {trail} matches [{selector}]")
        for i in chosen:
            here = f"{trail}[{i}]"
            if last:
                node[i] = copy.deepcopy(value)
                done.append(here)
            else:
                walk(node[i], index + 1, here)

    walk(data, 0, "")
    return done


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``PATH=VALUE``; the value is read as YAML (``0.5``, ``[1, 2]``, ``{dist: ...}``).

    Raises:
        ValueError: when there is no ``=`` or the value is not valid YAML.
    """
    path, sep, raw = text.partition("=")
    if not sep:
        raise ValueError("write PATH=VALUE, e.g. sharing.delay_scale=0.5")
    path = path.strip()
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ValueError(f"the value is not valid YAML ({exc.__class__.__name__})") from None
    return path, value


def apply_changes(data: Any, changes: Iterable[tuple[str, Any]], label: str, skip_empty_wildcards: bool = False) -> Any:
    """Set each field path of `changes` on a copy of `data`: the one way any input changes a scenario.

    Args:
        data: the scenario as plain data (not modified).
        changes: ``(path, value)`` pairs, applied in order.
        label: how problems name their input (``--set``, ``vary``, a file).
        skip_empty_wildcards: a ``[*]`` that matches nothing is no change (``every link`` of a
            scenario without links), instead of a problem.

    Returns:
        The changed copy.

    Raises:
        ScenarioError: naming every change that could not be applied.
    """
    data = copy.deepcopy(data)
    problems: list[Problem] = []
    for path, value in changes:
        try:
            if not isinstance(data, dict):
                raise ValueError("the scenario is not a mapping")
            set_path(data, path, value)
        except ValueError as exc:
            if skip_empty_wildcards and "[*]" in path and "matches" in str(exc):
                continue
            problems.append(Problem(label, None, path, str(exc), value))
    if problems:
        raise ScenarioError(problems)
    return data


def apply_overrides(data: Any, overrides: list[str], source: str = "<scenario>", lines: LineMap | None = None) -> Any:
    """Apply ``PATH=VALUE`` overrides (the text of ``--set``) to a copy of `data`.

    Raises:
        ScenarioError: naming every override that could not be read or applied.
    """
    if not overrides:
        return data
    changes: list[tuple[str, Any]] = []
    problems: list[Problem] = []
    for text in overrides:
        try:
            changes.append(parse_assignment(text))
        except ValueError as exc:
            problems.append(Problem("--set", None, text.partition("=")[0], str(exc), text))
    if problems:
        raise ScenarioError(problems)
    try:
        return apply_changes(data, changes, "--set")
    except ScenarioError as exc:
        texts = dict(zip((path for path, _ in changes), overrides, strict=True))
        raise ScenarioError([Problem(p.file, p.line, p.path, p.message, texts.get(p.path, p.value))
                             for p in exc.problems]) from None  # fmt: skip
