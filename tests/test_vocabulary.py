"""One vocabulary, one figure registry per family, light modules that stay light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from builders import ROOT, SCENARIOS

from sim import vocabulary
from sim.debrief.comparison_report import COMPARISON_FIGURES
from sim.debrief.plotting import FigureEntry, check_registry
from sim.debrief.run_figures import RUN_FIGURES
from sim.experiments.statistics import mean_interval


def test_the_vocabulary_imports_nothing() -> None:
    tree = ast.parse(Path(vocabulary.__file__).read_text(encoding="utf-8"))
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert not imports, "sim/vocabulary.py must import nothing, so that every layer may import it"


def test_every_cause_has_its_words_and_colour() -> None:
    assert list(vocabulary.CAUSE_LABELS) == list(vocabulary.CAUSES)
    assert set(vocabulary.CAUSES) <= set(vocabulary.COLOURS)
    for cause in vocabulary.CAUSES:
        label = vocabulary.CAUSE_LABELS[cause]
        assert vocabulary.OUTPUT_WORDS[f"misses.{cause}"] == f"missed: {label}", "sweeps say what runs say"
        assert vocabulary.COMPARED_OUTPUT_WORDS[vocabulary.MISS_SHARES[cause]] == f"share missed: {label}"
    assert set(vocabulary.COMPARED_OUTPUTS) | set(vocabulary.COST_COMPARED_OUTPUTS) == set(
        vocabulary.COMPARED_OUTPUT_WORDS
    )
    assert not set(vocabulary.COMPARED_OUTPUTS) & set(vocabulary.COST_COMPARED_OUTPUTS)


@pytest.mark.parametrize("registry", [RUN_FIGURES, COMPARISON_FIGURES], ids=["run", "comparison"])
def test_every_declared_figure_has_a_maker_and_a_caption(registry: tuple[FigureEntry, ...]) -> None:
    assert registry and len({entry.name for entry in registry}) == len(registry)
    for entry in registry:
        assert callable(entry.maker), f"{entry.name} has no maker"
        assert entry.caption.strip().endswith("."), f"{entry.name} has no caption"


def test_a_figure_without_maker_or_caption_is_refused() -> None:
    with pytest.raises(ValueError, match="no caption"):
        FigureEntry("chain", lambda tables: None, " ")
    with pytest.raises(TypeError, match="no maker"):
        FigureEntry("chain", None, "A caption.")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="file name"):
        FigureEntry("the chain.png", lambda tables: None, "A caption.")
    entry = FigureEntry("chain", lambda tables: None, "A caption.")
    with pytest.raises(ValueError, match="declared twice: chain"):
        check_registry([entry, entry])


def test_mean_interval_is_the_student_t_interval() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    low, high = mean_interval(float(values.mean()), float(values.std(ddof=1)), len(values))
    # mean 2.5, sd 1.29099, t(0.975, 3) = 3.182446: half width 2.054260
    assert abs(low - (2.5 - 2.054260)) < 1e-6 and abs(high - (2.5 + 2.054260)) < 1e-6
    with pytest.raises(ValueError, match="at least 2"):
        mean_interval(1.0, 0.0, 1)


def test_outcomes_read_a_model_without_importing_it() -> None:
    code = "import sys, sim.engine.outcomes; print(sorted(m for m in ('sim.engine.model', 'mesa') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", "the model imports outcomes (for its DataCollector), never the reverse"


def test_a_run_without_figures_imports_neither_matplotlib_nor_mesa_for_its_report(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from sim.debrief import run_report, run_tables\n"
        "heavy = [m for m in ('matplotlib', 'mesa') if m in sys.modules]\n"
        "from sim.cli import main\n"
        f"main(['run', {str(SCENARIOS / 'baseline-corridor.yaml')!r}, '--out', {str(tmp_path / 'run')!r},"
        " '--no-plots', '--quiet'])\n"
        "print(heavy, 'matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[] False", done.stdout
