"""Exercise mode: play through a terminal and from recorded decisions; MSEL export; starter scenarios."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml
from builders import ROOT, SCENARIOS

from sim.engine.decisions import DefaultPlayer, ReplayPlayer
from sim.exercise.msel import msel_rows, read_msel, write_msel
from sim.exercise.play import play_game, what_changed
from sim.exercise.starter import fictional_names, starter_scenario
from sim.spec.decisions_file import StandingOrder
from sim.spec.scenario import load_scenario, scenario_from_dict

CORRIDOR = SCENARIOS / "northern-corridor.yaml"
TABLES = ("travellers.csv", "alerts.csv", "events.csv", "timeseries.csv", "crossings.csv", "summary.json")


def tabletop(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, timeout=180,
                          stdin=subprocess.DEVNULL)  # fmt: skip


def test_play_in_a_terminal_then_replay_the_recorded_game(tmp_path: Path) -> None:
    game = tmp_path / "game"
    child = pexpect.spawn(sys.executable, ["-m", "sim", "play", str(CORRIDOR), "--as", "HUB", "--out", str(game),
                                           "--no-plots"], cwd=str(ROOT), encoding="utf-8", timeout=120)  # fmt: skip
    child.expect("> ")
    assert "ALERT" in child.before and "trust 0.8" in child.before, "the situation shows the alert and its trust"
    child.sendline("?")
    child.expect("> ")
    assert "verify first" in child.before, "? explains the keys"
    child.sendline("d")  # discard the first alert
    child.expect("> ")
    child.sendline("x")  # not a key here
    child.expect("> ")
    assert "Not a choice here" in child.before
    child.sendline("v")  # verify the second
    child.expect("> ")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    recorded = yaml.safe_load((game / "decisions.yaml").read_text())
    assert [d["choice"] for d in recorded["decisions"][:2]] == ["discard", "verify"] and "quit_day" in recorded
    assert (game / "report.html").read_text().count("Your decisions as HUB") == 1
    replay = tmp_path / "replay"
    done = tabletop("play", str(CORRIDOR), "--as", "HUB", "--decisions", str(game / "decisions.yaml"), "--out",
                    str(replay), "--no-plots")  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in TABLES:
        assert (game / name).read_bytes() == (replay / name).read_bytes(), f"replay differs in {name}"


def test_defaults_at_every_decision_reproduce_the_plain_run_byte_for_byte(tmp_path: Path) -> None:
    decisions = tmp_path / "defaults.yaml"
    decisions.write_text("agency: HUB\ndecisions: []\n")
    assert tabletop("play", str(CORRIDOR), "--as", "HUB", "--decisions", str(decisions), "--out",
                    str(tmp_path / "played"), "--no-plots").returncode == 0  # fmt: skip
    assert tabletop("run", str(CORRIDOR), "--out", str(tmp_path / "plain"), "--no-plots").returncode == 0
    for name in (*TABLES, "scenario.yaml"):
        assert (tmp_path / "played" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name
    change = json.loads((tmp_path / "played" / "play.json").read_text())
    assert change["changed_decisions"] == 0 and change["sentences"] == []


def test_holding_everything_lets_travellers_through_and_says_why() -> None:
    scenario = load_scenario(SCENARIOS / "exercise-injects.yaml")

    class Holder(DefaultPlayer):
        def decide(self, point, model):  # type: ignore[no-untyped-def]
            from sim.engine.decisions import Choice

            return Choice("hold") if point.kind == "intelligence" else Choice("discard")

    game = play_game(scenario, Holder("VSK-INT"), 7404)
    change = what_changed(game)
    assert change["detected_played"] < change["detected_default"], "keeping intelligence to itself costs detections"
    assert change["let_through_by_your_choices"] and not change["stopped_by_your_choices"]
    assert any(s.startswith("Holding the intelligence on day") and " let " in s for s in change["sentences"])


def test_bad_play_input_exits_2(tmp_path: Path) -> None:
    done = tabletop("play", str(CORRIDOR), "--as", "NOPE")
    assert done.returncode == 2 and "no such agency" in done.stderr
    done = tabletop("play", str(CORRIDOR), "--as", "HUB")
    assert done.returncode == 2 and "--decisions" in done.stderr, "without a terminal, play says how to replay"
    bad = tmp_path / "bad.yaml"
    bad.write_text("agency: HUB\ndecisions:\n  - {kind: alert, traveller: R-0001, alert: A-000001, choice: shout}\n")
    done = tabletop("play", str(CORRIDOR), "--as", "HUB", "--decisions", str(bad))
    assert done.returncode == 2 and f"{bad}:3: decisions[0].choice: must be one of act, verify, discard" in done.stderr


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
@pytest.mark.parametrize("form", ["csv", "json"])
def test_msel_round_trips_every_inject(path: Path, form: str) -> None:
    scenario = load_scenario(path)
    text = write_msel(msel_rows(scenario), form)
    raw = scenario.raw
    raw["injects"] = read_msel(text, form)
    again = scenario_from_dict(raw)
    order = sorted(range(len(scenario.injects)), key=lambda k: (scenario.injects[k].day, k))
    assert again.injects == [scenario.injects[k] for k in order], "every inject survives the MSEL, in time order"


def test_msel_json_has_the_t3sf_shape() -> None:
    items = json.loads(write_msel(msel_rows(load_scenario(SCENARIOS / "exercise-injects.yaml")), "json"))
    keys = {"#", "Real Time", "Date", "Subject", "From", "Player", "Script", "Photo", "Picture Name", "Profile", "Poll"}
    assert all(keys <= set(item) for item in items)
    assert [item["#"] for item in items] == list(range(1, len(items) + 1))
    assert all(item["Expected Action"] and item["Objective"] for item in items)


def test_msel_command(tmp_path: Path) -> None:
    done = tabletop("msel", str(SCENARIOS / "exercise-injects.yaml"), "--format", "csv")
    assert done.returncode == 0 and done.stdout.splitlines()[0].startswith("number,day,scenario_time,real_time")
    assert len(done.stdout.splitlines()) == 5


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_starter_scenarios_are_valid_and_fictional(seed: int) -> None:
    from sim.spec.real_countries import real_country

    for sharing in ("hub", "bilateral"):
        text = starter_scenario(countries=3 + seed, agencies_per_country=1 + seed % 3, sharing=sharing,
                                travellers=50, days=30, seed=seed)  # fmt: skip
        scenario = scenario_from_dict(yaml.safe_load(text))
        assert len(scenario.countries) == 3 + seed
        assert all(real_country(c.name) is None for c in scenario.countries)
        assert "#" in text, "the starter is commented"
    assert fictional_names(6, seed) == fictional_names(6, seed)


def test_new_command_writes_a_runnable_file(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    done = tabletop("new", str(target), "--countries", "4", "--sharing", "bilateral", "--travellers", "80")
    assert done.returncode == 0, done.stderr
    assert tabletop("run", str(target), "--out", str(tmp_path / "run"), "--no-plots").returncode == 0
    again = tabletop("new", str(target))
    assert again.returncode == 2 and "exists already" in again.stderr
    bad = tabletop("new", str(tmp_path / "x.yaml"), "--countries", "40")
    assert bad.returncode == 2 and "must be from 3 to 8" in bad.stderr


def test_the_decisions_file_of_the_docs_replays(tmp_path: Path) -> None:
    import re

    from sim.exercise.play import load_decisions

    text = (ROOT / "docs" / "exercise.md").read_text()
    (block,) = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    path = ROOT / "docs" / "exercise.md"
    document = yaml.safe_load(block)
    tmp = tmp_path / "decisions.yaml"
    tmp.write_text(block)
    player, _ = load_decisions(tmp, "HUB")
    game = play_game(load_scenario(CORRIDOR), player, document["seed"])
    used = set(player.used)
    assert ("alert", "R-0219", "A-000038") in used and ("alert", "R-0077", "A-000016") in used, (
        f"the decisions of {path.name} must match decision points of the northern corridor"
    )
    assert what_changed(game)["changed_decisions"] >= 2
    assert document["orders"] and set(player.by_order.values()) == {1}, "the standing order on alerts decided some"
    assert all(120 <= r.point.time < 240 for r in game.model.decisions if r.point.key in player.by_order)


def test_standing_orders_finish_the_northern_corridor_in_10_to_30_answers_and_replay(tmp_path: Path) -> None:
    game = tmp_path / "game"
    child = pexpect.spawn(sys.executable, ["-m", "sim", "play", str(CORRIDOR), "--as", "HUB", "--out", str(game),
                                           "--no-plots"], cwd=str(ROOT), encoding="utf-8", timeout=120)  # fmt: skip
    # A player who looks at a few alerts one by one after each inject, then gives a standing order.
    per_window, orders, in_window, window, answers, seen = ["", "d", "v", "a"], "DVA", 0, 0, 0, ""
    while child.expect(["\n> ", pexpect.EOF]) == 0:  # not the "-> " of a link in an inject
        seen += child.before
        if "INJECT" in child.before:
            in_window, window = 0, window + 1
        answer = per_window[in_window] if in_window < len(per_window) else orders[window % len(orders)]
        child.sendline(answer)
        in_window, answers = in_window + 1, answers + 1
        assert answers <= 30, "a game with standing orders takes at most 30 answers"
    seen += child.before
    child.close()
    assert child.exitstatus == 0, seen[-2000:]
    assert 10 <= answers <= 30, answers
    assert f"you answered {answers}, your 5 standing orders decided" in seen
    assert "You know 1 traveller;" in seen and not re.search(r"\b1 travellers", seen), "plural wording"
    assert "→ discarded A-" in seen and "→ verifying A-" in seen and "→ acted on A-" in seen, "each choice is echoed"
    assert "→ order 1: discard every alert from NOR-INT until day 5, 00:00" in seen
    numbers = [int(n) for n in re.findall(r"alert #(\d+)", seen)]
    assert numbers == sorted(numbers) and numbers[-1] == 174, "alerts are shown in the order they arrived"
    recorded = yaml.safe_load((game / "decisions.yaml").read_text())
    assert len(recorded["orders"]) == 5 and len(recorded["decisions"]) == answers
    assert recorded["orders"][0] == {"day": recorded["orders"][0]["day"], "until_day": 5.0, "kind": "alert",
                                     "from": "NOR-INT", "choice": "discard"}  # fmt: skip
    replay = tmp_path / "replay"
    done = tabletop("play", str(CORRIDOR), "--as", "HUB", "--decisions", str(game / "decisions.yaml"), "--out",
                    str(replay), "--no-plots")  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in (*TABLES, "decisions.yaml", "play.json"):
        assert (game / name).read_bytes() == (replay / name).read_bytes(), f"replay differs in {name}"


def test_why_changes_changed_nothing_is_computed_traveller_by_traveller() -> None:
    from sim.engine.decisions import Choice, ReplayPlayer

    scenario = load_scenario(CORRIDOR)
    plain = play_game(scenario, DefaultPlayer("HUB"), 2018)
    norland = {r["id"] for r in plain.default.travellers if r["outcome"] == "detected" and r["detected_in"] == "NOR"}
    picked = [r.point.key for r in plain.model.decisions
              if r.point.traveller in norland and r.point.default.action == "act"][:3]  # fmt: skip
    player = ReplayPlayer("HUB", {key: Choice("discard") for key in picked})
    change = what_changed(play_game(scenario, player, 2018))
    assert change["changed_decisions"] == 3 and not change["stopped_by_your_choices"]
    assert not change["let_through_by_your_choices"]
    assert change["why_unchanged"] == ("Your 3 changes to the policy changed no traveller's outcome: they were on "
                                       "travellers stopped anyway at the Norland border.")  # fmt: skip
    assert change["sentences"] == [change["why_unchanged"]]


def test_why_unchanged_names_each_reason_with_its_count() -> None:
    from types import SimpleNamespace

    from sim.exercise.play import why_unchanged

    def record(traveller: str, time: float) -> SimpleNamespace:
        return SimpleNamespace(point=SimpleNamespace(traveller=traveller, time=time))

    rows = {
        "R-1": {"outcome": "detected", "detected_in": "NOR", "cause": ""},
        "R-2": {"outcome": "missed", "detected_in": "", "cause": "screening_miss"},
        "R-3": {"outcome": "missed", "detected_in": "", "cause": "late"},
    }
    crossed = {"R-1": [50.0], "R-2": [10.0, 40.0], "R-3": [30.0]}
    records = [record("R-1", 20.0), record("R-2", 20.0), record("R-3", 35.0), record("R-2", 45.0)]
    text = why_unchanged(records, rows, rows, crossed, {"NOR": "Norland"})
    assert text == ("Your 4 changes to the policy changed no traveller's outcome: 2 were on travellers who crossed "
                    "no border after your decision, 1 was on a traveller stopped anyway at the Norland border and 1 "
                    "was on a traveller missed anyway (check at the border failed).")  # fmt: skip
    assert why_unchanged([record("R-1", 20.0)], rows, rows, crossed, {}, all_of_them=False) == (
        "Your other 1 change to the policy changed nothing: it was on a traveller stopped anyway at the NOR border."
    )
    assert why_unchanged([], rows, rows, crossed, {}) == ""


def test_a_standing_order_on_new_intelligence_of_one_identifier_type_replays(tmp_path: Path) -> None:
    from sim.exercise.play import InteractivePlayer, decisions_document, load_decisions
    from sim.spec.yaml_files import dump_yaml

    scenario = load_scenario(SCENARIOS / "exercise-injects.yaml")
    said: list[str] = []
    player = InteractivePlayer("VSK-INT", ask=lambda prompt: "H", say=said.append)
    game = play_game(scenario, player, 7404)
    (order, *_) = player.orders
    assert order.kind == "intelligence" and order.identifier and order.action == "hold"
    covered = [r for r in game.model.decisions if r.point.key in player.by_order]
    assert covered and all(r.choice.action == "hold" for r in covered)
    assert all(r.point.identifier == player.orders[player.by_order[r.point.key] - 1].identifier for r in covered)
    assert any(line.startswith(f"  → order 1: hold all new {order.identifier} intelligence") for line in said)
    path = tmp_path / "decisions.yaml"
    path.write_text(dump_yaml(decisions_document("x", "VSK-INT", 7404, player.verify_hours, game.model, None,
                                                 player.orders, player.by_order)))  # fmt: skip
    replayer, _ = load_decisions(path, "VSK-INT")
    again = play_game(scenario, replayer, 7404)
    assert again.played.travellers == game.played.travellers and again.played.alerts == game.played.alerts
    assert dump_yaml(decisions_document("x", "VSK-INT", 7404, replayer.verify_hours, again.model, None,
                                        replayer.orders, replayer.by_order)) == path.read_text()  # fmt: skip


ACT_OR_VERIFY = SCENARIOS / "act-or-verify.yaml"
ADAPTIVE = "sharing.links[DRV-INT->DRV-BRD].trust={adaptive: true, prior: 0.75, strength: 10}"


def test_each_alert_shows_the_senders_track_record_and_the_policy_is_unaffected() -> None:
    from sim.exercise.play import InteractivePlayer

    scenario = load_scenario(ACT_OR_VERIFY, [ADAPTIVE])
    said: list[str] = []
    game = play_game(scenario, InteractivePlayer("DRV-BRD", ask=lambda prompt: "", say=said.append), 4242)
    assert game.played.summary == game.default.summary, "Enter at every alert is the scenario's policy"
    points = [r.point for r in game.model.decisions if r.point.kind == "alert"]
    assert points[0].confirmed == 0 == points[0].refuted and points[0].trust == 0.75
    assert points[-1].confirmed and points[-1].refuted, "stops on the partner's alerts found both"
    for before, after in zip(points, points[1:], strict=False):
        assert after.confirmed >= before.confirmed and after.refuted >= before.refuted  # type: ignore[operator]
    for point in points:  # adaptive: trust is the track record, (prior * strength + c) / (strength + c + r)
        assert point.adaptive and point.trust == pytest.approx((7.5 + point.confirmed) / (10 + point.confirmed
                                                                                          + point.refuted))  # fmt: skip
    last = points[-1]
    assert (f"  Track record of DRV-INT on this link: {last.confirmed} confirmed, {last.refuted} refuted so far; "
            f"trust now {last.trust:.2f} (adaptive: it follows the record).") in said[-2]  # fmt: skip
    fixed = play_game(load_scenario(ACT_OR_VERIFY), DefaultPlayer("DRV-BRD"), 4242)
    point = [r.point for r in fixed.model.decisions if r.point.kind == "alert"][-1]
    assert not point.adaptive and point.trust == 1.0 and point.refuted
    plain = play_game(load_scenario(CORRIDOR), DefaultPlayer("HUB"), 2018)
    assert all(r.point.confirmed is None for r in plain.model.decisions), "no track record without the cost side"


def _order_on_alerts(action: str, sender: str) -> ReplayPlayer:
    return ReplayPlayer("DRV-BRD", {}, orders=(StandingOrder(kind="alert", action=action, day=0.0, sender=sender),))


def test_your_decisions_count_both_sides_persons_of_interest_and_innocents(tmp_path: Path) -> None:
    # Discarding every alert from the partner whose leads are wrong three times in ten: no stop on them at
    # Drevia; the innocents the policy stopped are spared, the persons of interest it stopped go through.
    game = play_game(load_scenario(ACT_OR_VERIFY), _order_on_alerts("discard", "DRV-INT"), 4242)
    change = what_changed(game)
    played, default = game.played.summary, game.default.summary
    assert not any(r["agency"] == "DRV-BRD" for r in game.played.wrongful_stops)
    spared = default["innocent_subjects"]["wrongly_stopped"] - played["innocent_subjects"]["wrongly_stopped"]
    through = default["detected"] - played["detected"]
    assert spared > 0 and through > 0 and not change["innocents_stopped_by_your_choices"]
    assert len(change["innocents_spared_by_your_choices"]) == spared and not change["stopped_by_your_choices"]
    assert change["wrongful_stops_default"] - change["wrongful_stops_played"] == spared
    first = change["sentences"][0]
    assert first.startswith(f"Discarding DRV-INT's alerts let through {change['let_through_by_your_choices'][0]}, ")
    assert f"({through} persons of interest the policy stopped) and spared {spared} innocent subjects of wrong " \
           "leads a wrongful stop (" in first, first  # fmt: skip
    # Acting at once where the policy verifies: more persons of interest stopped, and more innocents.
    game = play_game(load_scenario(SCENARIOS / "act-or-verify-checked.yaml"), _order_on_alerts("act", "DRV-INT"), 4242)
    change = what_changed(game)
    played, default = game.played.summary, game.default.summary
    stopped = played["innocent_subjects"]["wrongly_stopped"] - default["innocent_subjects"]["wrongly_stopped"]
    caught = played["detected"] - default["detected"]
    assert stopped > 0 and caught > 0 and not change["innocents_spared_by_your_choices"]
    assert change["sentences"][0].startswith(
        f"Acting at once on DRV-INT's alerts stopped {change['stopped_by_your_choices'][0]}, "
    )
    assert f"({caught} persons of interest the policy let through) and stopped {stopped} innocent subjects of " \
           "wrong leads (" in change["sentences"][0]  # fmt: skip


def test_your_decisions_count_the_namesakes_your_choices_stopped_or_spared(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "namesakes.yaml")
    game = play_game(scenario, _order_on_alerts("discard", "HAL-INT"), scenario.seed)

    def at_drevia(stops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in stops if r["kind"] == "ordinary" and r["sender"] == "HAL-INT" and r["agency"] == "DRV-BRD"]

    namesakes = at_drevia(game.default.wrongful_stops)
    assert namesakes and not at_drevia(game.played.wrongful_stops), "discarding every alert: no entry, no namesake"
    halvoria = [r for r in game.played.wrongful_stops if r["kind"] == "ordinary" and r["country"] == "HAL"]
    assert halvoria == [r for r in game.default.wrongful_stops if r["kind"] == "ordinary" and r["country"] == "HAL"]
    change = what_changed(game)
    assert change["sentences"][0].startswith("Discarding HAL-INT's alerts let through ")
    assert change["sentences"][0].endswith(f"and spared {len(namesakes)} namesakes a stop at Drevia.")
    assert change["namesakes_by_country"]["DRV"]["played"] == 0 < change["namesakes_by_country"]["DRV"]["default"]


def test_a_replayed_decisions_file_writes_both_sides_to_play_json_and_the_report(tmp_path: Path) -> None:
    decisions = tmp_path / "discard.yaml"
    decisions.write_text("agency: DRV-BRD\nseed: 4242\norders:\n"
                         "  - {day: 0, kind: alert, from: DRV-INT, choice: discard}\ndecisions: []\n")  # fmt: skip
    out = tmp_path / "game"
    done = tabletop("play", str(ACT_OR_VERIFY), "--as", "DRV-BRD", "--decisions", str(decisions), "--out", str(out),
                    "--no-plots")  # fmt: skip
    assert done.returncode == 0, done.stderr
    play = json.loads((out / "play.json").read_text())
    game = play_game(load_scenario(ACT_OR_VERIFY), _order_on_alerts("discard", "DRV-INT"), 4242)
    assert play == json.loads(json.dumps(what_changed(game))), "the file replays the same game"
    spared = len(play["innocents_spared_by_your_choices"])
    report = (out / "report.html").read_text().replace("&#x27;", "'")
    assert f"spared {spared} innocent subjects of wrong leads a wrongful stop" in report
    assert (f"Innocent people stopped (wrongful stops): {play['wrongful_stops_played']} with your choices, "
            f"{play['wrongful_stops_default']} with the policy.") in report  # fmt: skip


def test_namesakes_of_a_sender_whose_alerts_you_treated_two_ways_get_a_sentence_of_their_own() -> None:
    scenario = load_scenario(SCENARIOS / "namesakes.yaml")
    first_half = StandingOrder(kind="alert", action="discard", day=0.0, until_day=40.0, sender="HAL-INT")
    second_half = StandingOrder(kind="alert", action="verify", day=40.0, sender="HAL-INT")
    game = play_game(scenario, ReplayPlayer("DRV-BRD", {}, orders=(first_half, second_half)), scenario.seed)
    sentences = what_changed(game)["sentences"]
    habits = [s for s in sentences if s.startswith(("Discarding HAL-INT's", "Verifying HAL-INT's"))]
    assert len(habits) == 2 and not any("namesake" in s for s in habits), "namesakes are not counted twice"
    (apart,) = [s for s in sentences if s.startswith("Your choices on HAL-INT's alerts ")]
    at_drevia = [
        sum(1 for r in run.wrongful_stops if r["kind"] == "ordinary" and r["agency"] == "DRV-BRD")
        for run in (game.played, game.default)
    ]
    change = at_drevia[0] - at_drevia[1]
    assert change and apart == (f"Your choices on HAL-INT's alerts stopped {change} more namesakes at Drevia than the "
                                "policy." if change > 0 else f"Your choices on HAL-INT's alerts spared {-change} "
                                "namesakes a stop at Drevia.")  # fmt: skip
