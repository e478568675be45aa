"""The one exception type a user of the runner needs to catch: :class:`ExperimentError`, raised for anything the
user can fix (a bad argument, a bad definition, a busy, foreign or damaged results folder). Its message is one
line naming the argument, the value and what would do; ``argument`` and ``value`` say which, when there is one.

Every error the experiments package raises on purpose is one of these (``experiments.ExperimentError``)::

    ExperimentError (a ValueError)
    ├── ConfigError        a bad definition (TOML, dict or keywords)       experiments.definition.config
    │   └── DesignTooLarge a design above the run cap                      experiments.definition.designs
    ├── ModelError         a model that cannot be loaded or used           experiments.definition.models
    ├── RunnerError        a refusal: busy, foreign or shipped folder      experiments.storage.errors (a RuntimeError)
    ├── StoreError         a damaged or crafted results folder             experiments.storage.errors (a RuntimeError)
    └── ResultsError       a folder that holds no (raw) results            experiments.api
"""

from __future__ import annotations

from typing import Any

LONG = 240  # a word (a value, a path) longer than this is cut in a message
KEEP = 200


def shorten(message: str) -> str:
    """The message's first line, each overlong word cut to :data:`KEEP` characters with its length: an error never
    echoes a 100 KB name or list whole."""
    lines = str(message).splitlines()
    line = lines[0] if lines else ""
    if len(line) <= LONG:
        return line
    words = [w if len(w) <= LONG else f"{w[:KEEP]}… ({len(w):,} characters)" for w in line.split(" ")]
    return " ".join(words)


class ExperimentError(ValueError):
    """Anything the user can fix; one line (see the module's docstring for the subclasses)."""

    def __init__(self, message: str, argument: str | None = None, value: Any = None) -> None:
        super().__init__(shorten(message))
        self.argument, self.value = argument, value
