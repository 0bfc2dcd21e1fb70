"""Every validation message of a sweep file: its text, its order and its FILE:LINE (golden).

Each case is a sweep file over the small scenario (or, marked RAW, a whole file);
`golden/sweep_messages.json` holds the problems each gives (``{folder}`` for the
folder), or ``OK`` and the sweep as run. Written from the hand-made checker
before the sweep file moved onto pydantic models, so the move kept every message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import ROOT
from sweep_helpers import small_scenario

from sim.errors import ScenarioError
from sim.spec.sweep_file import load_sweep

GOLDEN = ROOT / "tests" / "golden" / "sweep_messages.json"

P = "parameters:\n  sharing.delay_scale: [0.5, 1]\n"
R = "parameters:\n  sharing.delay_scale: {low: 0, high: 2}\n"
CASES = {
    "not-mapping": ("RAW", "- a\n- b\n"),
    "scalar": ("RAW", "5\n"),
    "unknown-top": "colour: blue\ndesing: grid\n" + P,
    "name-desc": "name: 5\ndescription: [1]\n" + P,
    "name-null": "name: null\ndescription: null\n" + P,
    "design-typo": "design: grdi\n" + P,
    "design-int": "design: 5\n" + P,
    "design-null": "design: null\n" + P,
    "design-typo-steps": "design: lhss\nsamples: 4\nsecond_order: true\n" + R,
    "grid-samples": "samples: 4\n" + P,
    "grid-samples-null": "samples: null\n" + P,
    "lhs-nosamples": "design: lhs\n" + R,
    "sobol-nosamples": "design: sobol\n" + R,
    "lhs-samples-1": "design: lhs\nsamples: 1\n" + R,
    "lhs-samples-float": "design: lhs\nsamples: 2.5\n" + R,
    "lhs-samples-bool": "design: lhs\nsamples: true\n" + R,
    "lhs-samples-str": "design: lhs\nsamples: '8'\n" + R,
    "sobol-samples-12": "design: sobol\nsamples: 12\n" + R,
    "sobol-samples-1": "design: sobol\nsamples: 1\n" + R,
    "repl": "replications: 0\n" + P,
    "repl-str": "replications: x\n" + P,
    "repl-bool": "replications: true\n" + P,
    "repl-null": "replications: null\n" + P,
    "repl-float": "replications: 2.0\n" + P,
    "so-int": "second_order: 1\n" + P,
    "so-null": "second_order: null\n" + P,
    "so-grid": "second_order: true\n" + P,
    "so-lhs": "design: lhs\nsamples: 4\nsecond_order: false\n" + R,
    "scenario-missing": ("RAW", P),
    "scenario-empty": ("RAW", "scenario: ''\n" + P),
    "scenario-int": ("RAW", "scenario: 5\n" + P),
    "scenario-nofile": ("RAW", "scenario: nowhere.yaml\n" + P),
    "scenario-bad": ("RAW", "scenario: broken.yaml\n" + P),
    "seed-neg": "seed: -1\n" + P,
    "seed-big": "seed: 9223372036854775808\n" + P,
    "seed-float": "seed: 1.5\n" + P,
    "seed-str": "seed: a\n" + P,
    "params-missing": "replications: 2\n",
    "params-list": "parameters: [1]\n",
    "params-empty": "parameters: {}\n",
    "params-str": "parameters: x\n",
    "param-intkey": "parameters:\n  5: [1]\n",
    "param-badpath": "parameters:\n  'sharing..x': [1]\n  'a b': [1]\n  '': [1]\n",
    "param-emptylist": "parameters:\n  sharing.delay_scale: []\n",
    "param-text": "parameters:\n  sharing.delay_scale: text\n",
    "param-num": "parameters:\n  sharing.delay_scale: 5\n",
    "param-null": "parameters:\n  sharing.delay_scale: null\n",
    "param-steps-only": "parameters:\n  sharing.delay_scale: {steps: 3}\n",
    "param-text-lhs": "design: lhs\nsamples: 4\nparameters:\n  sharing.delay_scale: text\n",
    "range-unknown": "parameters:\n  sharing.delay_scale: {low: 0, high: 1, stepz: 3}\n",
    "range-nohigh": "parameters:\n  sharing.delay_scale: {low: 0, steps: 3}\n",
    "range-nolow-lhs": "design: lhs\nsamples: 4\nparameters:\n  sharing.delay_scale: {high: 1}\n",
    "range-lowstr": "parameters:\n  sharing.delay_scale: {low: a, high: 1, steps: 2}\n",
    "range-lowbool": "parameters:\n  sharing.delay_scale: {low: true, high: 1, steps: 2}\n",
    "range-lownan": "parameters:\n  sharing.delay_scale: {low: .nan, high: 1, steps: 2}\n",
    "range-highinf": "parameters:\n  sharing.delay_scale: {low: 0, high: .inf, steps: 2}\n",
    "range-highnull": "parameters:\n  sharing.delay_scale: {low: 0, high: null, steps: 2}\n",
    "range-steps0": "parameters:\n  sharing.delay_scale: {low: 0, high: 1, steps: 0}\n",
    "range-stepsbool": "parameters:\n  sharing.delay_scale: {low: 0, high: 1, steps: true}\n",
    "range-stepsfloat": "parameters:\n  sharing.delay_scale: {low: 0, high: 1, steps: 2.0}\n",
    "range-stepsnull": "parameters:\n  sharing.delay_scale: {low: 0, high: 1, steps: null}\n",
    "range-integer-str": "parameters:\n  travellers.count: {low: 10, high: 20, steps: 3, integer: 'yes'}\n",
    "range-integer-null": "parameters:\n  travellers.count: {low: 10, high: 20, steps: 3, integer: null}\n",
    "range-low-above": "parameters:\n  sharing.delay_scale: {low: 2, high: 1, steps: 2}\n",
    "range-equal-grid": "parameters:\n  sharing.delay_scale: {low: 1, high: 1, steps: 3}\n",
    "range-equal-grid1": "parameters:\n  sharing.delay_scale: {low: 1, high: 1, steps: 1}\n",
    "range-equal-lhs": "design: lhs\nsamples: 4\nparameters:\n  sharing.delay_scale: {low: 1, high: 1}\n",
    "range-steps-lhs": "design: lhs\nsamples: 4\nparameters:\n  sharing.delay_scale: {low: 0, high: 1, steps: 3}\n",
    "range-steps-sobol-null": "design: sobol\nsamples: 4\nparameters:\n  sharing.delay_scale: {low: 0, high: 1, steps: null}\n",
    "range-int-frac": "parameters:\n  travellers.count: {low: 10.5, high: 20, steps: 3, integer: true}\n",
    "range-int-frac-above": "parameters:\n  travellers.count: {low: 30.5, high: 20, steps: 3, integer: true}\n",
    "range-int-ok": "parameters:\n  travellers.count: {low: 10.0, high: 20, steps: 3, integer: true}\n",
    "range-many": "parameters:\n  sharing.delay_scale: {low: a, stepz: 1, integer: 3}\n",
    "outputs-str": P + "outputs: x\n",
    "outputs-empty": P + "outputs: []\n",
    "outputs-null": P + "outputs: null\n",
    "outputs-items": P
    + "outputs: [5, detection_rate, detection_rate, misses, scenario, detected_rate, version, misses.late, detections_by_country.HAL]\n",
    "outputs-clash": P + "outputs: [seed, detection_rate]\n",
    "outputs-clash2": "parameters:\n  sharing.delay_scale: [1]\noutputs: [detection_rate, seed, travellers]\n",
    "outputs-noscenario": ("RAW", "scenario: nowhere.yaml\n" + P + "outputs: [detected_rate, seed, seed]\n"),
    "thr-str": P + "threshold: x\n",
    "thr-list": P + "threshold: [1]\n",
    "thr-output": P + "outputs: [detection_rate]\nthreshold: {output: late_share, above: 0.3}\n",
    "thr-above-str": P + "threshold: {above: a}\n",
    "thr-above-missing": P + "threshold: {output: detection_rate}\n",
    "thr-above-bool": P + "threshold: {above: true}\n",
    "thr-unknown": P + "threshold: {colour: 1, abvoe: 0.3, above: 0.3}\n",
    "thr-param": P + "threshold: {above: 0.3, parameter: nope}\n",
    "thr-param-int": P + "threshold: {above: 0.3, parameter: 5}\n",
    "thr-null": P + "threshold: null\n",
    "frontier-str": P + "frontier: x\n",
    "frontier-list": P + "frontier: [detection_rate]\n",
    "frontier-typo": P + "frontier: {maximise: detection_rat, minimise: late_share, colour: 1}\n",
    "frontier-int": P + "frontier: {maximise: 5, minimise: late_share}\n",
    "frontier-null": P + "frontier: null\n",
    "frontier-ok": P + "frontier: {maximise: detection_rate, minimise: late_share}\n",
    "constraint-int": P + "constraint: 5\n",
    "constraint-op": P + "constraint: late_share < 0.5\n",
    "constraint-typo": P + "constraint: late_shar<=0.5\n",
    "constraint-ok": P + "constraint: late_share<=0.5\n",
    "thr-empty": P + "threshold: {}\n",
    "thr-default-out": P + "outputs: [late_share, misses.late]\nthreshold: {above: 0.3, output: detection_rate}\n",
    "thr-nooutputs": P + "outputs: [5]\nthreshold: {above: 0.3}\n",
    "values": "parameters:\n  sharing.delay_scale: [0, 1, -2]\n  sharing.defaults.trust: {low: 0.2, high: 1.5, steps: 5}\n  sharing.links[NOPE->HUB].trust: [0.5]\n",
    "values-int": "design: lhs\nsamples: 8\nparameters:\n  travellers.count: {low: 10, high: 20}\n",
    "values-int-list": "parameters:\n  travellers.count: [10, 10.5]\n",
    "values-combo": "parameters:\n  sharing.delay_scale: [0, 1]\n  sharing.defaults.trust: [0.2, 1]\n  documents.fraudulent: [0.1, 0.9]\n",
    "values-sampled": "design: lhs\nsamples: 8\nparameters:\n  travellers.count: {low: 10, high: 21, integer: true}\n  sharing.defaults.trust: {low: 0.2, high: 1.0}\n",
    "lhs-samples-null": "design: lhs\nsamples: null\n" + R,
    "thr-two-bad": P + "threshold: {output: 5, above: a, parameter: 6}\n",
    "thr-above-null": P + "threshold: {above: null}\n",
    "design-list": "design: [1]\n" + P,
    "param-intkey-bad": "parameters:\n  5: {low: a}\n  sharing.delay_scale: [1]\n",
    "param-badpath-bad": "parameters:\n  'a..b': {low: a}\n",
    "so-unknown-design": "design: x\nsecond_order: true\n" + P,
    "so-sobol": "design: sobol\nsamples: 4\nsecond_order: true\n" + R,
    "range-above-nosteps": "parameters:\n  sharing.delay_scale: {low: 2, high: 1}\n",
    "range-unknown-lhs": "design: lhs\nsamples: 4\nparameters:\n  sharing.delay_scale: {low: 0, high: 1, stepz: 3, steps: 2}\n",
    "range-int-3": "parameters:\n  travellers.count: {low: 10.5, high: 20, steps: 3, integer: 3}\n",
    "grid-samples-str": "samples: x\n" + P,
    "outputs-dup-bad": P + "outputs: [detected_rate, detected_rate, 5, 5]\n",
    "name-empty": "name: ''\n" + P,
    "values-combined": "parameters:\n  travellers.count: [0, 10]\n  travellers.groups[*].share: [1]\n",
    "yaml-dup": "replications: 2\nreplications: 3\n" + P,
    "everything": "design: grdi\nreplications: 0\nseed: 7\nparameters:\n  sharing.delay_scale: [0, 1, -2]\n  sharing.defaults.trust: {low: 0.2, high: 1.5, steps: 5}\n  sharing.links[NOPE->HUB].trust: [0.5]\n  travellers.count: {low: 10, high: 20}\noutputs: [detection_rate, detected_rate, misses]\ncolour: blue\n",
}


def outcome(folder: Path, name: str) -> list[str]:
    """What loading the case's file gives: its problems, or OK with the sweep as run."""
    body = CASES[name]
    path = folder / f"{name}.yaml"
    if isinstance(body, tuple):
        path.write_text(body[1], encoding="utf-8")
    else:
        path.write_text("scenario: small.yaml\n" + body, encoding="utf-8")
    try:
        sweep = load_sweep(path)
    except ScenarioError as exc:
        return [str(p).replace(str(folder), "{folder}") for p in exc.problems]
    return ["OK " + sweep.describe(), sweep.to_yaml().replace(str(folder), "{folder}")]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("messages")
    small_scenario(path)
    (path / "broken.yaml").write_text("name: x\ncountries: 5\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(set(CASES) - {"lhs-samples-null"}))
def test_the_message_of_every_problem_is_kept(folder: Path, name: str) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert outcome(folder, name) == expected[name]


def test_a_sampled_design_with_samples_null_is_told_to_give_them(folder: Path) -> None:
    # The hand-made checker took `samples: null` for a given value and failed on an assertion later.
    expected = "{folder}/lhs-samples-null.yaml:1: a lhs design needs samples: (how many points)"
    assert outcome(folder, "lhs-samples-null") == [expected]
