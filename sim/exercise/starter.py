"""`tabletop new`: a commented, valid starter scenario with generated fictional names."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from sim.errors import Problem, ScenarioError
from sim.spec.real_countries import real_country
from sim.spec.scenario import scenario_from_dict
from sim.spec.yaml_files import parse_yaml
from sim.vocabulary import BASE_CAUSES, CAUSE_LABELS

DEFAULTS: dict[str, Any] = {
    "countries": 5,  # a conflict zone, transit states and home countries
    "agencies_per_country": 2,  # intelligence and border; 3 adds police
    "sharing": "hub",
    "travellers": 300,
    "days": 90,
    "seed": 1,
}
LIMITS = {"countries": (3, 8), "agencies_per_country": (1, 3), "travellers": (1, 100_000), "days": (7, 720)}
QUESTIONS = {
    "countries": "How many countries (one conflict zone, transit states, home countries)?",
    "agencies_per_country": "Agencies per transit/home country (1: border only; 2: + intelligence; 3: + police)?",
    "sharing": "Share through a regional hub, or bilateral links (hub/bilateral)?",
    "travellers": "How many travellers?",
    "days": "How long is the exercise, in days?",
    "seed": "Seed (also picks the names)?",
}
LEVERS = {
    "no_intel": "intelligence: covers (whom it learns about) and learn_hours (when)",
    "not_shared": "sharing.links (who tells whom) and reliability; a link_down inject",
    "late": "delay_hours and sharing.delay_scale (try tabletop run FILE --set sharing.delay_scale=0)",
    "not_trusted": "trust (and verify_hours: check an alert instead of discarding it)",
    "screening_miss": "agencies' screening (per identifier) and travellers' documents (fraudulent ones)",
}
"""The fields that move each row of the cause table, as the starter's comments say."""
ONSETS = ["b", "d", "k", "l", "m", "n", "r", "s", "t", "v", "z", "br", "dr", "gr", "kr", "st", "tr", "vr", "th", "sk"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ei", "ou"]
ENDINGS = ["ria", "nia", "land", "mark", "stan", "via", "ora", "essa", "avia", "ent", "heim", "mere", "dor"]


def fictional_names(count: int, seed: int) -> list[str]:
    """`count` distinct invented country names, none of them a real country (seeded, repeatable)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    names: list[str] = []
    while len(names) < count:
        parts = [rng.choice(ONSETS), rng.choice(VOWELS)]
        if rng.random() < 0.5:
            parts += [rng.choice(ONSETS[:10]), rng.choice(VOWELS[:5])]
        name = ("".join(parts) + str(rng.choice(ENDINGS))).capitalize()
        if 5 <= len(name) <= 11 and name not in names and real_country(name) is None:
            names.append(name)
    return names


def parse_answer(key: str, text: str) -> tuple[Any, str]:
    """A typed answer to the question of `key`: its value, or None and what to answer instead.

    The answer is checked as it is given (a whole number within `LIMITS`, ``hub`` or
    ``bilateral`` in any case), so a wrong one can be asked again at once.
    """
    text = text.strip()
    if key == "sharing":
        word = text.lower()
        if word in ("hub", "bilateral"):
            return word, ""
        return None, "Please answer hub or bilateral."
    low, high = LIMITS.get(key, (0, 2**63 - 1))
    if not text.isdigit() or not low <= int(text) <= high:
        return None, f"Please answer with a whole number from {low:,} to {high:,}."
    return int(text), ""


def option_problems(options: dict[str, Any]) -> list[Problem]:
    """The options given on the command line that are out of range, each naming its flag."""
    problems = []
    for key, (low, high) in LIMITS.items():
        value = options.get(key)
        if value is not None and not low <= value <= high:
            problems.append(Problem(f"--{key.replace('_', '-')}", None, "", f"must be from {low} to {high}", value))
    return problems


def ask_missing(options: dict[str, Any], interactive: bool, ask: Callable[[str], str] = input) -> dict[str, Any]:
    """The starter's settings: options given, else asked (in a terminal), else the defaults.

    The options are checked before anything is asked; each answer is checked as it is
    given and asked again until it is right, so no answer is ever lost.

    Raises:
        ScenarioError: an option given on the command line is out of range.
    """
    problems = option_problems(options)
    if problems:
        raise ScenarioError(problems)
    answers = {}
    for key, default in DEFAULTS.items():
        value = options.get(key)
        while value is None and interactive:
            text = ask(f"{QUESTIONS[key]} [{default}] ")
            if not text.strip():
                value = default
                break
            value, hint = parse_answer(key, text)
            if value is None:
                print(f"  {hint}")
        answers[key] = default if value is None else value
    return answers


def command_line(file: str, answers: dict[str, Any]) -> str:
    """The `tabletop new` command that writes the same file without asking."""
    flags = " ".join(f"--{key.replace('_', '-')} {answers[key]}" for key in DEFAULTS)
    return f"tabletop new {file} {flags}"


def starter_scenario(countries: int, agencies_per_country: int, sharing: str, travellers: int, days: int,
                     seed: int, file: str = "scenario.yaml") -> str:  # fmt: skip
    """The starter scenario's YAML text (validated before it is returned); its comments name `file`."""
    names = fictional_names(countries, seed)
    codes = _codes(names)
    transit_count = 1 if countries <= 4 else 2
    conflict = (codes[0], names[0])
    transits = list(zip(codes[1 : 1 + transit_count], names[1 : 1 + transit_count], strict=True))
    homes = list(zip(codes[1 + transit_count :], names[1 + transit_count :], strict=True))
    lines = [
        f"# A starter scenario written by `tabletop new` (seed {seed}). Every name is invented.",
        f"# Run it:      tabletop run {file}",
        f"# Check edits: tabletop validate {file}   (field reference: docs/scenario-format.md)",
        "#",
        "# `tabletop run` prints why each traveller who crossed was missed. The lever that moves each row:",
        *[f"#   {CAUSE_LABELS[cause] + ':':29}{LEVERS[cause]}" for cause in BASE_CAUSES],
        f"name: Starter exercise {seed}",
        "description: >",
        f"  Returnees leave {conflict[1]} through {', '.join(n for _, n in transits)} towards "
        f"{', '.join(n for _, n in homes)}. Edit the links, trust and injects to make your teaching point.",
        f"seed: {seed}",
        f"horizon_days: {days}",
        "",
        "countries:                 # id: short code used below; name: fictional; role: descriptive only",
        f"  - {{id: {conflict[0]}, name: {conflict[1]}, role: conflict}}",
        *[f"  - {{id: {c}, name: {n}, role: transit}}" for c, n in transits],
        *[f"  - {{id: {c}, name: {n}, role: home}}" for c, n in homes],
        "",
        "agencies:                  # kind: intelligence | police | border | hub",
    ]
    intelligence, borders, police = [], [], []
    for code, _ in transits + homes:
        borders.append(f"{code}-BRD")
        lines.append(f"  - {{id: {code}-BRD, country: {code}, kind: border,"
                     f" screening: {{biometric: 0.95, document: 0.85, name: 0.5}}}}")  # fmt: skip
        home = (code, _) in homes
        if agencies_per_country >= 2 and home:
            intelligence.append(f"{code}-INT")
            lines.append(f"  - {{id: {code}-INT, country: {code}, kind: intelligence}}")
        if agencies_per_country >= 3:
            police.append(f"{code}-POL")
            lines.append(f"  - {{id: {code}-POL, country: {code}, kind: police}}")
    if not intelligence:  # one service at least, or nobody ever knows anything
        code = homes[0][0]
        intelligence.append(f"{code}-INT")
        lines.append(f"  - {{id: {code}-INT, country: {code}, kind: intelligence}}")
    hub_country = transits[0][0]
    if sharing == "hub":
        lines.append(f"  - {{id: HUB, country: {hub_country}, kind: hub}}   # relays every alert it accepts")
    lines += [
        "",
        "sharing:",
        "  delay_scale: 1.0          # multiplies every delay: 0.5 halves them, 0 makes sharing instant",
        "  defaults:                 # for every link that does not say otherwise",
        "    # Delays are skewed, as real ones are: most alerts take about the median, some take days.",
        "    # The slow ones reach the border after the traveller: the row 'alert came too late'.",
        "    delay_hours: {dist: lognormal, median: 48, sigma: 1.0}",
        "    trust: 0.7              # chance the receiver acts on an alert: 'alert not trusted'",
        "    reliability: 0.9        # chance an alert is not lost on the way: 'known, but not shared'",
        "    verify_hours: null      # null: an alert that is not trusted is discarded",
        "  links:                    # who tells whom: an agency with no link to a border keeps what it knows",
    ]
    transit_borders = [f"{code}-BRD" for code, _ in transits]
    for agency in intelligence:
        own = agency.replace("-INT", "-BRD")
        lines.append(f"    - {{from: {agency}, to: {own}, delay_hours: {{dist: lognormal, median: 24, sigma: 1.0}},"
                     " trust: 0.9}   # at home: faster, more trusted")  # fmt: skip
        if sharing == "hub":
            lines.append(f"    - {{from: {agency}, to: HUB, delay_hours: {{dist: lognormal, median: 24, sigma: 1.0}}}}")
        else:  # bilateral channels to the transit states only: no link to the other home countries
            for border in transit_borders:
                lines.append(f"    - {{from: {agency}, to: {border}, delay_hours: {{dist: lognormal, median: 72,"
                             " sigma: 0.8}, trust: 0.6}")  # fmt: skip
    if police:
        lines.append("    # The police services (kind: police) have no link: what they know stays with them.")
    if sharing == "hub":
        for border in borders:
            lines.append(f"    - {{from: HUB, to: {border}}}")
    share = round(1 / len(homes), 6)
    shares = [share] * len(homes)
    shares[-1] = round(1 - sum(shares[:-1]), 6)
    lines += ["", "travellers:", f"  count: {travellers}", "  groups:"]
    for (code, name), group_share in zip(homes, shares, strict=True):
        lines += [
            f"    - name: to-{name.lower()}",
            f"      share: {group_share}",
            "      intent: return",
            f"      route: [{conflict[0]}, {', '.join(c for c, _ in transits)}, {code}]",
            f"      depart_day: {{dist: uniform, low: 0, high: {max(1, days // 3)}}}",
            "      leg_hours: {dist: uniform, low: 24, high: 96}",
            "      documents: {genuine: 0.7, fraudulent: 0.3}",
            "      party_size: {dist: choice, values: [1, 2, 4], weights: [0.6, 0.3, 0.1]}",
        ]
    lines += ["", "intelligence:                # who learns about whom, when, with which identifier"]
    for agency in intelligence:
        country = agency.removesuffix("-INT")
        nationals = [f"to-{name.lower()}" for code, name in homes if code == country]
        whom = f"    groups: [{nationals[0]}]        # its own returnees" if len(intelligence) > 1 else None
        lines += [
            f"  - agency: {agency}",
            *([whom] if whom else []),
            "    covers: 0.7",
            "    learn_hours: {dist: uniform, low: -24, high: 120}   # hours after departure; negative: known before",
            "    identifier: {biometric: 0.3, document: 0.3, name: 0.4}",
        ]
    for agency in police[-1:]:
        lines += [
            f"  - agency: {agency}",
            "    covers: 0.3",
            "    learn_hours: {dist: uniform, low: -72, high: 24}",
            "    identifier: {document: 0.5, name: 0.5}",
        ]
    link = f"{intelligence[0]} -> HUB" if sharing == "hub" else f"{intelligence[0]} -> {borders[0]}"
    lines += [
        "",
        "injects:                    # timed events, as in a Master Scenario Events List",
        f"  - day: {max(1, days // 6)}",
        "    kind: link_down",
        f"    link: {link}",
        "    hours: 48",
        "    note: Secure line outage",
        "    expected_action: The sender warns its partners by another channel.",
        "    objective: Test the fallback communications plan.",
        f"  - day: {max(2, days // 4)}",
        "    kind: intel",
        f"    agency: {intelligence[-1]}",
        "    travellers: 5",
        "    identifier: biometric",
        "    note: Battlefield evidence",
        "    expected_action: Share the biometrics with every border at once.",
        "    objective: Test how fast new identifiers reach the borders.",
    ]
    text = "\n".join(lines) + "\n"
    data, line_map = parse_yaml(text, "<starter>")
    scenario_from_dict(data, source="<starter>", lines=line_map)  # a bug here, not the user's input
    return text


def _codes(names: list[str]) -> list[str]:
    codes: list[str] = []
    for name in names:
        letters = [c for c in name.upper() if c.isalpha()]
        code = "".join(letters[:3])
        k = 3
        while code in codes and k < len(letters):
            code = letters[0] + letters[1] + letters[k]
            k += 1
        codes.append(code)
    return codes


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(starter_scenario(**DEFAULTS))
