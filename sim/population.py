"""MODEL.md §5, §11.1 and §11.4: who is in the population, who arrives and who leaves.

- New SMEs are drawn as in the mixed initialisation (§5): the initial population and every
  entrant come from :func:`new_sme`.
- Turnover (§11.1): each step each SME leaves with probability ``sme_turnover`` and an entrant
  takes its place at once; each subsidiary's mandate is renewed with probability
  ``sub_turnover`` (its exploration intent redrawn). A departure ends the SME's contracts
  without being an exit: it is counted apart from exit, voice and loyalty and starts no path.
- Shocks (§11.4): a share of the SMEs leave at once, replaced by entrants of one intent.

With both turnover rates 0 and no shock no random number is drawn here, so the population is
version 1's closed one and a seed gives the same draws as without this stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents import SME

if TYPE_CHECKING:
    from sim.agents import Subsidiary
    from sim.model import PiggybackModel

BELOW_HALF = float(np.nextafter(0.5, 0.0))
SHOCK_INTENTS = ("domestic", "international", "mixed")


def draw_intent(rng: np.random.Generator, high: bool) -> float:
    """§5 a continuous intent on the chosen side of 0.5: 0.5 ± 0.5·Beta(2, 2)."""
    b = 0.5 * rng.beta(2.0, 2.0)
    return 0.5 + b if high else min(0.5 - b, BELOW_HALF)


def beta_mean(rng: np.random.Generator, mean: float) -> float:
    """§5 a Beta draw with the given mean and concentration 10; degenerate at 0 and 1."""
    if mean <= 0.0 or mean >= 1.0:
        return float(mean)
    return float(rng.beta(10.0 * mean, 10.0 * (1.0 - mean)))


def draw_markets(rng: np.random.Generator, n: int, k: int) -> list[int]:
    """§5 ``k`` distinct target markets of ``n``, in random order: ``rng.choice(n, k, replace=False)``.

    The same draws as that call, done the way NumPy does it for ``n`` ≤ 10,000 (Floyd's algorithm
    with bounded integers, then a Fisher–Yates shuffle with bounded integers), at a third of its
    cost; ``tests/model/test_steps.py`` checks both give the same markets and leave the generator alike."""
    if n > 10_000:  # NumPy shuffles a tail of the population instead
        return [int(m) for m in rng.choice(n, k, replace=False)]
    chosen: list[int] = []
    for j in range(n - k, n):
        m = int(rng.integers(j + 1))
        chosen.append(j if m in chosen else m)
    for i in range(k - 1, 0, -1):  # NumPy's shuffle of the chosen, with bounded integers
        j = int(rng.integers(i + 1))
        chosen[i], chosen[j] = chosen[j], chosen[i]
    return chosen


def new_sme(model: PiggybackModel, international: bool) -> SME:
    """§5/§11.1 an SME with niche, target markets, voluntarism, capability, boundary spanning and
    intent drawn as in the mixed initialisation, knowledge ``knowledge0``, no contract yet."""
    p, rng = model.p, model.rng
    sme = SME(
        model,
        niche=int(rng.integers(p["n_niches"])),
        ambition=draw_intent(rng, international),
        international=international,
        voluntarism=beta_mean(rng, p["voluntarism"]),
        capability=beta_mean(rng, p["capability"]),
        boundary_spanning=beta_mean(rng, p["boundary_spanning"]),
        targets=draw_markets(rng, p["n_markets"], p["contracts_per_sme"]),
        knowledge0=p["knowledge0"],
    )
    model.book.add_sme(sme)
    return sme


def depart(model: PiggybackModel, sme: SME) -> None:
    """§11.1 an SME leaves: its contracts end (a departure, not an exit) and it leaves the model.

    Its agents' niches open for refilling (§7.2); partners that had broken with it forget it.
    """
    for contract in list(sme.contracts.values()):
        if model.events is not None:
            model.events.record(model.steps, "departure", contract)
        contract.sub.open_niches[contract.niche] = None
        model.book.end(contract)
    model.book.remove_sme(sme)
    for uid in sme.shunned:
        sub = model.subsidiary_by_id.get(uid)
        if sub is not None:
            sub.shunned.discard(sme.unique_id)
    sme.remove()
    model.departures += 1


def replace(model: PiggybackModel, index: int, international: bool) -> SME:
    """§11.1 the SME at ``index`` leaves and an entrant takes its place (same position in the list)."""
    depart(model, model.smes[index])
    entrant = new_sme(model, international)
    model.smes[index] = entrant
    model.entrants += 1
    return entrant


def turnover(model: PiggybackModel) -> None:
    """§11.1 one step of turnover: SME departures and entries, subsidiary mandate renewals."""
    p, rng = model.p, model.rng
    if p["sme_turnover"] > 0.0:
        leaving = (rng.random(len(model.smes)) < p["sme_turnover"]).nonzero()[0].tolist()
        for i in leaving:
            replace(model, i, bool(rng.random() < p["entry_p_international"]))
    if p["sub_turnover"] > 0.0:
        for i in (rng.random(len(model.subsidiaries)) < p["sub_turnover"]).nonzero()[0].tolist():
            renew_mandate(model, model.subsidiaries[i])


def renew_mandate(model: PiggybackModel, sub: Subsidiary) -> None:
    """§11.1 new local management: the exploration intent is redrawn as in §5 (``p_explore``);
    the contracts continue. A path this causes is attributed to drift (no choice behind it)."""
    rng = model.rng
    explores = bool(rng.random() < model.p["p_explore"])
    sub.exploration = draw_intent(rng, explores)
    if explores != sub.explores:  # the drawn side is the new side (§13.1), as at initialisation
        sub.explores = explores
        sub.side_step = model.steps
    model.sub_renewals += 1


def shock(model: PiggybackModel, share: float, intent: str) -> int:
    """§11.4 ``round(share·n)`` SMEs, chosen at random, leave at once; entrants of ``intent``
    ("domestic", "international", or "mixed": international with ``entry_p_international``)
    take their places. Returns how many were replaced."""
    if intent not in SHOCK_INTENTS:
        raise ValueError(f"shock intent {intent!r}; valid: {', '.join(SHOCK_INTENTS)}")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"shock share {share!r}; valid: number in [0, 1]")
    rng = model.rng
    k = round(share * len(model.smes))
    chosen = sorted(rng.choice(len(model.smes), size=k, replace=False).tolist()) if k else []
    for i in chosen:
        international = intent == "international" or (
            intent == "mixed" and bool(rng.random() < model.p["entry_p_international"])
        )
        replace(model, i, international)
    return k
