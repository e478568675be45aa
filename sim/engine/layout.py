"""Where everything lives in the compiled engine's arrays: the parameters (MODEL.md §10–13), the codes that
stand for the model's words (:mod:`sim.vocabulary`), and the slots of the run's counters.

Compiled code cannot take a dict of parameters or return strings cheaply, so a validated parameter set is
packed into three arrays (floats ``P``, integers ``Q``, horizons ``H``) whose positions are the integer
constants below; Numba reads module-level integers as compile-time constants, so ``P[TRUST0]`` costs what
a local variable costs. Words (quadrants, regimes, actions, paths, events) are small integer codes, turned
back into the vocabulary's strings by :mod:`sim.engine.results`. Nothing here is compiled.
"""

from __future__ import annotations

import numpy as np

from sim.vocabulary import (
    COEXISTENCE,
    DRIFT,
    EXIT,
    LOYALTY,
    MIXED,
    QUADRANTS,
    UNRESOLVED,
    UNSETTLED,
    VOICE,
)

# -- float parameters: P[name] ------------------------------------------------------------------------
FLOATS = (
    "p_explore", "p_international", "trust0", "knowledge0", "voluntarism", "capability", "boundary_spanning",
    "opportunity_rate", "detect_base", "sale_value", "lof0", "lof_portfolio", "lof_platform", "lof_recovery",
    "platform_boost", "capacity", "effort_floor", "voluntarism_pull", "comm_min", "comm_max", "trust_gain",
    "success_gain", "trust_decay", "frustration_erosion", "comm_cost", "learning_rate", "value_q1", "value_q3",
    "value_tension", "value_cv_q1", "value_cv_q3", "ambition_drift", "pressure_rate", "hq_pressure", "ecosystem",
    "intermediary", "intermediary_trust", "alignment_pull", "frustration_threshold", "frustration_decay",
    "rationality", "loyalty_weight", "exit_cost", "voice_cost", "voice_gain", "voice_base", "voice_trust",
    "voice_spanning", "voice_ecosystem", "voice_intermediary", "voice_h", "loyalty_shift", "voice_shift",
    "search_rate", "sme_turnover", "entry_p_international", "sub_turnover", "shock_share", "side_band",
    "settle_tolerance", "settle_z", "regime_z", "dominance", "coexist_share",
)
(P_EXPLORE, P_INTERNATIONAL, TRUST0, KNOWLEDGE0, VOLUNTARISM, CAPABILITY, BOUNDARY_SPANNING,
 OPPORTUNITY_RATE, DETECT_BASE, SALE_VALUE, LOF0, LOF_PORTFOLIO, LOF_PLATFORM, LOF_RECOVERY,
 PLATFORM_BOOST, CAPACITY, EFFORT_FLOOR, VOLUNTARISM_PULL, COMM_MIN, COMM_MAX, TRUST_GAIN,
 SUCCESS_GAIN, TRUST_DECAY, FRUSTRATION_EROSION, COMM_COST, LEARNING_RATE, VALUE_Q1, VALUE_Q3,
 VALUE_TENSION, VALUE_CV_Q1, VALUE_CV_Q3, AMBITION_DRIFT, PRESSURE_RATE, HQ_PRESSURE, ECOSYSTEM,
 INTERMEDIARY, INTERMEDIARY_TRUST, ALIGNMENT_PULL, FRUSTRATION_THRESHOLD, FRUSTRATION_DECAY,
 RATIONALITY, LOYALTY_WEIGHT, EXIT_COST, VOICE_COST, VOICE_GAIN, VOICE_BASE, VOICE_TRUST,
 VOICE_SPANNING, VOICE_ECOSYSTEM, VOICE_INTERMEDIARY, VOICE_H, LOYALTY_SHIFT, VOICE_SHIFT,
 SEARCH_RATE, SME_TURNOVER, ENTRY_P_INTERNATIONAL, SUB_TURNOVER, SHOCK_SHARE, SIDE_BAND,
 SETTLE_TOLERANCE, SETTLE_Z, REGIME_Z, DOMINANCE, COEXIST_SHARE) = range(len(FLOATS))

# -- integer parameters (and booleans and choices as codes, and what is derived from them): Q[name] ------
INTS = ("n_mnes", "n_markets", "n_smes", "n_niches", "contracts_per_sme", "shock_step", "max_steps", "burn_in",
        "settle_window", "coexist_windows")
(N_MNES, N_MARKETS, N_SMES, N_NICHES, CPS, SHOCK_STEP, MAX_STEPS, BURN_IN, SETTLE_WINDOW,
 COEXIST_WINDOWS) = range(len(INTS))
# codes of the booleans and choices, then derived figures (set by :func:`pack`)
(PLATFORM, STOP_ON_SETTLE, VOICE_HYPOTHESIS, SHOCK_INTENT, INITIAL_QUADRANT, SHOCK_K, LAST_HORIZON, UID_SUB0,
 N_QPARAMS) = range(len(INTS), len(INTS) + 9)

# Codes passed between compiled functions are NumPy scalars, not Python ints: Numba compiles a function once
# per combination of *literal* argument values (a Python constant is a literal), so E_FORMED = 0 passed to
# record() would make a version of it for each event kind; np.int64(0) is just an int64.
NONE = np.int64(-1)  # an empty column, no action, no regime
TRUE, FALSE = np.bool_(True), np.bool_(False)

HYPOTHESES = ("loyalty", "exit_threat")  # voice_hypothesis codes (§7.7)
H_LOYALTY, H_EXIT_THREAT = np.int64(0), np.int64(1)
SHOCK_INTENTS = ("domestic", "international", "mixed")  # shock_intent codes (§11.4)
I_DOMESTIC, I_INTERNATIONAL, I_MIXED = np.int64(0), np.int64(1), np.int64(2)
STARTS = ("mixed", *QUADRANTS)  # initial_quadrant codes (§5): 0 mixed, k for Qk

# -- words as codes --------------------------------------------------------------------------------------
# regimes of every kind (window-mean regime, first settlement, long-run regime): -1 stands for None
REGIME_WORDS = (*QUADRANTS, MIXED, UNSETTLED, COEXISTENCE, UNRESOLVED)
R_MIXED, R_UNSETTLED, R_COEXISTENCE, R_UNRESOLVED = np.int64(4), np.int64(5), np.int64(6), np.int64(7)
ACTION_WORDS = (LOYALTY, EXIT, VOICE, DRIFT)  # what moved an intent, or a party's choice (§7.7, §8)
A_LOYALTY, A_EXIT, A_VOICE, A_DRIFT = np.int64(0), np.int64(1), np.int64(2), np.int64(3)
# path counters are kept per (path A–D, action code); :mod:`sim.engine.results` names them in PATH_ACTIONS' order
PATHS = {(2, 1): 0, (4, 1): 1, (2, 3): 2, (4, 3): 3}  # sim.vocabulary.PATHS, as indexes of PATH_NAMES
EVENT_WORDS = ("formed", "quadrant", "path_by_exit", "exit", "departure")
E_FORMED, E_QUADRANT, E_PATH_BY_EXIT, E_EXIT, E_DEPARTURE = (np.int64(i) for i in range(5))
BY_WORDS = ("sme", "sub")
CONTESTED, IDLE = np.int64(4), np.int64(5)  # a subsidiary's state beside locked in Q1–Q4 (as sim.regime)

# -- the run's integer counters: C[name] --------------------------------------------------------------
COUNTERS = (
    "steps", "running", "next_contract", "next_agent", "formed", "ended", "active", "n_order", "n_free",
    "exits", "voices", "voice_successes", "loyalty_acts", "departures", "entrants", "sub_renewals",
    "settled", "settle_step", "quadrant", "final_quadrant", "stable_at_end",
    "resolved", "regime", "regime_step", "regime_now", "subs_valid",
    "obs_n", "obs_start", "occupied", "obs_regime", "last_quadrant_regime", "switches", "pf_n",
    "watch", "watch_step", "watch_regime", "watch_quadrant", "watch_return",
    "n_events", "events_on", "n_timeline",
)
(C_STEPS, C_RUNNING, C_NEXT_CONTRACT, C_NEXT_AGENT, C_FORMED, C_ENDED, C_ACTIVE, C_N_ORDER, C_N_FREE,
 C_EXITS, C_VOICES, C_VOICE_SUCCESSES, C_LOYALTY_ACTS, C_DEPARTURES, C_ENTRANTS, C_SUB_RENEWALS,
 C_SETTLED, C_SETTLE_STEP, C_QUADRANT, C_FINAL_QUADRANT, C_STABLE_AT_END,
 C_RESOLVED, C_REGIME, C_REGIME_STEP, C_REGIME_NOW, C_SUBS_VALID,
 C_OBS_N, C_OBS_START, C_OCCUPIED, C_OBS_REGIME, C_LAST_QUADRANT_REGIME, C_SWITCHES, C_PF_N,
 C_WATCH, C_WATCH_STEP, C_WATCH_REGIME, C_WATCH_QUADRANT, C_WATCH_RETURN,
 C_N_EVENTS, C_EVENTS_ON, C_N_TIMELINE) = range(len(COUNTERS))

# -- the run's float figures: F[name] -------------------------------------------------------------------
FIGURES = ("costs", "value_ended", "share_q1", "share_q2", "share_q3", "share_q4", "mean_trust",
           "mean_communication", "mean_effort", "mean_lof", "mean_ambition", "mean_exploration", "total_value",
           "watch_target", "watch_band")
(F_COSTS, F_VALUE_ENDED, F_SHARE_Q1, F_SHARE_Q2, F_SHARE_Q3, F_SHARE_Q4, F_MEAN_TRUST, F_MEAN_COMMUNICATION,
 F_MEAN_EFFORT, F_MEAN_LOF, F_MEAN_AMBITION, F_MEAN_EXPLORATION, F_TOTAL_VALUE, F_WATCH_TARGET,
 F_WATCH_BAND) = range(len(FIGURES))

# event log columns kept as integers (the rest, trust_sme, trust_sub, communication, as floats)
EV_STEP, EV_EVENT, EV_CONTRACT, EV_SME, EV_SUB, EV_MARKET, EV_NICHE, EV_QUADRANT, EV_FROM, EV_PATH, EV_ACTION, \
    EV_BY = range(12)
N_EV_INTS = 12


def pack(p: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A validated parameter set (:func:`sim.params.validate`) as the engine's ``(P, Q, H)`` arrays, with
    what the reference computes in Python before any draw: the shock's size ``round(shock_share·n)``
    (§11.4, Python's rounding of halves to even), the last horizon within ``max_steps`` (§13.4), and the
    unique id of the first subsidiary (Mesa numbers agents from 1 in creation order: intermediaries, if
    any, then headquarters, then subsidiaries, then SMEs and entrants)."""
    P = np.array([float(p[name]) for name in FLOATS], dtype=np.float64)
    Q = np.zeros(N_QPARAMS, dtype=np.int64)
    for i, name in enumerate(INTS):
        Q[i] = int(p[name])
    Q[PLATFORM] = int(bool(p["platform"]))
    Q[STOP_ON_SETTLE] = int(bool(p["stop_on_settle"]))
    Q[VOICE_HYPOTHESIS] = HYPOTHESES.index(p["voice_hypothesis"])
    Q[SHOCK_INTENT] = SHOCK_INTENTS.index(p["shock_intent"])
    Q[INITIAL_QUADRANT] = STARTS.index(p["initial_quadrant"])
    Q[SHOCK_K] = round(p["shock_share"] * p["n_smes"])
    Q[LAST_HORIZON] = max([h for h in p["horizons"] if h <= p["max_steps"]], default=0)
    Q[UID_SUB0] = 1 + (p["n_markets"] if p["intermediary"] > 0 else 0) + p["n_mnes"]
    H = np.array(p["horizons"], dtype=np.int64)
    return P, Q, H
