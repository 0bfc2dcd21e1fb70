"""The live exercise under load (`tabletop bench --room`): what the harness checks, not how fast.

A reduced run (3 seats, 5 viewers in headless Chromium) must behave as the full one: every decision
a page clicked reached the room (its team's history), every viewer saw the headline change, nothing
was refused, the server held every session. The speed is `tabletop bench --room`'s to report.
"""

from __future__ import annotations

import pytest
from dashboard_helpers import browser_or_skip

from sim.dashboard.room_load import CHROMIUM_ENV, MAX_SEATS, load_scenario, run_load


def test_a_reduced_load_run_takes_every_decision_and_every_viewer_follows():
    browser_or_skip()
    run = run_load(seats=3, viewers=5, travellers=8, horizon_days=8, speed=4800)
    assert run.decisions >= 3, run.clicked
    assert set(run.clicked) == {"HAL-INT", "HAL-BRD", "LUN-INT"}
    for agency, ids in run.clicked.items():
        assert len(set(ids)) == len(ids), ids  # each clicked once
        assert run.recorded[agency] == len(ids), (agency, ids, run.recorded)  # and each in the room's history
    assert run.in_room == run.decisions and run.timeouts == 0
    assert len(run.round_trips) == run.decisions and len(run.history_trips) == run.decisions
    assert run.refusals == 0
    assert run.sessions == 1 + 3 + 5  # the console, the seats, the viewers
    assert run.viewers_changed == 5
    assert not run.page_errors, run.page_errors
    assert run.server_cpu_seconds > 0 and run.rss_mb > 0


def test_the_load_scenario_seats_every_agency_with_invented_names():
    scenario, seats = load_scenario(MAX_SEATS)
    assert len(seats) == MAX_SEATS == len(scenario.agencies)
    with pytest.raises(ValueError):
        load_scenario(MAX_SEATS + 1)


def test_bench_room_without_chromium_says_so_and_exits_2(tmp_path, monkeypatch, capsys):
    from sim.cli import main

    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    assert main(["bench", "--room", "--repeats", "1"]) == 2  # no exception: no traceback
    out, err = capsys.readouterr()
    assert "needs Chromium" in err and CHROMIUM_ENV in err and not out, (out, err)
    assert main(["bench", "--room", "--seats", str(MAX_SEATS + 1)]) == 2
    assert "--seats" in capsys.readouterr().err


def test_viewers_share_one_reading_of_the_headline_per_language(tmp_path):
    from room_fake import FakeRoom

    from sim.dashboard.room_pages import Shared

    room, calls = FakeRoom(["HAL-INT"], tmp_path), []
    headline = room.headline
    room.headline = lambda: calls.append(1) or headline()
    shared = Shared()
    english = shared.viewer_texts(room, "en")
    assert shared.viewer_texts(room, "en") == english and len(calls) == 1  # 30 viewers: one reading
    arabic = shared.viewer_texts(room, "ar")
    assert "data-testid='stopped'" in arabic[1] and "اليوم" in arabic[0] and len(calls) == 1
