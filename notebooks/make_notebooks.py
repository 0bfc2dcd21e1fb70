"""Write the notebooks of this folder from the cells below (no outputs, no execution counts).

The notebooks are generated, so that they are stored clean and reviewed as text:
edit the cells here, then run ``.venv/bin/python notebooks/make_notebooks.py``.
``tests/test_notebooks.py`` checks that the stored notebooks are what this script
writes, and executes each of them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
%matplotlib inline
{stdlib}from pathlib import Path

import pandas as pd

import sim

# This notebook sits in notebooks/; the scenarios and results/ are in the project's folder.
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
OUT = ROOT / "results" / "notebooks" / "{name}"  # results/ is not committed
OUT.mkdir(parents=True, exist_ok=True)"""

SETUP_NOTE = """\
`%matplotlib inline` lets Jupyter draw the figures that the functions below return.
Everything this notebook writes goes to `results/notebooks/{name}/`."""


def md(text: str) -> tuple[str, str]:
    """A markdown cell."""
    return ("markdown", dedent(text).strip("\n"))


def code(text: str) -> tuple[str, str]:
    """A code cell."""
    return ("code", dedent(text).strip("\n"))


# ---------------------------------------------------------------- 01: a first run

FIRST_RUN = [
    md("""
        # 1. A first run: who got through, and why

        This notebook runs one tabletop exercise from Python, reads what happened with
        pandas, draws the debrief, and asks a first "what if": *what if one channel
        were faster?* It runs in well under a minute.

        The model: national agencies of **fictional** countries share alerts about
        **synthetic** travellers over links that have a delay and a trust level; border
        agencies screen the travellers who return from a conflict zone. For everyone who
        got through, the model says why: nobody knew, known but not shared, the alert
        came too late, it was not trusted, or the check at the border failed.

        The Python API used here: `sim.load_scenario`, `sim.run`, `sim.tables`, `sim.vary`.
        The `tabletop` command line runs the same engine."""),
    code(SETUP.format(name="01-first-run", stdlib="")),
    md(SETUP_NOTE.format(name="01-first-run")),
    md("""
        ## Load a shipped scenario

        A scenario is one YAML file: the countries, their agencies, the links between
        agencies, the travellers and their routes, and who learns what and when
        (`docs/scenario-format.md` lists every field). `sim.load_scenario` reads and
        validates it; a mistake would be reported here, with its line."""),
    code("""
        scenario = sim.load_scenario(ROOT / "scenarios" / "baseline-corridor.yaml")
        print(scenario.name)
        print(scenario.description)"""),
    md("""
        Who is who, and who shares with whom. `scenario.raw` is the scenario as plain
        data, the way the YAML file has it. A link that gives no delay or trust takes
        the defaults of `sharing.defaults`."""),
    code("""
        pd.DataFrame(scenario.raw["agencies"])[["id", "country", "kind", "name"]]"""),
    code("""
        print("defaults:", scenario.raw["sharing"]["defaults"])
        pd.DataFrame(scenario.raw["sharing"]["links"])"""),
    md("""
        ## Run it

        `sim.run(scenario, seed)` plays the exercise once. A run is a pure function of
        the scenario and the seed: the same seed gives the same travellers, the same
        delays, the same result, on any machine. With `out`, it also writes the run
        folder: the tables as CSV, `summary.json`, the debrief figures and `report.html`
        (leave `out` out when you only need the numbers: it is faster). A folder that
        holds files is refused unless `force=True`, which replaces tabletop's own files
        there (here: those of the last time this notebook ran) and never any other."""),
    code("""
        result = sim.run(scenario, seed=4101, out=OUT / "baseline", force=True)
        summary = result.summary
        print(f"detected {summary['detected']} of {summary['crossed']} travellers who crossed a border "
              f"({summary['detection_rate']:.0%})")
        print("misses by cause:", summary["misses"])"""),
    md("""
        ## Read the tables with pandas

        `sim.tables(result)` gives the run's tables as DataFrames: `travellers` (one row
        per traveller: route, documents, outcome, cause, where and when detected),
        `alerts` (one row per message on a link), `events` (the timeline), `timeseries`
        (per day) and `crossings`."""),
    code("""
        frames = sim.tables(result)
        travellers = frames["travellers"]
        travellers.head()"""),
    code("""
        travellers["outcome"].value_counts()"""),
    md("""
        ### The cause table

        Of the travellers who crossed a border, those who were not stopped, by the
        furthest stage the sharing chain reached for them. "Alert came too late" is the
        share of misses that faster sharing alone would have turned into detections."""),
    code("""
        from sim.vocabulary import CAUSE_LABELS, causes_in

        crossed = travellers[travellers["crossings"] > 0]
        missed = crossed[crossed["outcome"] == "missed"]
        causes = (  # the causes this run reports (expired only where watchlists keep entries a limited time)
            missed["cause"].value_counts().reindex(list(causes_in(summary["misses"])), fill_value=0)
            .rename(index=CAUSE_LABELS).rename("travellers").to_frame()
        )
        causes["of crossed"] = (causes["travellers"] / len(crossed)).map("{:.0%}".format)
        assert causes["travellers"].tolist() == list(summary["misses"].values())  # the summary says the same
        causes"""),
    md("""
        ### Who got through, by group

        The scenario has three groups of travellers. Lunmere's police know half of the
        `network` group but share with no border agency: that is the whole of "known, but
        not shared"."""),
    code("""
        pd.crosstab(missed["group"], missed["cause"].map(CAUSE_LABELS), margins=True, margins_name="all")"""),
    md("""
        ### The late alerts: on which channel?

        For a traveller missed because an alert came too late, `cause_alert` names that
        alert and `hours_late` says by how much. Joined with the `alerts` table, it shows
        which link the late alerts were on, and how long they took there."""),
    code("""
        alerts = frames["alerts"][["alert", "from", "to", "sent_hours", "delivered_hours"]]
        late = missed[missed["cause"] == "late"].merge(alerts, left_on="cause_alert", right_on="alert")
        late["hours_on_link"] = late["delivered_hours"] - late["sent_hours"]
        (late.groupby(["from", "to"])
             .agg(travellers=("id", "size"), median_hours_late=("hours_late", "median"),
                  median_hours_on_link=("hours_on_link", "median"))
             .sort_values("travellers", ascending=False).round(1))"""),
    md("""
        ## The debrief figures

        The figures of the debrief are drawn from a run folder's tables:
        `RunTables.from_folder` reads them back, and each function returns a matplotlib
        figure (the same files are in `figures/` of the run folder, and `report.html`
        puts them together with findings written from the numbers).

        **Where the chain broke**: from crossing to detection, each drop a cause."""),
    code("""
        from sim.debrief.run_figures import (
            RunTables,
            chain_figure,
            journeys_figure,
            link_delay_figure,
            network_figure,
            over_time_figure,
        )

        tables = RunTables.from_folder(OUT / "baseline")
        chain_figure(tables.summary)"""),
    md("""
        **Journeys**: one line per traveller (a sample by outcome), aligned on departure:
        crossings, alerts reaching the border, detections, and by how many hours the late
        alerts missed."""),
    code("""
        journeys_figure(tables)"""),
    md("""
        **The network**: who shares with whom; the width of a link is the alerts it
        carried, its colour the median delay, and the label its trust."""),
    code("""
        network_figure(tables)"""),
    md("""**Over time**: cumulative detections and misses per day (injects would be marked)."""),
    code("""
        over_time_figure(tables)"""),
    md("""**Link delays**: the observed delay per link, and when alerts arrived against the moment of crossing."""),
    code("""
        link_delay_figure(tables)"""),
    md("""
        ## What if one channel were faster?

        Every late alert above came from Halvoria's intelligence service. Its channel to
        Drevia's border (`HAL-INT -> DRV-BRD`, three days by default) made the fewest late
        misses, but Drevia is the transit state: it is on every route, so an alert that
        reaches it in time is a first check before the traveller reaches home. Make that
        one channel six times faster, and run again **with the same seed**.

        `sim.vary` changes fields by the paths that `tabletop run --set` takes
        (`sharing.links[FROM->TO].field`, `agencies[ID].field`, `sharing.links[*].trust`,
        ...) and validates the result. The original scenario is not changed."""),
    code("""
        faster = sim.vary(scenario, {
            "sharing.links[HAL-INT->DRV-BRD].delay_hours": {"dist": "lognormal", "median": 12, "sigma": 0.6},
        })
        after = sim.run(faster, seed=4101)


        def headline(summary):
            return {"detection rate": f"{summary['detection_rate']:.1%}",
                    **{CAUSE_LABELS[cause]: n for cause, n in summary["misses"].items()}}


        pd.DataFrame({"as shipped": headline(summary), "faster to Drevia": headline(after.summary)})"""),
    md("""
        ### The same travellers, one by one

        Every random draw of the model is tied to what it decides (this traveller's
        departure, this alert's delay on this link, ...), so the second run has exactly
        the same travellers on the same journeys: only what the faster link changes can
        differ (common random numbers). That lets us follow each traveller from one run
        to the other."""),
    code("""
        before = travellers.set_index("id")
        later = sim.tables(after)["travellers"].set_index("id")
        assert (before["depart_hours"] == later["depart_hours"]).all()  # the same travellers, the same journeys


        def fate(table):  # the cause of a miss, else the outcome ("detected")
            return table["cause"].map(CAUSE_LABELS).fillna(table["outcome"])


        chain_order = [*(CAUSE_LABELS[cause] for cause in causes_in(summary["misses"])), "detected"]
        (pd.crosstab(fate(before).rename("as shipped"), fate(later).rename("faster to Drevia"))
           .reindex(index=chain_order, columns=chain_order, fill_value=0))"""),
    md("""
        Read along the rows. Nobody who was stopped is missed now, and the faster channel
        stops travellers from several rows, not only late ones: a traveller whose home
        border did not trust the alert, or whose check there failed, now meets a second
        check in Drevia. Some late misses stay late (their alert was late at the home
        border), and some move along the chain: the alert now arrives in time but is not
        trusted, or the check at the border fails. Faster sharing moves the break in the
        chain further along; it does not mend the rest of it.

        The two chains:"""),
    code("""
        from IPython.display import display

        display(chain_figure(summary, title="As shipped"))
        display(chain_figure(after.summary, title="HAL-INT -> DRV-BRD six times faster (same seed)"))"""),
    md("""
        ## Next

        One seed is one sample of travellers. Whether a change helps *in general* takes
        many seeds: `sim.compare` runs two scenarios on the same seeds and gives the
        paired difference with a 95% interval (notebook 3), and a sweep maps a whole
        response surface (notebook 2)."""),
]

# ---------------------------------------------------------------- 02: delay x trust

DELAY_AND_TRUST = [
    md("""
        # 2. Delay and trust: a sweep from Python

        How does detection respond to the **speed** of sharing and to the **trust** that
        receivers put in alerts? This notebook runs a small sweep (every combination of
        five delay scales and three trust levels, five replications each, on a lighter
        version of the baseline corridor) on local worker processes, reads the response
        surface with its 95% intervals, finds the **critical delay**, and shows how to
        send the same sweep to a Dask cluster. It runs in well under a minute on two cores.

        The Python API used here: `sim.vary`, `sim.sweep`; the sweep folder's
        `points.csv` and `runs.csv` with pandas; the figures of `sim.debrief.sweep_figures`."""),
    code(SETUP.format(name="02-delay-and-trust", stdlib="import shutil\n")),
    md(SETUP_NOTE.format(name="02-delay-and-trust")),
    md("""
        ## A lighter scenario

        The baseline corridor has 400 travellers; 200 are enough to see the shape of the
        surface quickly. A sweep names its scenario by file, so the lighter version is
        saved as YAML next to the results."""),
    code("""
        from sim.spec.yaml_files import dump_yaml

        base = sim.vary(ROOT / "scenarios" / "baseline-corridor.yaml", {"travellers.count": 200})
        base_file = OUT / "baseline-200.yaml"
        base_file.write_text(dump_yaml(base.raw), encoding="utf-8")
        print(f"{base.travellers.count} travellers, saved as {base_file.name}")"""),
    md("""
        ## The sweep, built in code

        A sweep is what a sweep file holds (`docs/sweeps.md`), here as a Python mapping:

        - `parameters`: the fields to vary, by the paths of `--set`. `sharing.delay_scale`
          multiplies the delay of every link (0 is instant, 4 is four times slower);
          `sharing.links[*].trust` sets the trust of every link at once.
        - `design: grid`: every combination, 5 x 3 = 15 points.
        - `replications`: runs per point. Replication *r* uses the same seed at every
          point (common random numbers), so two points differ by their parameters, not by
          their luck.
        - `outputs`: the keys of a run's summary to record.
        - `threshold`: the level detection should stay at; the critical delay is the
          slowest sharing that keeps it there.

        Everything is validated before the first run (a mistake raises
        `sim.ScenarioError` listing every problem)."""),
    code("""
        design = {
            "name": "Delay x trust (notebook)",
            "scenario": base_file,
            "design": "grid",
            "replications": 5,
            "seed": 2026,
            "parameters": {
                "sharing.delay_scale": [0, 0.5, 1, 2, 4],
                "sharing.links[*].trust": [0.4, 0.7, 1.0],
            },
            "outputs": ["detection_rate", "late_share", "misses.late", "misses.not_trusted"],
            "threshold": {"output": "detection_rate", "above": 0.30, "parameter": "sharing.delay_scale"},
        }"""),
    md("""
        ## Run it on local worker processes

        `workers=2` runs two processes (the default is every core). The sweep folder must
        be new: a folder that already holds a sweep is refused unless you ask to
        `resume` it (only the missing runs are then made). Here we start afresh each time
        the notebook runs."""),
    code("""
        folder = OUT / "sweep"
        shutil.rmtree(folder, ignore_errors=True)
        outcome = sim.sweep(design, out=folder, workers=2)
        print(f"{outcome.done} runs of {outcome.runs}, {outcome.failed} failed, "
              f"{outcome.seconds:.1f} s on {outcome.executor}")
        sorted(p.name for p in outcome.folder.iterdir())"""),
    md("""
        ## The tables

        `runs.csv` has one row per run: its point, replication, seed, the parameters and
        the outputs."""),
    code("""
        runs = pd.read_csv(outcome.folder / "runs.csv")
        runs.head()"""),
    md("""
        `points.csv` has one row per point and output: the number of runs, the mean, the
        standard deviation and the 95% interval of the mean (`ci_low`, `ci_high`)."""),
    code("""
        points = pd.read_csv(outcome.folder / "points.csv")
        detection = points[points["output"] == "detection_rate"]
        detection.head()"""),
    md("""
        ## The response surface, with intervals

        Detection rate at each point, as "mean (95% interval)": rows are the delay
        scale, columns the trust of every link."""),
    code("""
        DELAY, TRUST = "sharing.delay_scale", "sharing.links[*].trust"
        cells = detection.assign(
            cell=[f"{m:.0%} ({lo:.0%}-{hi:.0%})" for m, lo, hi in
                  zip(detection["mean"], detection["ci_low"], detection["ci_high"], strict=True)]
        )
        cells.pivot(index=DELAY, columns=TRUST, values="cell")"""),
    md("""
        The same as figures. `response_curve` draws the mean against the delay scale with
        its 95% band, one curve per trust level, and marks where each curve crosses the
        threshold; `heatmap` shows every point of the grid."""),
    code("""
        from sim.debrief import sweep_figures

        sweep_figures.response_curve(points, DELAY, "detection_rate", by=TRUST,
                                     threshold=0.30, threshold_parameter=DELAY)"""),
    code("""
        sweep_figures.heatmap(points, DELAY, TRUST, "detection_rate", threshold=0.30, threshold_parameter=DELAY)"""),
    md("""
        ## The critical delay

        The largest delay scale that keeps detection at or above 30%, for each trust
        level, read off the curve (linearly between the swept values), with the range
        read off the 95% band. More trust buys time: the critical delay grows with it."""),
    code("""
        from sim.debrief.sweep_figures import critical_by_level

        for trust, critical in critical_by_level(points, DELAY, "detection_rate", 0.30, by=TRUST):
            print(f"trust {trust:g}: critical delay scale {critical.describe('{:.2f}')}")"""),
    md("""
        ## One effect, replication by replication

        `runs.csv` keeps every run, so any contrast between points can be computed from
        it. Replication *r* ran with the same seed at every point (the same travellers),
        so the effect of making sharing instant (delay scale 0 against 1, at trust 0.7)
        can be taken run by run, as paired differences, with a t-interval of their mean."""),
    code("""
        from sim.experiments.statistics import mean_interval  # the Student-t interval of comparisons and sweeps

        rate = runs.pivot_table(index="replication", columns=[DELAY, TRUST], values="detection_rate")
        gain = rate[(0, 0.7)] - rate[(1, 0.7)]
        low, high = mean_interval(gain.mean(), gain.std(), len(gain))
        points_of = 100  # a difference of rates, in percentage points
        print(f"instant sharing at trust 0.7: {points_of * gain.mean():+.1f} percentage points of detection "
              f"(95% interval {points_of * low:+.1f} to {points_of * high:+.1f}); "
              "per replication: " + ", ".join(f"{points_of * g:+.1f}" for g in gain))"""),
    md("""
        The sweep folder also holds the figures as PNG files and `report.html`;
        `tabletop report FOLDER` redraws them from the tables."""),
    md("""
        ## The same sweep on a Dask cluster

        For a bigger sweep, send the runs to a Dask cluster: the only change is
        `scheduler=` with the scheduler's address instead of `workers=`. The results are
        the same, run for run (same seeds). Each worker needs this package installed
        (`pip install -e .` in the same environment); start the cluster outside the
        notebook, e.g. on one machine:

        ```console
        dask scheduler --host 127.0.0.1                                # prints tcp://127.0.0.1:8786
        dask worker tcp://127.0.0.1:8786 --nworkers 2 --nthreads 1     # on every machine
        ```

        then set `TABLETOP_DASK_SCHEDULER=tcp://127.0.0.1:8786` in the environment
        Jupyter starts from. Without it, the next cell only says so."""),
    code("""
        import os

        address = os.environ.get("TABLETOP_DASK_SCHEDULER")  # e.g. tcp://127.0.0.1:8786
        if address:
            on_cluster = OUT / "sweep-dask"
            shutil.rmtree(on_cluster, ignore_errors=True)
            remote = sim.sweep(design, out=on_cluster, scheduler=address, plots=False)
            print(f"{remote.done} runs on {remote.executor} in {remote.seconds:.1f} s")
            same = pd.read_csv(remote.folder / "points.csv").equals(points)
            print("the same response surface as on local processes:", same)
        else:
            print("TABLETOP_DASK_SCHEDULER is not set: no cluster run.")"""),
]

# ---------------------------------------------------------------- 03: build a scenario

BUILD = [
    md("""
        # 3. Build a scenario in code, and compare it with a variant

        This notebook builds an exercise from scratch in Python: four invented countries
        (a conflict zone, a transit state and two home countries) whose intelligence
        services share alerts through a **regional hub**. It validates the scenario
        (and shows how mistakes are reported), saves it as YAML, runs it, and compares it
        with a variant where the hub is replaced by **slow bilateral links**, on the same
        travellers. It runs in well under a minute.

        Synthetic actors only: every name is invented, and a scenario that names a real
        country is refused.

        The Python API used here: `sim.scenario_from_dict`, `sim.ScenarioError`,
        `sim.load_scenario`, `sim.run`, `sim.compare`."""),
    code(SETUP.format(name="03-build-a-scenario", stdlib="import copy\n")),
    md(SETUP_NOTE.format(name="03-build-a-scenario")),
    md("""
        ## The scenario as plain data

        A scenario is a mapping with the same fields as the YAML file
        (`docs/scenario-format.md`). Ids are short codes used in routes and links; names
        are for people. Durations are in hours (`_hours`) or days (`_days`), and any
        of them can be a distribution.

        The network: each intelligence service has a domestic channel to its own border
        guard (a day), and sends everything to the **Regional Alert Centre** in the
        transit state, which relays it to every border within hours. Hubs forward the
        alerts they accept."""),
    code("""
        countries = [
            {"id": "ZAR", "name": "Zarethia", "role": "conflict"},
            {"id": "PEL", "name": "Pellanor", "role": "transit"},
            {"id": "ALD", "name": "Aldmere", "role": "home"},
            {"id": "COR", "name": "Corvessa", "role": "home"},
        ]
        agencies = [
            {"id": "ALD-INT", "country": "ALD", "kind": "intelligence", "name": "Aldmere Security Service"},
            {"id": "COR-INT", "country": "COR", "kind": "intelligence", "name": "Corvessan Intelligence Bureau"},
            {"id": "ALD-BRD", "country": "ALD", "kind": "border", "name": "Aldmere Border Guard"},
            {"id": "COR-BRD", "country": "COR", "kind": "border", "name": "Corvessan Frontier Police"},
            {"id": "PEL-BRD", "country": "PEL", "kind": "border", "name": "Pellanor Border Service"},
            {"id": "HUB", "country": "PEL", "kind": "hub", "name": "Regional Alert Centre"},
        ]


        def lognormal(median):  # a delay in hours: half the alerts take less than `median`, a few much longer
            return {"dist": "lognormal", "median": median, "sigma": 0.6}


        sharing = {
            "defaults": {"delay_hours": lognormal(6), "trust": 0.9},
            "links": [
                {"from": "ALD-INT", "to": "ALD-BRD", "delay_hours": lognormal(24), "note": "domestic channel"},
                {"from": "COR-INT", "to": "COR-BRD", "delay_hours": lognormal(24), "note": "domestic channel"},
                {"from": "ALD-INT", "to": "HUB"},
                {"from": "COR-INT", "to": "HUB"},
                {"from": "HUB", "to": "ALD-BRD"},
                {"from": "HUB", "to": "COR-BRD"},
                {"from": "HUB", "to": "PEL-BRD"},
            ],
        }"""),
    md("""
        The travellers: 300 returnees leave Zarethia over two months and go home through
        Pellanor, a fifth of them on fraudulent documents (a name or document alert
        cannot match those; biometrics can). Each intelligence service learns about
        some of its own nationals, around their departure."""),
    code("""
        def returnees(name, share, home):
            return {
                "name": name, "share": share, "intent": "return", "route": ["ZAR", "PEL", home],
                "depart_day": {"dist": "uniform", "low": 0, "high": 60},
                "leg_hours": {"dist": "uniform", "low": 24, "high": 96},
                "documents": {"genuine": 0.8, "fraudulent": 0.2},
            }


        def around_departure():
            return {"dist": "uniform", "low": -24, "high": 72}  # hours from departure


        data = {
            "name": "Four countries with a hub",
            "description": "Returnees leave Zarethia through Pellanor for Aldmere or Corvessa; "
                           "both intelligence services share through a regional hub in Pellanor.",
            "seed": 7,
            "horizon_days": 90,
            "countries": countries,
            "agencies": agencies,
            "sharing": sharing,
            "travellers": {"count": 300, "groups": [returnees("aldmerians", 0.6, "ALD"),
                                                    returnees("corvessans", 0.4, "COR")]},
            "intelligence": [
                {"agency": "ALD-INT", "covers": 0.8, "groups": ["aldmerians"], "learn_hours": around_departure(),
                 "identifier": {"biometric": 0.4, "document": 0.3, "name": 0.3}},
                {"agency": "COR-INT", "covers": 0.6, "groups": ["corvessans"], "learn_hours": around_departure(),
                 "identifier": {"biometric": 0.2, "document": 0.4, "name": 0.4}},
            ],
        }"""),
    md("""
        ## Validate it

        `sim.scenario_from_dict` checks the data the way `tabletop validate` checks a
        file (types, ranges, references between ids, shares that sum to 1, no real
        country names, ...) and returns a `Scenario`."""),
    code("""
        hub = sim.scenario_from_dict(data)
        print(f"{hub.name}: {len(hub.countries)} countries, {len(hub.agencies)} agencies, "
              f"{len(hub.sharing.links)} links, {hub.travellers.count} travellers")"""),
    md("""
        A scenario with mistakes is refused with `sim.ScenarioError`, whose `problems`
        list **every** problem (not just the first), each with the field's path. Here, a
        typo in a link's receiver and a trust above 1:"""),
    code("""
        broken = copy.deepcopy(data)
        broken["sharing"]["links"][4]["to"] = "ALD-BDR"
        broken["sharing"]["defaults"]["trust"] = 1.2
        try:
            sim.scenario_from_dict(broken)
        except sim.ScenarioError as error:
            for problem in error.problems:
                print(problem)"""),
    md("""
        ## Save it as YAML

        Saved as a file, the scenario can be run from the command line
        (`tabletop run`, `tabletop validate`), shared with a trainer, and loaded back:
        `sim.load_scenario` gives the same scenario."""),
    code("""
        from sim.spec.yaml_files import dump_yaml

        path = OUT / "four-countries-hub.yaml"
        path.write_text(dump_yaml(data), encoding="utf-8")
        print(path.read_text(encoding="utf-8"))"""),
    code("""
        hub = sim.load_scenario(path)
        assert hub.raw == data  # the file holds the scenario as built"""),
    md("""
        ## Run it

        One run with its folder, as in notebook 1: the cause table, where the chain
        broke, and the network as the alerts used it."""),
    code("""
        result = sim.run(hub, out=OUT / "hub-run", force=True)  # the scenario's seed (7); replaces the last one
        summary = result.summary
        print(f"detected {summary['detected']} of {summary['crossed']} ({summary['detection_rate']:.0%})")
        summary["misses"]"""),
    code("""
        from sim.debrief.run_figures import RunTables, chain_figure, network_figure

        tables = RunTables.from_folder(OUT / "hub-run")
        network_figure(tables)"""),
    code("""
        chain_figure(tables.summary)"""),
    md("""
        ## A variant: bilateral links instead of the hub

        Without the hub, each intelligence service sends its alerts to the other
        countries' borders itself, over slow channels (three days) that the receivers
        trust less (0.7). The domestic channels are unchanged. The variant is built from
        the same data; only the network differs."""),
    code("""
        variant = copy.deepcopy(data)
        variant["name"] = "Four countries, bilateral links"
        variant["agencies"] = [a for a in variant["agencies"] if a["id"] != "HUB"]
        variant["sharing"]["links"] = variant["sharing"]["links"][:2] + [
            {"from": sender, "to": receiver, "delay_hours": lognormal(72), "trust": 0.7}
            for sender, receivers in {"ALD-INT": ["PEL-BRD", "COR-BRD"], "COR-INT": ["PEL-BRD", "ALD-BRD"]}.items()
            for receiver in receivers
        ]
        bilateral = sim.scenario_from_dict(variant)
        pd.DataFrame(variant["sharing"]["links"])"""),
    md("""
        ## Compare them on the same travellers

        `sim.compare(a, b, replications)` runs both scenarios with the same seeds
        (replication *r* gives both the same travellers and the same draws wherever the
        scenarios agree), so the paired difference B - A is the network's doing, not
        luck. `statistics()` gives, per output, the means of A and B, the mean paired
        difference `diff` and its 95% interval; with `out`, the comparison folder also
        holds `pairs.csv`, figures and a report. 20 replications on two workers take a
        few seconds."""),
    code("""
        comparison = sim.compare(hub, bilateral, replications=20, workers=2, out=OUT / "hub-vs-bilateral",
                                 force=True)
        statistics = pd.DataFrame(comparison.statistics()).T
        statistics[["a", "b", "diff", "ci_low", "ci_high"]].round(3)"""),
    code("""
        rate = statistics.loc["detection_rate"]
        print(f"detection rate: {rate['a']:.1%} with the hub, {rate['b']:.1%} with bilateral links; "
              f"difference {100 * rate['diff']:+.1f} percentage points "
              f"(95% interval {100 * rate['ci_low']:+.1f} to {100 * rate['ci_high']:+.1f})")"""),
    md("""
        One row per replication: the same seed for A and B. The misses the hub avoids
        are late and untrusted alerts; "no agency knew" is the same in both, since the
        network does not change who is known."""),
    code("""
        pairs = pd.DataFrame(comparison.pairs())
        pairs[["replication", "a_detection_rate", "b_detection_rate", "a_late_share", "b_late_share",
               "a_no_intel_share", "b_no_intel_share"]].head()"""),
    md("""
        ## Next

        - Change a field of either scenario with `sim.vary(scenario, {path: value})`,
          e.g. `{"sharing.links[HUB->PEL-BRD].trust": 0.5}` or slower hub links
          `{"sharing.defaults.delay_hours": 48}`, and compare again.
        - Sweep a field over a range to find where the hub stops paying off (notebook 2).
        - The comparison folder's `report.html` is ready for a debrief."""),
]

NOTEBOOKS = {
    "01-first-run.ipynb": FIRST_RUN,
    "02-delay-and-trust.ipynb": DELAY_AND_TRUST,
    "03-build-a-scenario.ipynb": BUILD,
}


def build(cells: list[tuple[str, str]], prefix: str) -> nbformat.NotebookNode:
    """A notebook of these cells: no outputs, no execution counts, stable cell ids."""
    made = []
    for number, (kind, source) in enumerate(cells, start=1):
        maker = new_code_cell if kind == "code" else new_markdown_cell
        made.append(maker(source, id=f"{prefix}-{number:02d}"))
    notebook = new_notebook(cells=made)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(notebook)
    return notebook


def texts() -> dict[str, str]:
    """File name -> the notebook's text, as stored."""
    return {name: nbformat.writes(build(cells, name[:2])) + "\n" for name, cells in NOTEBOOKS.items()}


def main() -> int:
    """Write the notebooks next to this script."""
    for name, text in texts().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote notebooks/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
