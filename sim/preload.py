"""Importing this module loads the compiled engine's machine code into the process (one tiny run, from the
cache of :mod:`sim.engine.cache`, compiling first if there is none).

The experiment runner's pool starts its workers by forking a server that has imported the model's
``PRELOAD`` modules (:data:`sim.model.PRELOAD` names this one), and replaces each worker after a few chunks
(to keep memory flat): a worker forked after this import runs its first run at once instead of spending
1–3 s loading ~100 compiled functions. If the compiled engine is not usable (:func:`sim.model.
compiled_engine_usable`), importing this does nothing more.
"""

from __future__ import annotations

from sim.model import compiled_engine_usable

if compiled_engine_usable():
    from sim.engine import api

    api.run({"n_smes": 10, "max_steps": 2}, 0, tables=("steps", "events", "timeline"))
