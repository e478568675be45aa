"""The monthly schedule of MODEL.md §3, twice: :mod:`sim.steps.reference`, the readable one (agents act in
the eight stages and call the pure rules of :mod:`sim.rules`), and :mod:`sim.steps.fast`, the same stages
with the hot rules written into the loops (the default; the same results bit for bit).
:mod:`sim.steps.mirrors` records what the fast step restates, so that a changed rule is never silently
ignored: the model then warns, naming the rule and where it is restated, and runs the reference step."""
