"""What saved runs say, as tables: ``summary`` (the headline outcome's frequencies with Wilson intervals,
means with intervals), ``timeseries``, ``sensitivity`` (Sobol, Morris), ``discover`` (scenario discovery),
on ``stats`` (the intervals) and ``runs`` (reading a table of runs). Plain functions, DataFrames in and out;
nothing here draws, and nothing here writes but through :mod:`experiments.storage`."""
