"""The live exercise's pages (issue 15): tokens, the report's files, the links page, origins, the browser.

The pages' own checks run against `room_fake.FakeRoom` (no model, any state at once); the whole
exercise runs a real `Room` in a browser (facilitator and three teams), and `tabletop exercise`
runs as a user starts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_helpers import ROOT
from room_client import RoomSession
from room_fake import FakeRoom
from tornado.httpclient import HTTPClientError

from sim.dashboard.room_pages import LINKS_PAGE, join_url, make_room_server, report_file, write_links_page
from sim.exercise.room import FACILITATOR, Refused, SeatLink

TEAMS = ["HAL-INT", "DRV-BRD", "HUB"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served(room: Any, host: str = "127.0.0.1", port: int = 0, lang: str | None = None) -> Iterator[str]:
    """The room's pages on a server in a thread; yields its address (``http://127.0.0.1:PORT/``)."""
    from tornado.ioloop import IOLoop

    ready, box = threading.Event(), {}

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        try:
            server = make_room_server(room, host=host, port=port, lang=lang, io_loop=loop)
            server.start()
            box.update(port=server.port, loop=loop, server=server)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc
        ready.set()
        if "error" not in box:
            loop.start()
            server.stop()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(30)
    if "error" in box:
        raise box["error"]
    try:
        yield f"http://127.0.0.1:{box['port']}/"
    finally:
        box["loop"].add_callback(box["loop"].stop)
        thread.join(10)


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> Iterator[tuple[FakeRoom, str]]:
    """A fake room's pages (seats HAL-INT, DRV-BRD, HUB; one alert pending for HAL-INT)."""
    room = FakeRoom(TEAMS, tmp_path_factory.mktemp("fake-room"))
    with served(room) as url:
        yield room, url


def session_url(url: str, path: str, **query: str) -> str:
    """What `RoomSession.open` needs to open `path` with `query`: it appends ``/ws`` (here a dummy argument's value)."""
    arguments = "".join(f"{key}={value}&" for key, value in query.items())
    return f"{url}{path}/ws?{arguments}_="


def run_async(coroutine: Any) -> Any:
    """``asyncio.run(coroutine)`` in a thread of its own (beside Playwright's loop in this one)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (the test's own server)
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _open(browser: Any, url: str, ready: str, errors: list[str] | None = None, **options: Any) -> Any:
    """A page at `url`, once its `ready` test id shows; `browser` may be a context (its tabs share it)."""
    context = browser.new_context(**options) if hasattr(browser, "new_context") else browser
    page = context.new_page()
    if errors is not None:
        page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url, timeout=30_000)
    page.get_by_test_id(ready).first.wait_for(timeout=30_000)
    return page


# ---------------------------------------------------------------- tokens


def test_a_bad_code_gets_a_page_saying_so_and_is_logged(fake, chromium_browser):
    room, url = fake
    page = _open(chromium_browser, f"{url}team?seat=not-a-code", "invalid")
    text = page.get_by_test_id("invalid").inner_text()
    assert "This address does not open a seat" in text and "Refused: this code opens no seat" in text, text
    before = len(room.refusals)
    team, facilitator = room.token_of("DRV-BRD"), room.token_of(FACILITATOR)

    async def invalid(path: str, **query: str) -> str:
        session = await RoomSession.open(session_url(url, path, **query))
        session.close()
        return session.model("tt-invalid").text

    for path, query in (("team", {}), ("facilitator", {"key": team}), ("facilitator", {"key": ""}),
                        ("team", {"seat": facilitator}), ("team", {"seat": team[:-1]})):  # fmt: skip
        text = run_async(invalid(path, **query))
        assert "This address does not open a seat" in text and "Traceback" not in text, (path, query, text)
    refused = room.refusals[before:]
    assert len(refused) == 5, refused
    assert refused[1]["role"] == "DRV-BRD", "a team's code on the console is logged as that team's"


def test_each_page_reads_in_its_own_language_arabic_right_to_left(fake):
    room, url = fake
    seat = room.token_of("HAL-INT")

    async def pages() -> tuple[str, str, str, str]:
        arabic = await RoomSession.open(session_url(url, "team", seat=seat, lang="ar"))
        english = await RoomSession.open(session_url(url, "team", seat=seat))
        header = arabic.model("tt-room-header").text
        await english.send_value("tt-lang", "value", "fr")  # the page's language selector
        switched = await english.wait_for(lambda: "Voyageur" in english.model("tt-history").text
                                          or "Aucune décision" in english.model("tt-history").text)  # fmt: skip
        assert switched, english.model("tt-history").text
        pending = arabic.model("tt-pending-title").text
        arabic.close()
        english.close()
        return header, pending, english.model("tt-room-header").text, english.model("tt-pending-title").text

    header, pending, french_header, french_pending = run_async(pages())
    assert "dir='rtl'" in header and "lang='ar'" in header and "اليوم" in header, header
    assert "قرار واحد مستحق" in pending, pending  # one of Arabic's six plural forms
    assert "dir='ltr'" in french_header and "Jour 0" in french_header, french_header
    assert "1 décision en attente" in french_pending, french_pending


# ---------------------------------------------------------------- files


def test_only_the_report_and_its_figures_are_served(tmp_path):
    folder = tmp_path / "run"
    (folder / "figures").mkdir(parents=True)
    report = folder / "report.html"
    for name, text in (("report.html", "r"), ("figures/a.png", "p"), (LINKS_PAGE, "codes"), ("exercise.yaml", "d"),
                       ("refused.log", "x"), (".hidden.html", "h")):  # fmt: skip
        (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "outside.html").write_text("o", encoding="utf-8")
    (folder / "link.html").symlink_to(tmp_path / "outside.html")
    assert report_file(None, "report.html") is None, "nothing before the end"
    assert report_file(report, "report.html") == folder / "report.html"
    assert report_file(report, "figures/a.png") == folder / "figures" / "a.png"
    for name in (LINKS_PAGE, "exercise.yaml", "refused.log", ".hidden.html", "../outside.html", "link.html",
                 "/etc/passwd", "figures/../../outside.html", "nothing.png", ""):  # fmt: skip
        assert report_file(report, name) is None, name


async def _pull(url: str, origin: str | None = None) -> RoomSession:
    page = await RoomSession.open(url, origin=origin)
    page.close()
    return page


def test_the_server_serves_the_report_only_once_written(tmp_path):
    room = FakeRoom(TEAMS, tmp_path)
    (tmp_path / LINKS_PAGE).write_text("codes", encoding="utf-8")
    with served(room) as url:
        assert _get(f"{url}report/report.html")[0] == 404
        room.stop(room.token_of(FACILITATOR))
        run_async(_pull(session_url(url, "facilitator", key=room.token_of(FACILITATOR))))
        status, body = _get(f"{url}report/report.html")
        assert status == 200 and b"fake-report" in body
        for name in (LINKS_PAGE, "..%2Flinks.html", "%2e%2e/%2e%2e/etc/passwd", "report.html/"):
            assert _get(f"{url}report/{name}")[0] == 404, name


def test_the_links_page_has_a_qr_code_and_the_code_of_every_seat(tmp_path):
    links = [SeatLink(FACILITATOR, "F-code"), SeatLink("HAL-INT", "H-code", "Halvar <Intelligence>")]
    path = write_links_page(tmp_path, "http://192.0.2.5:5006/", links, "Corridor <b>")
    text = path.read_text(encoding="utf-8")
    assert text.count("<svg") == 2 and "F-code" in text and "H-code" in text
    assert "http://192.0.2.5:5006/team?seat=H-code" in text and "/facilitator?key=F-code" in text
    assert "&lt;Intelligence&gt;" in text and "Corridor &lt;b&gt;" in text and "<b>" not in text
    assert "http" not in re.sub(r"http://192\.0\.2\.5:5006/\S*|http://www\.w3\.org/\S*", "", text), "nothing online"
    assert path.stat().st_mode & 0o077 == 0, "the page holds every code: its owner's only"
    assert join_url("http://h:1/", links[1]) == "http://h:1/team?seat=H-code"


# ---------------------------------------------------------------- origins


def _status(url: str, origin: str | None) -> int:
    async def connect() -> int:
        try:
            page = await RoomSession.open(url, origin=origin)
        except HTTPClientError as exc:
            return exc.code
        page.close()
        return 101

    return run_async(connect())


def test_a_room_open_to_the_network_accepts_only_its_own_pages(tmp_path):
    port = _free_port()
    with served(FakeRoom(TEAMS, tmp_path), host="0.0.0.0", port=port) as url:
        assert _status(f"{url}view", "http://attacker.example") == 403
        assert _status(f"{url}view", f"http://attacker.example:{port}") == 403
        assert _status(session_url(url, "team", seat=FakeRoom.__name__), f"http://attacker.example:{port}") == 403
        assert _status(f"{url}view", f"http://127.0.0.1:{port}") == 101
        assert _status(f"{url}view", f"http://{socket.gethostname().lower()}:{port}") == 101


# ---------------------------------------------------------------- the command

INJECTS = ROOT / "scenarios" / "exercise-injects.yaml"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ([], "SCENARIO.yaml"),
        ([str(INJECTS), "--teams", "HAL-INT,NOPE"], "--teams"),
        ([str(INJECTS), "--teams", "HAL-INT,HAL-INT"], "--teams"),
        ([str(INJECTS), "--teams", ","], "--teams"),
        ([str(INJECTS), "--countdown", "-5"], "--countdown"),
        ([str(INJECTS), "--countdown", "nan"], "--countdown"),
        ([str(INJECTS), "--speed", "0"], "--speed"),
        ([str(INJECTS), "--speed", "fast"], "--speed"),
        ([str(INJECTS), "--port", "70000"], "--port"),
        ([str(INJECTS), "--allow-origin", "*"], "--allow-origin"),
        ([str(INJECTS), "--lang", "xx"], "--lang"),
        ([str(INJECTS), "--resume", "somewhere"], "--resume"),
        (["--resume", "no-such-folder"], "--resume"),
        (["--resume", ".", "--teams", "HUB"], "--resume"),
        ([str(ROOT / "no-such.yaml")], "no-such.yaml"),
    ],
)
def test_wrong_options_exit_2_naming_the_option_and_write_nothing(options, named, tmp_path, capsys):
    from sim.cli import main

    out = tmp_path / "exercise"
    with contextlib.suppress(SystemExit):
        status = main(["exercise", *options, "--out", str(out)] if options and "--resume" not in options
                      else ["exercise", *options])  # fmt: skip
        assert status == 2
    captured = capsys.readouterr()
    assert named in captured.err, captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists() and not list(tmp_path.iterdir())


def start_exercise(*options: str, cwd: Path = ROOT) -> tuple[subprocess.Popen, list[str]]:
    """``tabletop exercise OPTIONS --port 0`` in a process; returns it and the lines printed up to the folder's."""
    command = [sys.executable, "-m", "sim", "exercise", *options, "--port", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    while True:
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise AssertionError("".join(lines))
        lines.append(line.rstrip("\n"))
        if line.strip().startswith("exercise folder:"):
            return process, lines


def test_the_command_prints_every_link_warns_when_open_and_keeps_the_decisions_when_killed(tmp_path):
    out = tmp_path / "exercise"
    process, lines = start_exercise(str(INJECTS), "--teams", "HAL-INT,DRV-BRD", "--out", str(out), "--host", "0.0.0.0")
    try:
        text = "\n".join(lines)
        assert "warning: listening on 0.0.0.0" in text, text
        base = re.search(r"tabletop exercise: http://(\S+):(\d+)/view", text)
        assert base is not None, text
        local = f"http://127.0.0.1:{base.group(2)}/"
        facilitator = re.search(r"facilitator: \S+/facilitator\?key=(\S+)\s+\(code (\S+)\)", text)
        seats = dict(re.findall(r"seat (\S+): \S+/team\?seat=(\S+)\s+\(code \S+\)", text))
        assert facilitator is not None and facilitator.group(1) == facilitator.group(2), text
        assert set(seats) == {"HAL-INT", "DRV-BRD"}, text
        assert len({facilitator.group(1), *seats.values()}) == 3, "every code is its own"
        page = Path(re.search(r"links page with QR codes, to print for the tables: (\S+)", text).group(1))
        assert page.is_file() and page.read_text(encoding="utf-8").count("<svg") == 3
        assert _get(local + "view")[0] == 200
        assert _get(f"{local}facilitator?key={facilitator.group(1)}")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert f"stopped; the decisions so far are in {out}" in rest and "--resume" in rest, rest
    assert "Traceback" not in rest, rest
    assert (out / "exercise.yaml").is_file() and (out / "seats.json").is_file(), sorted(p.name for p in out.iterdir())


# ---------------------------------------------------------------- a whole exercise in the browser

SHOTS = os.environ.get("TABLETOP_SCREENSHOTS") == "1"
IMAGES = ROOT / "docs" / "images"


def _shot(page: Any, name: str) -> None:
    """Save the page as docs/images/exercise-NAME.png when TABLETOP_SCREENSHOTS=1 (the docs' pictures)."""
    if SHOTS:
        page.screenshot(path=str(IMAGES / f"exercise-{name}.png"), full_page=False)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[tuple[Any, str, Path]]:
    """A real room on the injects scenario (small), seats HAL-INT, DRV-BRD, HUB, injects by hand; its pages."""
    from sim.api import open_room, vary

    scenario = vary(INJECTS, {"travellers.count": 120})
    folder = tmp_path_factory.mktemp("live") / "exercise"
    room = open_room(scenario, TEAMS, out=folder, countdown_seconds=6, speed=1200, auto_release=False,
                     plots=SHOTS)  # the figures only for the docs' pictures: the report is quicker without
    with served(room) as url:
        yield room, url, folder
    with contextlib.suppress(Exception):
        room.stop(None)


def _token(room: Any, role: str) -> str:
    return next(link.token for link in room.links() if link.role == role)


def _wait(predicate: Any, timeout: float = 30.0, what: str = "", state: Any = None) -> None:
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}" + (f" ({state()})" if state else ""))
        time.sleep(0.2)


def test_a_whole_exercise_in_the_browser(live, chromium_browser):
    """Facilitator and three teams: lobby, start, decisions, an inject, a note, a timeout, a reload, the hotwash."""
    from playwright.sync_api import expect

    room, url, folder = live
    browser, errors, requests = chromium_browser, [], []
    tabs = browser.new_context(viewport={"width": 1400, "height": 950})  # one context: quicker; no cookies are used

    def watch(page: Any) -> Any:
        page.on("request", lambda request: requests.append(request.url))
        return page

    console = watch(_open(tabs, f"{url}facilitator?key={_token(room, FACILITATOR)}", "seats", errors))
    teams = {}
    for team in TEAMS[:2]:  # the third seat joins later: the lobby shows who has
        teams[team] = watch(_open(tabs, f"{url}team?seat={_token(room, team)}", "history", errors))
    expect(console.get_by_test_id("joined-HAL-INT")).to_have_attribute("data-joined", "true", timeout=10_000)
    expect(console.get_by_test_id("joined-HUB")).to_have_attribute("data-joined", "false")
    _shot(console, "lobby")
    teams["HUB"] = watch(_open(tabs, f"{url}team?seat={_token(room, 'HUB')}", "history", errors))
    expect(console.get_by_test_id("joined-HUB")).to_have_attribute("data-joined", "true", timeout=10_000)

    # The clock runs until a team has a decision due; the team decides.
    console.locator(".tt-start button").click()
    _wait(lambda: any(p.get_by_test_id("decision").count() for p in teams.values()), 40, "a decision due")
    seat, page = next((s, p) for s, p in teams.items() if p.get_by_test_id("decision").count())
    expect(page.get_by_test_id("countdown").first).to_contain_text("seconds left", timeout=5_000)
    _shot(page, "team")
    decision = page.get_by_test_id("decision").first.get_attribute("data-decision")
    other = next(s for s in TEAMS if s != seat)
    with pytest.raises(Refused):  # another seat's code on this seat's decision
        room.decide(_token(room, other), decision, "discard")
    page.locator(".tt-choice-verify button").first.click()
    expect(page.get_by_test_id("history")).to_contain_text("your team", timeout=10_000)
    with pytest.raises(Refused):  # the same request again: a replay
        room.decide(_token(room, seat), decision, "verify")
    expect(console.get_by_test_id("refusals")).to_contain_text(other, timeout=10_000)
    assert len(room.refusals) >= 2

    # An inject, released by hand, and a note to one team (shown as text).
    console.locator(".tt-release button").click()
    expect(console.get_by_test_id("released").first).to_be_visible(timeout=10_000)
    console.locator(".tt-note textarea").fill("Check <b>the camp list</b>")
    console.locator(".tt-note-to select").select_option(seat)
    console.locator(".tt-send-note button").click()
    expect(page.get_by_test_id("notes")).to_contain_text("Check <b>the camp list</b>", timeout=10_000)

    # A countdown of one second: the policy decides, and the page says so.
    spinner = console.locator(".tt-countdown-seconds input")
    spinner.fill("1")
    spinner.press("Enter")
    def state() -> str:
        view = room.facilitator_view(_token(room, FACILITATOR))
        return f"{view.state} {view.hours:.1f} h, countdown {view.countdown_seconds}: {view.seats}"

    _wait(lambda: any(p.get_by_test_id("timeout").count() for p in teams.values()), 40, "a timeout", state)
    timed_out = next(p for p in teams.values() if p.get_by_test_id("timeout").count())
    expect(timed_out.get_by_test_id("timeout").first).to_contain_text("policy decided")
    _shot(timed_out, "timeout")
    if SHOTS:  # the same page in Arabic, right to left
        arabic = _open(tabs, timed_out.url + "&lang=ar", "history")
        expect(arabic.get_by_test_id("timeout").first).to_be_visible(timeout=10_000)
        _shot(arabic, "team-ar")
        arabic.close()
    _shot(console, "facilitator")

    # A reload gets the seat back with its history.
    before = page.get_by_test_id("history").inner_text()
    page.reload()
    expect(page.get_by_test_id("history")).to_contain_text("your team", timeout=20_000)
    assert page.get_by_test_id("history").inner_text().startswith(before.splitlines()[0])

    # The hotwash: every page shows the debrief.
    viewer = watch(_open(tabs, f"{url}view", "headline", errors))
    console.locator(".tt-stop button").click()
    for each in (console, *teams.values(), viewer):
        expect(each.get_by_test_id("debrief")).to_be_visible(timeout=60_000)
    _shot(teams["HAL-INT"], "hotwash")
    assert _get(f"{url}report/report.html")[0] == 200
    assert not errors, errors
    local = url.rstrip("/")
    assert requests and all(r.startswith(local) for r in requests), [r for r in requests if not r.startswith(local)]
    assert (folder / "exercise.yaml").is_file()
