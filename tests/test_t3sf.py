"""T3SF 2.5.1's own code delivers the exported MSEL as it says: every inject, to the right inbox, with its waits.

T3SF runs for real (`T3SF.ProcessIncidents`, its inbox discovery on Discord and Slack, its
handlers); only the chat platform is faked: a Discord guild laid out as T3SF's own
`create_environment` builds it (category ``Group - <player>`` with an ``inbox`` channel), a
Slack workspace with its channels (``inbox-<player>``), and a game master who answers T3SF's
questions. Its sleeps are recorded, not slept.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import discord
import pytest
from builders import ROOT, SCENARIOS

from sim import api
from sim.errors import ScenarioError
from sim.exercise.msel import CALL_SIGNS, t3sf_collisions, t3sf_players, t3sf_similar
from sim.spec.scenario import Scenario, load_scenario, scenario_from_dict


def _import_t3sf() -> Any:
    """Import T3SF, which sets a SIGINT handler that exits at once and reads DISCORD_TOKEN on import."""
    previous = signal.getsignal(signal.SIGINT)
    token = os.environ.setdefault("DISCORD_TOKEN", "not-used")
    try:
        import T3SF
        import T3SF.discord
        import T3SF.slack
        import T3SF.utils
    finally:
        signal.signal(signal.SIGINT, previous)
        if token == "not-used":
            del os.environ["DISCORD_TOKEN"]
    return T3SF


T3SF = _import_t3sf()
PROFILE = "https://example.org/exercise-control.png"
ALL_SCENARIOS = sorted(SCENARIOS.glob("*.yaml"))


# --- the fake chat platforms ----------------------------------------------------------------


class Message:
    """A message T3SF sent (or the game master's reply); T3SF edits its own."""

    def __init__(self, content: str = "", author: object = None, channel: object = None) -> None:
        self.content, self.author, self.channel = content, author, channel

    async def edit(self, **_: Any) -> Message:
        return self


class Channel:
    """A Discord channel: it keeps what T3SF sends to it."""

    def __init__(self, ident: int, name: str, category: Category | None) -> None:
        self.id, self.name, self.category = ident, name, category
        self.sent: list[discord.Embed] = []

    async def send(self, embed: discord.Embed, view: object = None) -> Message:
        self.sent.append(embed)
        return Message(channel=self)


class Category:
    """A Discord category; like discord.py's, it is a channel too, in no category."""

    def __init__(self, name: str) -> None:
        self.name, self.category = name, None

    def __str__(self) -> str:
        return self.name


class Guild:
    """A server laid out as T3SF's `create_environment` builds it, for `players` in this order."""

    def __init__(self, players: list[str]) -> None:
        self.categories: list[Category] = []
        self.channels: list[Any] = []
        layout = [("Control Room", ["gm-chat", "logs", "Game Masters"])]
        layout += [(f"Group - {player}", ["inbox", "chat", "decision-log", "office"]) for player in players]
        for category_name, names in layout:
            category = Category(category_name)
            self.categories.append(category)
            self.channels.append(category)
            for name in names:
                self.channels.append(Channel(len(self.channels) + 1000, name, category))
        self.text_channels = [c for c in self.channels if isinstance(c, Channel)]

    def inbox(self, player: str) -> Channel:
        return next(c for c in self.text_channels if c.name == "inbox" and c.category.name == f"Group - {player}")


class Context:
    """The `!start` command in the game masters' channel."""

    def __init__(self, guild: Guild) -> None:
        self.guild, self.author = guild, object()
        self.channel = next(c for c in guild.text_channels if c.name == "gm-chat")
        self.message = Message(author=self.author, channel=self.channel)
        self.message.guild = guild  # type: ignore[attr-defined]

    async def send(self, embed: discord.Embed, view: object = None) -> Message:
        return await self.channel.send(embed=embed, view=view)


class Bot:
    """The Discord bot, as T3SF uses it; the game master confirms the inbox prefix T3SF detected."""

    def __init__(self, guild: Guild, context: Context) -> None:
        self.guild, self.context = guild, context

    def get_channel(self, ident: int) -> Channel:
        return next(c for c in self.guild.text_channels if c.id == ident)

    async def wait_for(self, event: str, check: Any, timeout: float) -> Message:
        reply = Message("yes", author=self.context.author, channel=self.context.channel)
        assert event == "message" and check(reply), "T3SF waits for the game master's answer in gm-chat"
        return reply


class SlackClient:
    """The Slack web client, as T3SF uses it: channels by name, and what is posted to each."""

    def __init__(self, channels: list[str]) -> None:
        self.channels = channels
        self.posted: dict[str, list[list[dict[str, Any]]]] = {name: [] for name in channels}

    async def conversations_list(self, types: str = "") -> dict[str, Any]:
        return {"channels": [{"name": name, "id": f"C{k:04d}"} for k, name in enumerate(self.channels)]}

    async def chat_postMessage(self, channel: str, attachments: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N802
        self.posted[channel].append(attachments)
        return {"channel": channel, "ts": str(len(self.posted[channel]))}

    async def chat_update(self, channel: str, ts: str, attachments: list[dict[str, Any]]) -> dict[str, Any]:
        return {"channel": channel, "ts": ts}


class SlackApp:
    def __init__(self, players: list[str]) -> None:
        # T3SF's create_environment (slack/bot.py): the game masters' channels, then three per player.
        channels = ["gm-chat", "gm-logs"]
        for player in players:
            channels += [f"{kind}-{player}" for kind in ("inbox", "chat", "decision-log")]
        self.client = SlackClient(channels)


# --- running T3SF --------------------------------------------------------------------------


def _minutes(real_time: str) -> int:
    """The clock time of a `Real Time` as the MSEL means it (hours and minutes, AM/PM)."""
    clock, half = real_time.split()
    hour, minute = (int(x) for x in clock.split(":"))
    return (hour % 12 + (12 if half == "PM" else 0)) * 60 + minute


def _export(scenario_path: Path, folder: Path) -> tuple[Scenario, list[dict[str, Any]], Path]:
    rows, text = api.msel(scenario_path, form="json", profile=PROFILE)
    path = folder / "MSEL.json"
    path.write_text(text, encoding="utf-8")
    return load_scenario(scenario_path), json.loads(text), path


def _expected(scenario: Scenario) -> dict[str, list[tuple[str, str]]]:
    """The injects each agency should receive, in order: (subject, script)."""
    wanted: dict[str, list[tuple[str, str]]] = {a.id: [] for a in scenario.agencies}
    ordered = sorted(enumerate(scenario.injects), key=lambda kv: (kv[1].day, kv[0]))
    for _, inject in ordered:
        subject = inject.subject or inject.note or inject.kind.replace("_", " ").capitalize()
        for agency in inject.players(scenario):
            wanted[agency].append((subject, inject.script()))
    return wanted


def _stated_waits(items: list[dict[str, Any]]) -> list[int]:
    """The waits, in seconds, that the MSEL states between consecutive rows (none for rows at the same time)."""
    gaps = [(_minutes(b["Real Time"]) - _minutes(a["Real Time"])) % 1440 for a, b in itertools.pairwise(items)]
    return [60 * gap for gap in gaps if gap]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[float]:
    """T3SF's sleeps, recorded instead of slept; T3SF writes logs.txt and its inbox file in the working folder."""
    monkeypatch.chdir(tmp_path)
    recorded: list[float] = []

    async def sleep(seconds: float, result: object = None) -> object:
        recorded.append(seconds)
        return result

    monkeypatch.setattr(asyncio, "sleep", sleep)

    def no_random_icon(choices: Any) -> None:
        raise AssertionError("T3SF picked a random sender icon: the MSEL's Profile is empty")

    monkeypatch.setattr(sys.modules["T3SF.discord.discord"].random, "choice", no_random_icon)
    monkeypatch.setattr(sys.modules["T3SF.slack.slack"].random, "choice", no_random_icon)
    return recorded


def _order(players: list[str], order: str) -> list[str]:
    return players if order == "as listed" else players[::-1]


@pytest.mark.parametrize("order", ["as listed", "reversed"])
@pytest.mark.parametrize("inboxes", ["discovered", "inbox file"])
@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: p.stem)
def test_discord_delivers_every_inject_to_its_player_with_the_msel_waits(
    path: Path, inboxes: str, order: str, sleeps: list[float], tmp_path: Path
) -> None:
    scenario, items, msel = _export(path, tmp_path)
    players = t3sf_players(scenario)
    guild = Guild(_order(list(players.values()), order))
    if inboxes == "inbox file":  # a per-agency inbox file, as T3SF writes it after discovery
        inbox_file = {name: guild.inbox(name).id for name in players.values()}
        (tmp_path / "inboxes_discord.json").write_text(json.dumps(inbox_file), encoding="utf-8")
    context = Context(guild)
    bot = Bot(guild, context)
    runner = T3SF.T3SF(bot=bot, platform="discord")
    asyncio.run(runner.ProcessIncidents(MSEL=str(msel), ctx=context, function_type="start"))

    for agency, wanted in _expected(scenario).items():
        got = [(embed.title, embed.description) for embed in guild.inbox(players[agency]).sent]
        assert [title for title, _ in got] == [subject for subject, _ in wanted], f"{agency}'s inbox"
        assert all(description.endswith(script) for (_, description), (_, script) in zip(got, wanted, strict=True))
        assert all(embed.author.icon_url == PROFILE for embed in guild.inbox(players[agency]).sent)
    others = [c for c in guild.text_channels if c.name in ("chat", "decision-log")]
    assert not any(c.sent for c in others), "nothing goes to the players' other channels"
    assert sum(len(guild.inbox(p).sent) for p in players.values()) == len(items)
    assert sleeps == _stated_waits(items), "T3SF waits what the MSEL states between injects"


@pytest.mark.parametrize("order", ["as listed", "reversed"])
@pytest.mark.parametrize("inboxes", ["discovered", "inbox file"])
@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: p.stem)
def test_slack_delivers_every_inject_to_its_player_with_the_msel_waits(
    path: Path, inboxes: str, order: str, sleeps: list[float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, items, msel = _export(path, tmp_path)
    players = t3sf_players(scenario)
    app = SlackApp(_order(list(players.values()), order))
    if inboxes == "inbox file":
        inbox_file = {name: f"inbox-{name}" for name in players.values()}
        (tmp_path / "inboxes_slack.json").write_text(json.dumps(inbox_file), encoding="utf-8")
    runner = T3SF.T3SF(app=app, platform="slack")
    waited_for_gm: list[float] = []

    async def sleep(seconds: float, result: object = None) -> object:
        if runner.regex_ready is False:  # T3SF waits for the game master to confirm the inbox prefix
            waited_for_gm.append(seconds)

            async def ack() -> None:
                return None

            # The game master answers "No" to the prefix T3SF guessed, then types T3SF's own example, `inbox-`.
            await runner.RegexHandler(ack=ack, body={}, payload={"action_id": "regex_no"})
            body = {"actions": [{"value": "inbox-"}]}
            await runner.RegexHandler(ack=ack, body=body, payload={"action_id": "regex_custom"})
        else:
            sleeps.append(seconds)
        return result

    monkeypatch.setattr(asyncio, "sleep", sleep)
    asyncio.run(runner.ProcessIncidents(MSEL=str(msel), ctx={"channel": "gm-chat"}, function_type="start"))

    posted = app.client.posted
    for agency, wanted in _expected(scenario).items():
        got = posted[f"inbox-{players[agency]}"]
        titles = [message[0]["blocks"][0]["text"]["text"] for message in got]
        texts = [next(b["text"]["text"] for b in message[0]["blocks"] if b["type"] == "section") for message in got]
        icons = [
            next(b for b in message[0]["blocks"] if b["type"] == "context")["elements"][0]["image_url"]
            for message in got
        ]
        assert list(zip(titles, texts, strict=True)) == wanted, f"{agency}'s inbox"
        assert all(icon == PROFILE for icon in icons)
    assert not any(posted[c] for c in posted if c.startswith(("chat-", "decision-log-")))
    assert sum(len(posted[f"inbox-{p}"]) for p in players.values()) == len(items)
    assert sleeps == _stated_waits(items), "T3SF waits what the MSEL states between injects"
    assert bool(waited_for_gm) == (inboxes == "discovered")


@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: p.stem)
def test_the_stated_waits_follow_the_scenario_days(path: Path) -> None:
    rows, text = api.msel(path, form="json")
    items = json.loads(text)
    pace = rows[0]["minutes_per_day"] if rows else 0
    days = {item["#"]: item["Inject"]["day"] for item in items}
    for a, b in itertools.pairwise(items):
        gap = (_minutes(b["Real Time"]) - _minutes(a["Real Time"])) % 1440
        assert abs(gap - (days[b["#"]] - days[a["#"]]) * pace) <= 1, "the real gap is the scenario gap, to the minute"
        assert (gap == 0) == (days[a["#"]] == days[b["#"]]) and gap <= 59, "T3SF can wait it"


def test_timelines_t3sf_cannot_pace_are_refused_with_the_pace_that_fits() -> None:
    path = SCENARIOS / "exercise-injects.yaml"
    for pace, wait in ((10, "would wait 30"), (20, "would wait 0")):
        with pytest.raises(ScenarioError) as caught:
            api.msel(path, form="json", minutes_per_day=pace)
        (problem,) = caught.value.problems
        assert problem.file == "--minutes-per-day" and wait in problem.message
        assert "to 2.21 fits (e.g. 2.2)" in problem.message
    rows, _ = api.msel(path, form="csv", minutes_per_day=10)
    assert [row["real_time"] for row in rows] == ["10:40 AM", "11:10 AM", "03:40 PM", "07:00 PM"], "the CSV is free"


@pytest.mark.parametrize("value", ["nan", "0", "-3", "inf", "1e308", "1441"])
def test_minutes_per_day_must_be_positive(value: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        api.msel(SCENARIOS / "exercise-injects.yaml", minutes_per_day=float(value))
    assert str(caught.value.problems[0]).startswith("--minutes-per-day: must be a positive number of minutes")


def test_minutes_per_day_nan_on_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "sim", "msel", str(SCENARIOS / "exercise-injects.yaml"),
                           "--minutes-per-day", "nan"], capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert done.returncode == 2 and "--minutes-per-day: must be a positive number" in done.stderr


def test_similarity_is_t3sfs_and_the_call_signs_never_collide() -> None:
    words = [*CALL_SIGNS, "HAL-BRD", "SOL-BRD", "Group - heron", "inbox-heron"]
    assert all(t3sf_similar(a, b) == T3SF.utils.similar(a, b) for a in words for b in words)
    assert t3sf_collisions({name: name for name in CALL_SIGNS}) == []


@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: p.stem)
def test_agency_ids_would_collide_so_players_are_call_signs(path: Path) -> None:
    scenario = load_scenario(path)
    ids = {a.id: a.id for a in scenario.agencies}
    assert t3sf_collisions(ids), "T3SF mixes up the agency ids' inboxes"
    assert t3sf_collisions(t3sf_players(scenario)) == []


def test_colliding_players_are_refused() -> None:
    problems = t3sf_collisions({"HAL-BRD": "hal-brd", "SOL-BRD": "sol-brd"})
    assert any("HAL-BRD's injects" in p and "SOL-BRD's inbox" in p and "0.714" in p for p in problems)
    scenario = load_scenario(SCENARIOS / "exercise-injects.yaml")
    many = scenario.raw
    many["agencies"] = many["agencies"] + [
        {"id": f"X{k:02d}-BRD", "country": "SOL", "kind": "border"} for k in range(len(CALL_SIGNS))
    ]
    with pytest.raises(ScenarioError) as caught:
        api.msel(scenario_from_dict(many), form="json")
    assert caught.value.problems[0].file == "--format" and "T3SF would deliver" in caught.value.problems[0].message


def test_the_profile_must_be_a_url() -> None:
    with pytest.raises(ScenarioError) as caught:
        api.msel(SCENARIOS / "exercise-injects.yaml", form="json", profile="icon.png")
    assert caught.value.problems[0].file == "--profile"
