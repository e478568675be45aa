"""The network view's rows: where each firm sits (:class:`RingLayout`) and what it is now (:func:`network_rows`).

Positions are fixed rings, not a force layout: a firm stays where it was from one frame to the
next, so the eye follows changes of colour rather than moving nodes, and no layout is computed
per step. The rows are what the network chart (:mod:`sim.dashboard.charts`) draws and what its
hover shows; they read the model, never change it.
"""

from __future__ import annotations

import math

from sim.regime import CONTESTED, IDLE
from sim.vocabulary import ACTIONS, QUADRANTS

RECENT = 6  # months a firm's exit / voice / loyalty stays outlined on the network
NOT_JUDGED = "not judged yet"  # before the first full settlement window, no portfolio state is defined (§13.2)
NO_CONTRACTS = "no contracts"


def state_name(code: int) -> str:
    """A subsidiary's §13.2 state code (:meth:`sim.regime.Portfolios.states`) in words."""
    if code == CONTESTED:
        return "contested"
    if code == IDLE:
        return NO_CONTRACTS
    return f"locked {QUADRANTS[code]}"


class RingLayout:
    """Fixed node positions on rings.

    Each market owns a sector: its subsidiaries on the inner ring (MNEs side by side), the
    SMEs whose first target it is on two outer rings, sorted by niche. An SME that leaves
    (§11.1) leaves a gap; an entrant fills a gap in its own market's sector, or, if there is
    none, joins the sector, whose SMEs then spread out again.
    """

    def __init__(self, model) -> None:
        self.n = n = len(model.subs_by_market)
        self.sub_xy = {
            sub.unique_id: self._place(m, i, len(subs), 1.0)
            for m, subs in enumerate(model.subs_by_market)
            for i, sub in enumerate(subs)
        }
        self.slots: list[list[int | None]] = [[] for _ in range(n)]  # SME ids by sector; None: a gap
        for sme in sorted(model.smes, key=lambda s: s.niche):
            self.slots[sme.targets[0]].append(sme.unique_id)
        self.sme_xy: dict[int, tuple[float, float]] = {}
        for m in range(n):
            self._spread(m)

    def _place(self, m: int, i: int, k: int, radius: float) -> tuple[float, float]:
        angle = 2 * math.pi * (m + 0.1 + 0.8 * (i + 0.5) / k) / self.n
        r = radius + (0.3 * (i % 2) if radius > 1.0 else 0.0)  # SMEs staggered on two rings
        return round(r * math.cos(angle), 4), round(r * math.sin(angle), 4)

    def _spread(self, m: int) -> None:
        slots = self.slots[m]
        for i, uid in enumerate(slots):
            if uid is not None:
                self.sme_xy[uid] = self._place(m, i, len(slots), 2.0)

    def market_labels(self) -> list[dict]:
        out = []
        for m in range(self.n):
            angle = 2 * math.pi * (m + 0.5) / self.n
            out.append({"x": round(2.8 * math.cos(angle), 3), "y": round(2.8 * math.sin(angle), 3),
                        "label": f"market {m}"})
        return out

    def sync(self, smes) -> None:
        """Follow the population: gaps for the SMEs that left, places for the entrants."""
        present = {s.unique_id for s in smes}
        if len(present) == len(self.sme_xy) and present.issubset(self.sme_xy):
            return
        for slots in self.slots:
            for i, uid in enumerate(slots):
                if uid is not None and uid not in present:
                    slots[i] = None
                    del self.sme_xy[uid]
        for sme in smes:
            if sme.unique_id not in self.sme_xy:
                m, slots = sme.targets[0], self.slots[sme.targets[0]]
                if None in slots:
                    i = slots.index(None)
                    slots[i] = sme.unique_id
                    self.sme_xy[sme.unique_id] = self._place(m, i, len(slots), 2.0)
                else:
                    slots.append(sme.unique_id)
                    self._spread(m)


def recent_action(agent, step: int) -> str:
    """The firm's exit, voice or loyalty choice if it chose in the last :data:`RECENT` months, else "none"."""
    action = agent.last_action
    if action in ACTIONS and step - agent.last_action_step < RECENT:
        return action
    return "none"


def network_rows(model, layout: RingLayout, states, judged: bool) -> dict[str, list[dict]]:
    """The network's datasets now: ``edges`` (contracts), ``subs`` (subsidiaries with their §13.2 state,
    ``states`` the codes of :meth:`sim.regime.Portfolios.states`), ``smes`` and ``markets`` (labels)."""
    step = model.steps
    layout.sync(model.smes)
    mne = {id(hq): k for k, hq in enumerate(model.headquarters)}
    edges = []
    for c in model.book.active.values():
        (x, y), (x2, y2) = layout.sub_xy[c.sub.unique_id], layout.sme_xy[c.sme.unique_id]
        edges.append({
            "x": x, "y": y, "x2": x2, "y2": y2, "quadrant": QUADRANTS[c.quadrant - 1],
            "trust": round(c.trust_mean, 3), "age": c.age,
            "sme": c.sme.unique_id, "subsidiary": f"MNE {mne[id(c.sub.hq)]}, market {c.sub.market}",
        })  # fmt: skip
    subs = []
    for sub in model.subsidiaries:
        x, y = layout.sub_xy[sub.unique_id]
        code = int(states[sub.index])
        subs.append({
            "x": x, "y": y, "mne": f"MNE {mne[id(sub.hq)]}", "market": sub.market,
            "state": state_name(code) if judged or code == IDLE else NOT_JUDGED,
            "side": "explore" if sub.explores else "exploit", "exploration": round(sub.exploration, 3),
            "contracts": len(sub.contracts), "action": recent_action(sub, step),
        })  # fmt: skip
    smes = []
    for sme in model.smes:
        x, y = layout.sme_xy[sme.unique_id]
        smes.append({
            "x": x, "y": y, "sme": sme.unique_id, "ambition": round(sme.ambition, 3),
            "side": "international" if sme.international else "domestic", "niche": sme.niche,
            "contracts": len(sme.contracts), "entrant": "founder" if sme.founder else "entrant",
            "action": recent_action(sme, step),
        })  # fmt: skip
    return {"edges": edges, "subs": subs, "smes": smes, "markets": layout.market_labels()}
