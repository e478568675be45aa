"""The page's sentences about the run, all from one :class:`sim.dashboard.frame.Frame` (one state on screen).

The status line (month, contracts, turnover, choices), the long-run regime line and the shock line use
the same words for the same things: the long-run regime (§13.3) is named only by the model's
``regime``, so the shock line's "the regime before the shock returned" can never contradict the
regime line, and the window-mean regime of §12.1 is always called the window mean. Technical words
link to the glossary (:func:`sim.dashboard.glossary.term`). Every function returns HTML.
"""

from __future__ import annotations

from html import escape

from sim.dashboard.controls import show
from sim.dashboard.frame import Frame
from sim.dashboard.glossary import term
from sim.params import PARAMS
from sim.vocabulary import COEXISTENCE, QUADRANT_NAMES, UNRESOLVED


def _months(n: int) -> str:
    return f"{n} month{'s' if n != 1 else ''}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def regime_name(regime: str) -> str:
    """A long-run or window-mean regime in words, linked to the glossary."""
    if regime in QUADRANT_NAMES:
        return f"{term('quadrant', regime)} ({escape(QUADRANT_NAMES[regime])})"
    if regime == COEXISTENCE:
        return term("coexistence")
    if regime == UNRESOLVED:
        return term("unresolved")
    return escape(regime)


def status(f: Frame) -> str:
    """Month, contracts, turnover and choices."""
    when = f"Month {f.step} of {f.max_steps}" + (", after the shock" if f.shock_now else "")
    c = f.counts
    shocked = f" ({c['shocked']} in shocks)" if c["shocked"] else ""
    return (
        f'<span class="pb-month">{when}</span> · {f.contracts} {term("contract", "contracts")} · '
        f'{term("turnover")}: <span class="pb-departures">{c["departures"]} SMEs left</span>{shocked}, '
        f'<span class="pb-entrants">{c["entrants"]} entered</span> · choices so far: '
        f'{term("exit")} {c["exits"]}, {term("voice")} {c["voices"]} ({c["voice_successes"]} succeeded), '
        f'{term("loyalty")} {c["loyalty"]}'
    )


def running_with(model) -> str:
    """The seed and the parameters that differ from their defaults: what the run can be repeated from."""
    changed = [f"{p.label or n} {show(p, model.p[n])}" for n, p in PARAMS.items() if model.p[n] != p.default]
    if getattr(model, "run_on", False):
        changed.append(f"run on to month {model.max_steps}")
    return escape(f"seed {model.seed} · " + (" · ".join(changed) if changed else "every parameter at its default"))


def reasons(f: Frame) -> str:
    """Why the long-run rule does not hold now, in the terms of §13.3."""
    p, comp = f.p, f.composition
    lead = max(comp, key=comp.get)
    out = []
    if comp["Q1"] >= p["coexist_share"] and comp["Q3"] >= p["coexist_share"]:
        out.append(f"Q1 and Q3 split the contracts ({_pct(comp['Q1'])} and {_pct(comp['Q3'])} over the last "
                   f"{_months(f.window)}): a {term('coexistence')} needs {p['coexist_windows']} stationary windows "
                   "with no subsidiary changing side")
    elif comp[lead] < p["dominance"]:
        out.append(f"no quadrant holds {_pct(p['dominance'])} of the contracts in the {term('window', 'window mean')} "
                   f"({lead} leads with {_pct(comp[lead])})")
    contested = f.sub_counts["contested"]
    if contested:
        out.append(f"{contested} subsidiar{'y' if contested == 1 else 'ies'} {term('contested')}")
    if not out:
        out.append(f"{lead} holds {_pct(comp[lead])} of the contracts, but the last two windows do not yet agree "
                   "within noise")
    return "; ".join(out)


def regime_line(f: Frame) -> str:
    """The long-run regime, its confirmation state (resolved at month N; the rule holds now or not) and the time
    to resolution."""
    head = f"{term('regime', 'Long-run regime')}: "
    after = f.shock.step if f.shock else 0
    origin = "after the shock" if f.shock else "from the start"
    if f.resolved:
        text = (f"{head}{regime_name(f.regime)}, {term('resolved')} at month {f.regime_step}: "
                f"{_months(f.regime_step - after)} {origin}")
        if f.regime_now == f.regime:
            return text + "; the rule holds now."
        if f.regime_now:
            return text + f"; the rule now names {regime_name(f.regime_now)}."
        return text + f"; the rule does not hold now: {reasons(f)}."
    since = f" after the shock at month {f.shock.step}" if f.shock else ""
    if f.step < f.judged_from:
        start = "the shock" if f.shock else term("burn_in", "the burn-in")
        text = (f"{head}not resolved yet{since}. The rule compares two {f.window}-month windows after {start}: "
                f"it can first hold at month {f.judged_from}.")
        if f.at_length:
            text += f" The run ends before that: {term('unresolved')} unless extended."
        return text
    if f.at_length:
        return (f"{head}{term('unresolved')} within the run's {_months(f.max_steps)}{since}: {reasons(f)}. "
                "Extend the run to see where it goes.")
    return f"{head}not resolved yet{since}: {reasons(f)}."


def shock_line(f: Frame) -> str:
    """The last shock: when, how many, what came before it and whether it came back (in the regime line's words)."""
    s = f.shock
    if s is None:
        return ""
    how = "given with the button" if s.given else "scheduled"
    text = (f"{term('shock', 'Shock')} at month {s.step} ({how}): {s.replaced} of {f.n_smes} SMEs replaced by "
            f"{escape(s.intent)} entrants.")
    if f.shock_before is None:
        return text + " Nothing was observed before it to return to."
    q = f.shock_quadrant
    text += f" Before it, the {term('window', 'window-mean')} regime was {regime_name(f.shock_before)}; "
    if f.shock_back_after is not None:
        text += f"the {q} share came back within noise after {_months(f.shock_back_after)}. "
    else:
        text += f"the {q} share is not back within noise yet ({_months(f.step - s.step)} on). "
    if not f.resolved:
        return text + f"{term('regime', 'Long-run regime')} after the shock: not resolved yet."
    verdict = "the regime before the shock returned" if f.shock_returned else "not the regime before the shock"
    return text + f"{term('regime', 'Long-run regime')} after the shock: {regime_name(f.regime)}, {verdict}."


def stopped(f: Frame) -> str | None:
    """Why the run does not go on, or None while it can."""
    if f.running:
        return None
    if f.at_length:
        return f"The run has reached its length ({_months(f.max_steps)})."
    return (f"The run stopped at month {f.step}: its long-run regime is resolved "
            f"(“{PARAMS['stop_on_settle'].label}” is on).")
