"""The seeding rule: every random choice of an experiment comes from its root entropy, so its runs and its
design are reproducible from the definition alone."""

from __future__ import annotations

import numpy as np

# spawn_key of the design sampler's seed: one element long, so it can never equal a run's (point, replicate)
_DESIGN_SPAWN_KEY = (0x5A11B,)
RULE = ("run seed = SeedSequence(entropy=root_entropy, spawn_key=(point, replicate)).generate_state(1, uint64)[0] "
        ">> 1")


def run_seed(entropy: int, point: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` at design point ``point``: a child of ``SeedSequence(entropy)``.

    Derived from (point, replicate) alone, never from submission order, so a run has the same seed
    whatever the executor, the number of workers or the order in which runs complete or resume.
    63 bits: fits a signed 64-bit column everywhere.
    """
    ss = np.random.SeedSequence(entropy=entropy, spawn_key=(point, replicate))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def design_seed(entropy: int) -> int:
    """The seed of a design's sampler (and of the bootstrap of its sensitivity indices)."""
    return int(np.random.SeedSequence(entropy=entropy, spawn_key=_DESIGN_SPAWN_KEY).generate_state(1)[0])
