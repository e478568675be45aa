"""Submodels of MODEL.md §7, one module each, as small pure functions.

Numbers in, numbers out: no agent, no model, no random state, except where a
function takes the model's generator explicitly (the logit choice). Each docstring
names its section and equation so that docs/ODD.md §7 leads straight here.
"""

from sim.rules.effort import effort_shares, effort_weight
from sim.rules.evl import (
    ACTIONS,
    choose_action,
    exit_utility,
    frustration_step,
    loyalty_stock,
    loyalty_utility,
    voice_probability,
    voice_utility,
)
from sim.rules.influence import influence_share, shared_shift
from sim.rules.intent import alignment_drift, ambition_drift, pressure_drift, side
from sim.rules.learning import dyad_value_mean, knowledge_gain
from sim.rules.market import (
    detection_probability,
    lof_update,
    sale_probability,
)
from sim.rules.matching import fit, logit_weights, search_probability, start_trust
from sim.rules.trust import communication, trust_update

__all__ = [
    "ACTIONS",
    "alignment_drift",
    "ambition_drift",
    "choose_action",
    "communication",
    "detection_probability",
    "dyad_value_mean",
    "effort_shares",
    "effort_weight",
    "exit_utility",
    "fit",
    "frustration_step",
    "influence_share",
    "knowledge_gain",
    "lof_update",
    "logit_weights",
    "loyalty_stock",
    "loyalty_utility",
    "pressure_drift",
    "sale_probability",
    "search_probability",
    "shared_shift",
    "side",
    "start_trust",
    "trust_update",
    "voice_probability",
    "voice_utility",
]
