"""Twenty laptops on the workshop page at once: the slider stays quick and the memory is given back.

Split from test_dashboard_room.py: this one test takes a minute and a half (three pauses of SETTLE_S,
participants moving at their own moments), so in a file of its own pytest-xdist (--dist loadfile)
can run it on one worker while the other runs the rest.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time

import pytest
from dashboard_helpers import start_dashboard, stop
from room_client import RoomSession
from test_dashboard_room import _token

LAPTOPS = 20
SETTLE_S = 8.0  # closed sessions are let go after 3 s (checked every 2 s), then collected 1 s later


def _rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


async def _room(url: str, pid: int) -> dict[str, float]:
    warm = await RoomSession.open(url)
    await warm.move_slider("tt-delay", 0.5, _token(0.5))
    warm.close()
    await asyncio.sleep(SETTLE_S)
    figures = {"before_mb": _rss_mb(pid)}

    started = time.perf_counter()
    laptops = await asyncio.gather(*(RoomSession.open(url) for _ in range(LAPTOPS)))
    figures["open_s"] = time.perf_counter() - started
    times: list[float] = []

    async def participant(k: int, laptop: RoomSession) -> None:
        pause = random.Random(k)
        await asyncio.sleep(pause.uniform(0.0, 3.0))  # people move sliders at their own moments
        for move, value in enumerate((0.05 * k, 1.05 + 0.05 * k, 2.05 + 0.05 * k)):  # never 1.0: as written
            if move:
                await asyncio.sleep(pause.uniform(1.0, 3.0))
            value = round(value, 2)
            times.append(await laptop.move_slider("tt-delay", value, _token(value)))

    await asyncio.gather(*(participant(k, laptop) for k, laptop in enumerate(laptops)))
    figures["with_mb"] = _rss_mb(pid)
    for laptop in laptops:
        assert _token(2.05 + 0.05 * laptops.index(laptop)) in laptop.command().split(), "each laptop sees its own run"
        laptop.close()
    await asyncio.sleep(SETTLE_S)
    figures["after_mb"] = _rss_mb(pid)

    # A second room's worth, opened and closed: the memory the first left is reused, it does not grow.
    again = await asyncio.gather(*(RoomSession.open(url) for _ in range(LAPTOPS)))
    for laptop in again:
        laptop.close()
    await asyncio.sleep(SETTLE_S)
    figures["after_second_mb"] = _rss_mb(pid)
    figures.update(moves=len(times), median_s=statistics.median(times), max_s=max(times))
    return figures


@pytest.fixture
def own_dashboard():
    """A server of its own: the test measures the process's memory and round trips, which must not depend on
    what other tests did on a shared server before."""
    process, url, port = start_dashboard()
    yield process, url, port
    stop(process)


def test_twenty_laptops_at_once_keep_the_slider_quick_and_give_their_memory_back(own_dashboard):
    pytest.importorskip("psutil")
    process, url, _ = own_dashboard
    figures = asyncio.run(_room(url, process.pid))
    print("twenty sessions:", {k: round(v, 3) for k, v in figures.items()})
    assert figures["moves"] == 3 * LAPTOPS
    # Measured on a quiet 2-core machine: median about 0.1 s, max under 1 s (docs/dashboard.md has the
    # figures). The suite shares the cores with other tests, so the bounds here only catch a session that
    # is blocked (seconds, not tenths): the speed itself is a measurement, not a test.
    assert figures["median_s"] < 3.0, figures
    assert figures["max_s"] < 10.0, figures
    grew = figures["with_mb"] - figures["before_mb"]
    assert grew > 0, figures
    # The Python heap is back to its start once the sessions close (tracemalloc: a few kB of ~45 MB);
    # the process keeps part of its high-water mark for the next sessions, so the check is that the
    # memory did not grow after closing (within 1 MB), and that a second room's worth of sessions does not add to it.
    assert figures["after_mb"] <= figures["with_mb"] + 1.0, figures
    assert figures["after_second_mb"] <= figures["after_mb"] + 10.0, figures
