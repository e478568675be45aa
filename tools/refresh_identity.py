"""After an intended change to a rule, a stage or the compiled engine: check the engine and the Mesa reference
agree, then refresh the mirror hashes (``sim/steps/mirrors.json``) and the identity record
(``tests/data/identity.json``) in one go.

    python tools/refresh_identity.py          # or: make identity

1. Every ``run`` case of the identity record (``tools/record_identity.py``'s ``CASES``: the defaults, every
   start, turnover, shocks, the platform, intermediaries, both voice hypotheses, tiny and crowded
   populations, edge values) is stepped by the Mesa reference and the compiled engine side by side
   (:func:`sim.steps.check.first_difference`: the code as it is now, whatever the recorded hashes say),
   with this interpreter and ``.venv312``'s if it exists (3.12's ``sum()`` of floats is compensated, and
   the engine copies each). If any case differs, nothing is written: make ``sim/engine/`` agree first.
   (The ``collect`` cases are the Mesa model's own: the DataCollector and a shock from the dashboard.)
2. The hashes of every entry of :data:`sim.steps.mirrors.RESTATED` and of the engine are written.
3. The identity record is written from the working tree, with both interpreters (each records its own).
   Commit all three with a message that says why the results changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record_identity

from sim.steps import mirrors

# Runs in a fresh interpreter (this one, then .venv312's): the first step at which each case differs, or None.
COMPARE = r"""
import json, sys
from sim.params import defaults
from sim.steps import check
cases = json.loads(sys.stdin.read())
print(json.dumps({name: check.first_difference({**defaults(), **overrides}, seed)
                  for name, (overrides, seed, kind, opts) in cases.items() if kind == "run"}))
"""


def compare(python: str) -> dict[str, int | None]:
    """Every run case stepped by the reference and the engine with ``python``; name -> first differing step."""
    proc = subprocess.run([python, "-c", COMPARE], input=json.dumps(record_identity.CASES), capture_output=True,
                          text=True, cwd=record_identity.ROOT)
    if proc.returncode:
        raise RuntimeError(f"comparing with {python} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def main() -> int:
    pythons = [sys.executable, *[str(p) for p in [record_identity.ROOT / ".venv312" / "bin" / "python"] if p.exists()]]
    bad, n = [], 0
    for python in pythons:
        for name, step in compare(python).items():
            n += 1
            if step is not None:
                bad.append(f"{name} with {python} (from step {step})")
    if bad:
        print("the compiled engine and the Mesa reference differ: " + ", ".join(bad) + "; nothing written",
              file=sys.stderr)
        return 1
    print(f"the compiled engine and the Mesa reference agree step by step on {n} runs "
          f"(every run case, {len(pythons)} interpreter(s))")
    mirrors.write()
    print(f"wrote {len(mirrors.RESTATED)} hashes into {mirrors.HASHES.relative_to(record_identity.ROOT)}")
    return record_identity.main(["--tree"])


if __name__ == "__main__":
    sys.exit(main())
