"""The inject-kind registry: every kind is complete, and shows up everywhere a kind must."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from builders import EXAMPLE, ROOT

from sim.debrief.run_figures import RunTables
from sim.engine.model import SharingModel
from sim.engine.one_run import run_one, write_run_folder
from sim.exercise.msel import msel_rows, read_msel, write_msel
from sim.spec.inject_base import Inject
from sim.spec.injects import INJECT_KINDS, inject_kind
from sim.spec.scenario import Scenario, scenario_from_dict

PARTS = ("check_references", "apply", "script_text", "describe", "what_was_done", "reaches")
"""The methods every kind must give (besides its fields)."""

EXAMPLES: dict[str, dict[str, Any]] = {
    "intel": {"day": 5, "kind": "intel", "agency": "TRA-BRD", "travellers": 5, "note": "Battlefield evidence"},
    "link_down": {"day": 10, "kind": "link_down", "link": "NOR-INT -> HUB", "hours": 72},
    "link_up": {"day": 11, "kind": "link_up", "link": "NOR-INT -> HUB"},
    "trust": {"day": 20, "kind": "trust", "link": "HUB -> TRA-BRD", "trust": 0.3, "note": "Leak scandal"},
    "surge": {"day": 12, "kind": "surge", "group": "returnees", "travellers": 50},
}
"""One inject of each kind, valid in the example scenario: a new kind needs one here."""


def test_the_kinds_are_registered_in_the_documented_order() -> None:
    assert tuple(INJECT_KINDS) == ("intel", "link_down", "link_up", "trust", "surge")
    for name, cls in INJECT_KINDS.items():
        assert cls.model_fields["kind"].annotation == Literal[name]
        assert not getattr(cls, "__abstractmethods__", None), f"{name} is abstract"


def test_every_kind_has_an_example_here() -> None:
    assert set(EXAMPLES) == set(INJECT_KINDS), "give every registered kind an example in EXAMPLES"


def _throwaway(name: str, without: str | None = None, doc: str | None = "A test kind.") -> type[Inject]:
    """A subclass of `Inject` with every part but `without`."""

    def part(*args: Any, **kwargs: Any) -> str:
        return ""

    namespace: dict[str, Any] = {"__annotations__": {"kind": Literal[name]}, "__doc__": doc, "__module__": __name__}
    for method in PARTS:
        if method != without:
            namespace[method] = classmethod(part) if method == "check_references" else part
    return type(f"Throwaway_{without}", (Inject,), namespace)


@pytest.mark.parametrize("missing", PARTS)
def test_registration_refuses_a_kind_without_each_part(missing: str) -> None:
    before = dict(INJECT_KINDS)
    cls = _throwaway("throwaway", without=missing)
    with pytest.raises(TypeError, match=f"lacks {missing}"):
        inject_kind(cls)
    assert INJECT_KINDS == before, "a refused kind is not registered"
    with pytest.raises(TypeError):
        cls(day=1.0, kind="throwaway")  # an incomplete kind cannot even be made


def test_registration_refuses_a_kind_without_fields_or_description() -> None:
    before = dict(INJECT_KINDS)
    no_kind = type("NoKind", (Inject,), {"__doc__": "No kind field.", "__module__": __name__})
    with pytest.raises(TypeError, match="needs a required field `kind"):
        inject_kind(no_kind)
    with pytest.raises(TypeError, match="needs a docstring"):
        inject_kind(_throwaway("undocumented", doc=None))
    with pytest.raises(TypeError, match="registered twice"):
        inject_kind(_throwaway("surge"))
    assert INJECT_KINDS == before
    complete = _throwaway("complete")
    try:
        assert inject_kind(complete) is complete and INJECT_KINDS["complete"] is complete
    finally:
        INJECT_KINDS.pop("complete", None)


@pytest.fixture(scope="module")
def every_kind() -> Scenario:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["injects"] = [copy.deepcopy(example) for example in EXAMPLES.values()]
    return scenario_from_dict(data, source="every-kind")


def test_every_kind_is_in_the_json_schema() -> None:
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    mapping = schema["properties"]["injects"]["items"]["discriminator"]["mapping"]
    assert sorted(mapping) == sorted(INJECT_KINDS)
    for name, cls in INJECT_KINDS.items():
        definition = schema["$defs"][cls.__name__]
        assert definition["properties"]["kind"] == {"const": name, "title": "Kind", "type": "string"}
        assert definition["description"] == cls.__doc__


def test_every_kind_is_documented() -> None:
    text = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    for name in INJECT_KINDS:
        assert f"\n| `{name}` |" in text, f"docs/scenario-format.md has no row for the {name} inject"


@pytest.mark.parametrize("form", ["csv", "json"])
def test_every_kind_is_in_the_msel(every_kind: Scenario, form: str) -> None:
    rows = msel_rows(every_kind)
    assert sorted(row["kind"] for row in rows) == sorted(INJECT_KINDS)
    by_kind = {inject.kind: inject for inject in every_kind.injects}
    for row in rows:
        inject = by_kind[row["kind"]]
        assert row["script"] == inject.script() and inject.script_text() in row["script"]
        assert row["to"] and row["to"] == inject.player(every_kind)
    text = write_msel(rows, form)
    back = read_msel(text, form)
    assert sorted(i["kind"] for i in back) == sorted(INJECT_KINDS)
    if form == "json":
        assert all(item["Script"] for item in json.loads(text))


def test_every_kind_takes_effect_and_is_logged(every_kind: Scenario) -> None:
    model = SharingModel(every_kind, seed=3)
    model.run()
    done = {kind: detail for _, _, kind, detail in model.injects_done}
    assert set(done) == set(INJECT_KINDS)
    assert all(done.values())
    logged = [detail for _, kind, _, _, _, detail in model.event_log if kind == "inject"]
    assert sorted(line.split(":")[0] for line in logged) == sorted(INJECT_KINDS)


def test_every_kind_has_report_words(every_kind: Scenario, tmp_path: Path) -> None:
    folder = write_run_folder(run_one(every_kind, seed=3), every_kind, tmp_path / "run")
    tables = RunTables.from_folder(folder)
    for inject in tables.scenario.injects:
        assert inject.describe(), inject.kind
        assert inject.what_was_done(tables), inject.kind
        assert isinstance(inject.reaches(), str)


def test_the_effect_of_a_trust_inject_is_on_its_links() -> None:
    trust = INJECT_KINDS["trust"].model_validate({"day": 1.0, "kind": "trust", "link": "A <-> B", "trust": 0.25})
    assert trust.trust_after() == {("A", "B"): 0.25, ("B", "A"): 0.25}
    assert trust.reaches() == "B"
    assert all(
        not cls.model_validate(EXAMPLES[name]).trust_after() for name, cls in INJECT_KINDS.items() if name != "trust"
    )
