"""The monthly schedule of MODEL.md §3: :mod:`sim.steps.reference`, the readable one (agents act in the eight
stages and call the pure rules of :mod:`sim.rules`), which the Mesa model steps by. The compiled engine
(:mod:`sim.engine`) restates it; :mod:`sim.steps.mirrors` records what it restates, so that a changed rule is
never silently ignored (``sim.model.run`` then warns, naming the rule and where it is restated, and runs the
Mesa model), and :mod:`sim.steps.check` compares the two step by step."""
