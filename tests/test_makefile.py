"""`make run` installs only what running needs and says so; `make test` adds the test tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(target: str, tmp_path: Path) -> list[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "find-python", tmp_path / ".ci" / "find-python")
    # Under `make test` (as CI runs the suite) this is a nested make: without the outer make's
    # variables it prints no "Entering directory" lines around what it would do.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}
    done = subprocess.run(["make", "--no-print-directory", "-n", target, "PYTHON=python3"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=30, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_make_run_installs_no_test_tools_and_says_what_it_does_first(tmp_path):
    lines = _dry_run("run", tmp_path)
    installs = [line for line in lines if "pip install" in line and "--upgrade pip" not in line]
    assert installs and all("[test]" not in line for line in installs), lines
    said = next(i for i, line in enumerate(lines) if line.startswith("echo") and "minute" in line)
    assert said < lines.index(installs[0]), "the long step is announced before it starts"


def test_make_test_adds_the_test_tools(tmp_path):
    lines = _dry_run("test", tmp_path)
    assert any("pip install" in line and "'.[test]'" in line for line in lines), lines
    assert lines[-1].endswith("-m pytest"), lines


def test_the_pytest_summary_names_each_skipped_test_and_why():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert "-rs" in options.split()
