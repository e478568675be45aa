"""The engine's state as the reference reports it: the run summary (MODEL.md §8, §11–13) with the same keys
in the same order and the same Python types, and the ``steps``, ``events`` and ``timeline`` tables.

Plain Python over the arrays the compiled run leaves (:mod:`sim.engine.state`): what
``PiggybackModel.summary`` and ``sim.model.run`` compute from the model, computed the same way (window
means with NumPy on the same cumulative sums, occupancy as int / int, ...), so the floats are the same.
A summary key the engine does not know raises: a new key in :mod:`sim.vocabulary` needs the engine too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.engine import layout as L
from sim.vocabulary import (
    EVENT_COLUMNS,
    PATH_ACTIONS,
    PATH_NAMES,
    QUADRANTS,
    REGIMES,
    SUBSIDIARY_KEYS,
    SUMMARY_KEYS,
    TIMELINE_COLUMNS,
    UNRESOLVED,
)

WORDS = L.REGIME_WORDS


def _word(code: int) -> str | None:
    return None if code < 0 else WORDS[code]


def window_mean(cum: np.ndarray, n: int, window: int) -> np.ndarray:
    """``RegimeObserver.window_mean``: mean shares over the last ``min(window, n)`` steps."""
    w = min(window, n)
    lo, hi = n - w, n
    return ((cum[hi] - cum[lo]) / max(1, hi - lo))[:4]


def summary(S, Q, H, seed) -> dict[str, Any]:
    """``PiggybackModel.summary``: ``seed``, then :data:`SUMMARY_KEYS`, then the horizon keys."""
    C, F, R = S.rec.C, S.rec.F, S.rec
    n = int(C[L.C_OBS_N])
    paths = R.paths.tolist()
    subs_now = R.subs_now.tolist() if C[L.C_SUBS_VALID] else [None] * 5
    composition = window_mean(S.obs.cum, n, int(Q[L.SETTLE_WINDOW]))
    occupied = int(C[L.C_OCCUPIED])
    watch = bool(C[L.C_WATCH])
    values: dict[str, Any] = {
        "regime": WORDS[C[L.C_REGIME]],
        "resolved": bool(C[L.C_RESOLVED]),
        "regime_step": int(C[L.C_REGIME_STEP]) if C[L.C_RESOLVED] else None,
        "final_regime": _word(int(C[L.C_REGIME_NOW])) or UNRESOLVED,
        **dict(zip(SUBSIDIARY_KEYS, subs_now)),
        "settled": bool(C[L.C_SETTLED]),
        "settle_step": int(C[L.C_SETTLE_STEP]) if C[L.C_SETTLED] else None,
        "steps": int(C[L.C_STEPS]),
        "quadrant": WORDS[C[L.C_QUADRANT]],
        "final_quadrant": WORDS[C[L.C_FINAL_QUADRANT]],
        "stable_at_end": bool(C[L.C_STABLE_AT_END]),
        **{f"share_{q}": float(F[L.F_SHARE_Q1 + i]) for i, q in enumerate(QUADRANTS)},
        **{f"composition_{q}": float(composition[i]) for i, q in enumerate(QUADRANTS)},
        **{f"occupancy_{r}": int(S.obs.occupancy[i]) / occupied if occupied else None
           for i, r in enumerate(REGIMES)},
        "regime_switches": int(C[L.C_SWITCHES]),
        "contracts": int(C[L.C_ACTIVE]),
        **{f"path_{p}": sum(paths[i]) for i, p in enumerate(PATH_NAMES)},
        **{f"path_{p}_{a}": paths[i][L.ACTION_WORDS.index(a)] for i, p in enumerate(PATH_NAMES)
           for a in PATH_ACTIONS},
        **{f"founders_path_{p}": int(R.founders[i]) for i, p in enumerate(PATH_NAMES)},
        "exits": int(C[L.C_EXITS]),
        "voices": int(C[L.C_VOICES]),
        "voice_successes": int(C[L.C_VOICE_SUCCESSES]),
        "loyalty_acts": int(C[L.C_LOYALTY_ACTS]),
        "departures": int(C[L.C_DEPARTURES]),
        "entrants": int(C[L.C_ENTRANTS]),
        "sub_renewals": int(C[L.C_SUB_RENEWALS]),
        "shock_regime": WORDS[C[L.C_WATCH_REGIME]] if watch else None,
        "shock_returned": bool(C[L.C_REGIME] == C[L.C_WATCH_REGIME]) if watch else None,
        "shock_return_time": (int(C[L.C_WATCH_RETURN]) if C[L.C_WATCH_RETURN] >= 0 else None) if watch else None,
        "mean_trust": float(F[L.F_MEAN_TRUST]),
        "mean_communication": float(F[L.F_MEAN_COMMUNICATION]),
        "mean_effort": float(F[L.F_MEAN_EFFORT]),
        "mean_lof": float(F[L.F_MEAN_LOF]),
        "mean_ambition": float(F[L.F_MEAN_AMBITION]),
        "mean_exploration": float(F[L.F_MEAN_EXPLORATION]),
        "total_value": float(F[L.F_TOTAL_VALUE]),
        "contracts_formed": int(C[L.C_FORMED]),
        "contracts_ended": int(C[L.C_ENDED]),
    }
    out: dict[str, Any] = {"seed": seed}
    for key in SUMMARY_KEYS:
        out[key] = values.pop(key)  # a KeyError here: sim.vocabulary has a key the engine does not report
    if values:
        raise KeyError(f"the engine reports keys the vocabulary does not have: {sorted(values)}")
    for h, (month, code) in enumerate(zip(H.tolist(), R.hz_regime.tolist())):
        valid = code >= 0 and bool(R.hz_valid[h])
        out[f"regime_{month}"] = _word(code)
        for i, key in enumerate(SUBSIDIARY_KEYS):
            out[f"{key}_{month}"] = float(R.hz_subs[h, i]) if valid else None
    return out


def steps_table(cum: np.ndarray, n: int) -> list[dict]:
    """``run(tables=("steps",))``: each step's shares (rounded to 12 digits) and contracts, from the
    differences of the cumulative sums, as ``sim.model.run`` computes them."""
    rows = np.diff(cum[: n + 1], axis=0)
    return [{"step": k + 1, **{f"share_Q{i + 1}": round(r[i], 12) for i in range(4)}, "contracts": round(r[4])}
            for k, r in enumerate(rows.tolist())]


def events_table(S, ev_int: np.ndarray, ev_float: np.ndarray) -> list[dict]:
    """``run(tables=("events",))``: the contract event log, one dict per row (:data:`EVENT_COLUMNS`), from the
    log's arrays (:func:`sim.engine.structs.events`)."""
    n = int(S.rec.C[L.C_N_EVENTS])
    rows = []
    for e, f in zip(ev_int[:n].tolist(), ev_float[:n].tolist()):
        row = {"step": e[L.EV_STEP], "event": L.EVENT_WORDS[e[L.EV_EVENT]], "contract": e[L.EV_CONTRACT],
               "sme": e[L.EV_SME], "sub": e[L.EV_SUB], "market": e[L.EV_MARKET], "niche": e[L.EV_NICHE],
               "quadrant": e[L.EV_QUADRANT],
               "from_quadrant": e[L.EV_FROM] if e[L.EV_FROM] >= 0 else None,
               "path": PATH_NAMES[e[L.EV_PATH]] if e[L.EV_PATH] >= 0 else None,
               "action": L.ACTION_WORDS[e[L.EV_ACTION]] if e[L.EV_ACTION] >= 0 else None,
               "by": L.BY_WORDS[e[L.EV_BY]] if e[L.EV_BY] >= 0 else None,
               "trust_sme": f[0], "trust_sub": f[1], "communication": f[2]}
        rows.append({k: row[k] for k in EVENT_COLUMNS})
    return rows


def timeline_table(S) -> list[dict]:
    """``run(tables=("timeline",))``: every twelfth month from 0, as ``PiggybackModel.timeline``."""
    n = int(S.rec.C[L.C_N_TIMELINE])
    rows = []
    for (month, regime, long_run), subs, valid in zip(S.rec.tl_int[:n].tolist(), S.rec.tl_subs[:n].tolist(),
                                                      S.rec.tl_valid[:n].tolist()):
        values = subs if valid else [None] * 5
        rows.append(dict(zip(TIMELINE_COLUMNS, (month, WORDS[regime], WORDS[long_run] if long_run >= 0 else "",
                                                *values))))
    return rows
