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
