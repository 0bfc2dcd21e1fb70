"""Field paths for --set and sweeps."""

from __future__ import annotations

import pytest
from builders import EXAMPLE

from sim.errors import ScenarioError
from sim.spec.field_paths import parse_path, set_path
from sim.spec.scenario import expand_links, load_scenario


def test_paths_of_the_format_document() -> None:
    scenario = load_scenario(
        EXAMPLE,
        [
            "sharing.delay_scale=0.5",
            "sharing.defaults.trust=0.9",
            "sharing.links[NOR-INT->NOR-BRD].trust=0.7",
            "agencies[NOR-BRD].screening.biometric=0.5",
            "travellers.groups[returnees].share=0.5",
            "travellers.groups[relocators].share=0.5",
            "intelligence[0].covers=0.25",
            "sharing.links[*].delay_hours={dist: exponential, mean: 3}",
        ],
    )
    assert scenario.sharing.delay_scale == 0.5
    assert scenario.sharing.defaults.trust == 0.9
    assert scenario.sharing.links[0].trust == 0.7
    assert scenario.agencies[1].screening.biometric == 0.5
    assert [g.share for g in scenario.travellers.groups] == [0.5, 0.5]
    assert scenario.intelligence[0].covers == 0.25
    assert all(link.delay_hours.kind == "exponential" for link in scenario.sharing.links)
    assert scenario.raw["sharing"]["delay_scale"] == 0.5, "the resolved scenario records the override"


def test_one_direction_of_a_both_ways_link_splits_it() -> None:
    scenario = load_scenario(EXAMPLE, ["sharing.links[HUB->NOR-INT].trust=0.1"])
    links = {(a, b): s for a, b, s in expand_links(scenario)}
    assert links[("HUB", "NOR-INT")]["trust"] == 0.1
    assert links[("NOR-INT", "HUB")]["trust"] == 0.8, "the other direction keeps the default"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("sharing.delay_scale", "write PATH=VALUE"),
        ("agencies[NOPE].kind=border", "no item of agencies matches [NOPE]"),
        ("intelligence[7].covers=1", "out of range"),
        ("sharing..trust=1", "two dots"),
        ("sharing.links[0=1", "cannot read the path"),
        ("name.first=1", "is not a mapping"),
        ("sharing.delay_scale=[1, 2", "not valid YAML"),
    ],
)
def test_bad_overrides_are_refused_clearly(override: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(EXAMPLE, [override])
    text = str(info.value)
    assert text.startswith("--set") and message in text, text


def test_an_override_that_makes_the_scenario_invalid_names_the_override() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(EXAMPLE, ["sharing.defaults.trust=2"])
    assert str(info.value) == "--set sharing.defaults.trust=2: should be less than or equal to 1"
    with pytest.raises(ScenarioError) as info:
        load_scenario(EXAMPLE, ["sharing.defaults={trust: 2}"])
    assert str(info.value) == "--set sharing.defaults={trust: 2}: sharing.defaults.trust: should be less than or equal to 1 (got 2)"


def test_parse_path_forms() -> None:
    assert parse_path("a.b[c->d].e") == ["a", "b", ("c->d",), "e"]
    assert parse_path("x[*][0]") == ["x", ("*",), ("0",)]
    data = {"a": [{"id": "p", "v": 1}, {"id": "q", "v": 2}]}
    assert set_path(data, "a[*].v", 5) == ["a[0].v", "a[1].v"]
    assert data == {"a": [{"id": "p", "v": 5}, {"id": "q", "v": 5}]}
