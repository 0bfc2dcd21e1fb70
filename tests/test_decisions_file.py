"""The decisions file is checked with the same toolkit as the scenario: every problem at FILE:LINE."""

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.spec.decisions_file import read_decisions


def test_every_problem_is_named_with_its_line_and_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text(
        "agency: HUB\n"
        "verify_hour: 12\n"
        "decisions:\n"
        "  - {kind: alert, traveller: R-0001, alert: A-000001, choise: act}\n"
        "  - {kind: alert, traveller: R-0002, alert: A-000002, choice: shout}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        read_decisions(path, "HUB")
    messages = [str(p) for p in caught.value.problems]
    assert f"{path}:2: verify_hour: unknown field (did you mean 'verify_hours'?)" in messages[0]
    assert any(m.startswith(f"{path}:4: decisions[0].choise: unknown field (did you mean 'choice'?)") for m in messages)
    assert any(m.startswith(f"{path}:5: decisions[1].choice: must be one of act, verify, discard") for m in messages)


def test_a_game_recorded_for_another_agency_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text("agency: NOR-INT\ndecisions: []\n")
    with pytest.raises(ScenarioError, match="this game was played as NOR-INT, not HUB"):
        read_decisions(path, "HUB")
    assert read_decisions(path).agency == "NOR-INT"


def test_choices_are_keyed_by_kind_traveller_and_alert_or_identifier(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text(
        "agency: HUB\nverify_hours: 6\ndecisions:\n"
        "  - {kind: intelligence, traveller: R-0042, identifier: biometric, choice: share, links: [HUB->TRA-BRD]}\n"
        "  - {kind: alert, traveller: R-0001, alert: A-000001, choice: verify}\n"
    )
    decisions = read_decisions(path)
    assert decisions.verify_hours == 6.0
    assert decisions.choices == {
        ("intelligence", "R-0042", "biometric"): ("share", ("HUB->TRA-BRD",)),
        ("alert", "R-0001", "A-000001"): ("verify", None),
    }


def test_standing_orders_are_read_and_checked(tmp_path: Path) -> None:
    from sim.spec.decisions_file import StandingOrder

    path = tmp_path / "decisions.yaml"
    path.write_text(
        "agency: HUB\norders:\n"
        "  - {day: 0.5, until_day: 5, kind: alert, from: NOR-INT, choice: discard}\n"
        "  - {day: 5, kind: intelligence, identifier: biometric, choice: share, links: [HUB->TRA-BRD]}\n"
        "  - {kind: alert, choice: verify}\n"
        "decisions: []\n"
    )
    orders = read_decisions(path).orders
    assert orders == (
        StandingOrder("alert", "discard", 0.5, 5.0, sender="NOR-INT"),
        StandingOrder("intelligence", "share", 5.0, identifier="biometric", links=("HUB->TRA-BRD",)),
        StandingOrder("alert", "verify", 0.0),
    )
    assert orders[0].covers("alert", 12.0, "NOR-INT", "name") and not orders[0].covers("alert", 120.0, "NOR-INT", "x")
    assert not orders[0].covers("alert", 12.0, "TRA-BRD", "name") and orders[2].covers("alert", 1e6, "TRA-BRD", "x")
    assert orders[1].covers("intelligence", 200.0, "", "biometric") and not orders[1].covers(
        "intelligence", 200.0, "", "name"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "agency: HUB\norders:\n"
        "  - {day: 3, until_day: 2, kind: alert, choice: discard}\n"
        "  - {kind: alert, identifier: name, choice: act}\n"
        "  - {kind: alert, choice: hold, untill_day: 4}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        read_decisions(bad)
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(f"{bad}:3: orders[0].until_day: must be a day >= day (3)") for m in messages)
    assert any(m.startswith(f"{bad}:4: orders[1].identifier: an order on alert is scoped by 'from'") for m in messages)
    assert any(
        m.startswith(f"{bad}:5: orders[2].untill_day: unknown field (did you mean 'until_day'?)") for m in messages
    )
    assert any(m.startswith(f"{bad}:5: orders[2].choice: must be one of act, verify, discard") for m in messages)


def test_a_decision_named_in_the_file_wins_over_an_order_and_the_later_order_wins() -> None:
    from sim.engine.decisions import Choice, DecisionPoint, ReplayPlayer
    from sim.spec.decisions_file import StandingOrder

    def alert(traveller: str, hours: float) -> DecisionPoint:
        return DecisionPoint("alert", hours, traveller, "name", Choice("act"), alert=f"A-{traveller}", sender="NOR-INT")

    orders = (StandingOrder("alert", "discard", 0.0, 5.0, sender="NOR-INT"), StandingOrder("alert", "verify", 1.0, 2.0))
    player = ReplayPlayer("HUB", {("alert", "R-1", "A-R-1"): Choice("act")}, orders=orders)
    assert [
        player.decide(alert(t, h), None).action for t, h in [("R-1", 30), ("R-2", 30), ("R-3", 12), ("R-4", 200)]
    ] == ["act", "verify", "discard", "act"]
    assert player.by_order == {("alert", "R-2", "A-R-2"): 2, ("alert", "R-3", "A-R-3"): 1}
