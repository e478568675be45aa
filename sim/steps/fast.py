"""The fast step: MODEL.md §3's schedule with the hot rules of §7 written into the loops.

:mod:`sim.steps.reference` is the readable schedule: agents act in the eight stages and call the pure
rules of :mod:`sim.rules`. This module does the same to the same objects with the arithmetic of those
rules inlined (same operations in the same order, so the same floats), stages fused where they touch
disjoint state, and the normals of the contract stage and the uniforms of the two matching passes drawn
in blocks. Results are identical to the reference step and to the model before the fast step existed
(tag ``v2-pre-speed``), bit for bit: ``tests/model/test_identity.py`` (recorded summaries, tables and
final generator states) and ``tests/model/test_steps.py`` (reference against fast after every step, on
random parameter sets). :mod:`sim.steps.mirrors` lists what this module restates, each with a hash, so
that the model falls back to the reference step, naming the change, if any of it changes.

Rare events (a choice under tension, a partner search, a departure, a path) call the agents'
methods, so they run the reference code itself.

Random numbers. A Generator's ``random(k)`` yields the same doubles as ``k`` calls of
``random()``, and a double consumes one 64-bit word without touching the 32-bit half-word that
``integers`` and ``permutation`` keep between calls. So a block of ``k`` uniforms, taken in
order and followed by single draws once it is used up, is the same stream, provided that ``k``
uniforms will be taken before any draw of another kind: :class:`Uniforms` is drawn only for
stages whose every draw is a uniform and sized by the draws that stage is sure to make. The
``k`` normal draws of the contract stage are one ``standard_normal(k)``: no other draw happens
in that stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import observe, population

if TYPE_CHECKING:
    from sim.model import PiggybackModel


class Uniforms:
    """The next uniform draws of ``rng``: the first ``k`` from one block, the rest one by one.

    Call it as ``rng.random()`` (:meth:`sim.agents._Party.pick_partner` takes it as ``uniform``).
    ``k`` must not exceed the uniforms the stage will take before any other kind of draw
    (:meth:`check` verifies it at the stage's end)."""

    __slots__ = ("buf", "i", "rng")

    def __init__(self, rng, k: int) -> None:
        self.rng = rng
        self.buf = rng.random(k).tolist() if k > 0 else []
        self.i = 0

    def __call__(self) -> float:
        i = self.i
        if i < len(self.buf):
            self.i = i + 1
            return self.buf[i]
        return self.rng.random()

    def check(self) -> None:
        if self.i != len(self.buf):
            raise RuntimeError(f"drew {len(self.buf)} uniforms in a block but took {self.i}: the stream moved")


def step(model: PiggybackModel) -> None:
    """One month, as :func:`sim.steps.reference.step` (the same stages and draws)."""
    p, rng = model.p, model.rng
    _intents_and_effort(model, p)  # stage 1 and the effort of stage 2–3
    _opportunities(model, p, rng)
    _liability_of_foreignness(model, p)
    _contracts(model, p, rng)  # stage 4
    _tension(model, p, rng)  # stage 5
    _drift(model, p)  # stage 6
    population.turnover(model)  # stage 7
    if model.steps == p["shock_step"]:
        model.shock(p["shock_share"], p["shock_intent"])
    _matching(model, p, rng)
    _observe(model)  # stage 8


def _intents_and_effort(model: PiggybackModel, p: dict) -> None:
    """§7.6 headquarters pressure, §11.3 alignment, §13.1 sides, §7.3 effort: each reads and writes one
    subsidiary and its own contracts only, so the four passes over subsidiaries fuse into one, and what
    they read of the contracts (quadrant, effort, the effort weight) into one pass over them."""
    rate, pull = p["pressure_rate"], p["alignment_pull"]
    floor, vpull = p["effort_floor"], p["voluntarism_pull"]
    lo, hi, step = 0.5 - p["side_band"], 0.5 + p["side_band"], model.steps
    for hq in model.headquarters:
        k = -hq.pressure * (1.0 - hq.ecosystem) * rate  # pressure_drift's first factors
        for sub in hq.subsidiaries:
            cs = sub.contracts
            x = sub.exploration
            explores = sub.explores
            if not cs:
                if explores:  # pressure_drift with no contract in Q3
                    x = x + k * (1.0 - 0.0)
                    sub.exploration = x = x if x > 0.0 else 0.0
                    if x < lo:  # side (§13.1)
                        sub.explores, sub.side_step = False, step
                elif x >= hi:
                    sub.explores, sub.side_step = True, step
                continue
            total = w1 = w3 = 0.0
            n3 = 0
            weights = []
            for c in cs.values():
                e = c.effort
                total += e
                q = c.quadrant
                if q == 1:
                    w1 += e
                elif q == 3:
                    w3 += e
                    n3 += 1
                weights.append((floor + c.trust_sub) * (1.0 + vpull * c.sme.voluntarism * c.communication))
            if explores:  # pressure_drift(h, e, rate, share in Q3)
                x = x + k * (1.0 - n3 / len(cs))
                x = x if x > 0.0 else 0.0
            if pull > 0.0:  # alignment_drift with effort-weighted shares in Q1 and Q3
                if total <= 0.0:  # no effort allocated yet: the contracts weigh equally
                    qs = [c.quadrant for c in cs.values()]
                    total, w1, w3 = float(len(qs)), float(qs.count(1)), float(qs.count(3))
                x += pull * (w3 / total * (1.0 - x) - w1 / total * x)
            sub.exploration = x
            if (x < lo) if explores else (x >= hi):  # side (§13.1)
                sub.explores, sub.side_step = not explores, step
            total = sum(weights)  # effort_shares
            cap = sub.capacity
            if total <= 0.0:
                e = cap / len(weights)
                for c in cs.values():
                    c.effort = e
            else:
                for c, w in zip(cs.values(), weights):
                    c.effort = cap * w / total


def _drift(model: PiggybackModel, p: dict) -> None:
    """§7.6 ambition_drift: ambition follows the mean knowledge of the target markets, upward only; §13.1
    its side follows beyond the band."""
    rate, lo, hi = p["ambition_drift"], 0.5 - p["side_band"], 0.5 + p["side_band"]
    for sme in model.smes:
        kn = sme.knowledge
        a = sme.ambition
        if len(kn) == 1:  # sum() of one float is that float (in any order of summation)
            (k,) = kn.values()
            d = k - a
        else:
            d = sum(kn.values()) / len(kn) - a
        sme.ambition = a = a + rate * (d if d > 0.0 else 0.0)
        if sme.international:
            if a < lo:
                sme.international = False
        elif a >= hi:
            sme.international = True


def _opportunities(model: PiggybackModel, p: dict, rng) -> None:
    """§7.1 requirements, detection, solution selling; a search where no partner has the niche."""
    base, boost, sale_value, steps = p["detect_base"], p["platform_boost"], p["sale_value"], model.steps
    sr, rate, n_niches = p["search_rate"], p["opportunity_rate"], p["n_niches"]
    random, shuffle, integers, seeking = rng.random, rng.shuffle, rng.integers, model.book.seeking
    for m, subs in enumerate(model.subs_by_market):
        n = rng.poisson(rate)
        if n == 0:
            continue
        search_prob = sr + (1.0 - sr) * model.intermediary_strength[m] / 2.0
        # all n niches first, as integers(n_niches, size=n) draws them (n scalar draws are the same, faster)
        for niche in [int(integers(n_niches)) for _ in range(n)]:
            order = subs[:]
            shuffle(order)
            for sub in order:
                d = base * (1.0 - sub.lof)  # detection_probability
                if sub.hq.platform:
                    d += boost * (1.0 - d)
                if not random() < d:
                    continue
                contract = sub.contracts.get(niche)
                if contract is not None:
                    e = contract.effort
                    if random() < (1.0 - sub.lof) * (0.5 + 0.5 * (1.0 if e > 1.0 else e)):  # sale_probability
                        contract.sales += 1
                        contract.value += sale_value
                        contract.sale_step = steps
                    break
                if random() < search_prob and seeking.get((m, niche)):  # no candidate: no search to make
                    sub.search(niche)


def _liability_of_foreignness(model: PiggybackModel, p: dict) -> None:
    """§7.1 lof_update for every subsidiary."""
    lof0, recovery, portfolio, platform, n_niches = (
        p["lof0"], p["lof_recovery"], p["lof_portfolio"], p["lof_platform"], p["n_niches"]
    )
    for sub in model.subsidiaries:
        lof = sub.lof
        new = lof + recovery * (lof0 - lof) - portfolio * (len(sub.contracts) / n_niches) * lof
        if sub.hq.platform:
            new -= platform * lof
        new = new if new > 0.0 else 0.0
        sub.lof = new if new < 1.0 else 1.0


def _contracts(model: PiggybackModel, p: dict, rng) -> None:
    """§7.4–7.5 communication, trust on both sides, learning, value, for every active contract."""
    active = model.book.active
    comm_min, span = p["comm_min"], p["comm_max"] - p["comm_min"]
    gain, success, erosion, decay = p["trust_gain"], p["success_gain"], p["frustration_erosion"], p["trust_decay"]
    learning_rate, comm_cost2, step = p["learning_rate"], 2.0 * p["comm_cost"], model.steps
    # dyad_value_mean and its noise cv·mean·z by quadrant; a normal is drawn iff cv > 0 and mean > 0
    means = (0.0, p["value_q1"], p["value_tension"], p["value_q3"], p["value_tension"])
    cvs = (0.0, p["value_cv_q1"], p["value_cv_q3"], p["value_cv_q3"], p["value_cv_q3"])
    scale = (0.0, *(cv * mean for cv, mean in zip(cvs[1:], means[1:])))
    noisy = (False, *(cv > 0 and mean > 0 for cv, mean in zip(cvs[1:], means[1:])))
    if all(noisy[1:]):  # the usual case: every contract draws its normal, in the order of the pass
        normals = rng.standard_normal(len(active)).tolist() if active else []
    else:  # a contract that draws none gets z = 0: its cv·mean is 0, so mean + cv·mean·0 = mean + 0.0
        n = sum(noisy[c.quadrant] for c in active.values())
        drawn = iter(rng.standard_normal(n).tolist() if n else ())
        normals = [next(drawn) if noisy[c.quadrant] else 0.0 for c in active.values()]
    for c, z in zip(active.values(), normals):
        sme = c.sme
        ts, tu = c.trust_sme, c.trust_sub
        comm = comm_min + span * (1.0 - 0.5 * (ts + tu)) * (0.5 + 0.5 * sme.voluntarism)  # communication
        c.communication = comm
        g = gain * comm + (success if c.sale_step == step else 0.0)  # trust_update, each side
        f = c.frustration_sme
        ts = ts + g * (1.0 - ts) - (erosion * (1.0 if f > 1.0 else f) + decay) * ts
        ts = ts if ts > 0.0 else 0.0
        c.trust_sme = ts = ts if ts < 1.0 else 1.0
        f = c.frustration_sub
        tu = tu + g * (1.0 - tu) - (erosion * (1.0 if f > 1.0 else f) + decay) * tu
        tu = tu if tu > 0.0 else 0.0
        c.trust_sub = tu if tu < 1.0 else 1.0
        kn, m, e = sme.knowledge, c.market, c.effort  # knowledge_gain
        k = kn[m]
        kn[m] = k + learning_rate * (1.0 if e > 1.0 else e) * comm * ts * sme.capability * (1.0 - k)
        q = c.quadrant
        c.value += means[q] + scale[q] * z - comm_cost2 * comm
        c.age += 1


def _tension(model: PiggybackModel, p: dict, rng) -> None:
    """§7.7 frustration of the thwarted party, in a random order; past the threshold, its choice."""
    order = list(model.book.active.values())
    rng.shuffle(order)
    keep, threshold = 1.0 - p["frustration_decay"], p["frustration_threshold"]
    for c in order:
        if not c.active:
            continue
        sub, sme = c.sub, c.sme
        explores, international = sub.explores, sme.international
        if international and not explores:  # Q2: the SME's entrepreneurship underused (frustration_step)
            f = c.frustration_sme + 2.0 * abs(sme.ambition - 0.5)
            c.frustration_sme = f
            c.frustration_sub *= keep
            if f > threshold:
                c.frustration_sme = sme.respond_to_tension(c, f)
        elif explores and not international:  # Q4: the subsidiary's
            f = c.frustration_sub + 2.0 * abs(sub.exploration - 0.5)
            c.frustration_sub = f
            c.frustration_sme *= keep
            if f > threshold:
                c.frustration_sub = sub.respond_to_tension(c, f)
        else:
            c.frustration_sme *= keep
            c.frustration_sub *= keep


def _matching(model: PiggybackModel, p: dict, rng) -> None:
    """§7.2 SMEs without an agent in a target market search, then subsidiaries refill open niches.

    Every draw of either pass is a uniform, and each missing agent or open niche draws exactly one
    (a search may draw one more), so each pass draws its sure number in one block."""
    sr, intermediary = p["search_rate"], model.intermediary_strength
    free, seeking = model.book.free_subs, model.book.seeking
    order = model.smes[:]
    rng.shuffle(order)
    lacking = {}  # SMEs without an agent in some target market (the book's index; only they search)
    for smes in seeking.values():
        if smes:
            lacking.update(smes)
    if lacking:
        uniform = Uniforms(rng, sum(map(len, seeking.values())))  # one draw per missing agent
        for sme in order:
            if sme.unique_id in lacking:
                cs = sme.contracts
                for m in sme.targets:
                    if m not in cs and uniform() < sr + (1.0 - sr) * intermediary[m] / 2.0 and free.get(
                        (m, sme.niche)
                    ):
                        sme.search(m, uniform)
        uniform.check()
    order = model.subsidiaries[:]
    rng.shuffle(order)
    sure = 0
    refill = []
    for sub in order:
        if sub.open_niches:  # only the subsidiary itself can fill its niches in this pass
            refill.append(sub)
            sure += len(sub.open_niches) - len(sub.open_niches.keys() & sub.contracts.keys())
    uniform = Uniforms(rng, sure)
    buf, j, nb = uniform.buf, 0, len(uniform.buf)
    for sub in refill:
        open_niches, cs, m = sub.open_niches, sub.contracts, sub.market
        prob = sr + (1.0 - sr) * intermediary[m] / 2.0
        for niche in list(open_niches):
            if niche in cs:
                del open_niches[niche]
                continue
            if j < nb:
                u = buf[j]
                j += 1
            else:
                u = rng.random()
            if u < prob and seeking.get((m, niche)):
                uniform.i = j
                sub.search(niche, uniform)
                j = uniform.i
    uniform.i = j
    uniform.check()


def _observe(model: PiggybackModel) -> None:
    """§8 the pass over contracts of :func:`sim.observe.observe` (quadrant_of inlined)."""
    counts = [0, 0, 0, 0, 0]
    by_sub = [[0, 0, 0, 0, 0] for _ in model.subsidiaries]
    trust = comm = effort = value = 0.0
    events = model.events
    for c in model.book.active.values():
        sub = c.sub
        if sub.explores:
            q = 3 if c.sme.international else 4
        else:
            q = 2 if c.sme.international else 1
        if q != c.quadrant or c.exit_origin:
            observe.count_change(model, c, q, events)
            c.quadrant = q
        counts[q] += 1
        by_sub[sub.index][q] += 1
        trust += 0.5 * (c.trust_sme + c.trust_sub)
        comm += c.communication
        effort += c.effort
        value += c.value
    observe.record_step(model, counts, trust, comm, effort, value, True, by_sub)
