"""The model as a whole: initialisation, invariants at every step, determinism, Mesa integration, CLI."""

import inspect
import json
import subprocess
import sys

import mesa
import pytest
from helpers import parameter_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import PiggybackModel, run
from sim.params import PARAMS
from sim.vocabulary import SUMMARY_KEYS

SMALL = dict(n_smes=30, max_steps=80)


def test_initial_quadrant_puts_every_initial_contract_in_it():
    for q in ("Q1", "Q2", "Q3", "Q4"):
        m = PiggybackModel(rng=3, initial_quadrant=q)
        snap = m.contract_snapshot()
        assert snap["quadrant"] and set(snap["quadrant"]) == {q}
        assert getattr(m, f"share_{q}") == 1.0


def test_mixed_start_has_every_quadrant_and_the_population_of_the_spec():
    m = PiggybackModel(rng=3)
    assert len(m.headquarters) == 3 and len(m.subsidiaries) == 12 and len(m.smes) == 60
    assert set(m.contract_snapshot()["quadrant"]) == {"Q1", "Q2", "Q3", "Q4"}
    assert all(len(s.targets) == PARAMS["contracts_per_sme"].default for s in m.smes)
    assert all(c.trust_sme == c.trust_sub == 0.3 for c in m.book.active.values())
    assert not m.intermediaries
    m2 = PiggybackModel(rng=3, intermediary=0.5, contracts_per_sme=2)
    assert len(m2.intermediaries) == 4 and all(len(s.targets) == 2 for s in m2.smes)


def test_agents_are_mesa_agents_registered_by_type():
    from sim.agents import SME, Headquarters, Intermediary, Subsidiary

    m = PiggybackModel(rng=1, intermediary=0.5)
    assert len(m.agents_by_type[Headquarters]) == 3
    assert len(m.agents_by_type[Subsidiary]) == 12
    assert len(m.agents_by_type[SME]) == 60
    assert len(m.agents_by_type[Intermediary]) == 4


def test_summary_is_flat_json_and_complete():
    s = run(SMALL, 5)
    assert set(SUMMARY_KEYS) <= set(s)
    json.dumps(s)
    assert all(not isinstance(v, (dict, list)) for v in s.values())
    assert s["quadrant"] in ("Q1", "Q2", "Q3", "Q4", "mixed", "unsettled")
    assert s["path_A"] == sum(s[f"path_A_{a}"] for a in ("loyalty", "voice", "exit", "drift"))


def test_same_seed_same_summary_and_different_seeds_differ():
    a, b = run({}, 11), run({}, 11)
    assert a == b
    others = [run({}, s) for s in (12, 13, 14)]
    assert all(o != a for o in others)


def test_stopping_does_not_change_the_trajectory_up_to_settlement():
    stop = PiggybackModel(rng=21)
    s1 = stop.run()
    assert s1["settled"]
    full = PiggybackModel(rng=21, stop_on_settle=False)
    s2 = full.run()
    assert s2["steps"] == 500 and s2["settle_step"] == s1["settle_step"] and s2["quadrant"] == s1["quadrant"]
    df1 = stop.datacollector.get_model_vars_dataframe()
    df2 = full.datacollector.get_model_vars_dataframe().iloc[: len(df1)]
    cols = ["share_Q1", "share_Q2", "share_Q3", "share_Q4", "mean_trust", "exits", "voices"]
    assert df1[cols].reset_index(drop=True).equals(df2[cols].reset_index(drop=True))


def test_settlement_is_detected_no_earlier_than_burn_in_plus_two_windows():
    s = run({"initial_quadrant": "Q1", "burn_in": 30, "settle_window": 20}, 2)
    assert s["settled"] and s["settle_step"] >= 70
    s = run({"max_steps": 40}, 2)
    assert not s["settled"] and s["quadrant"] == "unsettled" and s["steps"] == 40


def test_run_max_steps_argument_overrides_the_parameter():
    m = PiggybackModel(rng=4, stop_on_settle=False)
    assert m.run(max_steps=30)["steps"] == 30
    assert m.run(max_steps=45)["steps"] == 45  # continues the same model


def test_datacollector_records_every_step():
    m = PiggybackModel(rng=7, **SMALL)
    m.run()
    df = m.datacollector.get_model_vars_dataframe()
    assert list(df["steps"]) == list(range(1, m.steps + 1))  # one row after each step
    for col in (
        "share_Q1",
        "share_Q4",
        "contracts",
        "mean_trust",
        "mean_communication",
        "mean_lof",
        "exits",
        "voices",
        "voice_successes",
        "loyalty_acts",
        "path_A",
        "path_D_voice",
    ):
        assert col in df.columns
    assert (df["exits"].diff().dropna() >= 0).all()  # cumulative


def test_exit_voice_and_loyalty_all_happen_and_paths_are_attributed():
    totals = {k: 0 for k in ("exits", "voices", "voice_successes", "loyalty_acts")}
    by_action = {a: 0 for a in ("loyalty", "voice", "exit", "drift")}
    for seed in range(6):
        s = run({}, seed)
        for k in totals:
            totals[k] += s[k]
        for p in "ABCD":
            for a in by_action:
                by_action[a] += s[f"path_{p}_{a}"]
    assert all(v > 0 for v in totals.values()), totals
    assert all(v > 0 for v in by_action.values()), by_action
    # loyalty never moves a contract uphill, voice never downhill
    s = run({}, 3)
    assert s["path_A_voice"] == s["path_B_voice"] == 0
    assert s["path_C_loyalty"] == s["path_D_loyalty"] == 0


# -- invariants at every step, over random valid parameter sets ------------------------------------
SMALL_RANGES = {  # kept small enough to step quickly
    "n_mnes": (1, 4),
    "n_markets": (1, 5),
    "n_smes": (1, 40),
    "n_niches": (1, 10),
    "contracts_per_sme": (1, 3),
    "max_steps": (1, 40),
    "burn_in": (0, 20),
    "settle_window": (1, 15),
    "shock_step": (0, 40),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=parameter_sets(SMALL_RANGES), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_at_every_step(params, seed):
    model = PiggybackModel(rng=seed, **params)
    model.check_invariants()
    while model.running:
        model.step()
        model.check_invariants()
    s = model.summary()
    assert s["steps"] <= params["max_steps"]
    assert s["contracts_formed"] >= s["contracts_ended"] >= 0


# -- Mesa integration ------------------------------------------------------------------
def test_mesa_batch_run_runs_the_model_seeded_on_this_mesa_version():
    params = {"n_smes": 20, "max_steps": 60}
    seeds = [101, 102]
    kwargs = dict(number_processes=1, data_collection_period=-1, max_steps=60, display_progress=False)
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa ≥ 3.4 injects rng itself
        results = mesa.batch_run(PiggybackModel, parameters=params, rng=seeds, **kwargs)
    else:  # Mesa 3.3: seeds travel as a model parameter
        results = mesa.batch_run(PiggybackModel, parameters={**params, "rng": seeds}, iterations=1, **kwargs)
    assert len(results) == 2
    assert sorted(r["seed"] for r in results) == seeds
    for got in results:
        want = run(params, got["seed"])
        for key in ("quadrant", "share_Q1", "share_Q3", "exits", "voices", "mean_trust", "total_value"):
            assert got[key] == want[key], key


# -- command line ----------------------------------------------------------------------
def _cli(*args):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=120)


def test_cli_prints_a_summary():
    out = _cli("--seed", "1", "--set", "n_smes=30", "--set", "initial_quadrant=Q3")
    assert out.returncode == 0, out.stderr
    assert "quadrant" in out.stdout and "Q3" in out.stdout and "n_smes=30" in out.stdout
    out = _cli("--seed", "1", "--json", "--max-steps", "20")
    assert json.loads(out.stdout)["steps"] == 20


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "n_smes=-3"], "'n_smes'"),
        (["--set", "trust_zero=0.1"], "unknown parameter 'trust_zero': did you mean"),
        (["--set", "platform=maybe"], "'platform'"),
        (["--set", "ecosystem"], "name=value"),
        (["--seed", "x"], "--seed"),
        (["--seed", "-1"], "--seed: invalid value '-1'; valid: a whole number ≥ 0"),
        (["--set", "n_smes=1e999"], "'n_smes': invalid value inf"),
        (["--set", "max_steps=1e400"], "'max_steps': invalid value inf"),
        (["--set", "n_smes=-inf"], "'n_smes'"),
        (["--set", "n_smes=nan"], "'n_smes': invalid value nan"),
        (["--set", "horizons=60,50"], "'horizons'"),
        (["--set", "x" * 100_000 + "=1"], "characters)"),  # a huge name is not echoed whole
        (["--set", "n_mnes=1000", "--set", "n_markets=10000"], "population too large for one run"),
        (["--set", "max_steps=1000000", "--set", "stop_on_settle=false", "--max-minutes", "1"], "estimated"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_code_2(args, fragment):
    out = _cli(*args)
    assert out.returncode == 2
    assert fragment in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert out.stdout == "" and len(out.stderr) < 1000
