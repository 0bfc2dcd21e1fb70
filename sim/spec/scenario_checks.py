"""The checks of meaning of a scenario: references, sums, unique ids, fictional names.

They work on the raw data and skip what has the wrong shape (the structural pass reports
that), so both passes report together. One function per part of the format, called in the
order of the file; each returns what later parts may refer to (ids, names, links).
"""

from __future__ import annotations

from typing import Any

from sim.errors import Problem
from sim.spec.checks import did_you_mean
from sim.spec.injects import References, check_inject
from sim.spec.real_countries import real_country
from sim.spec.yaml_files import LineMap, PathKey, format_path

Items = list[tuple[int, dict[str, Any]]]
"""The mappings of a list in the data, with their positions."""


class _Problems:
    """The problems found so far, each placed at its line of the file."""

    def __init__(self, source: str, lines: LineMap):
        self.source, self.lines = source, lines
        self.found: list[Problem] = []

    def add(self, path: PathKey, message: str, value: Any = None, show: bool = True) -> None:
        """A problem at `path`; its value is shown unless `show` is false."""
        if show:
            self.found.append(Problem(self.source, self.lines.line(path), format_path(path), message, value))
        else:
            self.found.append(Problem(self.source, self.lines.line(path), format_path(path), message))

    def unique(self, what: str, seq: Items, field: str, prefix: PathKey) -> set[str]:
        """The values of `field` in `seq`, each repeat reported as a duplicate `what`."""
        seen: dict[str, int] = {}
        for i, item in seq:
            value = item.get(field)
            if not isinstance(value, str):
                continue
            if value in seen:
                self.add((*prefix, i, field), f"duplicate {what} (also {format_path((*prefix, seen[value]))})", value)
            else:
                seen[value] = i
        return set(seen)


def _items(key: str, container: Any) -> Items:
    seq = container.get(key) if isinstance(container, dict) else None
    if not isinstance(seq, list):
        return []
    return [(i, x) for i, x in enumerate(seq) if isinstance(x, dict)]


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    return data.get(key) if isinstance(data.get(key), dict) else {}  # type: ignore[return-value]


def semantic_problems(data: dict[str, Any], source: str, lines: LineMap) -> list[Problem]:
    """Problems of meaning: references, sums, unique ids, fictional names, in the order of the file."""
    problems = _Problems(source, lines)
    country_ids = _check_countries(data, problems)
    agency_ids = _check_agencies(data, country_ids, problems)
    _check_population(data, country_ids, problems)
    links, broken = _check_links(_section(data, "sharing"), agency_ids, problems)
    group_names = _check_groups(_section(data, "travellers"), country_ids, problems)
    _check_intelligence(data, agency_ids, group_names, problems)
    known = References(agencies=agency_ids, links=links, groups=group_names, broken_links=broken)
    horizon = data.get("horizon_days", 90.0)
    for i, inject in _items("injects", data):
        check_inject(inject, ("injects", i), known, horizon, problems.add)
    return problems.found


def _check_countries(data: dict[str, Any], problems: _Problems) -> set[str]:
    """Unique ids; no real country's name. Returns the country ids."""
    countries = _items("countries", data)
    country_ids = problems.unique("id", countries, "id", ("countries",))
    for i, c in countries:
        name = c.get("name")
        real = real_country(name) if isinstance(name, str) else None
        if real is not None:
            problems.add(
                ("countries", i, "name"),
                "is a real country"
                + (f" ({real})" if real != name.strip() else "")  # type: ignore[union-attr]
                + "; use a fictional name (synthetic actors only)",
                name,
            )
    return country_ids


def _check_agencies(data: dict[str, Any], country_ids: set[str], problems: _Problems) -> set[str]:
    """Unique ids, existing countries, screening only at borders. Returns the agency ids."""
    agencies = _items("agencies", data)
    agency_ids = problems.unique("id", agencies, "id", ("agencies",))
    for i, a in agencies:
        country = a.get("country")
        if isinstance(country, str) and country not in country_ids:
            problems.add(("agencies", i, "country"), f"no such country{did_you_mean(country, country_ids)}", country)
        if a.get("screening") is not None and a.get("kind") != "border":
            problems.add(("agencies", i, "screening"), "only border agencies screen (kind: border)", show=False)
        for field in ("false_match", "pnr_rules"):
            if a.get(field) is not None and a.get("kind") != "border":
                problems.add(("agencies", i, field), "only border agencies check crossings (kind: border)", show=False)
    return agency_ids


def _check_population(data: dict[str, Any], country_ids: set[str], problems: _Problems) -> None:
    """``crossings_per_day`` by country names existing countries (or ``default``)."""
    per_day = _section(data, "population").get("crossings_per_day")
    if not isinstance(per_day, dict):
        return
    for key in per_day:
        if key != "default" and key not in country_ids:
            problems.add(
                ("population", "crossings_per_day", key),
                f"no such country{did_you_mean(str(key), country_ids | {'default'})}",
                key,
            )


def _check_links(
    sharing: dict[str, Any], agency_ids: set[str], problems: _Problems
) -> tuple[dict[tuple[str, str], int], frozenset[tuple[str | None, str | None]]]:
    """Existing agencies at both ends, two different ones, each direction once.

    Returns:
        Each directed link with the index of its entry in ``sharing.links``; and the directed
        links of entries with an end that names no agency (that end None), whose problem is
        reported here, not again by each inject that names them.
    """
    directed: dict[tuple[str, str], int] = {}
    broken: set[tuple[str | None, str | None]] = set()
    for i, link in _items("links", sharing):
        ends = []
        for end in ("from", "to"):
            value = link.get(end)
            if isinstance(value, str):
                if value not in agency_ids:
                    problems.add(
                        ("sharing", "links", i, end), f"no such agency{did_you_mean(value, agency_ids)}", value
                    )
                ends.append(value)
        if len(ends) != 2 or not set(ends) <= agency_ids:
            sender, receiver = (end if isinstance(end, str) and end in agency_ids else None
                                for end in (link.get("from"), link.get("to")))  # fmt: skip
            broken.add((sender, receiver))
            if link.get("both_ways") is True:
                broken.add((receiver, sender))
        if len(ends) != 2:
            continue
        a, b = ends
        if a == b:
            problems.add(("sharing", "links", i), "a link must join two different agencies", f"{a} -> {b}")
            continue
        for pair in [(a, b), (b, a)] if link.get("both_ways") is True else [(a, b)]:
            if pair in directed:
                problems.add(
                    ("sharing", "links", i),
                    f"link {pair[0]} -> {pair[1]} is given twice (also sharing.links[{directed[pair]}])",
                    show=False,
                )
            else:
                directed[pair] = i
    return directed, frozenset(broken)


def _check_groups(travellers: dict[str, Any], country_ids: set[str], problems: _Problems) -> set[str]:
    """Unique names, shares summing to 1, then each group's route and documents. Returns the group names."""
    groups = _items("groups", travellers)
    group_names = problems.unique("group name", groups, "name", ("travellers", "groups"))
    shares = [g.get("share") for _, g in groups]
    if groups and all(_is_number(s) for s in shares):
        total = float(sum(shares))  # type: ignore[arg-type]
        if abs(total - 1.0) > 1e-6:
            problems.add(("travellers", "groups"), f"group shares must sum to 1 (they sum to {total:g})", show=False)
    for i, g in groups:
        _check_route(g.get("route"), ("travellers", "groups", i, "route"), country_ids, problems)
        docs = g.get("documents")
        if isinstance(docs, dict):
            vals = [docs.get(k) for k in ("genuine", "fraudulent")]
            if all(_is_number(v) for v in vals) and abs(sum(vals) - 1.0) > 1e-6:  # type: ignore[arg-type]
                problems.add(
                    ("travellers", "groups", i, "documents"),
                    f"genuine and fraudulent must sum to 1 (they sum to {sum(vals):g})",  # type: ignore[arg-type]
                    show=False,
                )
    return group_names


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_route(route: Any, at: PathKey, country_ids: set[str], problems: _Problems) -> None:
    """Existing countries, never the same one twice in a row."""
    if not isinstance(route, list):
        return
    for j, cid in enumerate(route):
        if isinstance(cid, str) and cid not in country_ids:
            problems.add((*at, j), f"no such country{did_you_mean(cid, country_ids)}", cid)
        if j > 0 and cid == route[j - 1]:
            problems.add((*at, j), "a route cannot cross into the country it is in", cid)


def _check_intelligence(data: dict[str, Any], agency_ids: set[str], group_names: set[str], problems: _Problems) -> None:
    """Each source's agency and groups exist."""
    for i, intel in _items("intelligence", data):
        agency = intel.get("agency")
        if isinstance(agency, str) and agency not in agency_ids:
            problems.add(("intelligence", i, "agency"), f"no such agency{did_you_mean(agency, agency_ids)}", agency)
        names = intel.get("groups")
        if isinstance(names, list):
            for j, name in enumerate(names):
                if isinstance(name, str) and name not in group_names:
                    problems.add(
                        ("intelligence", i, "groups", j), f"no such group{did_you_mean(name, group_names)}", name
                    )
