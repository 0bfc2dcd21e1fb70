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
from sim.spec.yaml_files import load_value

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


def parse_assignment(text: str, label: str = "--set", allow_large: bool = False) -> tuple[str, Any]:
    """Split ``PATH=VALUE``; the value is read as YAML (``0.5``, ``[1, 2]``, ``{dist: ...}``).

    The value is read within the limits of a file (`sim.spec.yaml_files.load_value`): an alias
    bomb is refused before it is expanded.

    Raises:
        ValueError: when there is no ``=`` or the value is not valid YAML.
        ScenarioError: a value past a limit (`sim.spec.limits`), named ``LABEL TEXT``.
    """
    path, sep, raw = text.partition("=")
    if not sep:
        raise ValueError("write PATH=VALUE, e.g. sharing.delay_scale=0.5")
    path = path.strip()
    try:
        value = load_value(raw, f"{label} {_shown(text)}", allow_large) if raw.strip() else None
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
    return traced_changes(data, changes, label, skip_empty_wildcards)[0]


def traced_changes(
    data: Any,
    changes: Iterable[tuple[str, Any]],
    label: str,
    skip_empty_wildcards: bool = False,
    names: list[str] | None = None,
) -> tuple[Any, dict[str, int]]:
    """`apply_changes`, also telling which change set each field: to blame a problem on the change.

    Args:
        data: the scenario as plain data (not modified).
        changes: ``(path, value)`` pairs, applied in order.
        label: how problems name their input, when `names` is not given.
        skip_empty_wildcards: see `apply_changes`.
        names: how a problem names each change (``--set sharing.delay_scale=0.5``), in order.

    Returns:
        The changed copy, and each field path set (``sharing.links[0].trust``, as problems
        name fields) with the position of the change that set it last.

    Raises:
        ScenarioError: naming every change that could not be applied.
    """
    data = copy.deepcopy(data)
    problems: list[Problem] = []
    set_by: dict[str, int] = {}
    for number, (path, value) in enumerate(changes):
        try:
            if not isinstance(data, dict):
                raise ValueError("the scenario is not a mapping")
            for done in set_path(data, path, value):
                set_by[done] = number
        except ValueError as exc:
            if skip_empty_wildcards and "[*]" in path and "matches" in str(exc):
                continue
            if names is None:
                problems.append(Problem(label, None, path, str(exc), value))
            else:
                problems.append(Problem(names[number], None, "", str(exc)))
    if problems:
        raise ScenarioError(problems)
    return data, set_by


def _shown(text: str) -> str:
    """An override as messages name it: cut when long."""
    return text if len(text) <= 80 else text[:77] + "..."


def parse_overrides(overrides: Iterable[str], label: str = "--set", allow_large: bool = False) -> list[tuple[str, Any]]:
    """Read ``PATH=VALUE`` overrides (the text of ``--set``) as ``(path, value)`` changes.

    Raises:
        ScenarioError: naming every override that cannot be read (``--set TEXT: why``).
    """
    changes: list[tuple[str, Any]] = []
    problems: list[Problem] = []
    for text in overrides:
        try:
            changes.append(parse_assignment(text, label, allow_large))
        except ScenarioError as exc:
            problems += exc.problems
        except ValueError as exc:
            problems.append(Problem(f"{label} {text}", None, "", str(exc)))
    if problems:
        raise ScenarioError(problems)
    return changes


def blame_changes(problems: Iterable[Problem], set_by: dict[str, str]) -> list[Problem]:
    """Problems found in a changed scenario, those at a changed field named by the change instead of a file line.

    Args:
        problems: the problems of the changed scenario.
        set_by: each field path a change set -> how to name that change (``--set PATH=VALUE``).

    Returns:
        The problems, in order: one at a field a change set (or inside it) names that change,
        with the field only when it lies inside (``--set sharing.defaults={trust: 2}:
        sharing.defaults.trust: ...``); the others are as they were.
    """
    out: list[Problem] = []
    for problem in problems:
        name, field = _blamed(problem.path, set_by)
        if name is None:
            out.append(problem)
        elif field:
            out.append(Problem(name, None, problem.path, problem.message, problem.value))
        else:
            out.append(Problem(name, None, "", problem.message))
    return out


def _blamed(path: str, set_by: dict[str, str]) -> tuple[str | None, bool]:
    """The change that set `path` or a field holding it, and whether `path` lies inside that field."""
    if path in set_by:
        return set_by[path], False
    holders = [done for done in set_by if path.startswith((f"{done}.", f"{done}["))]
    if not holders:
        return None, False
    return set_by[max(holders, key=len)], True
