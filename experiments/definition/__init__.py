"""What an experiment is, before anything runs: ``config`` (a TOML file or a dict → a validated
:class:`~experiments.definition.experiment.Experiment`), ``designs`` (its points), ``seeds`` (the seeding
rule) and ``models`` (the model reference ``"package.module:run"`` and what the model declares)."""
