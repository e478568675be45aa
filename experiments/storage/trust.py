"""A results folder's manifest, read as untrusted input and checked against the runs before anything uses it.

A manifest says how the runs were made (the definition, its key, the root entropy); ``plot``, ``load`` and
``show`` label points with its design. So before they use it:

1. it is a regular file holding a JSON object with the fields the readers need, of the right types;
2. its definition hashes to the key it records (:meth:`Experiment.design_key` over the parameters it records):
   one number changed or values reordered changes the key;
3. every journal record's key (the key of the definition the runner held when it committed those runs) is that
   key: a manifest edited consistently still disagrees with the journal;
4. (:func:`check_runs`) each run's seed is the one the seeding rule gives for its (point, replicate) under the
   recorded entropy, and its parameters are the design's at its point.

What none of this can detect (docs/RELIABILITY.md, threat model): a folder forged whole, with its checksums,
keys and seeds recomputed; the checks catch damage and edits, not a consistent forgery.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from experiments.definition.errors import ExperimentError
from experiments.storage.atomic import read_json
from experiments.storage.errors import StoreError
from experiments.storage.journal import keys_of, read_journal
from experiments.storage.layout import MANIFEST

FIELDS = {"name": str, "experiment": dict, "design_key": str, "parameters": dict, "runs": dict, "status": str}


def fix(directory: Path) -> str:
    return (f"re-run its definition into the folder (`python -m experiments run NAME_OR_TOML --out {directory}`: "
            "finished runs are kept and the manifest is rewritten), or restore the folder from its source")


def read_manifest(directory: Path) -> dict | None:
    """``manifest.json`` of a results folder (None if there is none); :class:`StoreError` if it is not a regular
    file holding a manifest."""
    path = Path(directory) / MANIFEST
    if not path.exists() and not path.is_symlink():
        return None
    try:
        m = read_json(path)
    except StoreError as exc:
        raise StoreError(f"{exc}; {fix(directory)}") from None
    except (OSError, ValueError, RecursionError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else f"not JSON: {str(exc).splitlines()[0][:80]}"
        raise StoreError(f"{path}: damaged ({why}); {fix(directory)}") from None
    if not isinstance(m, dict):
        raise StoreError(f"{path}: damaged (not a JSON object); {fix(directory)}")
    for key, kind in FIELDS.items():
        if not isinstance(m.get(key), kind):
            raise StoreError(f"{path}: damaged (its {key!r} is missing or not a {kind.__name__}); {fix(directory)}")
    return m


def experiment_of(directory: Path, m: dict):
    """The experiment a manifest records, checked against its key and the journal's (steps 2 and 3)."""
    from experiments.definition.experiment import from_manifest

    path = Path(directory) / MANIFEST
    try:
        exp = from_manifest(m["experiment"])
        key = exp.design_key(all_parameters=m["parameters"])
    except ExperimentError as exc:
        raise StoreError(f"{path}: its definition cannot be used ({exc}); {fix(directory)}") from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise StoreError(f"{path}: damaged (its definition is malformed: {type(exc).__name__}); "
                         f"{fix(directory)}") from None
    if key != m["design_key"] or exp.name != m["name"] or exp.entropy != m.get("root_entropy"):
        raise StoreError(f"{path}: its definition does not match its own key (edited after the run?); the results "
                         f"in {directory} were not read; {fix(directory)}")
    records, _ = read_journal(Path(directory))
    others = keys_of(records) - {key}
    if others:
        raise StoreError(f"{path}: describes another definition than the one its runs were made by (journal key "
                         f"{sorted(others)[0]}, manifest {key}: edited after the run?); the results in {directory} "
                         f"were not read; {fix(directory)}")
    return exp


def check_runs(directory: Path, exp, design, runs) -> None:
    """Step 4 on a table of runs (a DataFrame, or one block of them): seeds and design parameters agree with the
    manifest's definition; :class:`StoreError` naming the first run that does not."""
    import numpy as np

    from experiments.definition.seeds import run_seed

    if runs.empty:
        return
    where = f"{Path(directory) / MANIFEST}"
    points = runs["point"].to_numpy()
    if points.min() < 0 or points.max() >= len(design.points) or runs["replicate"].to_numpy().min() < 0:
        raise StoreError(f"{where}: its design has {len(design.points)} points, the runs go up to point "
                         f"{int(points.max())} (edited after the run?); {fix(directory)}")
    step = max(1, len(runs) // 64)
    for i in range(0, len(runs), step):
        row = runs.iloc[i]
        if int(row["seed"]) != run_seed(exp.entropy, int(row["point"]), int(row["replicate"])):
            raise StoreError(f"{where}: run {row['run_id']} has seed {row['seed']}, not the one its root entropy "
                             f"gives (edited after the run?); {fix(directory)}")
    columns = set(runs.columns)
    for name in design.names:
        col = f"param_{name}" if f"param_{name}" in columns else name
        if col not in columns:
            continue
        expected = {j: design.points[j][name] for j in np.unique(points)}
        got = runs[col].to_numpy()
        bad = [i for i, (j, v) in enumerate(zip(points, got)) if not _same(v, expected[j])]
        if bad:
            row = runs.iloc[bad[0]]
            raise StoreError(f"{where}: run {row['run_id']} has {name}={_short(row[col])} where the manifest's design "
                             f"says {_short(expected[int(row['point'])])} (edited after the run?); {fix(directory)}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, (list, tuple)) or (hasattr(a, "__len__") and not isinstance(a, str)):
        return True  # non-scalar parameter values are not compared
    try:
        return bool(a == b) or (a != a and b != b)
    except (TypeError, ValueError):
        return False


def _short(v: Any) -> str:
    text = repr(v.item() if hasattr(v, "item") else v)
    return text if len(text) <= 40 else text[:36] + "..."
