"""The dashboard page and the terminal game in the room's language (issue 16: domains ``page`` and ``game``).

- the page in the pseudo-language shows no word outside ``⟦…⟧`` but the scenario's own (names,
  ids, descriptions), numbers and the command line, in the real browser: HTML through Bokeh's
  shadow roots, and the texts Bokeh draws on its canvases (axes, legend, labels);
- in Arabic the page is ``<html dir="rtl">`` from the server, mirrored, with no text cut or
  overflowing its box and the sliders' handles on their tracks; screenshots are kept in
  ``test-output/i18n-page/`` (git-ignored) to look at;
- the language switch on the page rewrites the texts of that page only;
- ``tabletop play --lang fr|ar`` asks in the language through a pseudo-terminal, and still
  takes the typed keys; its play.json sentences are in the language, its decisions in English.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import pexpect
import yaml
from builders import ROOT, SCENARIOS
from i18n_helpers import ids_in, output_folder, scenario_content, untranslated

from sim.i18n import PSEUDO, use_language
from sim.spec.scenario import load_scenario

CHECKED = "Act or verify, checked (act-or-verify-checked.yaml)"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
LANGUAGE_NAMES = ("English", "Français", "العربية", PSEUDO)  # each named in itself, never translated

# Every text a participant sees: the text nodes of the page, through Bokeh's shadow roots (the
# command line in <code> left out: it is the command line), the chooser's options, and what Bokeh
# draws on its canvases (axis labels, legend entries, labels, the network's label columns).
VISIBLE_TEXTS_JS = """
() => {
  const texts = [];
  // <code>: the command line; .teach: the scenario's description, as the trainer wrote it.
  const skipped = (el) => ['STYLE', 'SCRIPT', 'CODE'].includes(el.tagName) || el.closest('code, .teach');
  // An element's whole text (a sentence with a number in a <span> is one text), <code> left out.
  const textOf = (el) => [...el.childNodes].map(n => n.nodeType === 3 ? n.textContent
    : n.nodeType === 1 && !skipped(n) ? textOf(n) : ' ').join('');
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (skipped(el)) continue;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      if ([...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) texts.push(textOf(el).trim());
      if (el.title) texts.push(el.title);
    }
  };
  walk(document);
  texts.push(document.title);
  for (const m of Bokeh.documents[0].all_models) {
    const name = m.type || m.constructor.name;
    if (name.endsWith('Axis') && m.axis_label) texts.push(m.axis_label);
    if (name === 'LegendItem' && m.visible && m.label && m.label.value) texts.push(m.label.value);
    if (name === 'Label' && m.visible && m.text) texts.push(m.text);
    if (name === 'ColumnDataSource') {
      for (const column of ['text', 'sub']) for (const t of (m.data[column] || [])) texts.push(String(t));
    }
  }
  return texts;
}
"""

# Elements with their own text, through the shadow roots: wider than their box, or cut by a panel
# that hides what overflows.
OVERFLOW_JS = """
() => {
  const out = [];
  const cut = (el) => {
    const r = el.getBoundingClientRect();
    for (let node = el.parentNode || el.host; node && node !== document; node = node.parentNode || node.host) {
      if (node.nodeType !== 1) continue;
      const s = getComputedStyle(node);
      if (s.overflowX === 'hidden' || s.overflowX === 'clip') {
        const p = node.getBoundingClientRect();
        if (r.right > p.right + 1 || r.left < p.left - 1) return true;
      }
    }
    return false;
  };
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      const s = getComputedStyle(el);
      if (s.display === 'none' || s.visibility === 'hidden' || ['CANVAS', 'STYLE', 'SCRIPT'].includes(el.tagName)) continue;
      if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) || el.clientWidth === 0) continue;
      const text = el.textContent.trim().slice(0, 60);
      if (el.scrollWidth > el.clientWidth + 1 && s.overflowX !== 'auto' && s.overflowX !== 'scroll') {
        out.push(`${text}: ${el.scrollWidth} px in ${el.clientWidth}`);
      } else if (cut(el)) {
        out.push(`${text}: cut by its panel`);
      }
    }
  };
  walk(document);
  return out;
}
"""

# Each slider's handle: its centre on its track (a mirrored slider drawn wrong puts it off the track).
HANDLES_JS = """
() => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (!el.classList || !el.classList.contains('noUi-target')) continue;
      const track = el.getBoundingClientRect(), handle = el.querySelector('.noUi-handle').getBoundingClientRect();
      out.push({track: [track.left, track.right], handle: (handle.left + handle.right) / 2});
    }
  };
  walk(document);
  return out;
}
"""


def _allowed() -> set[str]:
    """The scenario's own words (every shipped scenario: the chooser lists them), their files, the languages."""
    allowed = {"tabletop", *LANGUAGE_NAMES}
    for path in SHIPPED:
        allowed |= scenario_content(load_scenario(path))
        allowed.add(path.name)
    return allowed


def _open(browser, url: str, lang: str, width: int = 1600):  # -> (context, page)
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}?lang={lang}", timeout=30_000)
    page.get_by_test_id("detected").wait_for(timeout=30_000)
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def _everything_on(page) -> None:  # type: ignore[no-untyped-def]
    """The scenario with the most texts: wrongful stops, the comparison, adaptive trust, to the end."""
    from playwright.sync_api import expect

    page.locator(".tt-scenario select").select_option(label=CHECKED)
    expect(page.get_by_test_id("wrongful")).to_be_visible()
    page.locator(".tt-compare button").click()
    expect(page.get_by_test_id("delta")).to_be_visible()
    page.locator(".tt-adaptive button").click()
    expect(page.get_by_test_id("command")).to_contain_text("adaptive: true")
    page.locator(".tt-end button").click()
    expect(page.get_by_test_id("clock")).to_have_attribute("data-hours", "2400.0000")


def test_the_page_in_the_pseudo_language_shows_only_translated_words(shared_dashboard, chromium_browser):
    _, url, _ = shared_dashboard
    context, page = _open(chromium_browser, url, PSEUDO)
    _everything_on(page)
    page.locator(".tt-play button").click()  # the Pause label, the speed, the clock running
    page.wait_for_timeout(300)
    page.locator(".tt-play button").click()
    texts = page.evaluate(VISIBLE_TEXTS_JS)
    assert len(texts) > 60, texts
    bad = untranslated(texts, _allowed() | ids_in(texts))
    assert not bad, f"texts that bypassed the page's catalogue: {bad}"
    assert page.get_by_test_id("refused").count() == 0
    context.close()
    assert not page.errors, page.errors


def _handles_on_their_tracks(page) -> None:  # type: ignore[no-untyped-def]
    for slider in page.evaluate(HANDLES_JS):
        assert slider["track"][0] - 1 <= slider["handle"] <= slider["track"][1] + 1, slider


def test_the_arabic_page_is_right_to_left_and_the_switch_rewrites_that_page_only(shared_dashboard, chromium_browser):
    from playwright.sync_api import expect

    _, url, _ = shared_dashboard
    with urllib.request.urlopen(f"{url}?lang=ar", timeout=30) as response:  # the server writes <html lang dir>
        head = response.read(400).decode("utf-8")
    assert '<html lang="ar" dir="rtl">' in head, head
    folder = output_folder("i18n-page")
    context, page = _open(chromium_browser, url, "ar", width=1280)
    assert page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    other = context.new_page()  # a second tab of the same room: its own session, its own language
    other.goto(url, timeout=30_000)
    label = page.locator(".tt-cards .hero .label")
    expect(label).to_have_text("أُوقفوا على الحدود")
    _everything_on(page)
    detected = page.get_by_test_id("detected").inner_text()
    found = {}
    for width in (1280, 1600):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(500)  # Bokeh lays the page out again
        page.screenshot(path=folder / f"dashboard-ar-{width}.png", full_page=True)
        found[width] = page.evaluate(OVERFLOW_JS)
    assert not any(found.values()), found
    # Mirrored: the controls right of the views, the chain's stages right of its bars, the sliders too.
    controls = page.locator(".tt-controls").first.bounding_box()
    cards = page.locator(".tt-cards").first.bounding_box()
    assert controls["x"] > cards["x"], (controls, cards)
    stage = page.locator(".tt-chain .stage").first.bounding_box()
    track = page.locator(".tt-chain .track").first.bounding_box()
    assert stage["x"] > track["x"], (stage, track)
    _handles_on_their_tracks(page)

    language = page.locator(".tt-language select")
    language.select_option(label="Français")
    expect(label).to_have_text("Interceptés à une frontière")
    expect(page.locator(".tt-end button")).to_have_text("▶▶ Aller jusqu'à la fin")
    expect(page.get_by_test_id("clock")).to_have_text("Jour 100 · 00:00")
    expect(page.locator(".tt-chain .stage").first).to_have_text("A franchi une frontière")
    assert page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["fr", "ltr"]
    assert page.get_by_test_id("detected").inner_text() == detected, "the same run, in other words"
    page.wait_for_timeout(300)  # the sliders, made again left to right
    _handles_on_their_tracks(page)
    assert page.evaluate(OVERFLOW_JS) == []
    page.screenshot(path=folder / "dashboard-fr.png", full_page=True)

    language.select_option(label="English")
    expect(label).to_have_text("Stopped at a border")
    expect(page.get_by_test_id("command")).to_contain_text("adaptive: true"), "the settings stay"
    expect(other.locator(".tt-cards .hero .label")).to_have_text("Stopped at a border")
    context.close()
    assert not page.errors, page.errors


# ---------------------------------------------------------------- the game

CORRIDOR = SCENARIOS / "northern-corridor.yaml"

GAME = {
    "fr": {
        "situation": ["ALERTE n° 1 (A-000038) de NOR-INT (confiance 0,8)", "vous lui feriez confiance",
                      "[Entrée] politique   a agir   v vérifier   d écarter"],
        "help": ["Vous jouez le service HUB", "d  D   écarter", "Les touches restent les mêmes"],
        "discard": "→ écarté A-000038 (alerte n° 1 sur R-0219)",
        "wrong": "Ce n'est pas un choix possible ici",
        "order": "→ ordre 1 : vérifier toute alerte de NOR-INT jusqu'au jour 5, 00:00 (le prochain inject).",
        "quit": "Vous quittez la table",
        "sentence": "écarts par rapport à la politique",
    },
    "ar": {
        "situation": ["التنبيه رقم 1 (A-000038) من NOR-INT (الثقة 0.8)", "ستمنحه الثقة",
                      "[Enter] السياسة   a تصرّف   v تحقّق   d استبعاد"],
        "help": ["أنت تؤدي دور الجهاز HUB", "d  D   الاستبعاد", "تبقى المفاتيح نفسها"],
        "discard": "→ استُبعد A-000038 (التنبيه رقم 1 بشأن R-0219)",
        "wrong": "هذا ليس خيارًا متاحًا هنا",
        "order": "→ الأمر 1: التحقق من كل تنبيه من NOR-INT حتى اليوم 5، 00:00 (الحدث المدرج التالي).",
        "quit": "تغادر الطاولة",
        "sentence": "على السياسة",
    },
}


def test_the_game_asks_in_arabic_in_a_terminal_and_takes_the_same_keys(tmp_path: Path) -> None:
    lang = "ar"
    said = GAME[lang]
    game = tmp_path / "game"
    child = pexpect.spawn(sys.executable, ["-m", "sim", "play", str(CORRIDOR), "--as", "HUB", "--out", str(game),
                                           "--no-plots", "--lang", lang], cwd=str(ROOT), encoding="utf-8",
                          timeout=120)  # fmt: skip
    child.expect("> ")
    for text in said["situation"]:
        assert text in child.before, (text, child.before)
    assert "ALERT #" not in child.before and "you would" not in child.before
    child.sendline("?")
    child.expect("> ")
    for text in said["help"]:
        assert text in child.before, (text, child.before)
    child.sendline("d")  # the typed keys are the same in every language
    child.expect("> ")
    assert said["discard"] in child.before, child.before
    child.sendline("x")
    child.expect("> ")
    assert said["wrong"] in child.before, child.before
    child.sendline("V")  # a standing order: verify every alert from NOR-INT until the next inject
    child.expect("> ")
    assert said["order"] in child.before, child.before
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert said["quit"] in child.before
    recorded = yaml.safe_load((game / "decisions.yaml").read_text(encoding="utf-8"))
    assert [d["choice"] for d in recorded["decisions"][:2]] == ["discard", "verify"], "the file stays in English"
    assert recorded["orders"][0]["choice"] == "verify" and recorded["orders"][0]["from"] == "NOR-INT"
    change = json.loads((game / "play.json").read_text(encoding="utf-8"))
    assert change["sentences"] and all(said["sentence"] in s for s in change["sentences"]), change["sentences"]


def test_the_game_in_french_asks_and_echoes_in_french() -> None:
    from sim.exercise.play import InteractivePlayer, play_game

    said_fr = GAME["fr"]
    answers = iter(["?", "d", "x", "V", "q"])
    said: list[str] = []
    with use_language("fr"):
        player = InteractivePlayer("HUB", ask=lambda prompt: next(answers, "q"), say=said.append)
        play_game(load_scenario(CORRIDOR), player, 2018)
    text = "\n".join(said)
    for expected in [*said_fr["situation"], *said_fr["help"], said_fr["discard"], said_fr["wrong"], said_fr["order"],
                     said_fr["quit"]]:  # fmt: skip
        assert expected in text, (expected, text[:3000])
    assert player.orders[0].action == "verify" and player.orders[0].sender == "NOR-INT"


def test_the_game_in_the_pseudo_language_writes_every_word_through_the_catalogue() -> None:
    from sim.engine.decisions import Choice, ReplayPlayer
    from sim.exercise.play import InteractivePlayer, game_intro, game_summary, play_game, what_changed

    scenario = load_scenario(CORRIDOR)
    answers = iter(["?", "x", "d", "A", "f", "", "V", "q"])
    said: list[str] = []
    with use_language(PSEUDO):
        player = InteractivePlayer("HUB", ask=lambda prompt: next(answers, "q"), say=said.append)
        game = play_game(scenario, player, 2018)
        change = what_changed(game)
        lines = [game_intro(scenario.name, "HUB"), *game_summary(change, Path("out"), player, unused=2)]
        # A game whose changes stop and let through travellers: the debrief's other sentences.
        plain = play_game(scenario, ReplayPlayer("HUB", {}), 2018)
        picked = {r.point.key: Choice("discard") for r in plain.model.decisions if r.point.kind == "alert"}
        other = what_changed(play_game(scenario, ReplayPlayer("HUB", dict(list(picked.items())[:40])), 2018))
    texts = [*said, *lines, *change["sentences"], *other["sentences"]]
    assert len(other["sentences"]) > 1 and any("⟦" in t for t in texts)
    allowed = scenario_content(scenario) | ids_in(texts) | {"out", "decisions.yaml", "report.html"}
    # The typed keys are shown as they are typed, in every language.
    keys = {"Enter", "S L V H", "A V D", "s", "l", "v", "h", "a", "d", "f", "q", "S", "L", "V", "H", "A", "D"}
    bad = untranslated(texts, allowed | keys)
    assert not bad, bad


def test_the_games_own_lines_in_english_are_the_commands_lines_as_before() -> None:
    """`game_intro` and `game_summary` say in English what ``tabletop play`` has always printed (the command can use them)."""
    from sim.exercise.play import InteractivePlayer, game_intro, game_summary, play_game, plural, what_changed

    scenario = load_scenario(CORRIDOR)
    answers = iter(["d", "V", "q"])
    player = InteractivePlayer("HUB", ask=lambda prompt: next(answers, "q"), say=lambda text: None)
    with use_language("en"):
        change = what_changed(play_game(scenario, player, 2018))
        lines = game_summary(change, Path("out"), player)
        assert game_intro(scenario.name, "HUB") == (
            f"{scenario.name}: you play HUB. Enter takes the scenario's policy; ? explains; q quits.")
    total, ordered, stopped = change["decisions"], len(player.by_order), change["detected_played"]
    assert lines[0] == (f"\nOf the {plural(total, 'decision point')}, you answered {player.answers}, your "
                        f"{plural(len(player.orders), 'standing order')} decided {ordered} and the policy the other "
                        f"{total - player.answers - ordered}.")  # fmt: skip
    assert lines[1] == (f"\nWith your choices {plural(stopped, 'traveller')} {'was' if stopped == 1 else 'were'} "
                        f"stopped; with the scenario's policy, on the same seed, {change['detected_default']}.")
    assert lines[2:] == [*(f"  - {s}" for s in change["sentences"][:12]), "  run folder: out",
                         "  decisions: out/decisions.yaml", "  report: out/report.html"]  # fmt: skip
