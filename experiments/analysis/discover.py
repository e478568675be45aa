"""Scenario discovery: which regions of parameter space lead to a regime, from a finished sweep's runs.

Two methods, both from maintained libraries (nothing of theirs re-implemented here):

- ``tree`` (default; scikit-learn): a classification tree (CART) on the design parameters predicts each
  run's headline outcome (this project's model: the long-run regime; all its categories at once); each leaf
  is a box (bounds on numeric parameters, sets of values for categorical ones). For the target every leaf reports
  **coverage** (share of all target runs that fall in the box), **density** (share of the box's runs that
  reached the target) and **mass** (share of all runs in the box); the leaves the tree assigns to the target
  are its boxes.
- ``prim`` (EMA Workbench, ``pip install 'piggyback-abm[discover]'``): the patient rule induction method on
  "reached the target" yes/no; of its peeling trajectory the box chosen is the one with the largest
  coverage among those with density ≥ ``threshold`` (else the densest), reported with the whole trajectory.

``python -m experiments discover NAME --target Q3 [--method tree|prim]`` writes
``discovery_<target>_<method>.csv`` (the boxes) and a figure of the same name into the results folder
(:mod:`experiments.figures.discovery`). The outcome explained is the model's headline outcome.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.definition import models
from experiments.definition.experiment import DEFAULT_TARGET

METHODS = ("tree", "prim")


class DiscoveryError(ValueError):
    """Bad input to scenario discovery (one line, fit for the CLI)."""


@dataclass
class Discovery:
    target: str
    method: str
    boxes: pd.DataFrame  # one row per box: rule, coverage, density, mass, n, k, predicts_target, bounds
    features: list[str]  # the design parameters used
    runs: pd.DataFrame  # the design parameters and the outcome of every run (for the figure)
    importance: dict[str, float]  # tree: impurity importance per parameter; prim: restricted dimensions
    trajectory: pd.DataFrame | None = None  # prim: the peeling trajectory (coverage, density, mass, res_dim)
    key: str = ""  # the summary key holding the outcome (a column of ``runs``)
    categories: tuple[str, ...] = ()  # its categories

    @property
    def stem(self) -> str:
        return f"discovery_{self.target}_{self.method}"

    def __repr__(self) -> str:
        top = self.boxes[self.boxes["predicts_target"]]
        return (f"<Discovery of {self.target} by {self.method}: {len(top)} box(es), coverage "
                f"{top['coverage'].sum():.2f} over {len(self.runs)} runs>")


def _features(runs: pd.DataFrame, names: Sequence[str]) -> list[str]:
    cols = [f"param_{n}" if f"param_{n}" in runs else n for n in names]
    return [c for c in cols if c in runs and runs[c].nunique() > 1]


def _check(runs: pd.DataFrame, names: Sequence[str], target: str, method: str, outcome) -> list[str]:
    if outcome is None:
        raise DiscoveryError("the model declares no outcome (OUTCOMES) to explain")
    if target not in outcome.categories:
        raise DiscoveryError(f"unknown target {target!r}; valid: {', '.join(outcome.categories)}")
    if method not in METHODS:
        raise DiscoveryError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    if runs is None or runs.empty or outcome.key not in runs:
        raise DiscoveryError("no runs to analyse (the raw runs are not in this results folder: run the experiment)")
    if not (runs[outcome.key].astype(str) == target).any():
        raise DiscoveryError(f"no run reached {target} (0 of {len(runs)} runs' {outcome.label}): there is no "
                             "region to find")
    feats = _features(runs, names)
    if not feats:
        raise DiscoveryError("no design parameter varies across the runs: nothing to discover")
    return feats


def discover(runs: pd.DataFrame, names: Sequence[str], target: str = DEFAULT_TARGET, method: str = "tree",
             max_depth: int = 3, min_leaf: float = 0.05, threshold: float = 0.8,
             model: models.ModelInfo | None = None) -> Discovery:
    """Boxes of design-parameter space leading to ``target``, a category of the model's headline outcome (see
    the module). ``min_leaf``: the smallest box, as a share of the runs (tree); ``threshold``: the density a
    PRIM box should reach. ``model``: the model's declarations (default: the default model's)."""
    model = model or models.info()
    outcome = model.headline
    feats = _check(runs, names, target, method, outcome)
    data = runs[[*feats, outcome.key]].reset_index(drop=True)
    words = _Words(model.params)
    if method == "tree":
        found = _tree(data, feats, target, max_depth, min_leaf, outcome.key, words)
    else:
        found = _prim(data, feats, target, threshold, outcome.key, words)
    found.key, found.categories = outcome.key, tuple(outcome.categories)
    return found


class _Words:
    """Parameters and values in words, for the rules: a parameter's label from the model's table."""

    def __init__(self, params) -> None:
        self.params = params

    def name(self, column: str) -> str:
        name = column.removeprefix("param_")
        p = self.params.get(name)
        return (getattr(p, "label", "") or name) if p is not None else name.replace("_", " ")

    @staticmethod
    def value(v: str) -> str:
        return ("yes" if v == "True" else "no") if v in ("True", "False") else v


# --------------------------------------------------------------------------------------------- tree
def _encode(data: pd.DataFrame, feats: list[str]) -> tuple[pd.DataFrame, dict[str, tuple[str, object]]]:
    """Numeric columns as they are, booleans as 0/1, choices one-hot; maps each column back to (param, value)."""
    cols, origin = {}, {}
    for f in feats:
        s = data[f]
        if pd.api.types.is_bool_dtype(s) or set(s.unique()) <= {True, False}:
            cols[f] = s.astype(float)
            origin[f] = (f, bool)
        elif pd.api.types.is_numeric_dtype(s):
            cols[f] = s.astype(float)
            origin[f] = (f, None)
        else:
            for v in sorted(s.astype(str).unique()):
                cols[f"{f}={v}"] = (s.astype(str) == v).astype(float)
                origin[f"{f}={v}"] = (f, v)
    return pd.DataFrame(cols), origin


def _leaf_boxes(tree, columns: list[str]) -> dict[int, list[tuple[int, str, float]]]:
    """For each leaf: the (feature index, "<=" or ">", threshold) tests on the way from the root."""
    t = tree.tree_
    paths: dict[int, list] = {}
    stack = [(0, [])]
    while stack:
        node, tests = stack.pop()
        if t.children_left[node] == t.children_right[node]:  # a leaf
            paths[node] = tests
            continue
        f, thr = int(t.feature[node]), float(t.threshold[node])
        stack.append((int(t.children_left[node]), [*tests, (f, "<=", thr)]))
        stack.append((int(t.children_right[node]), [*tests, (f, ">", thr)]))
    return paths


def _rule(tests, columns, origin, data: pd.DataFrame, feats: list[str], words: _Words) -> tuple[str, dict]:
    """A leaf's tests as bounds per parameter, and in words."""
    lows, highs, allowed = {}, {}, {}
    for f_idx, op, thr in tests:
        param, kind = origin[columns[f_idx]]
        if kind is None:  # numeric
            if op == "<=":
                highs[param] = min(highs.get(param, np.inf), thr)
            else:
                lows[param] = max(lows.get(param, -np.inf), thr)
        else:
            values = allowed.setdefault(param, set(data[param].astype(str).unique()) if kind is not bool
                                        else {"False", "True"})
            keep = ("True" if kind is bool else kind)
            if op == "<=":  # the indicator is 0: this value is out
                values.discard(keep)
            else:
                values.intersection_update({keep})
    bounds, text = {}, []
    for p in feats:
        if p in lows or p in highs:
            lo, hi = lows.get(p, -np.inf), highs.get(p, np.inf)
            bounds[f"{p}_low"], bounds[f"{p}_high"] = lo, hi
            name = words.name(p)
            text.append(f"{lo:.3g} < {name} ≤ {hi:.3g}" if np.isfinite(lo) and np.isfinite(hi)
                         else f"{name} ≤ {hi:.3g}" if np.isfinite(hi) else f"{name} > {lo:.3g}")
        if p in allowed:
            vals = sorted(allowed[p])
            bounds[f"{p}_in"] = "|".join(vals)
            name = words.name(p)
            shown = [words.value(v) for v in vals]
            text.append(f"{name} = {shown[0]}" if len(shown) == 1 else f"{name} ∈ {{{', '.join(shown)}}}")
    return " and ".join(text) or "everywhere", bounds


def _tree(data: pd.DataFrame, feats: list[str], target: str, max_depth: int, min_leaf: float, key: str,
          words: _Words) -> Discovery:
    from sklearn.tree import DecisionTreeClassifier

    X, origin = _encode(data, feats)
    y = data[key].astype(str).to_numpy()
    n, hits = len(y), y == target
    clf = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(1, int(np.ceil(min_leaf * n))),
                                 random_state=0).fit(X, y)
    leaf_of = clf.apply(X)
    columns = list(X.columns)
    rows = []
    for leaf, tests in sorted(_leaf_boxes(clf, columns).items()):
        inside = leaf_of == leaf
        k, m = int((hits & inside).sum()), int(inside.sum())
        rule, bounds = _rule(tests, columns, origin, data, feats, words)
        predicted = clf.classes_[int(np.argmax(clf.tree_.value[leaf][0]))]
        rows.append({"rule": rule, "coverage": k / hits.sum() if hits.any() else 0.0, "density": k / m if m else 0.0,
                     "mass": m / n, "n": m, "k": k, "predicts": predicted, "predicts_target": predicted == target,
                     **bounds})
    boxes = pd.DataFrame(rows).sort_values(["predicts_target", "density", "coverage"], ascending=False)
    importance: dict[str, float] = {}
    for col, imp in zip(columns, clf.feature_importances_):
        importance[origin[col][0]] = importance.get(origin[col][0], 0.0) + float(imp)
    boxes.insert(0, "box", range(1, len(boxes) + 1))
    return Discovery(target, "tree", boxes.reset_index(drop=True), feats, data, importance)


# --------------------------------------------------------------------------------------------- PRIM
def _prim(data: pd.DataFrame, feats: list[str], target: str, threshold: float, key: str, words: _Words) -> Discovery:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # EMA Workbench 3 warns about optional parallel back ends on import
            from ema_workbench.analysis import prim
    except ImportError:
        raise DiscoveryError("the prim method needs EMA Workbench: pip install 'piggyback-abm[discover]'") from None
    x = pd.DataFrame({f: data[f].astype(str) if not pd.api.types.is_numeric_dtype(data[f])
                      or pd.api.types.is_bool_dtype(data[f]) else data[f] for f in feats})
    y = (data[key].astype(str) == target).to_numpy().astype(int)
    kw = {"threshold": threshold} if "threshold" in inspect.signature(prim.Prim).parameters else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(x, y, **kw)
        box = p.find_box()
    if box is None:
        raise DiscoveryError(f"PRIM found no box for {target}")
    traj = box.peeling_trajectory.reset_index(drop=True)
    good = traj.index[traj["density"] >= threshold]
    chosen = int(traj.loc[good, "coverage"].idxmax()) if len(good) else int(traj["density"].idxmax())
    lims, init = box.box_lims[chosen], box.box_lims[0]
    text, bounds = [], {}
    for f in feats:
        lo, hi = lims[f].iloc[0], lims[f].iloc[1]
        if isinstance(lo, set):
            if lo != init[f].iloc[0]:
                vals = sorted(map(str, lo))
                bounds[f"{f}_in"] = "|".join(vals)
                text.append(f"{words.name(f)} ∈ {{{', '.join(vals)}}}")
        elif (lo, hi) != (init[f].iloc[0], init[f].iloc[1]):
            bounds[f"{f}_low"], bounds[f"{f}_high"] = float(lo), float(hi)
            text.append(f"{float(lo):.3g} ≤ {words.name(f)} ≤ {float(hi):.3g}")
    row = traj.loc[chosen]
    boxes = pd.DataFrame([{"box": 1, "rule": " and ".join(text) or "everywhere",
                           "coverage": float(row["coverage"]), "density": float(row["density"]),
                           "mass": float(row["mass"]), "n": round(float(row["mass"]) * len(y)),
                           "k": round(float(row["coverage"]) * y.sum()), "predicts": target,
                           "predicts_target": True, "trajectory_step": chosen, **bounds}])
    importance = {f: 1.0 for f in feats if any(k.startswith(f"{f}_") for k in bounds)}
    return Discovery(target, "prim", boxes, feats, data, importance, trajectory=traj)


# --------------------------------------------------------------------------------------------- text
def text(found: Discovery, max_rows: int = 8) -> str:
    """The boxes in a few lines, for the terminal."""
    top = found.boxes[found.boxes["predicts_target"]]
    lines = [f"{found.method}: regions leading to {found.target} ({int(found.runs[found.key].eq(found.target).sum())}"
             f" of {len(found.runs)} runs reached it)"]
    if top.empty:
        lines.append(f"  no box: {found.target} is not the most frequent outcome anywhere the tree looked")
    for _, r in top.head(max_rows).iterrows():
        lines.append(f"  box {r['box']}: coverage {r['coverage']:.2f}, density {r['density']:.2f}, "
                     f"mass {r['mass']:.2f} ({r['n']} runs): {r['rule']}")
    if len(top) > 1:
        lines.append(f"  together: coverage {top['coverage'].sum():.2f}")
    return "\n".join(lines)
