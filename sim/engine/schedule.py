"""The monthly schedule, compiled (MODEL.md §3): initialisation (§5) and the eight stages of a step, in
``sim.steps.reference.step``'s order, and a run to its end (§13.3: resolved, past the last horizon and a
scheduled shock, with ``stop_on_settle``; else ``max_steps``).
"""

from __future__ import annotations

from sim.engine import contracts, intents, market, matching, observe, population, tension
from sim.engine.jit import jit
from sim.engine.layout import (
    ALIGNMENT_PULL,
    C_RESOLVED,
    C_RUNNING,
    C_STEPS,
    FALSE,
    LAST_HORIZON,
    MAX_STEPS,
    SHOCK_STEP,
    STOP_ON_SETTLE,
    TRUE,
)


@jit
def init(S, P, Q, H, rng):
    """§5 the population and its initial contracts, then the observer's first, unrecorded pass (§8)."""
    population.build(S, P, Q, rng)
    observe.observe(S, P, Q, H, S.rec.C[C_STEPS], FALSE)


@jit
def step(S, P, Q, H, rng):
    """§3 one month, ``sim.steps.reference.step``: 1. headquarters pressure, alignment (§11.3), sides
    (§13.1); 2–3. effort, opportunities, LoF; 4. contracts; 5. tension and choices; 6. drift; 7. turnover,
    a scheduled shock, matching; 8. observation. Then whether the run goes on (``PiggybackModel.step``)."""
    C = S.rec.C
    C[C_STEPS] += 1
    t = C[C_STEPS]
    intents.apply_pressure(S, P, Q)
    if P[ALIGNMENT_PULL] > 0.0:
        intents.align(S, Q, P[ALIGNMENT_PULL])
    intents.update_sides(S, P, Q, t)
    intents.allocate_effort(S, P, Q)
    market.opportunities(S, P, Q, rng, t)
    market.update_lof(S, P, Q)
    contracts.contract_stage(S, P, Q, rng, t)
    tension.tension_stage(S, P, Q, rng, t)
    intents.drift(S, P, Q)
    population.turnover(S, P, Q, rng, t)
    if t == Q[SHOCK_STEP]:
        population.shock(S, P, Q, rng, t)
    matching.matching(S, P, Q, rng, t)
    observe.observe(S, P, Q, H, t, TRUE)
    done = C[C_RESOLVED] != 0 and Q[STOP_ON_SETTLE] != 0 and t >= max(Q[SHOCK_STEP], Q[LAST_HORIZON])
    C[C_RUNNING] = t < Q[MAX_STEPS] and not done


@jit
def run(S, P, Q, H, rng):
    """A whole run: initialisation, then steps while running (``PiggybackModel.run``)."""
    init(S, P, Q, H, rng)
    while S.rec.C[C_RUNNING]:
        step(S, P, Q, H, rng)
