"""Which runs to dispatch next: lazily, point by point, skipping runs already done; with adaptive
replicates, a point is extended only once all its scheduled replicates are in, from their outcomes
alone (so the decisions, like the results, do not depend on chunking, workers or interruptions)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from experiments.analysis.stats import max_halfwidth_counts
from experiments.definition.experiment import Experiment

NOT_DONE = -1  # the code of a run not done yet


@dataclass(frozen=True)
class Codes:
    """A run's outcome as one byte: the index of the headline outcome's category it reached (``other`` for
    none of them), read from the summary key ``key`` (None when the model declares no outcome)."""

    key: str | None
    index: dict[str, int]

    @property
    def other(self) -> int:
        return len(self.index)

    def one(self, value) -> int:
        return self.index.get(value, self.other)

    def of(self, values, n: int) -> np.ndarray:
        if values is None:
            return np.full(n, self.other, dtype=np.int8)
        return np.array([self.index.get(x, self.other) for x in values], dtype=np.int8)


def outcome_codes(exp: Experiment) -> Codes:
    """The codes of an experiment's runs, from the outcome its model declares first."""
    headline = exp.model_info.headline
    if headline is None:
        return Codes(None, {})
    return Codes(headline.key, {c: i for i, c in enumerate(headline.categories)})


class Schedule:
    def __init__(self, exp: Experiment, outcome: np.ndarray, other: int) -> None:
        self.exp, self.outcome, self.other = exp, outcome, other
        self.R = exp.replicates
        self.ad = exp.adaptive
        self.npts = outcome.shape[0]
        self.scheduled = np.full(self.npts, self.R, dtype=np.int32) if self.ad else None
        self.outstanding: dict[int, int] = {}
        self.queued: dict[int, int] = {}
        self.extra: deque = deque()
        self.cursor = 0
        self.current: tuple[int, np.ndarray, int] | None = None  # (point, runs to do, position)
        self.planned = self.skipped = 0

    def initial_todo(self) -> int:
        return int((self.outcome[:, : self.R] == NOT_DONE).sum())

    def take(self, n: int) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        while len(out) < n:
            if self.extra:
                j, r = self.extra.popleft()
                self.queued[j] -= 1
                out.append((j, r))
                continue
            if self.current is None:
                if self.cursor >= self.npts:
                    break
                j = self.cursor
                self.cursor += 1
                todo = np.flatnonzero(self.outcome[j, : self.R] == NOT_DONE)
                self.skipped += self.R - len(todo)
                if len(todo) == 0:
                    self._settle(j)
                    continue
                self.current = (j, todo, 0)
            j, todo, pos = self.current
            k = min(n - len(out), len(todo) - pos)
            out.extend((j, int(r)) for r in todo[pos: pos + k])
            self.current = None if pos + k == len(todo) else (j, todo, pos + k)
        for j, _ in out:
            self.outstanding[j] = self.outstanding.get(j, 0) + 1
        self.planned += len(out)
        return out

    def finished(self, runs: list[tuple[int, int]]) -> None:
        for j, _ in runs:
            self.outstanding[j] -= 1
        for j in dict.fromkeys(j for j, _ in runs):
            self._settle(j)

    def _passed(self, j: int) -> bool:
        return j < self.cursor and (self.current is None or self.current[0] != j)

    def _settle(self, j: int) -> None:
        """All scheduled replicates of point j are in: extend it if its intervals are still too wide."""
        if self.outstanding.get(j, 0) or self.queued.get(j, 0) or not self._passed(j):
            return
        self.outstanding.pop(j, None)
        self.queued.pop(j, None)
        a = self.ad
        while a is not None and self.scheduled[j] < a.max_replicates:
            s = int(self.scheduled[j])
            codes = self.outcome[j, :s]
            codes = codes[codes != NOT_DONE]
            counts = np.bincount(codes, minlength=self.other + 1)[: self.other]
            if max_halfwidth_counts(counts, len(codes)) <= a.halfwidth:
                return
            new = min(s + a.batch, a.max_replicates)
            self.scheduled[j] = new
            todo = [r for r in range(s, new) if self.outcome[j, r] == NOT_DONE]
            self.skipped += new - s - len(todo)
            if todo:
                self.extra.extend((j, r) for r in todo)
                self.queued[j] = len(todo)
                return
            # all already done (a resumed experiment): decide the next round at once
