"""The store: readers, extra tables, and every kind of damage. Damage is never read as data: `run` and the
`load_*` functions stop with one line naming the file and the `repair` command; `repair` sets the damaged
files aside (never deletes them) and a re-run completes the experiment with byte-identical results.
Crash leftovers (a torn journal tail, an orphan part, a temporary file) are cleaned up without asking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import InterruptAfter
from test_reliability import trivial_toml

from experiments import atomic, config, parts, runner, store
from experiments.cli import main


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(atomic, "FSYNC", False)


def _cli(*args) -> list[str]:
    return ["run", *args, "--executor", "serial", "--quiet", "--no-plots", "--chunk", "3"]


@pytest.fixture(scope="module")
def folders_(tmp_path_factory):
    """A reference folder, and one holding a compacted base (a finished session of 2 replicates) plus the
    uncompacted parts of an interrupted extension to 4 replicates."""
    import experiments.atomic as st

    st.FSYNC = False
    tmp = tmp_path_factory.mktemp("store")
    toml = trivial_toml(tmp, x=(0.1, 0.5, 0.9), replicates=4, adaptive=False)
    exp = config.load(str(toml))
    runner.run_experiment(exp, runner.SerialExecutor(), out=tmp / "ref", progress=False, chunk=3)
    exp2 = config.load(str(toml), replicates=2)
    runner.run_experiment(exp2, runner.SerialExecutor(), out=tmp / "base", progress=False, chunk=3)
    with pytest.raises(KeyboardInterrupt):
        runner.run_experiment(config.load(str(toml)), InterruptAfter(3), out=tmp / "base", progress=False, chunk=2,
                              commit_seconds=0)
    st.FSYNC = True
    return toml, tmp / "ref", tmp / "base"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _part(out: Path, table: str = "runs") -> Path:
    return sorted((out / store.PARTS).glob(f"*.{table}.parquet"))[0]


def _flip(path: Path, at: int = 200) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def _journal_lines(out: Path) -> list[bytes]:
    return (out / store.JOURNAL).read_bytes().splitlines(keepends=True)


def _other_parquet(path: Path) -> None:  # a well-formed Parquet file with other numbers: tampering
    t = pq.read_table(path)
    t = t.set_column(t.column_names.index("seed"), "seed", pa.array([1] * t.num_rows, pa.int64()))
    pq.write_table(t, path)


DAMAGE = {
    "byte flipped in a part": lambda o: _flip(_part(o)),
    "byte flipped in runs.parquet": lambda o: _flip(o / store.RUNS),
    "part deleted": lambda o: _part(o).unlink(),
    "part truncated": lambda o: _part(o).write_bytes(_part(o).read_bytes()[:300]),
    "steps.parquet truncated": lambda o: (o / store.STEPS).write_bytes(b"PAR1"),
    "runs.parquet rewritten with other data": lambda o: _other_parquet(o / store.RUNS),
    "part rewritten with other data": lambda o: _other_parquet(_part(o)),
    "journal line edited": lambda o: (o / store.JOURNAL).write_bytes(
        (o / store.JOURNAL).read_bytes().replace(b'"rows":', b'"rows":1', 1)),
    "journal line spliced in": lambda o: (o / store.JOURNAL).write_bytes(
        b"".join([*_journal_lines(o)[:1], b'00000000 {"kind":"part","files":{}}\n', *_journal_lines(o)[1:]])),
    "garbage appended to the journal": lambda o: (o / store.JOURNAL).open("ab").write(b"not a record\n"),
    "journal deleted": lambda o: (o / store.JOURNAL).unlink(),
    "a stray events.parquet": lambda o: shutil.copy(_part(o, "events"), o / store.EVENTS),
    "runs.parquet deleted": lambda o: (o / store.RUNS).unlink(),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damage_is_reported_never_read_and_repair_then_resume_restores_the_results(
        folders_, tmp_path, capsys, monkeypatch, kind):
    toml, ref, base = folders_
    out = _copy(base, tmp_path / "d")
    DAMAGE[kind](out)
    snapshot = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(store.StoreError, match="repair"):
        store.load_runs(out)
    monkeypatch.chdir(tmp_path)
    assert main(_cli(str(toml), "--out", str(out))) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "repair --out" in err and "Traceback" not in err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == snapshot  # untouched
    assert main(["repair", "--out", str(out)]) == 0
    aside = list(out.glob("damaged-*"))
    assert len(aside) == 1 and any(aside[0].iterdir())  # set aside, not deleted
    assert main(_cli(str(toml), "--out", str(out))) == 0
    for name in (store.RUNS, store.STEPS, store.EVENTS):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


@pytest.mark.parametrize("kind", ["torn journal tail", "orphan part", "temporary file"])
def test_crash_leftovers_are_cleaned_up_without_asking(folders_, tmp_path, monkeypatch, kind):
    toml, ref, base = folders_
    out = _copy(base, tmp_path / "c")
    if kind == "torn journal tail":
        (out / store.JOURNAL).write_bytes((out / store.JOURNAL).read_bytes()[:-7])
    elif kind == "orphan part":
        shutil.copy(_part(out), out / store.PARTS / "deadbeef-000001.runs.parquet")
    else:
        (out / ".runs.parquet.1234.tmp").write_bytes(b"half a file")
    store.load_runs(out)  # readable as it is
    monkeypatch.chdir(tmp_path)
    assert main(_cli(str(toml), "--out", str(out))) == 0
    assert (out / store.RUNS).read_bytes() == (ref / store.RUNS).read_bytes()
    assert not list(out.glob(".*.tmp")) and not (out / store.PARTS).exists()


def test_readers_merge_parts_and_base_in_run_id_order(folders_):
    _, ref, base = folders_
    runs = store.load_runs(base)
    assert list(runs["run_id"]) == sorted(runs["run_id"]) and runs["run_id"].is_unique
    full = store.load_runs(ref)
    assert set(runs["run_id"]) < set(full["run_id"])
    merged = full.set_index("run_id").loc[runs["run_id"]].reset_index()
    # a run reads the same from a part as from the compacted file (an int column with gaps reads as float)
    __import__("pandas").testing.assert_frame_equal(merged, runs, check_dtype=False)
    assert runs.attrs["parameter_columns"] == ["x", "noise", "steps", "work_us", "fail_p", "mode"]
    chunks = list(store.iter_runs(ref, columns=["run_id", "quadrant"], rows=7))
    assert len(chunks) > 2
    joined = __import__("pandas").concat(chunks, ignore_index=True)
    assert list(joined["run_id"]) == list(full["run_id"])
    steps, events = store.load_steps(ref), store.load_events(ref)
    assert list(steps.columns[:3]) == ["point", "replicate", "step"] and len(steps) > 0
    assert {"point", "replicate", "event"} <= set(events.columns)
    assert store.load_failures(ref).empty


def test_readers_of_an_empty_or_missing_folder_return_empty_frames(tmp_path):
    for load in (store.load_runs, store.load_steps, store.load_events, store.load_failures):
        assert load(tmp_path).empty and load(tmp_path / "missing").empty


def test_a_run_holds_every_parameter_and_reproduces_from_its_row(folders_):
    from experiments import trivial

    _, ref, _ = folders_
    runs = store.load_runs(ref)
    row = runs.iloc[5]
    params = {p: row[p] for p in runs.attrs["parameter_columns"]}
    params = {k: (v.item() if hasattr(v, "item") else v) for k, v in params.items()}
    again = trivial.run(params, int(row["seed"]))
    assert again["quadrant"] == row["quadrant"] and again["value"] == row["value"]


def test_failures_are_recorded_retried_and_resolved(tmp_path, monkeypatch):
    toml = trivial_toml(tmp_path, x=(0.5,), replicates=6)
    exp = config.load(str(toml), overrides={"fail_p": 0.3})
    res = runner.run_experiment(exp, runner.SerialExecutor(), out=tmp_path / "f", progress=False, chunk=4)
    assert res.failed > 0 and res.status == "complete_with_failures"
    failures = store.load_failures(tmp_path / "f")
    assert len(failures) == res.failed and failures["error"].str.contains("deliberate failure").all()
    manifest = store.read_json(tmp_path / "f" / store.MANIFEST)
    assert manifest["runs"]["failed_unresolved"] == res.failed


def test_part_merge_is_independent_of_how_rows_were_split(tmp_path):
    rows = [{"run_id": store.run_id(j, r), "point": j, "replicate": r, "seed": j * 10 + r,
             "v": (None if (j + r) % 5 == 0 else float(j * r)) if j % 2 else j * r, "q": "Q1"}
            for j in range(40) for r in range(3)]
    import random

    outs = []
    for k, size in enumerate((1, 7, 120)):
        shuffled = rows[:]
        random.Random(k).shuffle(shuffled)
        sources = []
        for i in range(0, len(shuffled), size):
            t = parts.to_table(shuffled[i: i + size])
            path = tmp_path / f"{k}-{i}.parquet"
            pq.write_table(t, path)
            pts = t.column("point").to_pylist()
            sources.append(parts.Source(path, t.num_rows, min(pts), max(pts)))
        out = tmp_path / f"out{k}.parquet"
        parts.merge(sources, out, dedupe=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    t = pq.read_table(tmp_path / "out0.parquet")
    assert t.column("run_id").to_pylist() == [r["run_id"] for r in rows]
    assert t.schema.field("v").type == pa.float64()  # int, float and null unified


def test_journal_records_carry_checksums(folders_):
    _, ref, _ = folders_
    line = (ref / store.JOURNAL).read_bytes().splitlines()[0]
    _crc, body = line.split(b" ", 1)
    record = json.loads(body)
    assert record["files"]["runs"]["sha256"] == store.sha256_file(ref / store.RUNS)
