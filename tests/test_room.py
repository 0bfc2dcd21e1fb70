"""The live exercise's room (sim.exercise.room): one run, several teams, a facilitator, the record.

The room runs its model on a worker thread; these tests play the teams from the test's thread
(`answer_all`) and set the clock as fast as the machine goes. What must hold: nobody answering
is the plain run; a room's decisions file replays it byte for byte, and a killed room resumed
from its folder ends as if never killed; seats are protected; a team sees only its agency's
knowledge; an inject released by hand runs as the scenario with it on that day; no thread outlives
the room.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from pathlib import Path
from typing import Any

import pytest
from builders import SCENARIOS, build, one_link_data
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import api
from sim.engine.model import SharingModel
from sim.engine.one_run import run_one
from sim.engine.outcomes import collect
from sim.errors import ScenarioError
from sim.exercise.room import FACILITATOR, MAX_NOTE_CHARS, PendingView, Refused, Room
from sim.exercise.room_record import agencies_with_decisions, exercise_document, exercise_text
from sim.spec.decisions_file import read_exercise
from sim.spec.scenario import Scenario, changed_scenario, load_scenario

TEAMS = ["HAL-INT", "HUB", "DRV-BRD"]
COMPARED = ["summary.json", "travellers.csv", "alerts.csv", "events.csv", "crossings.csv", "timeseries.csv",
            "exercise.yaml", "teams.json", "scenario.yaml", "report.html"]  # fmt: skip


@pytest.fixture(scope="module")
def small() -> Scenario:
    """exercise-injects.yaml cut down: 60 travellers and a surge of 20, 70 days, its four injects."""
    scenario = load_scenario(SCENARIOS / "exercise-injects.yaml")
    return changed_scenario(scenario, [("travellers.count", 60), ("horizon_days", 70),
                                       ("injects[0].travellers", 20)], label=str(SCENARIOS / "exercise-injects.yaml"))


def open_room(scenario: Scenario, folder: Path, teams: list[str] | None = None, **settings: Any) -> Room:
    settings.setdefault("countdown_seconds", 0.0)
    room = Room(scenario, teams or TEAMS, folder, plots=False, **settings)
    room.speed = 1e9  # as fast as the machine (past the facilitator's bound, for the tests only)
    return room


def tokens_of(room: Room) -> dict[str, str]:
    return {link.role: link.token for link in room.links()}


def choose(pending: PendingView) -> tuple[str, list[str] | None]:
    """A team's answer, a function of the decision alone (so a resumed room gets the same answers)."""
    digest = hashlib.blake2b(f"{pending.traveller}{pending.identifier}{pending.sender}".encode()).digest()[0]
    if pending.kind == "alert":
        return ("act", "verify", "discard")[digest % 3], None
    if digest % 3 == 0 and pending.links:
        return "share", [pending.links[0]]
    return ("share", "verify", "hold")[digest % 3], None


def due(room: Room) -> bool:
    """Whether a decision is due and not answered yet (the worker has not taken the answer in)."""
    return room._pending is not None and room._pending.answer is None


def answer_all(room: Room, tokens: dict[str, str], answer: bool = True, stop_after: int | None = None,
               release_every: int | None = None) -> int:  # fmt: skip
    """Play the teams until the run ends (or `stop_after` answers): answer each decision, or let it run out."""
    answered = 0
    while True:
        room.wait_until(lambda r: due(r) or not r.model.running or r.state == "ended", 60)
        with room._lock:
            pending = room._pending if due(room) else None
            agency = pending.agency if pending is not None else None
        if pending is None:
            if not room.model.running or room.state == "ended":
                return answered
            continue
        if not answer:
            room.wait_until(lambda r, p=pending: r._pending is not p, 60)
            continue
        view = room.team_view(tokens[agency])
        (item,) = view.pending
        action, links = choose(item)
        room.decide(tokens[agency], item.id, action, links)
        answered += 1
        if release_every and answered % release_every == 0:
            try:
                room.release_next_inject(tokens[FACILITATOR])
            except Refused:
                pass  # the clock is at the end
        if stop_after is not None and answered >= stop_after:
            return answered


def files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in COMPARED}


def test_a_room_nobody_joins_is_the_plain_run(small, tmp_path):
    before = threading.active_count()
    room = open_room(small, tmp_path / "ex", teams=agencies_with_decisions(small))
    tokens = tokens_of(room)
    room.start(tokens[FACILITATOR])
    room.wait_until(lambda r: r.state == "ended", 60)
    report = room.stop(tokens[FACILITATOR])
    assert report == tmp_path / "ex" / "report.html" and report.is_file()
    summary = json.loads((tmp_path / "ex" / "summary.json").read_text())
    assert summary == run_one(small, room.seed).summary
    recorded = read_exercise(tmp_path / "ex" / "exercise.yaml")
    assert {by for team in recorded.teams for *_, by in team.rows} == {"policy"}
    assert {(r.inject, r.on_schedule) for r in recorded.released} == {(n, True) for n in range(1, 5)}
    assert not room.alive and threading.active_count() == before


def test_timeouts_take_the_policy_and_say_so(small, tmp_path):
    room = open_room(small, tmp_path / "ex", countdown_seconds=0.001)
    tokens = tokens_of(room)
    for agency in TEAMS:
        assert room.join(tokens[agency]) == agency
    room.start(tokens[FACILITATOR])
    answer_all(room, tokens, answer=False)
    room.stop(tokens[FACILITATOR])
    assert json.loads((tmp_path / "ex" / "summary.json").read_text()) == run_one(small, room.seed).summary
    for agency in TEAMS:
        history = room.team_view(tokens[agency]).history
        assert history and {row["by"] for row in history} == {"timeout"}
        assert all(row["choice"] == row["default"] for row in history)
    text = (tmp_path / "ex" / "exercise.yaml").read_text()
    assert "by: timeout" in text and "by: team" not in text
    teams = json.loads((tmp_path / "ex" / "teams.json").read_text())
    assert [s["heading"].split(":")[0] for s in teams["sections"]] == [f"Team {a}" for a in TEAMS]
    assert "by the policy when the countdown ran out" in teams["sections"][0]["paragraphs"][0]


def test_the_decisions_file_replays_the_room_byte_for_byte(small, tmp_path):
    room = open_room(small, tmp_path / "ex", auto_release=False)
    tokens = tokens_of(room)
    for agency in TEAMS:
        room.join(tokens[agency])
    room.start(tokens[FACILITATOR])
    assert answer_all(room, tokens, release_every=25) > 100
    room.stop(tokens[FACILITATOR])
    recorded = read_exercise(tmp_path / "ex" / "exercise.yaml")
    assert {by for team in recorded.teams for *_, by in team.rows} == {"team"}
    assert recorded.released and not any(r.on_schedule for r in recorded.released)
    document = exercise_document(room.scenario_file, room.seed, room._teams, room._released, room._quit_hours)
    assert (tmp_path / "ex" / "exercise.yaml").read_text() == exercise_text(document)  # the fast writer is exact
    replayed = api.replay_exercise(small, tmp_path / "ex" / "exercise.yaml", out=tmp_path / "again", plots=False)
    assert files(replayed) == files(tmp_path / "ex")
    summary = json.loads((tmp_path / "ex" / "summary.json").read_text())
    assert summary != run_one(small, room.seed).summary  # the teams' choices did change the run
    sections = json.loads((tmp_path / "ex" / "teams.json").read_text())["sections"]
    guide = sections[0]["tables"][1]
    assert guide["columns"][1] == "expected action" and len(guide["rows"]) == len(small.injects)
    assert any("decision" in row[-1] for section in sections for row in section["tables"][1]["rows"])


def test_a_killed_room_resumes_and_ends_as_if_never_killed(small, tmp_path):
    whole = open_room(small, tmp_path / "whole")
    tokens = tokens_of(whole)
    for agency in TEAMS:
        whole.join(tokens[agency])
    whole.start(tokens[FACILITATOR])
    answer_all(whole, tokens)
    whole.stop(tokens[FACILITATOR])

    killed = open_room(small, tmp_path / "killed")
    tokens = tokens_of(killed)
    for agency in TEAMS:
        killed.join(tokens[agency])
    killed.start(tokens[FACILITATOR])
    answer_all(killed, tokens, stop_after=60)
    killed.close()  # what a kill leaves: the decisions so far, no hotwash
    assert not killed.alive and not (tmp_path / "killed" / "report.html").exists()

    resumed = Room.resume(tmp_path / "killed")
    resumed.speed = 1e9
    assert tokens_of(resumed) == tokens  # the teams' links still work
    assert resumed.facilitator_view(tokens[FACILITATOR]).state in ("paused", "waiting")
    assert len(resumed.team_view(tokens["HUB"]).history) > 0  # a reloaded tab gets its history back
    resumed.start(tokens[FACILITATOR])
    answer_all(resumed, tokens)
    resumed.stop(tokens[FACILITATOR])
    killed_files, whole_files = files(tmp_path / "killed"), files(tmp_path / "whole")
    for name in COMPARED:
        assert killed_files[name] == whole_files[name], name


def test_seats_are_protected_and_every_refusal_is_logged(small, tmp_path):
    room = open_room(small, tmp_path / "ex", countdown_seconds=0.0)
    tokens = tokens_of(room)
    assert list(tokens) == [FACILITATOR, *TEAMS]
    assert len(set(tokens.values())) == len(tokens)
    assert all(len(t) >= 22 and set(t) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
               for t in tokens.values())  # fmt: skip
    assert (tmp_path / "ex" / "seats.json").stat().st_mode & 0o077 == 0  # the tokens: the owner's only
    hal, hub, boss = tokens["HAL-INT"], tokens["HUB"], tokens[FACILITATOR]
    for action in (lambda: room.start(hal), lambda: room.pause(hub), lambda: room.set_speed(hub, 10),
                   lambda: room.release_next_inject(hal), lambda: room.send_note(hal, "hello"),
                   lambda: room.facilitator_view(hub), lambda: room.stop(hal),
                   lambda: room.team_view("not-a-token"), lambda: room.join(hal + "x"),
                   lambda: room.set_speed(boss, math.nan), lambda: room.set_speed(boss, math.inf),
                   lambda: room.set_speed(boss, 0), lambda: room.set_speed(boss, 1e12),
                   lambda: room.set_speed(boss, True), lambda: room.set_countdown(boss, -1),
                   lambda: room.send_note(boss, "x" * (MAX_NOTE_CHARS + 1)), lambda: room.send_note(boss, " \x00 "),
                   lambda: room.send_note(boss, "hi", to="LUN-INT"), lambda: room.team_view(boss)):  # fmt: skip
        with pytest.raises(Refused):
            action()
    assert len(room.refusals) == 19
    assert "unknown" in {row["role"] for row in room.refusals}
    for agency in TEAMS:
        room.join(tokens[agency])
    room.send_note(boss, "Day 2: <b>check</b> the HUB\x1b[31m", to="HUB")
    room.start(boss)
    room.wait_until(due, 30)
    with room._lock:
        pending = room._pending
    mine, other = tokens[pending.agency], next(tokens[a] for a in TEAMS if a != pending.agency)
    with pytest.raises(Refused, match="another team"):
        room.decide(other, pending.id, pending.point.default.action)
    with pytest.raises(Refused):
        room.decide(mine, pending.id, "launch")
    with pytest.raises(Refused):
        room.decide(mine, pending.id, "share", ["NOT->MINE"])
    with pytest.raises(Refused):
        room.decide(boss, pending.id, pending.point.default.action)
    room.decide(mine, pending.id, pending.point.default.action)
    with pytest.raises(Refused, match="already"):
        room.decide(mine, pending.id, pending.point.default.action)  # a replayed request
    logged = [json.loads(line) for line in (tmp_path / "ex" / "refused.log").read_text().splitlines()]
    assert len(logged) == len(room.refusals) == 24
    assert all(token not in json.dumps(logged) for token in tokens.values())
    notes = room.team_view(tokens["HUB"]).notes
    assert notes[0]["text"] == "Day 2: <b>check</b> the HUB[31m"  # plain text, control characters gone
    assert room.team_view(tokens["HAL-INT"]).notes == ()
    room.stop(boss)
    assert not room.alive


def test_a_team_sees_only_its_own_agency(small, tmp_path):
    room = open_room(small, tmp_path / "ex", countdown_seconds=0.0)
    tokens = tokens_of(room)
    for agency in TEAMS:
        room.join(tokens[agency])
    room.start(tokens[FACILITATOR])
    seen = 0
    for _ in range(40):
        room.wait_until(lambda r: due(r) or not r.model.running, 30)
        for agency in TEAMS:
            view = room.team_view(tokens[agency])
            with room._lock:
                by_label = {f"A-{m.id:06d}": m.link.receiver.code for m in room.model.messages}
            assert all(by_label[row["alert"]] == agency for row in view.alerts)
            with room._lock:
                assert all(p.id == room._pending.id and room._pending.agency == agency for p in view.pending)
            assert all(row["by"] in ("team", "timeout", "policy", "order") for row in view.history)
            seen += len(view.alerts)
        with room._lock:
            pending = room._pending if due(room) else None
        if pending is None:
            break
        room.decide(tokens[pending.agency], pending.id, pending.point.default.action)
    assert seen > 0
    view = room.facilitator_view(tokens[FACILITATOR])
    assert [row["agency"] for row in view.seats] == TEAMS and view.headline.hours >= 0
    room.stop(tokens[FACILITATOR])


def surge_scenario(day: float = 6.0) -> Scenario:
    """One link, a surge on `day`, intelligence learnt after departure: a release by hand is exact."""
    data = one_link_data(travellers=40)
    data["injects"] = [{"day": day, "kind": "surge", "group": "returnees", "travellers": 25, "note": "Camp closure",
                        "expected_action": "Screen the wave."},
                       {"day": 9.0, "kind": "trust", "link": "ALD-INT -> BRV-BRD", "trust": 0.3}]  # fmt: skip
    return build(data)


def test_an_inject_released_by_hand_runs_as_the_scenario_with_it_that_day(tmp_path):
    scenario = surge_scenario()
    room = open_room(scenario, tmp_path / "ex", teams=["BRV-BRD"], auto_release=False)
    tokens = tokens_of(room)
    room.set_speed(tokens[FACILITATOR], 6000)  # 100 simulated hours a second
    room.start(tokens[FACILITATOR])
    room.wait_until(lambda r: r.model.time >= 100, 30)
    room.pause(tokens[FACILITATOR])
    assert room.release_next_inject(tokens[FACILITATOR]) == 1
    room.speed = 1e9
    room.start(tokens[FACILITATOR])
    room.wait_until(lambda r: r.state == "ended", 60)
    room.stop(tokens[FACILITATOR])
    (release,) = read_exercise(tmp_path / "ex" / "exercise.yaml").released
    assert release.inject == 1 and not release.on_schedule and 100 / 24 < release.day < 120 / 24
    moved = build({**scenario.raw, "injects": [{**scenario.raw["injects"][0], "day": release.day}]})
    summary = json.loads((tmp_path / "ex" / "summary.json").read_text())
    assert summary == run_one(moved, room.seed).summary
    assert summary["injects"] == 1  # the trust inject was never released


@settings(max_examples=15, deadline=None)
@given(release=st.floats(0.5, 20.0), clock=st.floats(0.0, 0.99))
def test_a_release_is_the_scenario_with_the_inject_at_that_time(release, clock):
    """Model level: held, then released at `release` days from a clock before it, as the moved scenario."""
    scenario = surge_scenario()
    moved = build({**scenario.raw, "injects": [{**row, "day": release} for row in scenario.raw["injects"]]})
    expected = collect(SharingModel(moved, collect_data=False).run())
    model = SharingModel(scenario, collect_data=False, release_hours=[None, None])
    model._advance_time(release * 24 * clock)
    for number in (0, 1):
        model.release_inject(number, release * 24.0)
    got = collect(model.run())
    assert got.summary == expected.summary and got.events == expected.events


def test_teams_are_checked_with_the_option_named(small, tmp_path):
    with pytest.raises(ScenarioError, match=r"--teams.*did you mean 'HAL-INT'"):
        api.open_room(small, ["HAL-INTT"], out=tmp_path / "a")
    with pytest.raises(ScenarioError, match="the same agency twice"):
        api.open_room(small, ["HUB", "HUB"], out=tmp_path / "b")
    with pytest.raises(ScenarioError) as named_often:  # each agency's problem once, however often it is named
        api.open_room(small, ["HUB"] * 5000 + ["NOPE"] * 5000, out=tmp_path / "b")
    assert [p.value for p in named_often.value.problems] == ["HUB", "NOPE"]
    no_decision = build(one_link_data(travellers=10))
    with pytest.raises(ScenarioError, match="ALD-INT has no decision|no decision to take"):
        api.open_room(build({**no_decision.raw, "intelligence": []}), ["ALD-INT"], out=tmp_path / "c")
    for setting, value in (("speed", 0), ("speed", math.inf), ("countdown_seconds", -1)):
        with pytest.raises(ScenarioError, match="--" + setting.replace("_", "-")):
            api.open_room(small, ["HUB"], out=tmp_path / "e", **{setting: value})
    room = api.open_room(small, None, out=tmp_path / "d", plots=False)
    try:
        assert room.teams == agencies_with_decisions(small)
    finally:
        room.close()


def test_an_exercise_file_is_checked_like_the_rest(tmp_path):
    path = tmp_path / "exercise.yaml"
    path.write_text(
        "seed: 3\n"
        "teams:\n"
        "  - agency: HUBB\n"
        "  - agency: HAL-INT\n"
        "    decisions:\n"
        "      - {kind: alert, traveller: R-0001, alert: A-000001, choice: act, by: timout}\n"
        "  - {agency: HAL-INT}\n"
        "released:\n"
        "  - {inject: 9, day: 1}\n"
        "  - {inject: 1, day: -1}\n"
        "quit_dya: 3\n"
    )
    agencies = ("HUB", "HAL-INT")
    with pytest.raises(ScenarioError) as caught:
        read_exercise(path, agencies=agencies, injects=4)
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(f"{path}:11: quit_dya: unknown field (did you mean 'quit_day'?)") for m in messages)
    assert any(m.startswith(f"{path}:3: teams[0].agency: no such agency in the scenario (did you mean 'HUB'?)")
               for m in messages)  # fmt: skip
    assert any(f"{path}:6: teams[1].decisions[0].by: must be one of team, timeout" in m and "'timeout'" in m
               for m in messages)  # fmt: skip
    assert any(m.startswith(f"{path}:7: teams[2].agency: a second team for the same agency") for m in messages)
    assert any(m.startswith(f"{path}:9: released[0].inject: the scenario has 4 injects") for m in messages)
    assert any(m.startswith(f"{path}:10: released[1].day: must be a finite day >= 0") for m in messages)
    with pytest.raises(ScenarioError, match="ran on seed 3, not --seed 4"):
        read_exercise(path, seed=4)


def test_stopping_with_a_decision_due_writes_everything_and_joins_the_thread(small, tmp_path):
    room = open_room(small, tmp_path / "ex", countdown_seconds=30.0)
    tokens = tokens_of(room)
    for agency in TEAMS:
        room.join(tokens[agency])
    room.start(tokens[FACILITATOR])
    room.wait_until(due, 30)
    with room._lock:
        pending = room._pending
    view = room.team_view(tokens[pending.agency]).pending[0]
    assert view.seconds_left is not None and 20 < view.seconds_left <= 30
    room.pause(tokens[FACILITATOR])
    frozen = room.team_view(tokens[pending.agency]).pending[0].seconds_left
    threading.Event().wait(0.1)
    assert room.team_view(tokens[pending.agency]).pending[0].seconds_left == frozen  # paused: the countdown waits
    assert room.facilitator_view(tokens[FACILITATOR]).state == "paused"
    room.decide(tokens[pending.agency], pending.id, pending.point.default.action)
    room.start(tokens[FACILITATOR])
    room.wait_until(due, 30)
    report = room.stop(tokens[FACILITATOR])  # a decision is due: the policy takes it, the hotwash is written
    assert report.is_file() and not room.alive
    recorded = read_exercise(tmp_path / "ex" / "exercise.yaml")
    assert recorded.quit_day is not None
    by = [b for team in recorded.teams for *_, b in team.rows]
    assert by.count("team") == 1 and "policy" in by
    assert room.stop() == report  # idempotent
    view = room.team_view(tokens["HUB"])
    assert view.state == "ended" and view.report == report
    with pytest.raises(Refused):
        room.start(tokens[FACILITATOR])


def test_in_real_time_the_clock_runs_on_while_a_decision_is_due(small, tmp_path):
    room = open_room(small, tmp_path / "ex")
    tokens = tokens_of(room)
    room.join(tokens["HUB"])
    room.start(tokens[FACILITATOR])
    room.wait_until(due, 30)
    room.set_speed(tokens[FACILITATOR], 600)  # 10 simulated hours a second
    room.set_real_time(tokens[FACILITATOR], True)
    with room._lock:
        pending = room._pending
    first = room.facilitator_view(tokens[FACILITATOR]).hours
    threading.Event().wait(0.3)
    later = room.facilitator_view(tokens[FACILITATOR]).hours
    assert later > first + 1 and room.model.now == pending.point.time  # the clock ran on, the run waited
    room.set_real_time(tokens[FACILITATOR], False)
    assert room.facilitator_view(tokens[FACILITATOR]).hours == pending.point.time  # not in real time: it waits
    room.close()


def test_play_replays_an_exercise_from_the_command_line(small, tmp_path):
    import subprocess
    import sys

    from sim.engine.one_run import resolved_yaml

    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text(resolved_yaml(small, small.seed))
    scenario = load_scenario(scenario_file)
    room = open_room(scenario, tmp_path / "ex", teams=["HUB"])
    tokens = tokens_of(room)
    room.join(tokens["HUB"])
    room.start(tokens[FACILITATOR])
    answer_all(room, tokens)
    room.stop(tokens[FACILITATOR])
    done = subprocess.run([sys.executable, "-m", "sim", "play", str(scenario_file), "--decisions",
                           str(tmp_path / "ex" / "exercise.yaml"), "--out", str(tmp_path / "again"), "--no-plots"],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert files(tmp_path / "again") == files(tmp_path / "ex")
    bad = subprocess.run([sys.executable, "-m", "sim", "play", str(scenario_file), "--as", "HUB", "--decisions",
                          str(tmp_path / "ex" / "exercise.yaml")], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    assert bad.returncode == 2 and "leave out --as" in bad.stderr


def test_the_exercise_file_of_the_docs_is_checked_and_replays(tmp_path):
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "exercise.md").read_text()
    (block,) = re.findall(r"```yaml exercise\n(.*?)```", text, flags=re.S)
    path = tmp_path / "exercise.yaml"
    path.write_text(block)
    scenario = load_scenario(SCENARIOS / "exercise-injects.yaml")
    recorded = read_exercise(path, agencies=tuple(a.id for a in scenario.agencies), injects=len(scenario.injects))
    assert [team.agency for team in recorded.teams] == ["HAL-INT", "HUB"] and recorded.quit_day == 20.5
    small = changed_scenario(scenario, [("travellers.count", 40), ("injects[0].travellers", 10)], label="docs")
    folder = api.replay_exercise(small, path, out=tmp_path / "run", plots=False)
    assert (folder / "report.html").is_file() and "Team HAL-INT" in (folder / "report.html").read_text()


def test_teams_that_discard_every_alert_stop_fewer(small):
    """Directional: the same run with two seats discarding every alert stops fewer than the policy."""
    from sim.engine.decisions import Choice, TeamPlayers

    class Discard:
        def __init__(self, agency: str) -> None:
            self.agency, self.verify_hours = agency, 24.0

        def decide(self, point, model):
            return Choice("discard") if point.kind == "alert" else point.default

    players = TeamPlayers({agency: Discard(agency) for agency in ("HUB", "DRV-BRD")})
    played = collect(SharingModel(small, player=players, collect_data=False).run(), tables=False).summary
    plain = run_one(small, small.seed, tables=False).summary
    assert played["detected"] < plain["detected"]
    assert played["misses"]["not_trusted"] + played["misses"]["no_intel"] + played["misses"]["not_shared"] > (
        plain["misses"]["not_trusted"] + plain["misses"]["no_intel"] + plain["misses"]["not_shared"])
