"""piggyback-abm: partnerships between MNE subsidiaries and exporting SMEs (MODEL.md)."""

from sim.agents import SME, Headquarters, Intermediary, Subsidiary
from sim.contracts import Contract, quadrant_of
from sim.model import PiggybackModel, run
from sim.params import PARAMS, defaults, validate

__all__ = [
    "PARAMS",
    "SME",
    "Contract",
    "Headquarters",
    "Intermediary",
    "PiggybackModel",
    "Subsidiary",
    "defaults",
    "quadrant_of",
    "run",
    "validate",
]
