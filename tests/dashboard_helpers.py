"""The dashboard tests' shared parts: start `tabletop dashboard` as a user does, find Chromium.

(import: `from dashboard_helpers import ...`; the shared server and browser fixtures are in conftest.py.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline-corridor.yaml"

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium() -> str | None:
    """Chromium's executable, or None."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def browser_or_skip() -> str:
    """Chromium's executable; skips the test without it (fails instead under CI or TABLETOP_REQUIRE_BROWSER)."""
    required = bool(os.environ.get("CI") or os.environ.get("TABLETOP_REQUIRE_BROWSER"))
    executable = chromium()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        executable = None
    if executable is None:
        message = "Chromium (apt-get install chromium) and the playwright package are needed for the browser test"
        if required:
            pytest.fail(message + " (CI or TABLETOP_REQUIRE_BROWSER is set)")
        pytest.skip(message)
    return executable


def start_dashboard(*options: str, python: list[str] | None = None) -> tuple[subprocess.Popen, str, int]:
    """``tabletop dashboard BASELINE --port 0 OPTIONS...`` in a process; returns it, the printed address, the port.

    `python` replaces ``[sys.executable, "-m", "sim"]`` (e.g. to run the command under an audit hook).
    """
    command = [*(python or [sys.executable, "-m", "sim"]), "dashboard", str(BASELINE), "--port", "0", *options]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = ""
    for _ in range(20):  # the address, printed once the server listens (after any warning of Bokeh's)
        line = process.stdout.readline()
        seen += line
        found = re.search(r"http://(\S+):(\d+)/", line)
        if line.startswith("tabletop dashboard: http://") and found is not None:
            break
        if not line:
            break
    else:
        found = None
    if found is None:
        process.kill()
        raise AssertionError(seen + process.stdout.read())
    return process, found.group(0), int(found.group(2))


def stop(process: subprocess.Popen) -> None:
    """Kill a server started by `start_dashboard` if it still runs."""
    if process.poll() is None:
        process.kill()
        process.wait(10)
