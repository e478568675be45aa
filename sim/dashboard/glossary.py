"""The page's glossary: every technical word the page uses, defined once, and links to it from where it is used.

A term is linked with :func:`term` (an anchor to its entry at the foot of the page, whose ``title`` shows
the definition on hover); the parameters' units are linked through :data:`UNITS`. Definitions follow
MODEL.md and name parameters by their labels in the parameter table (:data:`sim.params.PARAMS`), whose
defaults they quote from the table, never from here.
"""

from __future__ import annotations

from html import escape

from sim.params import PARAMS
from sim.vocabulary import QUADRANT_NAMES


def _label(name: str) -> str:
    return f"“{PARAMS[name].label}”"


def _default(name: str) -> str:
    return f"{PARAMS[name].default:g}"


_Q = QUADRANT_NAMES
GLOSSARY: dict[str, tuple[str, str]] = {
    # the setting
    "month": ("month (step)", "One step of the model is one month; the run length and all times are in months."),
    "mne": ("MNE", "A multinational enterprise: headquarters and one subsidiary in each host market."),
    "subsidiary": ("subsidiary", "An MNE's local unit in one host market; it acts as the commercial agent of "
                   "several SMEs (at most one per product niche), a “plurality of principals”."),
    "sme": ("SME", "A small exporting firm with a niche product; it exports to its target markets through one agent "
            "(a subsidiary) in each."),
    "contract": ("piggyback contract", "An exclusive agency contract: a subsidiary sells an SME's complementary "
                 "product to its clients. Drawn as a line on the network."),
    "intent": ("intent", "A firm's orientation, a number from 0 to 1: a subsidiary's exploration (exploit below "
               "one half, explore above), an SME's ambition (domestic below, international above)."),
    "side": ("side, side band", f"The side of an intent (explore or exploit; international or domestic) changes only "
             f"when the intent crosses beyond one half ± the {_label('side_band')} (§13.1), so that a firm hovering "
             f"near one half does not flip its contracts back and forth."),
    "quadrant": ("quadrant (Q1–Q4)", f"Prashantham & Birkinshaw's 2×2 of the two sides of a contract: Q1 {_Q['Q1']}, "
                 f"Q2 {_Q['Q2']}, Q3 {_Q['Q3']}, Q4 {_Q['Q4']}. Q1 and Q3 are equilibria (both get what they "
                 "want); Q2 and Q4 are tensions."),
    "tension": ("tension", "Q2 (the SME's international ambition unused) or Q4 (the subsidiary's exploration unused): "
                "the thwarted party grows frustrated and, past a threshold, chooses exit, voice or loyalty."),
    "path": ("path A–D", "A contract's move out of a tension: A Q2→Q1 and B Q4→Q1 go downhill to exploitation "
             "(loyalty, headquarters pressure); C Q2→Q3 and D Q4→Q3 go uphill to exploration (voice, exit). "
             "Counted when a party's side changes (§13.1), by the action behind it."),
    "exit": ("exit", "The frustrated party ends the contract and looks for a partner who fits its intent; if its next "
             "contract there is in Q1 or Q3, that counts as a path “by exit”."),
    "voice": ("voice", "The frustrated party tries to move its partner uphill toward Q3; it succeeds with a "
              "probability raised by trust, boundary spanning, an ecosystem strategy and intermediaries, and costs "
              "either way."),
    "loyalty": ("loyalty", "The frustrated party gives up some of its own ambition and stays: downhill toward Q1 "
                "(path A for an SME; path B for a subsidiary, pushed by headquarters)."),
    "drift": ("drift", "A move of intent without a choice: an SME's ambition grows with what it learns of foreign "
              "markets; headquarters pressure and aligned contracts move a subsidiary's exploration."),
    "frustration": ("frustration", "Accumulates each month a party's intent is thwarted (in a tension); past the "
                    f"{_label('frustration_threshold')} the party chooses. It decays outside tensions."),
    "trust": ("trust", "Each side's belief in the partner's reliability, 0 to 1; built by communication and sales, "
              "eroded by frustration and neglect. Line width on the network."),
    "communication": ("communication", "How intensely a contract's parties keep in touch, 0 to 1: high while trust is "
                      "young, falling as trust matures, kept up by a voluntarist SME."),
    "lof": ("liability of foreignness (LoF)", "A subsidiary's handicap as a foreigner, 0 to 1: it lowers the chance to "
            "detect and win a client's requirement; a broad portfolio and a platform lower it."),
    "spanning": ("boundary spanning", "A firm's reach into other units and networks (0 to 1); it makes voice more "
                 "likely to succeed."),
    "ecosystem": ("ecosystem strategy", "A headquarters' platform-based ecosystem strategy (0 to 1): it shelters "
                  "exploring subsidiaries from headquarters pressure and helps voice."),
    "intermediary": ("intermediary", "A non-market broker in each market (0: none): it lends new contracts trust, "
                     "raises search and helps voice (PB's trusted third parties, path D)."),
    "pressure": ("headquarters pressure", "Pushes exploring subsidiaries toward exploitation in proportion to how "
                 "little their exploration pays (path B)."),
    "voluntarism": ("voluntarism", "An SME's active follow-up of its agent (0 to 1): it draws the agent's effort and "
                    "keeps communication up."),
    # the population and its changes
    "turnover": ("turnover", "Each month an SME may leave (closure, acquisition, giving up export: a departure) and "
                 "an entrant takes its place at once, without a contract. Counted apart from exit, which ends one "
                 "contract by choice."),
    "shock": ("shock", "A share of the SMEs leave at once and entrants of a chosen intent replace them: given with the "
              f"button between two months, or scheduled by {_label('shock_step')}. The long-run regime is then "
              "judged afresh."),
    # observation
    "window": ("window mean (composition)", f"The mean share of each quadrant over the last settlement window "
               f"({_label('settle_window')}, {_default('settle_window')} months by default): the composition the "
               "regime is judged on, steadier than one month's shares."),
    "burn_in": ("burn-in", f"The first months ({_label('burn_in')}), in which the initial contracts are still "
                "resolving: the windows that judge the regime start after them."),
    "dominance": ("dominance", f"The share a quadrant needs to name the regime ({_label('dominance')}); below it, "
                  "no quadrant dominates (“mixed”)."),
    "locked": ("locked", "A subsidiary whose side has not changed for a whole settlement window and whose "
               "contract-months in that window lie mostly (at least the dominance share) in one quadrant (§13.2)."),
    "contested": ("contested", "A subsidiary with contracts that is not locked: its side changed within the last "
                  "window, or its contracts are split between quadrants (§13.2)."),
    "regime": ("long-run regime", "The run's headline outcome (§13.3): Q1–Q4 when that quadrant holds at least the "
               "dominance share of the contracts, the composition is stationary and no subsidiary is contested; "
               "coexistence; or unresolved. It is named the first month the rule holds (resolved)."),
    "resolved": ("resolved", "The month the long-run regime's rule first held; the time to resolution counts the "
                 "months from the start, or from the last shock. The rule is checked again every month: "
                 "“holds now” or not."),
    "coexistence": ("coexistence", f"A stable split: Q1 and Q3 each hold at least the {_label('coexist_share')} of "
                    f"the contracts for {_label('coexist_windows')} windows, with no subsidiary changing side."),
    "unresolved": ("unresolved", "Neither a quadrant nor coexistence within the run: extend the run to see where "
                   "it goes."),
    "horizon": ("horizon", f"Months at which the run's summary records the regime of the window mean and the "
                f"subsidiaries' states ({_label('horizons')}: {', '.join(map(str, PARAMS['horizons'].default))} by "
                "default): where the system stands after so many years, whatever happens later."),
    "network": ("network rings", "Inner ring: subsidiaries, grouped by market, one shape per MNE, filled by the state "
                "of their portfolio. Outer rings: SMEs in the sector of their first target market, filled by "
                "ambition. Lines: contracts, coloured by quadrant, as wide as their trust."),
    # units and controls
    "probability": ("probability", "A chance from 0 to 1."),
    "per_month": ("per month", "A rate per step: the share or amount that changes each month."),
    "scale": ("0–1 scale", "A level from 0 (none) to 1 (full), as the model's equations use it."),
    "share": ("share", "A fraction from 0 to 1 (of contracts, SMEs or subsidiaries)."),
    "utility": ("utility", "What a frustrated party weighs its options in: loyalty, exit and voice each have a "
                "utility (their costs and gains are in these units); the best is the most likely choice."),
    "log_odds": ("log-odds", "Voice succeeds with probability σ(sum of terms), σ(z) = 1/(1+e^−z); each term is in "
                 "log-odds: +1 multiplies the odds of success by e ≈ 2.7, 0 leaves them."),
    "z": ("z (standard errors)", "A tolerance in standard errors of a share, √(m(1−m)/N) for a mean share m over N "
          "contracts: how far a share may move by chance alone."),
    "temperature": ("inverse temperature", "How sharply choices follow utilities: 0 is a coin toss, large values "
                    "always pick the best option (a logit)."),
    "weight": ("weight", "A relative weight without unit: it matters only against the others in the same formula."),
    "cv": ("coefficient of variation", "Standard deviation divided by the mean: the spread of a value."),
    "value": ("value units", "The model's unit of value: one solution sale earns the sale value."),
    "calibrated": ("calibrated default", "A default changed from the specification's starting value so that the "
                   "model reproduces its patterns; docs/ODD.md §9.1 records each change and why."),
    "default": ("default", "The value the model uses unless told otherwise (the parameter table, sim/params.py)."),
    "seed": ("seed", "The number that fixes the run's random draws: the same settings and seed give the same run."),
    "reset": ("Reset", "Builds a new model from the controls: parameters act at Reset, since the model reads many "
              "of them only when it is built, and a run must be repeatable from its settings and seed."),
}
# parameter units -> glossary entries (units not listed are plain words: firms, markets, months ...)
UNITS = {
    "probability": "probability", "per month": "per_month", "probability per month": "per_month",
    "0–1": "scale", "share": "share", "utility": "utility", "log-odds": "log_odds", "z": "z",
    "inverse temperature": "temperature", "weight": "weight", "coefficient of variation": "cv",
    "value units": "value", "value per month": "value", "intent": "intent", "frustration": "frustration",
}  # fmt: skip
PLAIN_UNITS = {"firms", "markets", "niches", "months", "month", "windows", "attention per month", "per sale",
               "per act", "per success", "per unit strength"}


def term(key: str, text: str | None = None) -> str:
    """HTML: ``text`` (by default the term) linked to its glossary entry, the definition on hover."""
    name, definition = GLOSSARY[key]
    return (f'<a class="pb-term" href="#g-{key}" title="{escape(definition, quote=True)}">'
            f"{escape(text if text is not None else name)}</a>")


def unit(text: str) -> str:
    """HTML: a parameter's unit, linked to the glossary where it needs a word of explanation."""
    return term(UNITS[text], text) if text in UNITS else escape(text)


def html() -> str:
    """The glossary as a definition list, each entry an anchor (``#g-<key>``)."""
    items = "".join(f'<dt id="g-{k}">{escape(name)}</dt><dd>{escape(text)}</dd>'
                    for k, (name, text) in sorted(GLOSSARY.items(), key=lambda kv: kv[1][0].lower()))
    return f'<dl class="pb-glossary">{items}</dl>'
