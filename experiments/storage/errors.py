"""The errors a user can act on, each a one-line message fit for the command line; both are
:class:`~experiments.definition.errors.ExperimentError` (and, as before, ``RuntimeError``)."""

from __future__ import annotations

from experiments.definition.errors import ExperimentError


class StoreError(ExperimentError, RuntimeError):
    """A damaged (or crafted) results folder; the message names the file and the command that fixes it."""


class RunnerError(ExperimentError, RuntimeError):
    """A problem the user can fix (a busy, foreign or shipped results folder, an unreachable scheduler, a
    sweep whose workers die); one line."""
