"""The workshop page against crafted websocket messages and foreign web pages (issue 17).

The server is the real one (``tabletop dashboard`` in a process); the client speaks Bokeh's
protocol over a websocket as a browser console, or a script, can (tests/room_client.py).
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from dashboard_helpers import BASELINE, start_dashboard, stop
from room_client import RoomSession
from tornado.httpclient import HTTPClientError
from tornado.ioloop import IOLoop

from sim.dashboard.origins import allowed_origins, is_loopback, parse_origin

SPEEDS = ("1 day a second", "4 days a second", "10 days a second")
MARKER = "SECRET-MARKER-5c1e9"
FOREIGN = "room-screen.example"  # the name a trainer adds with --allow-origin

# `tabletop dashboard` under an audit hook that logs every opening of one file (argv[1]) to argv[2].
WATCHED = """
import os, sys
watched, log = os.path.realpath(sys.argv[1]), os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        if os.path.realpath(os.fsdecode(args[0])) == watched:
            os.write(log, b"opened\\n")
sys.addaudithook(hook)
from sim.cli import main
sys.exit(main(sys.argv[3:]))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def room_server(tmp_path_factory):
    """A server for the room (``--host 0.0.0.0``), with a secret file it must never open.

    Yields (address to connect to, port, the secret file, the log of its openings).
    """
    folder = tmp_path_factory.mktemp("secret")
    secret, log = folder / "secret.yaml", folder / "opened.log"
    secret.write_text(f"{MARKER}:$6$x:19000:0:99999:7:::\n", encoding="utf-8")  # like a line of /etc/shadow
    log.write_text("", encoding="utf-8")
    port = _free_port()
    python = [sys.executable, "-c", WATCHED, str(secret), str(log)]
    process, _, _ = start_dashboard(
        "--host", "0.0.0.0", "--port", str(port), "--allow-origin", f"{FOREIGN}:{port}", python=python
    )
    yield f"http://127.0.0.1:{port}/", port, secret, log
    stop(process)


def _everything(session: RoomSession) -> str:
    """The whole document the page holds (every model and property), as text."""
    return repr(session.document.to_json().content)


# ---------------------------------------------------------------- crafted values


def test_a_crafted_scenario_path_is_refused_and_no_file_is_opened(room_server):
    url, _, secret, log = room_server

    async def craft() -> tuple[str, list, str, str, str, str]:
        page = await RoomSession.open(url)
        before, options = page.model("tt-scenario").value, page.model("tt-scenario").options
        await page.send_value("tt-scenario", "value", str(secret))  # as from the browser's console
        await page.wait_for(lambda: page.model("tt-status").text != "" and page.model("tt-scenario").value == before)
        status, value, everything = page.model("tt-status").text, page.model("tt-scenario").value, _everything(page)
        # The page still works after the refusal, and a listed scenario is chosen by its key.
        await page.send_value("tt-scenario", "value", "regional-hub")
        await page.wait_for(lambda: "regional-hub.yaml" in page.command())
        chosen = page.command()
        page.close()
        return before, options, status, value, everything, chosen

    before, options, status, value, everything, chosen = asyncio.run(craft())
    assert MARKER not in everything, "the secret file's contents reached the page"
    assert log.read_text(encoding="utf-8") == "", "the server opened the file the browser named"
    assert "Refused scenario choice" in status and str(secret) in status, status
    assert value == before, "the previous choice is kept"
    assert before in [key for key, _ in options], "the chooser's value is one of its options (a key)"
    assert all("/" not in key for key, _ in options), "no path reaches the browser"
    assert "scenarios/regional-hub.yaml" in chosen, "a listed scenario, by its key, opens"


CRAFTED = [  # widget, property, a value outside its range or options, how the status names it
    ("tt-delay", "value_throttled", 1e308, "1e+308"),
    ("tt-delay", "value_throttled", -1.0, "-1"),
    ("tt-trust", "value_throttled", 7.0, "7"),
    ("tt-verify", "value_throttled", 1.5, "1.5"),
    ("tt-verify", "value_throttled", -0.25, "-0.25"),
    ("tt-retention", "value_throttled", 0.0, "0.0"),
    ("tt-retention", "value_throttled", 1e9, "1000000000.0"),
    ("tt-seed", "value", -5, "-5"),
    ("tt-seed", "value", 2.5, "2.5"),
    ("tt-seed", "value", 2.0**40, "1099511627776"),
    ("tt-speed", "value", "1000 days a second", "1000 days a second"),
]


def test_crafted_values_outside_a_widgets_range_or_options_are_refused(room_server):
    url, *_ = room_server

    async def craft() -> list[str]:
        page = await RoomSession.open(url)
        command, wrong = page.command(), []
        for css, attr, value, named in CRAFTED:
            await page.send_value(css, attr, value)
            refused = await page.wait_for(
                lambda named=named: named in page.model("tt-status").text and page.model("tt-speed").value in SPEEDS
            )
            status = page.model("tt-status").text
            if not refused or "Refused" not in status:
                wrong.append(f"{css}.{attr} = {value!r}: the status says {status!r}")
            if page.command() != command:
                wrong.append(f"{css}.{attr} = {value!r} changed the run: {page.command()}")
        if page.model("tt-speed").value not in SPEEDS:
            wrong.append(f"the play speed is {page.model('tt-speed').value!r}")
        page.close()
        return wrong

    wrong = asyncio.run(craft())
    assert not wrong, "\n".join(wrong)


def test_plain_requests_and_a_session_share_the_server(shared_dashboard):
    """Fetching the page (as curl does) twice, then a tab: every page is its own document and works."""
    _, url, _ = shared_dashboard
    for _ in range(2):
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200

    async def two_tabs() -> tuple[str, str]:
        one, two = await RoomSession.open(url), await RoomSession.open(url)
        await one.move_slider("tt-delay", 0.25, "sharing.delay_scale=0.25")
        await two.move_slider("tt-delay", 2.5, "sharing.delay_scale=2.5")
        one.close()
        two.close()
        return one.command(), two.command()

    one, two = asyncio.run(two_tabs())
    assert "sharing.delay_scale=0.25" in one.split() and "sharing.delay_scale=2.5" in two.split()


# ---------------------------------------------------------------- origins


def _status(url: str, origin: str | None) -> int:
    """101 if the websocket opens from a page at `origin`, else the server's HTTP status."""

    async def connect() -> int:
        try:
            page = await RoomSession.open(url, origin=origin)
        except HTTPClientError as exc:
            return exc.code
        page.close()
        return 101

    return asyncio.run(connect())


def test_a_room_server_refuses_foreign_pages_and_accepts_its_own(room_server):
    url, port, _, _ = room_server
    assert _status(url, "http://attacker.example") == 403
    assert _status(url, f"http://attacker.example:{port}") == 403
    assert _status(url, f"http://{FOREIGN}:{port + 1}") == 403
    assert _status(url, f"http://{socket.gethostname().lower()}:{port}") == 101, "this machine's name"
    assert _status(url, f"http://127.0.0.1:{port}") == 101, "the facilitator's own tab"
    assert _status(url, f"http://{FOREIGN}:{port}") == 101, "added with --allow-origin"


def test_a_server_on_127_0_0_2_is_a_loopback_one():
    from sim.dashboard.app import serve

    served: dict[str, object] = {}
    ready = threading.Event()

    def announce(address: str) -> None:
        served["url"], served["loop"] = address, IOLoop.current()
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        serve(str(BASELINE), host="127.0.0.2", port=0, announce=announce)

    thread = threading.Thread(target=run, name="dashboard-127.0.0.2", daemon=True)
    thread.start()
    assert ready.wait(60), "the server did not start"
    url = str(served["url"])
    port = int(url.rsplit(":", 1)[1].strip("/"))
    try:
        assert url == f"http://127.0.0.2:{port}/"
        assert _status(url, f"http://attacker.example:{port}") == 403
        assert _status(url, "http://192.0.2.7") == 403
        assert _status(url, f"http://127.0.0.2:{port}") == 101
        assert _status(url, f"http://localhost:{port}") == 101
    finally:
        loop = served["loop"]
        loop.add_callback(loop.stop)  # type: ignore[attr-defined]
        thread.join(15)


def test_the_origin_policy_in_words():
    assert is_loopback("127.0.0.2") and is_loopback("127.255.255.254") and is_loopback("::1")
    assert is_loopback("localhost") and not is_loopback("128.0.0.1") and not is_loopback("0.0.0.0")
    assert allowed_origins("127.0.0.2", 5006) == ["127.0.0.2:5006", "localhost:5006"]
    assert allowed_origins("::1", 80) == ["[::1]:80", "localhost:80"]
    assert allowed_origins("192.0.2.7", 5006, ["Room.Example:5006"]) == ["192.0.2.7:5006", "room.example:5006"]
    everywhere = allowed_origins("0.0.0.0", 5006)
    assert {"127.0.0.1:5006", "localhost:5006", f"{socket.gethostname().lower()}:5006"} <= set(everywhere)
    assert not any("*" in o or not o.endswith(":5006") for o in everywhere), everywhere
    assert parse_origin("http://[fd00::2]:8080/") == "[fd00::2]:8080"
    for wrong in ("room.example", "room.example:0", "*:5006", "a:b:5006", "room.example:port"):
        with pytest.raises(ValueError, match=repr(wrong).replace("*", r"\*")):
            parse_origin(wrong)


def test_a_wrong_allow_origin_exits_2_naming_it():
    import subprocess

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "sim", "dashboard", str(root / "scenarios" / "baseline-corridor.yaml"),
         "--allow-origin", "*"], cwd=root, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "--allow-origin" in result.stderr and "'*'" in result.stderr
