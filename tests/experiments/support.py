"""Shared by the experiment runner's tests: small definitions (the real model in tiny sweeps, the trivial
model), synthetic runs for the figures, a CLI in a subprocess, and an executor interrupted on cue."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import engine, storage
from experiments.definition import models

ROOT = Path(__file__).resolve().parents[2]
TINY_BASE = {"n_smes": 20, "burn_in": 10, "settle_window": 10}
TRIVIAL = "experiments.engine.trivial:run"


def tiny_toml(tmp_path: Path, name: str = "tiny", body: str | None = None, **extra) -> Path:
    """A sweep of the real model small enough for a test (20 SMEs, ≤ 60 steps by default)."""
    body = body or textwrap.dedent(
        """
        [design]
        type = "grid"
        [design.parameters]
        voice_cost = [0.1, 1.0]
        initial_quadrant = ["mixed", "Q2"]
        [outputs]
        step_sample = 1
        metrics = ["mean_trust", "survival"]
        """
    )
    head = {"name": f'"{name}"', "replicates": 3, "max_steps": 60, "entropy": 42, **extra}
    text = "\n".join(f"{k} = {v}" for k, v in head.items())
    text += "\n[base]\n" + "\n".join(f"{k} = {v}" for k, v in TINY_BASE.items()) + "\n" + body
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def trivial_toml(tmp_path: Path, name: str = "triv", entropy: int | None = 11, x=(0.2, 0.5, 0.8),
                 replicates: int = 4, adaptive: bool = True) -> Path:
    """A sweep of the trivial model (microseconds per run), adaptive, with step data and event logs."""
    text = textwrap.dedent(f"""\
        name = "{name}"
        model = "{TRIVIAL}"
        replicates = {replicates}
        {f"entropy = {entropy}" if entropy is not None else ""}
        [design]
        type = "grid"
        [design.parameters]
        x = {list(x)}
        noise = [0.05, 0.3]
        {"[adaptive]" if adaptive else ""}
        {"halfwidth = 0.2" if adaptive else ""}
        {"max_replicates = 24" if adaptive else ""}
        {"batch = 4" if adaptive else ""}
        [outputs]
        step_sample = 2
        events = true
        """)
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def sorted_rows(directory: Path) -> list[list]:
    """Header and rows of a folder's runs, in run-id order (read through the store, as every reader does)."""
    df = storage.load_runs(directory)
    return [list(df.columns), *df.astype(str).values.tolist()]


def as_committed(out: Path) -> None:
    """What a clone holds of a shipped result: manifest, tables and figures, no raw runs (the journal, every
    Parquet table: runs, steps, the model's timelines; git ignores them under results/)."""
    for name in (storage.JOURNAL, storage.RUNS, storage.STEPS):
        (out / name).unlink()
    for raw in out.glob("*.parquet"):
        raw.unlink()


HEADLINE = models.info().headline  # the outcome the default model declares first: the long-run regime


def synthetic_runs(points: list[dict], quadrants, reps: int = 20, seed: int = 0, extra=None) -> pd.DataFrame:
    """Runs whose headline outcome (the long-run regime, in the key the model declares) is drawn with the given
    probabilities (a dict or a function of the point); the step it was reached at in the declared step key."""
    rng = np.random.default_rng(seed)
    rows = []
    for j, p in enumerate(points):
        probs = quadrants(p) if callable(quadrants) else quadrants
        outs, w = list(probs), np.array(list(probs.values()), dtype=float)
        for r in range(reps):
            voices = int(rng.integers(0, 6))
            outcome = outs[rng.choice(len(outs), p=w / w.sum())]
            row = {"run_id": f"p{j:05d}_r{r:05d}", "point": j, "replicate": r, "seed": r, **p,
                   HEADLINE.key: outcome, HEADLINE.step_key: None if outcome == "unresolved" else 100 + r,
                   "resolved": outcome != "unresolved", "voices": voices,
                   "voice_successes": int(rng.integers(0, voices + 1)),
                   "contracts_formed": 10, "contracts_ended": int(rng.integers(0, 10)),
                   "mean_trust": float(rng.random()), "exits": int(rng.integers(0, 3))}
            for path in "ABCD":
                row[f"path_{path}"] = float(rng.integers(0, 4))
                for a in ("loyalty", "voice", "exit", "drift"):
                    row[f"path_{path}_{a}"] = float(rng.integers(0, 2))
            if extra:
                row.update(extra(p, r, rng))
            rows.append(row)
    return pd.DataFrame(rows)


class InterruptAfter(engine.SerialExecutor):
    """A serial executor interrupted (as by Ctrl-C) after ``n`` chunks."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def wait(self, futures):
        if self.n == 0:
            raise KeyboardInterrupt
        self.n -= 1
        return super().wait(futures)
