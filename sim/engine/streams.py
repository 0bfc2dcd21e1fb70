"""Keyed random streams: every draw tied to the entity it decides.

One seed per run. Each kind of decision has its own stream, named by a tuple
such as ``("link", "NOR-INT->HUB", "delay", "biometric")``; within a stream,
entity ``i`` (a traveller) always receives the same uniform, whatever happens
before or around it. So two scenarios that differ only in sharing policy see
the same travellers, routes, leg times and intelligence, and a faster link does
not reshuffle who trusts what (common random numbers, draw by draw).

Streams are numpy Generators (PCG64) seeded by ``SeedSequence(seed,
spawn_key=...)``, where the spawn key is a stable hash of the stream's name
plus a block number: uniforms are made in blocks of `BLOCK` entities, lazily,
and cached. Nothing depends on Python's hash seed or on the process.
"""

from __future__ import annotations

import hashlib

import numpy as np

BLOCK = 1024
"""Entities per block of uniforms: small enough to stay lazy, big enough to be cheap."""


def _name_key(name: tuple[object, ...]) -> tuple[int, ...]:
    digest = hashlib.blake2b(repr(name).encode(), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """The random streams of one run.

    Args:
        seed: the run's seed (a non-negative integer).
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._blocks: dict[tuple[tuple[object, ...], int], np.ndarray] = {}
        self._keys: dict[tuple[object, ...], tuple[int, ...]] = {}
        self._lists: dict[tuple[tuple[object, ...], int], list[float]] = {}

    def block(self, name: tuple[object, ...], number: int) -> np.ndarray:
        """The uniforms of stream `name` for entities ``number * BLOCK`` to ``(number + 1) * BLOCK - 1``."""
        key = (name, number)
        values = self._blocks.get(key)
        if values is None:
            base = self._keys.get(name)
            if base is None:
                base = self._keys[name] = _name_key(name)
            seq = np.random.SeedSequence(self.seed, spawn_key=(*base, number))
            values = np.random.Generator(np.random.PCG64(seq)).random(BLOCK)
            self._blocks[key] = values
        return values

    def uniform(self, name: tuple[object, ...], index: int) -> float:
        """The uniform in [0, 1) that stream `name` holds for entity `index` (a Python float, cached)."""
        key = (name, index // BLOCK)
        values = self._lists.get(key)
        if values is None:
            values = self._lists[key] = self.block(name, index // BLOCK).tolist()
        return values[index % BLOCK]

    def uniforms(self, name: tuple[object, ...], count: int, start: int = 0) -> np.ndarray:
        """Uniforms for entities ``start .. start+count-1`` (equal to `uniform` one by one)."""
        if count <= 0:
            return np.empty(0)
        first, last = start // BLOCK, (start + count - 1) // BLOCK
        values = np.concatenate([self.block(name, b) for b in range(first, last + 1)])
        offset = start - first * BLOCK
        out = values[offset : offset + count].copy()
        if last - first > 8:  # a bulk read of a long stream: do not keep it all cached
            for b in range(first, last + 1):
                self._blocks.pop((name, b), None)
        return out
