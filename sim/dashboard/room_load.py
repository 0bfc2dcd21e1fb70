"""The live exercise under load (`tabletop bench --room`): many seats and viewers on one room server.

Issue 15's load requirement: 12 seats and 30 read-only viewers on one `Room`, every decision's round
trip under half a second on a two-core machine. The harness:

- builds a synthetic scenario in memory with enough seatable agencies (`load_scenario_data`:
  invented countries, an intelligence service and a border agency each, so every seat has
  decisions: its intelligence to share, or the alerts it receives);
- serves the room's pages (`sim.dashboard.room_pages.make_room_server`) on a free port of
  127.0.0.1, on a thread of this process (the server and the room's worker are the process's
  other threads: their CPU time is the process's minus the driver's);
- opens, in headless Chromium driven by Playwright (never downloaded: ``/usr/bin/chromium``, or
  ``TABLETOP_CHROMIUM``), the facilitator's console, one page per seat and the viewers' pages,
  several pages per browser context (one renderer process each, to save memory);
- the facilitator clicks Start; on every team page a small script takes each decision as it
  appears (it clicks the panel's first button: act on an alert, share intelligence) and measures
  in the page, with ``performance.now()``, the round trip from the click to the page showing the
  decision taken (its panel gone, the status line naming it), and to the decision's row in the
  team's history; on every viewer page a script records each new headline;
- the run ends at the scenario's horizon (the room writes its hotwash), and the figures are
  collected: round trips (median, 90th percentile, max), decisions, the server's CPU time and
  memory (RSS), sessions held, refusals.

Viewers can instead be protocol-level sessions (``viewer_kind="client"``, in a process of their own:
Bokeh's websocket protocol spoken directly, every patch applied to a document, as `bokeh.client`
would without a browser): the same work for the server, without 30 Chromium renderers on the cores
it runs on (in the room, each page has a laptop of its own).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sim.dashboard.room_pages import join_url, make_room_server
from sim.exercise.room import FACILITATOR, Room
from sim.spec.scenario import Scenario, scenario_from_dict

CHROMIUM_ENV = "TABLETOP_CHROMIUM"
"""An environment variable naming the Chromium executable (default: ``/usr/bin/chromium`` or on the PATH)."""

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]  # fmt: skip
"""Chromium's options: headless, offline, and background pages' timers not throttled (each page is a laptop)."""

PAGES_PER_CONTEXT = 6
"""Pages sharing one browser context (one renderer process), to save memory."""

COUNTRIES = [
    ("HAL", "Halvoria"), ("LUN", "Lunmere"), ("VSK", "Veskara"), ("DRV", "Drevia"), ("SOL", "Solvessa"),
    ("ALD", "Aldmark"), ("BRV", "Bravonia"), ("CZN", "Caldoria"), ("BRK", "Brakhar"), ("TRM", "Tremora"),
]  # fmt: skip
"""Invented countries (the scenario checks refuse real ones): each holds two seats."""

MAX_SEATS = 2 * len(COUNTRIES)
"""The most seats the load scenario has."""

FIND_JS = """
  function* roots(root) {
    yield root;
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) yield* roots(el.shadowRoot);
  }
  function find(selector, from) {
    for (const r of roots(from || document)) { const e = r.querySelector(selector); if (e) return e; }
    return null;
  }
  const hosts = {};
  function host(css) {  // a model's element (Bokeh keeps it while the model is shown), found once
    const known = hosts[css];
    if (known && known.isConnected) return known;
    return hosts[css] = find('.' + css);
  }
  function inside(css) { const h = host(css); return h ? (h.shadowRoot || h) : null; }
"""

TEAM_SCRIPT = (
    """
(() => {
  if (window.__load) return;
  const S = window.__load = {trips: [], history: [], clicked: [], errors: []};
  let busy = null;
"""
    + FIND_JS
    + """
  function rows() {
    const root = inside('tt-history');
    return root ? root.querySelectorAll('tbody tr').length : 0;
  }
  function tick() {
    try {
      const now = performance.now();
      if (busy) {
        if (!busy.shown) {
          const status = inside('tt-room-status');
          if (!busy.panel.isConnected && status && status.textContent.includes(busy.id)) {
            busy.shown = now - busy.t0;
            S.trips.push([busy.id, busy.shown]);
          }
        }
        if (busy.shown && rows() > busy.rows) {
          S.history.push([busy.id, now - busy.t0]);
          busy = null;
        } else if (now - busy.t0 > 30000) {
          S.errors.push('no answer for ' + busy.id);
          busy = null;
        }
        return;
      }
      const pending = inside('tt-pending');
      const panel = pending && pending.querySelector('.tt-decision');
      if (!panel) return;
      const decision = find('[data-decision]', panel.shadowRoot || panel);
      const choice = find('.tt-choice-act, .tt-choice-share', panel.shadowRoot || panel);
      const button = choice && (choice.shadowRoot || choice).querySelector('button');
      if (!decision || !button) return;
      const id = decision.getAttribute('data-decision');
      if (S.clicked.includes(id)) return;
      busy = {id: id, panel: panel, rows: rows(), t0: performance.now(), shown: 0};
      S.clicked.push(id);
      button.click();
    } catch (e) { S.errors.push(String(e)); }
  }
  setInterval(tick, 15);
})();
"""
)
"""A team's autopilot: takes each decision as it appears (its panel's first button: act, share) and times,
in the page, the round trip from the click to the panel gone with the status line naming the decision,
and to one more row in the team's history."""

VIEWER_SCRIPT = (
    """
(() => {
  if (window.__load) return;
  const S = window.__load = {headlines: [], errors: []};
"""
    + FIND_JS
    + """
  setInterval(() => {
    try {
      const cards = inside('tt-headline');
      const text = cards ? cards.textContent : '';
      if (text && text !== S.headlines[S.headlines.length - 1]) S.headlines.push(text);
    } catch (e) { S.errors.push(String(e)); }
  }, 250);
})();
"""
)
"""A viewer's recorder: every headline its page showed."""


class LoadUnavailableError(RuntimeError):
    """The load test cannot run here (no Playwright, or no Chromium); the message says what to install."""


@dataclass
class LoadRun:
    """The figures of one load run.

    Attributes:
        seats, viewers: pages open (besides the facilitator's console).
        viewer_kind: ``browser`` (Chromium pages) or ``client`` (protocol-level sessions).
        decisions: decisions the teams' pages clicked.
        round_trips: seconds from each click to the page showing the decision taken.
        history_trips: seconds from each click to the decision's row in the team's history.
        in_room: decisions the room recorded as taken by a team (its history).
        timeouts: decisions the countdown took (the scenario's policy decided).
        refusals: requests the room refused (each logged).
        sessions: Bokeh sessions the server held with every page open.
        viewers_changed: viewers that saw the headline change at least once.
        seconds: wall time from the facilitator's start to the hotwash.
        server_cpu_seconds: CPU time of the server's threads (the process's minus the driver's) over the run.
        rss_mb: the process's resident memory at the end (the server, the room and the driver).
        rss_before_mb: the same before any page was opened.
        page_errors: script errors of the pages and of the autopilots.
    """

    seats: int
    viewers: int
    viewer_kind: str
    decisions: int = 0
    round_trips: list[float] = field(default_factory=list)
    history_trips: list[float] = field(default_factory=list)
    in_room: int = 0
    timeouts: int = 0
    refusals: int = 0
    sessions: int = 0
    viewers_changed: int = 0
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    rss_mb: float = 0.0
    rss_before_mb: float = 0.0
    page_errors: list[str] = field(default_factory=list)
    clicked: dict[str, list[str]] = field(default_factory=dict)
    recorded: dict[str, int] = field(default_factory=dict)

    @property
    def median(self) -> float:
        """The median round trip, in seconds (nan without any)."""
        return statistics.median(self.round_trips) if self.round_trips else math.nan

    @property
    def p90(self) -> float:
        """The 90th percentile of the round trips (nearest rank), in seconds."""
        return percentile(self.round_trips, 90)

    @property
    def worst(self) -> float:
        """The longest round trip, in seconds."""
        return max(self.round_trips) if self.round_trips else math.nan


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile of `values` by nearest rank (nan when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------- the scenario


def load_scenario_data(seats: int, travellers: int = 48, horizon_days: int = 16) -> dict[str, Any]:
    """A synthetic scenario with at least `seats` seatable agencies, as plain data (invented names).

    Each country has an intelligence service that learns about its own returnees and shares on
    two links (its border agency and the next country's), and a border agency that receives
    alerts from two services: every agency has decisions to take.
    """
    countries = COUNTRIES[: max(1, math.ceil(seats / 2))]
    if not 1 <= seats <= MAX_SEATS:
        raise ValueError(f"from 1 to {MAX_SEATS} seats in the load scenario, not {seats}")
    agencies, links, groups, intelligence = [], [], [], []
    share = round(1.0 / len(countries), 6)
    for n, (code, name) in enumerate(countries):
        following = countries[(n + 1) % len(countries)][0]
        agencies.append({"id": f"{code}-INT", "country": code, "kind": "intelligence",
                         "name": f"{name} Security Service"})  # fmt: skip
        agencies.append({"id": f"{code}-BRD", "country": code, "kind": "border", "name": f"{name} Border Guard",
                         "screening": {"biometric": 0.95, "document": 0.85, "name": 0.5}})  # fmt: skip
        links.append({"from": f"{code}-INT", "to": f"{code}-BRD", "delay_hours": 6, "trust": 0.9})
        if following != code:
            links.append({"from": f"{code}-INT", "to": f"{following}-BRD", "delay_hours": 12, "trust": 0.8})
        groups.append({"name": f"group-{code.lower()}", "share": share, "intent": "return", "route": ["QRT", code],
                       "depart_day": {"dist": "uniform", "low": 0, "high": horizon_days - 6},
                       "leg_hours": {"dist": "uniform", "low": 48, "high": 96},
                       "documents": {"genuine": 0.9, "fraudulent": 0.1}})  # fmt: skip
        intelligence.append({"agency": f"{code}-INT", "covers": 0.8, "groups": [f"group-{code.lower()}"],
                             "learn_hours": {"dist": "uniform", "low": -24, "high": 12}, "relative_to": "departure",
                             "identifier": {"biometric": 0.6, "document": 0.4}})  # fmt: skip
    groups[-1]["share"] = round(1.0 - share * (len(countries) - 1), 6)
    return {
        "name": "Room load",
        "description": "A synthetic scenario for the live exercise's load test (tabletop bench --room).",
        "seed": 1515,
        "horizon_days": horizon_days,
        "countries": [{"id": "QRT", "name": "Qartavel", "role": "conflict"},
                      *({"id": code, "name": name, "role": "home"} for code, name in countries)],  # fmt: skip
        "agencies": agencies,
        "sharing": {"delay_scale": 1.0, "defaults": {"trust": 0.8, "reliability": 1.0, "verify_hours": None},
                    "links": links},  # fmt: skip
        "travellers": {"count": travellers, "groups": groups},
        "intelligence": intelligence,
    }


def load_scenario(seats: int, travellers: int = 48, horizon_days: int = 16) -> tuple[Scenario, list[str]]:
    """The synthetic scenario (`load_scenario_data`) and its first `seats` agencies, the seats."""
    scenario = scenario_from_dict(load_scenario_data(seats, travellers, horizon_days), source="<room load>")
    return scenario, [agency.id for agency in scenario.agencies][:seats]


# ---------------------------------------------------------------- the browser


def find_chromium() -> str:
    """Chromium's executable (``TABLETOP_CHROMIUM``, else ``/usr/bin/chromium`` or on the PATH).

    Raises:
        LoadUnavailableError: Playwright is not installed, or no Chromium is found.
    """
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise LoadUnavailableError("the room's load test drives Chromium with Playwright: pip install playwright "
                              "(it uses the system's Chromium: apt-get install chromium)") from None  # fmt: skip
    named = os.environ.get(CHROMIUM_ENV)
    candidates = [named] if named else ["/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    where = f"{CHROMIUM_ENV}={named} is not an executable" if named else "no chromium on this machine"
    raise LoadUnavailableError(f"the room's load test needs Chromium ({where}): apt-get install chromium, "
                          f"or set {CHROMIUM_ENV} to its path")  # fmt: skip


# ---------------------------------------------------------------- the server


@contextmanager
def served(room: Room) -> Iterator[tuple[str, Any]]:
    """The room's pages on a Bokeh server on a free port of 127.0.0.1, on a thread; yields its address and server."""
    from tornado.ioloop import IOLoop

    ready, box = threading.Event(), {}

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        try:
            server = make_room_server(room, host="127.0.0.1", port=0, io_loop=loop)
            server.start()
            box.update(port=server.port, loop=loop, server=server)
        except Exception as exc:  # noqa: BLE001 - raised again in the caller's thread
            box["error"] = exc
        ready.set()
        if "error" not in box:
            loop.start()
            server.stop()

    thread = threading.Thread(target=run, name="tabletop-room-server", daemon=True)
    thread.start()
    ready.wait(60)
    if "error" in box:
        raise box["error"]
    try:
        yield f"http://127.0.0.1:{box['port']}/", box["server"]
    finally:
        box["loop"].add_callback(box["loop"].stop)
        thread.join(30)


def _sessions(server: Any) -> int:
    return sum(len(server.get_sessions(path)) for path in ("/facilitator", "/team", "/view"))


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover (not Linux)
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- protocol-level viewers


class _ClientViewers:
    """`count` viewer sessions on one asyncio loop in a thread, speaking Bokeh's protocol (no browser)."""

    def __init__(self, url: str, count: int) -> None:
        self.url, self.count = url, count
        self.headlines: list[list[str]] = [[] for _ in range(count)]
        self.errors: list[str] = []
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="tabletop-load-viewers",
                                        daemon=True)  # fmt: skip

    def start(self) -> None:
        self._thread.start()
        if not self.opened.wait(120):
            raise TimeoutError("the viewers' sessions did not open")
        if any(not seen for seen in self.headlines):
            self.stop()
            raise ConnectionError(f"a viewer's session did not open: {self.errors}")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    async def _main(self) -> None:
        from bokeh.client.websocket import WebSocketClientConnectionWrapper
        from bokeh.document import Document
        from bokeh.protocol import Protocol
        from bokeh.protocol.receiver import Receiver
        from bokeh.util.token import generate_jwt_token, generate_session_id
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        async def one(n: int, started: asyncio.Event) -> None:
            ws = self.url.replace("http://", "ws://").rstrip("/") + "/view/ws"
            token = generate_jwt_token(generate_session_id())
            request = HTTPRequest(ws, headers={"Origin": self.url.rstrip("/")})  # as the page served there
            socket = await websocket_connect(request, subprotocols=["bokeh", token], max_message_size=100 * 2**20)
            sockets.append(socket)
            protocol, receiver, document = Protocol(), Receiver(Protocol()), Document()
            writer = WebSocketClientConnectionWrapper(socket)

            async def receive() -> Any:
                while True:
                    fragment = await socket.read_message()
                    if fragment is None:
                        raise ConnectionError("the server closed the session")
                    message = await receiver.consume(fragment)
                    if message is not None:
                        return message

            await receive()  # ACK
            await protocol.create("PULL-DOC-REQ").send(writer)
            (await receive()).push_to_document(document)
            started.set()
            cards = next(m for m in document.models if "tt-headline" in (getattr(m, "css_classes", None) or []))
            self.headlines[n].append(cards.text)
            while not self._stop.is_set():  # never cancelled mid-message: `stop` closes the socket
                try:
                    message = await receive()
                except ConnectionError:
                    break
                if message.msgtype == "PATCH-DOC":
                    message.apply_to_document(document, None)
                    if cards.text != self.headlines[n][-1]:
                        self.headlines[n].append(cards.text)

        events = [asyncio.Event() for _ in range(self.count)]
        sockets: list[Any] = []

        async def guarded(n: int) -> None:
            try:
                await one(n, events[n])
            finally:
                events[n].set()  # opened, or failed: do not wait for it

        tasks = [asyncio.create_task(guarded(n)) for n in range(self.count)]
        await asyncio.wait([asyncio.create_task(e.wait()) for e in events], timeout=120)
        self.opened.set()
        while not self._stop.is_set():
            await asyncio.sleep(0.1)
        for socket in sockets:
            socket.close()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                self.errors.append(repr(result))


def _client_viewers(url: str, count: int) -> subprocess.Popen:
    """`count` protocol-level viewers in a process of their own (their CPU is not the server's); open on return."""
    process = subprocess.Popen([sys.executable, "-m", "sim.dashboard.room_load", url, str(count)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    line = process.stdout.readline() if process.stdout else ""
    if line.strip() != "ready":
        process.kill()
        raise RuntimeError(f"the viewers' sessions did not open: {line!r}")
    return process


def _serve_viewers(url: str, count: int) -> None:
    """The viewers' process: open them, say ``ready``, follow the headline until stdin says stop; print what seen."""
    viewers = _ClientViewers(url, count)
    viewers.start()
    print("ready", flush=True)
    sys.stdin.readline()
    viewers.stop()
    print(json.dumps({"headlines": viewers.headlines, "errors": viewers.errors}), flush=True)


# ---------------------------------------------------------------- one run


def run_load(seats: int = 12, viewers: int = 30, viewer_kind: str = "browser", travellers: int = 48,
             horizon_days: int = 16, speed: float = 1440.0, countdown_seconds: float = 60.0,
             timeout: float = 600.0, folder: Path | None = None) -> LoadRun:  # fmt: skip
    """One load run: `seats` team pages and `viewers` viewers on one room server, every decision taken.

    Args:
        seats: team pages (each a seat of the synthetic scenario; at most 20).
        viewers: read-only viewer pages (``/view``).
        viewer_kind: ``browser`` (Chromium pages) or ``client`` (protocol-level sessions, no browser).
        travellers: travellers of the synthetic scenario (more: more decisions).
        horizon_days: the scenario's horizon.
        speed: the room's clock, simulated hours per real minute.
        countdown_seconds: the decisions' countdown (long enough that the autopilots always answer).
        timeout: seconds the run may take before it is abandoned (`TimeoutError`).
        folder: the exercise's folder (default: a temporary one, removed).

    Returns:
        the run's figures (`LoadRun`).

    Raises:
        LoadUnavailableError: without Playwright or Chromium.
        TimeoutError: the run did not end within `timeout` seconds.
    """
    if viewer_kind not in ("browser", "client"):
        raise ValueError(f"viewer_kind is browser or client, not {viewer_kind!r}")
    executable = find_chromium()
    from playwright.sync_api import sync_playwright

    scenario, teams = load_scenario(seats, travellers, horizon_days)
    with tempfile.TemporaryDirectory(prefix="tabletop-load-") as tmp:
        where = folder or Path(tmp) / "exercise"
        room = Room(scenario, teams, where, countdown_seconds=countdown_seconds, speed=speed, plots=False)
        result = LoadRun(seats, viewers, viewer_kind, rss_before_mb=_rss_mb())
        try:
            with served(room) as (url, server), sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
                try:
                    _drive(room, url, server, browser, result, timeout)
                finally:
                    browser.close()
        finally:
            with suppress(Exception):
                room.stop(None)
    return result


def _drive(room: Room, url: str, server: Any, browser: Any, result: LoadRun, timeout: float) -> None:
    links = {link.role: link for link in room.links()}
    contexts: list[Any] = []
    pages_in: list[int] = []
    errors: list[str] = result.page_errors

    def new_page() -> Any:
        if not contexts or pages_in[-1] >= PAGES_PER_CONTEXT:
            contexts.append(browser.new_context(viewport={"width": 1200, "height": 900}))
            pages_in.append(0)
        pages_in[-1] += 1
        page = contexts[-1].new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    def open_page(address: str) -> Any:
        page = new_page()
        page.goto(address, timeout=120_000, wait_until="commit")  # all load at once; waited for below
        return page

    def ready(page: Any, testid: str, script: str | None = None) -> None:
        page.get_by_test_id(testid).first.wait_for(timeout=180_000)
        if script is not None:
            page.evaluate(script)

    console = open_page(join_url(url, links[FACILITATOR]))
    teams = {agency: open_page(join_url(url, links[agency])) for agency in room.teams}
    viewer_pages = [open_page(f"{url}view") for _ in range(result.viewers if result.viewer_kind == "browser" else 0)]
    ready(console, "seats")
    for page in teams.values():
        ready(page, "history", TEAM_SCRIPT)
    for page in viewer_pages:
        ready(page, "headline", VIEWER_SCRIPT)
    clients = None
    if result.viewer_kind == "client" and result.viewers:
        clients = _client_viewers(url, result.viewers)
    try:
        deadline = time.monotonic() + 60
        while _sessions(server) < 1 + len(teams) + result.viewers and time.monotonic() < deadline:
            time.sleep(0.2)
        result.sessions = _sessions(server)
        driver, cpu, began = time.thread_time(), _cpu_seconds(), time.perf_counter()
        console.locator(".tt-start button").click()
        ended = room.wait_until(lambda r: r.state == "ended", timeout=timeout)
        result.seconds = time.perf_counter() - began
        result.server_cpu_seconds = (_cpu_seconds() - cpu) - (time.thread_time() - driver)
        result.rss_mb = _rss_mb()
        if not ended:
            raise TimeoutError(f"the load run did not end within {timeout} s")
        time.sleep(2 * 0.5 + 0.5)  # the pages' last poll: the last history rows and headlines
        for agency, page in teams.items():
            data = page.evaluate("window.__load")
            result.round_trips += [ms / 1000 for _, ms in data["trips"]]
            result.history_trips += [ms / 1000 for _, ms in data["history"]]
            result.clicked[agency] = list(data["clicked"])
            errors += data["errors"]
        if clients is not None:
            out, _ = clients.communicate("stop\n", timeout=120)
            seen = json.loads(out.splitlines()[-1])
            headlines = seen["headlines"]
            errors += seen["errors"]
            clients = None
        else:
            headlines = []
            for page in viewer_pages:
                data = page.evaluate("window.__load")
                headlines.append(data["headlines"])
                errors += data["errors"]
        result.viewers_changed = sum(1 for seen in headlines if len(seen) >= 2)
    finally:
        if clients is not None:
            clients.kill()
            clients.wait(30)
        for context in contexts:
            with suppress(Exception):
                context.close()
    result.decisions = sum(len(ids) for ids in result.clicked.values())
    histories = {agency: room.team_view(links[agency].token).history for agency in room.teams}
    result.recorded = {agency: sum(1 for row in rows if row.get("by") == "team") for agency, rows in histories.items()}
    result.in_room = sum(result.recorded.values())
    result.timeouts = sum(1 for rows in histories.values() for row in rows if row.get("by") == "timeout")
    result.refusals = len(room.refusals)


# ---------------------------------------------------------------- the benchmark


def run_room_benchmark(repeats: int = 3, seats: int = 12, viewers: int = 30, viewer_kind: str = "browser",
                       travellers: int = 48,
                       progress: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """`repeats` load runs; the figures of each and their medians (`tabletop bench --room`).

    Args:
        repeats: load runs (each a new room, server and browser).
        seats: team pages, as `run_load`.
        viewers: viewers, as `run_load`.
        viewer_kind: ``browser`` or ``client``, as `run_load`.
        travellers: the synthetic scenario's travellers, as `run_load`.
        progress: called with a line after each run.

    Raises:
        LoadUnavailableError: without Playwright or Chromium.
    """
    find_chromium()
    runs = []
    for n in range(repeats):
        run = run_load(seats, viewers, viewer_kind, travellers)
        runs.append(run)
        if progress is not None:
            progress(f"run {n + 1}/{repeats}: {run.decisions} decisions, round trip median {run.median:.3f} s, "
                     f"p90 {run.p90:.3f} s, max {run.worst:.3f} s")  # fmt: skip

    def median(values: list[float]) -> float:
        return statistics.median(values)

    return {
        "seats": seats,
        "viewers": viewers,
        "viewer_kind": viewer_kind,
        "repeats": repeats,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "median_round_trip_seconds": median([r.median for r in runs]),
        "p90_round_trip_seconds": median([r.p90 for r in runs]),
        "max_round_trip_seconds": median([r.worst for r in runs]),
        "median_history_seconds": median([statistics.median(r.history_trips) if r.history_trips else math.nan
                                          for r in runs]),  # fmt: skip
        "decisions": median([r.decisions for r in runs]),
        "server_cpu_seconds": median([r.server_cpu_seconds for r in runs]),
        "seconds": median([r.seconds for r in runs]),
        "rss_mb": median([r.rss_mb for r in runs]),
        "runs": [{**{k: v for k, v in asdict(r).items() if k not in ("round_trips", "history_trips", "clicked")},
                  "median": r.median, "p90": r.p90, "max": r.worst} for r in runs],  # fmt: skip
    }


def format_room_report(report: dict[str, Any]) -> str:
    """The room benchmark's figures as plain text."""
    load = report.get("load_average")
    lines = [
        f"the live exercise under load: {report['seats']} seats, {report['viewers']} viewers "
        f"({'Chromium pages' if report['viewer_kind'] == 'browser' else 'protocol-level sessions'}), "
        f"a facilitator; medians of {report['repeats']} runs on {report['cpus']} CPUs"
        + (f" (load average {load[0]:.1f} at the end)" if load else ""),
        "  decision round trip (click to the page showing it taken): "
        f"median {report['median_round_trip_seconds']:.3f} s, "
        f"90th percentile {report['p90_round_trip_seconds']:.3f} s, "
        f"max {report['max_round_trip_seconds']:.3f} s",
        f"  click to the decision's row in the team's history: median {report['median_history_seconds']:.3f} s",
        f"  decisions per run {report['decisions']:.0f}; run {report['seconds']:.1f} s; server CPU "
        f"{report['server_cpu_seconds']:.1f} s; process RSS {report['rss_mb']:.0f} MB",
    ]
    for n, run in enumerate(report["runs"], 1):
        lines.append(
            f"  run {n}: {run['decisions']} decisions ({run['in_room']} in the room's history, {run['timeouts']} "
            f"timeouts), round trip median {run['median']:.3f} / p90 {run['p90']:.3f} / max {run['max']:.3f} s, "
            f"server CPU {run['server_cpu_seconds']:.1f} s over {run['seconds']:.1f} s, RSS {run['rss_mb']:.0f} MB, "
            f"{run['sessions']} sessions, {run['refusals']} refusals, {run['viewers_changed']}/{run['viewers']} "
            "viewers saw the headline change"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover (the client viewers' process, started by `_client_viewers`)
    _serve_viewers(sys.argv[1], int(sys.argv[2]))
