"""Validation: every class of error, with file, line, field and value; all errors at once."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from builders import EXAMPLE, build, one_link_data

from sim.errors import ScenarioError
from sim.safe_text import visible
from sim.spec.field_types import parse_number
from sim.spec.real_countries import real_country_names
from sim.spec.scenario import Scenario, load_scenario

GOOD = textwrap.dedent(
    """\
    name: Test corridor
    seed: 1
    countries:
      - {id: ZON, name: Zonara, role: conflict}
      - {id: NOR, name: Norland, role: home}
    agencies:
      - {id: NOR-INT, country: NOR, kind: intelligence}
      - {id: NOR-BRD, country: NOR, kind: border}
    sharing:
      links:
        - {from: NOR-INT, to: NOR-BRD}
    travellers:
      count: 10
      groups:
        - {name: returnees, share: 1, route: [ZON, NOR], leg_hours: 24}
    """
)


def problems_of(tmp_path: Path, text: str, name: str = "s.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p).removeprefix(f"{tmp_path}/") for p in info.value.problems]


def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def test_the_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GOOD)
    scenario = load_scenario(path)
    assert scenario.name == "Test corridor" and scenario.travellers.count == 10


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "kind: border}",
            "kind: border, screen: 1}",
            "s.yaml:8: agencies[1].screen: unknown field (did you mean 'screening'?)",
        ),
        (
            "share: 1,",
            "share: 1.5,",
            "s.yaml:15: travellers.groups[0].share: should be less than or equal to 1 (got 1.5)",
        ),
        ("share: 1,", "share: 0.5,", "s.yaml:14: travellers.groups: group shares must sum to 1 (they sum to 0.5)"),
        (
            "to: NOR-BRD}",
            "to: NOR-BDR}",
            "s.yaml:11: sharing.links[0].to: no such agency (did you mean 'NOR-BRD'?) (got NOR-BDR)",
        ),
        (
            "route: [ZON, NOR]",
            "route: [ZON, NOX]",
            "s.yaml:15: travellers.groups[0].route[1]: no such country (did you mean 'NOR'?) (got NOX)",
        ),
        (
            "name: Norland",
            "name: Norway",
            "s.yaml:5: countries[1].name: is a real country; use a fictional name (synthetic actors only) (got Norway)",
        ),
        ("name: Norland", "name: GERMANY", "s.yaml:5: countries[1].name: is a real country"),
        (
            "leg_hours: 24",
            "leg_hours: {dist: lognormal, median: 24}",
            "s.yaml:15: travellers.groups[0].leg_hours: lognormal needs sigma",
        ),
        ("leg_hours: 24", "leg_hours: {dist: gama, mean: 3}", "unknown distribution 'gama'"),
        ("leg_hours: 24", "leg_hours: -4", "travellers.groups[0].leg_hours: must not be negative (got -4)"),
        ("leg_hours: 24", "leg_hours: {dist: uniform, low: 9, high: 2}", "uniform needs low <= high"),
        (
            "leg_hours: 24",
            "leg_hours: {dist: choice, values: [1, 2], weights: [1]}",
            "choice weights must be a list as long as values",
        ),
        ("count: 10", "count: ten", "s.yaml:13: travellers.count: should be a valid integer"),
        ("count: 10", "", "s.yaml:12: travellers.count: required field is missing"),
        ("id: NOR-BRD,", "id: NOR-INT,", "s.yaml:8: agencies[1].id: duplicate id (also agencies[0]) (got NOR-INT)"),
        (
            "role: home",
            "role: homeland",
            "s.yaml:5: countries[1].role: must be 'conflict', 'transit' or 'home' (got homeland)",
        ),
        ("seed: 1", "seed: -1", "s.yaml:2: seed: should be greater than or equal to 0 (got -1)"),
        (
            "- {from: NOR-INT, to: NOR-BRD}",
            "- {from: NOR-INT, to: NOR-BRD}\n    - {from: NOR-INT, to: NOR-BRD}",
            "s.yaml:12: sharing.links[1]: link NOR-INT -> NOR-BRD is given twice",
        ),
        (
            "kind: intelligence}",
            "kind: intelligence, screening: {name: 1}}",
            "s.yaml:7: agencies[0].screening: only border agencies screen",
        ),
        ("seed: 1", "seed: 1\nseed: 2", "s.yaml:3: seed: duplicate key (first given on line 2)"),
    ],
)
def test_each_error_names_file_line_field_and_value(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = problems_of(tmp_path, replace(GOOD, old, new))
    assert any(p.startswith(expected) or expected in p for p in problems), f"expected {expected!r} in {problems}"


INJECTS = GOOD + textwrap.dedent(
    """\
    intelligence:
      - {agency: NOR-INT, covers: 0.5, identifier: {biometric: 0.5, name: 0.4}}
      - {agency: NOR-XXX, covers: 0.5, groups: [returnes]}
    injects:
      - {day: 200, kind: surge, group: returnees, travellers: 5}
      - {day: 1, kind: link_down, link: NOR-INT -> NOR-XXX}
      - {day: 1, kind: link_up, link: NOR-BRD -> NOR-INT}
      - {day: 1, kind: trust, link: NOR-INT => NOR-BRD, trust: 0.5}
      - {day: 1, kind: intel, agency: NOR-INT}
      - {day: 1, kind: intel, agency: NOR-INT, ids: [R-0099]}
      - {day: 1, kind: wobble}
      - {day: 1, kind: surge, group: others, travellers: 2}
      - {kind: surge, group: returnees, travellers: 2}
    """
)


def test_every_problem_in_a_file_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, INJECTS)
    expected = [
        "s.yaml:17: intelligence[0].identifier: identifier probabilities must sum to 1 (they sum to 0.9)",
        "s.yaml:18: intelligence[1].agency: no such agency",
        "s.yaml:18: intelligence[1].groups[0]: no such group (did you mean 'returnees'?) (got returnes)",
        "s.yaml:20: injects[0].day: is after the horizon (90 days) (got 200)",
        "s.yaml:21: injects[1].link: no such agency 'NOR-XXX'",
        "s.yaml:22: injects[2].link: no link NOR-BRD -> NOR-INT in sharing.links",
        "s.yaml:23: injects[3].link: write a link as `A -> B` (one direction) or `A <-> B` (both)",
        "s.yaml:24: injects[4]: an intel inject gives either `travellers` (how many) or `ids` (which)",
        "s.yaml:26: injects[6].kind: unknown inject kind",
        "s.yaml:27: injects[7].group: no such group",
        "s.yaml:28: injects[8].day: required field is missing",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in problems), f"missing {line!r} in:\n" + "\n".join(problems)
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines), "problems are listed in file order"


def test_long_values_are_shortened(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, replace(GOOD, "role: home", "role: " + "x" * 300))
    line = next(p for p in problems if "countries[1].role" in p)
    assert "..." in line and len(line) < 200


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD + "  oops: [1, 2\n")
    assert len(problems) == 1 and problems[0].startswith("s.yaml:1") and "not valid YAML" in problems[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "s.yaml: the file is empty"),
        ("- 1\n", "s.yaml:1: a scenario must be a mapping"),
        ("a: !!python/object:os.system x\n", "s.yaml:1: not valid YAML"),
    ],
)
def test_files_that_are_not_scenarios(tmp_path: Path, text: str, expected: str) -> None:
    assert problems_of(tmp_path, text)[0].startswith(expected)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nothere.yaml")


def test_real_country_list_comes_from_pycountry_and_cldr() -> None:
    names = real_country_names()
    assert len(names) > 20_000, "CLDR's names in every locale, not only ISO 3166's English ones"
    assert {"france", "norway", "kenya", "bolivia, plurinational state of", "norge", "россия"} <= names.keys()
    assert "zonara" not in names and "norland" not in names


@pytest.mark.parametrize(
    ("name", "real"),
    [
        ("\uff2e\uff4f\uff52\uff57\uff41\uff59", "Norway"),  # fullwidth
        ("Nor\u00adway", "Norway"),  # a soft hyphen
        ("Norw\u0430y", "Norway"),  # a Cyrillic а
        ("N\u200borway", "Norway"),  # a zero-width space
        ("Nor\u202eway", "Norway"),  # a right-to-left override
        ("\u0406TALY", "Italy"),  # a Cyrillic І
        ("Deutschland", "Germany"),
        ("\u0420\u043e\u0441\u0441\u0438\u044f", "Russia"),  # Россия
        ("\u0420\u041e\u0421\u0421\u0418\u042f", "Russia"),  # РОССИЯ
        ("\u4e2d\u56fd", "China"),  # 中国
        ("Espa\u00f1a", "Spain"),
        ("Espana", "Spain"),
        ("Norge", "Norway"),
        ("Holland", "Netherlands"),
        ("Palestine", "Palestinian Territories"),
        ("Norwegen", "Norway"),
    ],
)
def test_real_country_in_any_language_or_disguise_is_refused(tmp_path: Path, name: str, real: str) -> None:
    problems = problems_of(tmp_path, replace(GOOD, "name: Norland", f'name: "{name}"'))
    assert problems == [
        f"s.yaml:5: countries[1].name: is a real country ({real}); use a fictional name (synthetic actors only)"
        f" (got {visible(name)})"
    ], problems
    assert real in problems[0] and "countries[1].name" in problems[0]


@pytest.mark.parametrize("name", ["Ao", "Bi", "Ostria", "Transia", "Norland", "Zonara", "Cubanor"])
def test_short_or_shipped_fictional_names_are_not_taken_for_real_ones(name: str) -> None:
    """Accent-free or look-alike spellings count from 4 letters (Vietnamese Áo is Austria, Ao is not);
    the shipped scenarios' invented names pass."""
    from sim.spec.real_countries import real_country

    assert real_country(name) is None


def test_invented_names_kept_allowed_are_used_by_shipped_scenarios() -> None:
    import yaml
    from babel import localedata

    from sim.spec.real_countries import INVENTED_NAMES, fold_name

    shipped = {
        country["name"]
        for path in (Path(__file__).parents[1] / "scenarios").glob("*.yaml")
        for country in yaml.safe_load(path.read_text(encoding="utf-8")).get("countries", [])
    }
    cldr = {
        fold_name(name)
        for locale in localedata.locale_identifiers()
        for name in localedata.load(locale, merge_inherited=False).get("territories", {}).values()
    }
    for name in INVENTED_NAMES:
        assert name in shipped, f"{name} is no longer used by a shipped scenario: drop it from INVENTED_NAMES"
        assert fold_name(name) in cldr, f"{name} is no CLDR name: drop it from INVENTED_NAMES"


def test_real_country_names_are_cached_in_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.spec import real_countries

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = real_countries.cache_file()
    assert path.parent == tmp_path / "tabletop" and not path.exists()
    path.parent.mkdir()
    path.write_text("norland\tNorland (as cached)\nzonara\tZonara (as cached)", encoding="utf-8")
    real_countries.real_country_names.cache_clear()
    try:
        assert real_countries.real_country("Zonara") == "Zonara (as cached)", "the file is read"
        path.unlink()
        real_countries.real_country_names.cache_clear()
        assert real_countries.real_country("Zonara") is None and real_countries.real_country("Norge") == "Norway"
        assert "\nnorge\tNorway\n" in path.read_text(encoding="utf-8"), "and written when missing"
    finally:
        real_countries.real_country_names.cache_clear()


def test_distribution_forms_of_the_format() -> None:
    import numpy as np

    u = np.linspace(0.001, 0.999, 999)
    forms = {
        24: 24.0,
        "{dist: exponential, mean: 24}": 24.0,
        "{dist: lognormal, median: 24, sigma: 0.8}": 24.0 * np.exp(0.32),
        "{dist: uniform, low: 12, high: 48}": 30.0,
        "{dist: triangular, low: 2, mode: 12, high: 72}": 86 / 3,
        "{dist: normal, mean: 24, sd: 6}": 24.0,
        "{dist: choice, values: [6, 24, 72], weights: [0.5, 0.3, 0.2]}": 24.6,
    }
    import yaml

    for text, mean in forms.items():
        dist = parse_number(yaml.safe_load(str(text)))
        draws = dist.ppf(u)
        assert abs(draws.mean() - mean) / mean < 0.05, f"{text}: mean {draws.mean():.2f}, expected {mean:.2f}"
        assert (np.diff(draws) >= -1e-12).all(), f"{text}: the inverse CDF must be non-decreasing"
        assert dist.mean == pytest.approx(mean, rel=1e-9)
    truncated = parse_number({"dist": "normal", "mean": 1, "sd": 10})
    assert (truncated.ppf(u) >= 0).all(), "a normal duration is truncated at 0"


def test_json_schema_describes_every_top_level_field() -> None:
    schema = Scenario.model_json_schema(by_alias=True)
    assert set(schema["properties"]) >= {
        "name",
        "countries",
        "agencies",
        "sharing",
        "travellers",
        "intelligence",
        "injects",
    }
    link = schema["$defs"]["Link"]
    assert "from" in link["properties"] and link.get("additionalProperties") is False
    json.dumps(schema)


def test_link_defaults_and_explicit_null(tmp_path: Path) -> None:
    data = one_link_data(travellers=5, verify_hours=12)
    data["sharing"]["links"][0]["verify_hours"] = None
    scenario = build(data)
    from sim.spec.scenario import expand_links

    ((_, _, settings),) = expand_links(scenario)
    assert settings["verify_hours"] is None, "an explicit null on a link beats the default"
    assert settings["reliability"] == 1.0 and settings["when_down"] == "hold"


def test_example_of_the_format_document_loads() -> None:
    scenario = load_scenario(EXAMPLE)
    assert [c.id for c in scenario.countries] == ["ZON", "TRA", "NOR", "OST"]
    assert scenario.agencies[3].forwards and not scenario.agencies[0].forwards
    assert len(scenario.injects) == 4


@pytest.mark.parametrize(
    ("name", "real"),
    [("Russia", "Russia"), ("UK", "United Kingdom"), ("Burma", "Myanmar"), ("Ivory Coast", "Côte d'Ivoire"),
     ("norway", "norway"), ("Bolivia, Plurinational State of", "Bolivia, Plurinational State of")],
)  # fmt: skip
def test_real_countries_are_recognised_by_common_names(name: str, real: str) -> None:
    from sim.spec.real_countries import real_country

    assert real_country(name) is not None, f"{name!r} is a real country ({real})"


@pytest.mark.parametrize("name", ["Norland", "Zonara", "Chadwick", "Cubanor", "Nigerland", "Halvoria", "Qalderra"])
def test_fictional_names_pass(name: str) -> None:
    from sim.spec.real_countries import real_country

    assert real_country(name) is None, f"{name!r} is fictional"


def test_text_is_not_silently_taken_for_a_number(tmp_path: Path) -> None:
    text = replace(replace(GOOD, "count: 10", 'count: "10"'), "leg_hours: 24", 'leg_hours: "24"')
    problems = problems_of(tmp_path, replace(text, "seed: 1", "seed: true"))
    assert any("travellers.count: should be a valid integer (got '10')" in p for p in problems), problems
    assert any("leg_hours: must be a number or a {dist: ...} mapping, not text" in p for p in problems), problems
    assert any(p.startswith("s.yaml:2: seed:") for p in problems), problems


def test_intel_inject_ids_must_name_travellers_of_the_run(tmp_path: Path) -> None:
    text = GOOD + "injects:\n  - {day: 1, kind: intel, agency: NOR-INT, ids: [R-0003, T-0003, R-0011]}\n"
    problems = problems_of(tmp_path, text)
    assert problems == [
        "s.yaml:17: injects[0].ids[1]: no traveller has this id (got T-0003)",
        "s.yaml:17: injects[0].ids[2]: no traveller has this id (got R-0011)",
    ]


def test_unknown_field_of_an_inject_lists_that_kinds_fields(tmp_path: Path) -> None:
    text = GOOD + "injects:\n  - {day: 1, kind: link_up, link: NOR-INT -> NOR-BRD, colour: red}\n"
    (problem,) = problems_of(tmp_path, text)
    assert "injects[0].colour: unknown field" in problem and "link" in problem and "travellers" not in problem


def test_a_null_on_a_link_takes_the_scenario_default() -> None:
    from sim.spec.scenario import expand_links

    data = one_link_data(travellers=5)
    data["sharing"]["defaults"]["trust"] = 0.3
    data["sharing"]["links"][0]["trust"] = None
    ((_, _, settings),) = expand_links(build(data))
    assert settings["trust"] == 0.3
