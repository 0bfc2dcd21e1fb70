"""Keyed random streams: a draw belongs to its entity, not to the order of asking."""

from __future__ import annotations

import numpy as np

from sim.engine.streams import BLOCK, Streams


def test_one_by_one_equals_in_bulk_across_blocks() -> None:
    streams = Streams(7)
    bulk = streams.uniforms(("link", "A->B", "delay", "name"), 3 * BLOCK, start=5)
    single = [streams.uniform(("link", "A->B", "delay", "name"), i) for i in range(5, 5 + 3 * BLOCK)]
    assert np.array_equal(bulk, single)


def test_the_order_of_asking_changes_nothing() -> None:
    name = ("screen", "NOR-BRD", 0)
    forwards, backwards = Streams(3), Streams(3)
    first = [forwards.uniform(name, i) for i in range(0, 5000, 97)]
    second = [backwards.uniform(name, i) for i in reversed(range(0, 5000, 97))][::-1]
    assert first == second
    other = Streams(3).uniform(("screen", "TRA-BRD", 0), 0)
    assert other != first[0], "another stream name gives other draws"
    assert Streams(4).uniform(name, 0) != first[0], "another seed gives other draws"
    assert all(0 <= u < 1 for u in first)
