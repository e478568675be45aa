"""The interactive dashboard (Solara, through Mesa's visualisation; the ``[viz]`` extra): ``app`` (the page and
its sessions), ``controls`` (a control per parameter of the table), ``figures`` (network, regime, paths and
series, drawn incrementally). The model knows nothing of it: ``solara run sim/dashboard/app.py``."""
