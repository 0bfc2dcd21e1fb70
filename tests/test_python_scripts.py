"""The Python API as researchers use it: a script without a main guard, stdin, a notebook.

The README's "From Python" block is read from README.md (never copied here) and run
unmodified as a script file, from standard input and in a Jupyter kernel: it must
print each of its lines once and exit cleanly. Where comparisons and sweeps run
(this process or worker processes) is decided by one rule, tested here on its own;
so are the names ``dir(sim)`` shows, saving a scenario, and the seed a run reports.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import nbformat
import pytest
from builders import ROOT, SCENARIOS
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from sweep_helpers import read_rows, write_sweep
from test_notebooks import CELL_TIMEOUT, ThisInterpreter

import sim
from sim.experiments import executors
from sim.experiments.executors import AutoExecutor, LocalExecutor, SerialExecutor, make_executor, processes_for

BASELINE = SCENARIOS / "baseline-corridor.yaml"
GUARD = 'if __name__ == "__main__":'


def readme_block() -> str:
    """The README's "From Python" example, as the README shows it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## From Python\n\n```python\n(.*?)```", readme, re.S)
    assert block, "the README has a Python example under ## From Python"
    return block.group(1)


def printed_lines(block: str) -> int:
    """How many lines the block prints: one per print call (each prints one line)."""
    return len(re.findall(r"^print\(", block, re.M))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A folder with the project's scenarios/ (the README's paths are relative): what it writes stays there."""
    (tmp_path / "scenarios").symlink_to(SCENARIOS, target_is_directory=True)
    return tmp_path


def python(
    args: list[str], cwd: Path = ROOT, stdin: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """This interpreter, with this checkout's `sim` first."""
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}
    return subprocess.run(
        [sys.executable, *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


def check_printed_once(stdout: str, stderr: str, block: str) -> None:
    lines = stdout.splitlines()
    assert len(lines) == printed_lines(block), f"each line printed once, got:\n{stdout}\n{stderr[-2000:]}"
    assert len(set(lines)) == len(lines), f"a line printed twice:\n{stdout}"
    assert "Traceback" not in stderr, stderr[-2000:]


def test_the_readme_block_runs_as_a_script_without_a_main_guard(workspace: Path) -> None:
    block = readme_block()
    assert GUARD not in block, "the README block is written as most people write a script"
    script = workspace / "snippet.py"
    script.write_text(block, encoding="utf-8")
    done = python(["snippet.py"], cwd=workspace)
    assert done.returncode == 0, done.stderr[-3000:]
    check_printed_once(done.stdout, done.stderr, block)


def test_the_readme_block_runs_from_stdin(workspace: Path) -> None:
    block = readme_block()
    done = python(["-"], cwd=workspace, stdin=block)
    assert done.returncode == 0, done.stderr[-3000:]
    check_printed_once(done.stdout, done.stderr, block)


def test_the_readme_block_runs_in_a_notebook_kernel(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    block = readme_block()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(block)])
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + path if path else ""))  # the kernel inherits it
    manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ThisInterpreter())
    client = NotebookClient(
        notebook, km=manager, timeout=CELL_TIMEOUT, allow_errors=False, resources={"metadata": {"path": str(workspace)}}
    )
    client.execute()  # raises CellExecutionError, with the traceback, if the cell fails
    outputs = notebook.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert not stderr, f"the cell printed to stderr: {stderr[:2000]}"
    stdout = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    check_printed_once(stdout, stderr, block)


def test_workers_asked_from_an_unguarded_script_name_the_fix(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent("""\
            from sim.experiments.executors import LocalExecutor

            print("once")
            with LocalExecutor(workers=2) as executor:
                print(list(executor.run(abs, [-1])))
            """),
        encoding="utf-8",
    )
    done = python([str(script)])
    assert done.returncode == 1 and done.stdout == "once\n", "no worker started, so nothing ran twice"
    last = done.stderr.strip().splitlines()[-1]
    assert "SimError: cannot start 2 local worker processes" in last
    assert "unguarded.py runs code at its top level (line 3: print(\"once\"))" in last
    assert f"Put the calls under `{GUARD}`" in last and "workers=1" in last

    from_stdin = python(["-"], stdin=script.read_text(encoding="utf-8"))
    assert from_stdin.returncode == 1
    assert "read from <stdin>, which cannot be read again" in from_stdin.stderr.strip().splitlines()[-1]

    guarded = tmp_path / "guarded.py"
    body = textwrap.indent(script.read_text(encoding="utf-8").split("\n", 2)[2], "    ")
    guarded.write_text(f"from sim.experiments.executors import LocalExecutor\n\n{GUARD}\n{body}", encoding="utf-8")
    done = python([str(guarded)])
    assert done.returncode == 0 and done.stdout == "once\n[Completed(task=-1, value=1, error=None)]\n", done.stderr


def _main_module(monkeypatch: pytest.MonkeyPatch, file: str | None = None, spec: str | None = None) -> None:
    main = types.ModuleType("__main__")
    if file is not None:
        main.__file__ = file
    main.__spec__ = types.SimpleNamespace(name=spec) if spec else None  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "__main__", main)


@pytest.mark.parametrize(
    ("source", "problem_line"),
    [
        ("import sim\n\nsim.run('x.yaml')\n", 3),
        ("import sim\nresult = sim.compare('a', 'b')\n", 2),
        ("SEEDS = [1, 2]\nfor seed in SEEDS:\n    pass\n", None),  # a loop that calls nothing: nothing runs
        ("for seed in range(3):\n    print(seed)\n", 1),
        ('"""doc"""\nimport sim\nN = 20\n\ndef main():\n    sim.run("x")\n\nif __name__ == "__main__":\n    main()\n', None),
        ("if '__main__' == __name__:\n    print(1)\n", None),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sim\n", None),
        ("try:\n    import yaml\nexcept ImportError:\n    yaml = None\n", None),
        ("@dataclass\nclass A:\n    x: list = field(default_factory=list)\n", None),
    ],
)
def test_an_unguarded_script_is_found_by_its_first_line_of_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, problem_line: int | None
) -> None:
    script = tmp_path / "script.py"
    script.write_text(source, encoding="utf-8")
    _main_module(monkeypatch, file=str(script))
    problem = executors.main_module_problem()
    if problem_line is None:
        assert problem is None
    else:
        assert problem and f"script.py runs code at its top level (line {problem_line}:" in problem and GUARD in problem


def test_programs_that_are_not_imported_again_can_start_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    for file, spec in [(None, None), (None, "__main__"), ("/nowhere/__main__.py", "sim.__main__")]:
        _main_module(monkeypatch, file=file, spec=spec)  # the prompt or python -c; a zipapp; python -m sim
        assert executors.main_module_problem() is None, (file, spec)
    _main_module(monkeypatch, file="<stdin>")
    assert "read from <stdin>" in (executors.main_module_problem() or "")


def test_the_rule_keeps_small_work_here_and_uses_the_cores_when_they_pay(monkeypatch: pytest.MonkeyPatch) -> None:
    threshold = executors.PROCESS_THRESHOLD_SECONDS
    monkeypatch.setattr(executors, "main_module_problem", lambda: None)
    assert processes_for(19, 0.06, cores=2) == 0, "the README's 20 replications of a 60 ms pair stay here"
    assert processes_for(100, threshold / 100, cores=8) == 8
    assert processes_for(3, threshold, cores=8) == 3, "at most one process per task"
    assert processes_for(1, 10 * threshold, cores=8) == 0, "one task left: nothing to share"
    assert processes_for(100, threshold, cores=1) == 0, "one core: nothing to gain"

    monkeypatch.setattr(executors, "main_module_problem", lambda: "the reason. The fix.")
    monkeypatch.setattr(executors, "_warned", set())
    with pytest.warns(RuntimeWarning, match=r"running 100 tasks \(about \d+ s\) in this process.*The fix"):
        assert processes_for(100, threshold, cores=2) == 0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert processes_for(100, threshold, cores=2) == 0, "the warning is given once"


def test_make_executor_decides_only_when_no_number_of_workers_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executors, "default_workers", lambda: 8)  # workers are capped at the cores (test_limits.py)
    assert isinstance(make_executor(None, tasks=20), AutoExecutor)
    assert isinstance(make_executor(1, tasks=20), SerialExecutor)
    assert isinstance(make_executor(4, tasks=1), SerialExecutor)
    asked = make_executor(4, tasks=3)
    assert isinstance(asked, LocalExecutor) and asked.workers == 3


def test_the_auto_executor_times_the_first_task_then_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    small = AutoExecutor(tasks=5)
    with small:
        assert sorted(done.value for done in small.run(abs, [-1, -2, -3, -4, -5])) == [1, 2, 3, 4, 5]
    assert (small.description, small.workers) == ("this process", 1)
    if executors.default_workers() < 2:
        pytest.skip("one core: worker processes never pay")
    monkeypatch.setattr(executors, "PROCESS_THRESHOLD_SECONDS", 0.0)  # any work pays: workers start
    large = AutoExecutor(tasks=5)
    with large:
        done = list(large.run(abs, [-1, -2, -3, -4, -5]))
        assert large.description == "2 local worker processes (after 1 run here)" and large.workers == 2
    assert done[0].value == 1 and sorted(d.value for d in done) == [1, 2, 3, 4, 5]


def test_a_small_sweep_runs_here_and_its_manifest_says_so(tmp_path: Path) -> None:
    import json

    from sim.experiments.sweep_runner import run_sweep
    from sim.spec.sweep_file import load_sweep

    path = write_sweep(tmp_path, "replications: 2\nseed: 3\nparameters:\n  sharing.delay_scale: [0.5, 1]\n")
    outcome = run_sweep(load_sweep(path), tmp_path / "out", progress=False)
    assert (outcome.done, outcome.failed, outcome.executor) == (4, 0, "this process")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sessions"][0]["executor"] == "this process" and manifest["sessions"][0]["workers"] == 1
    assert len(read_rows(tmp_path / "out" / "runs.csv")[1]) == 4


def test_dir_sim_shows_the_api() -> None:
    names = dir(sim)
    for name in ["run", "vary", "compare", "sweep", "tables", "report", "play", "msel", "check", "schema",
                 "load_scenario", "save_scenario", "replication_seeds", "ScenarioError", "SimError"]:  # fmt: skip
        assert name in names, name
        assert getattr(sim, name) is not None
    assert "Any" not in names and "importlib" not in names, "only the public names, and the module's dunders"


def test_replication_seeds_are_public() -> None:
    from sim.spec.seeds import replication_seeds

    assert sim.replication_seeds is replication_seeds
    assert sim.replication_seeds(7, 3) == replication_seeds(7, 3) and len(set(sim.replication_seeds(7, 3))) == 3


def test_save_scenario_round_trip(tmp_path: Path) -> None:
    scenario = sim.vary(BASELINE, {"sharing.delay_scale": 0.5, "travellers.count": 50})
    path = sim.save_scenario(scenario, tmp_path / "made" / "faster.yaml")
    assert path == tmp_path / "made" / "faster.yaml"
    again = sim.load_scenario(path)
    assert again.raw == scenario.raw
    assert sim.run(again, seed=2).summary == sim.run(scenario, seed=2).summary


def test_a_run_says_its_seed_and_replication_seeds_give_independent_runs() -> None:
    scenario = sim.vary(BASELINE, {"travellers.count": 60})
    assert scenario.seed is not None
    default = sim.run(scenario)
    assert default.seed == scenario.seed, "no seed: the scenario's, and the result says so"
    assert f"seed={scenario.seed}" in repr(default) and "travellers=60" in repr(default)
    assert sim.run(scenario).seed == default.seed, "reproducible: the same run again"
    assert sim.run(scenario, seed=11).seed == 11
    # The documented way to get independent replications (README, "From Python").
    runs = [sim.run(scenario, seed=seed) for seed in sim.replication_seeds(scenario.seed, 5)]
    assert len({run.seed for run in runs}) == 5
    assert len({str(run.summary["misses"]) for run in runs}) > 1, "independent seeds, different runs"
    unseeded = sim.scenario_from_dict({k: v for k, v in scenario.raw.items() if k != "seed"})
    assert sim.run(unseeded).seed is not None, "a scenario without a seed: a fresh one, reported"
