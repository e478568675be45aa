"""The two errors a user can act on, each a one-line message fit for the command line."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A damaged results folder; the message names the file and the command that fixes it."""


class RunnerError(RuntimeError):
    """A problem the user can fix (a busy or foreign results folder, an unreachable scheduler); one line."""
