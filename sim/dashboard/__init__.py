"""The interactive dashboard (Solara, as in Mesa; the ``[viz]`` extra): ``solara run sim/dashboard/app.py``.

``app`` (the page and its layout), ``session`` (a browser session's model and actions), ``frame`` (one state on
screen), ``charts`` and ``network`` (Altair specs and their rows), ``widgets`` (the Vue components that draw them and
keep the link), ``panels`` (run, shock, keep, status, charts), ``controls`` (a control per parameter of the table),
``texts``, ``glossary``, ``intro`` and ``docs`` (the words), ``link`` (a link that restores a run). The model knows
nothing of it."""
