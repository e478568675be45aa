"""A validated experiment definition (:class:`Experiment`), as :mod:`experiments.definition.config` builds it
from a TOML file or a dict, and as a results folder's manifest records it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from experiments.definition import models

DEFAULT_TARGET = "Q3"  # the output of a sensitivity analysis when none is named (an outcome category or key)


@dataclass
class Adaptive:
    halfwidth: float
    max_replicates: int
    batch: int


@dataclass
class Experiment:
    """A validated experiment definition."""

    name: str
    description: str
    source: str  # the file it came from ("" when built in code)
    base: dict[str, Any]
    design: str
    parameters: dict[str, list]  # grid/oat: values; lhs/sobol/morris: [low, high]
    replicates: int = 10
    entropy: int | None = None
    samples: int = 0
    levels: int = 4
    target: str = DEFAULT_TARGET
    calc_second_order: bool = False
    across: dict[str, list] = field(default_factory=dict)  # oat/lhs: every point at each combination of these
    adaptive: Adaptive | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    model: str = models.DEFAULT_MODEL
    labels: dict[str, list] = field(default_factory=dict)  # points: label columns, one text per point (source)
    tables: tuple[str, ...] = ()  # model tables kept for every run (the figures asked for them; not in the key)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the manifest."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "adaptive"}
        d["adaptive"] = None if self.adaptive is None else vars(self.adaptive)
        return d

    @property
    def model_info(self) -> models.ModelInfo:
        return models.info(self.model)

    def full_parameters(self) -> dict[str, Any]:
        return self.model_info.validate(self.base)

    def design_key(self, all_parameters: dict[str, Any] | None = None) -> str:
        """Hash of what fixes the run set (full parameters, design, entropy, model): a resumed run must match it.

        The full parameter set, defaults included, so that recalibrated defaults invalidate old runs.
        Replicates and the adaptive target are left out on purpose: raising them extends an
        experiment without invalidating the runs already done; so are a points design's labels and the tables
        kept (neither changes a run). The model is included only when it is not the default one (keys of
        existing results stay valid). ``all_parameters``: the full parameter set as recorded (a manifest's),
        instead of the current model's defaults updated by the base. ``-0.0`` and ``0.0`` are one value.
        """
        d = {
            "all_parameters": self.full_parameters() if all_parameters is None else all_parameters,
            "design": self.design,
            "parameters": self.parameters,
            "samples": self.samples,
            "levels": self.levels,
            "calc_second_order": self.calc_second_order,
            "entropy": self.entropy,
        }
        if self.across:  # only when used: keys of existing results stay valid
            d["across"] = self.across
        if self.model != models.DEFAULT_MODEL:
            d["model"] = self.model
        return hashlib.sha256(json.dumps(_canonical(d), sort_keys=True, default=str).encode()).hexdigest()[:16]


def _canonical(obj: Any) -> Any:
    """``obj`` with every negative zero made a zero (``-0.0 == 0.0``: one definition, one key)."""
    if isinstance(obj, float):
        return 0.0 if obj == 0 else obj
    if isinstance(obj, dict):
        return {k: _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    return obj


def from_manifest(d: dict[str, Any]) -> Experiment:
    """The experiment as recorded in a results manifest (for ``plot`` and ``show`` without the TOML)."""
    d = dict(d)
    adaptive = d.pop("adaptive", None)
    d.setdefault("model", models.DEFAULT_MODEL)
    fields = {k: v for k, v in d.items() if k in Experiment.__dataclass_fields__}
    fields["tables"] = tuple(fields.get("tables", ()))
    return Experiment(**fields, adaptive=None if adaptive is None else Adaptive(**adaptive))
