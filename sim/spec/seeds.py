"""Seeds derived from one master seed: the replications' and a design's own sampling.

Both are children of the master seed's `numpy.random.SeedSequence` under their own
spawn key, so the design's sampling never shares a stream with a run.
"""

from __future__ import annotations

import numpy as np


def replication_seeds(master: int, replications: int) -> list[int]:
    """Seeds of replications 0..n-1: children of the master seed's `SeedSequence`.

    Child ``r`` depends only on the master seed and ``r``, so adding replications
    keeps the seeds of the earlier ones. Seeds are 63-bit non-negative integers.
    """
    children = np.random.SeedSequence(master, spawn_key=(1,)).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def design_seed(master: int) -> int:
    """The seed of the design's own sampling (lhs, sobol): independent of the replication seeds."""
    return int(np.random.SeedSequence(master, spawn_key=(0,)).generate_state(1, dtype=np.uint32)[0])
