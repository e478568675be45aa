"""After an intended change to a rule or stage: check the two schedules agree, then refresh the mirror
hashes (``sim/steps/mirrors.json``) and the identity record (``tests/data/identity.json``) in one go.

    python tools/refresh_identity.py          # or: make identity

1. Every identity case (``tools/record_identity.py``'s ``CASES``: the defaults, every start, turnover,
   shocks, the platform, intermediaries, both voice hypotheses, tiny and crowded populations, edge values)
   is stepped by the reference and the fast schedule side by side (:func:`sim.steps.check.first_difference`,
   the rules as they are now, whatever the recorded hashes say). If any case differs, nothing is written:
   make ``sim/steps/fast.py`` agree first.
2. The hashes of every entry of :data:`sim.steps.mirrors.RESTATED` are written.
3. The identity record is written from the working tree, with this interpreter and ``.venv312``'s if it
   exists (each records its own: Python 3.12's ``sum()`` is compensated). Commit all three with a message
   that says why the results changed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record_identity

from sim.params import defaults
from sim.steps import check, mirrors


def main() -> int:
    bad = []
    with mock.patch.object(mirrors, "current", lambda: True):  # compare the schedules as they are now
        for name, (overrides, seed, kind, opts) in record_identity.CASES.items():
            params = {**defaults(), **overrides, **({"max_steps": opts["steps"]} if kind == "collect" else {})}
            step = check.first_difference(params, seed, opts.get("shock_at"))
            if step is not None:
                bad.append(f"{name} (from step {step})")
    if bad:
        print("the fast and the reference schedule differ: " + ", ".join(bad) + "; nothing written", file=sys.stderr)
        return 1
    print(f"the two schedules agree on all {len(record_identity.CASES)} identity cases")
    mirrors.write()
    print(f"wrote {len(mirrors.RESTATED)} hashes into {mirrors.HASHES.relative_to(record_identity.ROOT)}")
    return record_identity.main(["--tree"])


if __name__ == "__main__":
    sys.exit(main())
