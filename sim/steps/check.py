"""The two schedules held together: run :mod:`sim.steps.reference` and :mod:`sim.steps.fast` side by side
on one seed and compare everything the dynamics touch after every step (``tests/model/test_steps.py``
and ``tools/refresh_identity.py`` use it; the model never imports it)."""

from __future__ import annotations

import json

from sim.model import PiggybackModel


def state_text(model: PiggybackModel) -> str:
    """Everything the model holds that the dynamics touch, as text (floats by repr): every contract, every
    agent's intent and choices, the summary and the generator's state."""
    contracts = [
        (c.uid, c.sme.unique_id, c.sub.unique_id, c.trust_sme, c.trust_sub, c.communication, c.effort, c.age,
         c.frustration_sme, c.frustration_sub, c.sales, c.value, c.quadrant, c.sale_step, c.exit_origin)
        for c in model.book.active.values()
    ]
    subs = [(s.unique_id, s.exploration, s.lof, sorted(s.open_niches), sorted(s.shunned), s.moved_by, s.moved_step,
             s.last_action, s.last_action_step) for s in model.subsidiaries]
    smes = [(s.unique_id, s.ambition, s.capability, sorted(s.knowledge.items()), sorted(s.shunned), s.moved_by,
             s.moved_step, s.last_action, s.last_action_step) for s in model.smes]
    bits = model.rng.bit_generator.state
    return json.dumps([contracts, subs, smes, model.summary(), bits["state"], bits["has_uint32"], bits["uinteger"]],
                      default=repr)


def first_difference(params: dict, seed: int, shock_at: int | None = None) -> int | None:
    """Step both schedules from the same seed until the run ends; the first step after which they differ
    (in :func:`state_text`, the event log or the DataCollector's rows), or None if they never do.
    ``shock_at``: call ``shock(0.5, "mixed")`` between steps there, as the dashboard's button does."""
    ref = PiggybackModel(rng=seed, reference=True, record_events=True, **params)
    new = PiggybackModel(rng=seed, record_events=True, **params)
    if new.reference:
        raise RuntimeError("the fast step is switched off (sim.steps.mirrors reports a change): nothing to compare")
    while ref.running:
        if ref.steps == shock_at:
            if ref.shock(0.5, "mixed") != new.shock(0.5, "mixed"):
                return ref.steps
        ref.step()
        new.step()
        if state_text(new) != state_text(ref):
            return ref.steps
    if new.running or json.dumps(new.events.columns, default=repr) != json.dumps(ref.events.columns, default=repr):
        return ref.steps
    rows = [m.datacollector.get_model_vars_dataframe().to_json() for m in (ref, new)]
    return None if rows[0] == rows[1] else ref.steps
