"""The store: readers, extra tables, and every kind of damage. Damage is never read as data: `run` and the
`load_*` functions stop with one line naming the file and the `repair` command; `repair` sets the damaged
files aside (never deletes them) and a re-run completes the experiment with byte-identical results.
Crash leftovers (a torn journal tail, an orphan part, a temporary file) are cleaned up without asking."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import InterruptAfter, trivial_toml

from experiments import engine, pipeline, storage
from experiments.cli import main
from experiments.storage import atomic, parts


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(atomic, "FSYNC", False)


def _cli(*args) -> list[str]:
    return ["run", *args, "--executor", "serial", "--quiet", "--no-plots", "--chunk", "3"]


@pytest.fixture(scope="module")
def folders_(tmp_path_factory):
    """A reference folder, and one holding a compacted base (a finished session of 2 replicates) plus the
    uncompacted parts of an interrupted extension to 4 replicates."""
    import experiments.storage.atomic as st

    st.FSYNC = False
    tmp = tmp_path_factory.mktemp("store")
    toml = trivial_toml(tmp, x=(0.1, 0.5, 0.9), replicates=4, adaptive=False)
    exp = pipeline.experiment(str(toml))
    engine.run_experiment(exp, engine.SerialExecutor(), out=tmp / "ref", progress=False, chunk=3)
    exp2 = pipeline.experiment(str(toml), replicates=2)
    engine.run_experiment(exp2, engine.SerialExecutor(), out=tmp / "base", progress=False, chunk=3)
    with pytest.raises(KeyboardInterrupt):
        engine.run_experiment(pipeline.experiment(str(toml)), InterruptAfter(3), out=tmp / "base", progress=False,
                              chunk=2, commit_seconds=0)
    st.FSYNC = True
    return toml, tmp / "ref", tmp / "base"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _part(out: Path, table: str = "runs") -> Path:
    return sorted((out / storage.PARTS).glob(f"*.{table}.parquet"))[0]


def _flip(path: Path, at: int = 200) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def _journal_lines(out: Path) -> list[bytes]:
    return (out / storage.JOURNAL).read_bytes().splitlines(keepends=True)


def _other_parquet(path: Path) -> None:  # a well-formed Parquet file with other numbers: tampering
    t = pq.read_table(path)
    t = t.set_column(t.column_names.index("seed"), "seed", pa.array([1] * t.num_rows, pa.int64()))
    pq.write_table(t, path)


DAMAGE = {
    "byte flipped in a part": lambda o: _flip(_part(o)),
    "byte flipped in runs.parquet": lambda o: _flip(o / storage.RUNS),
    "part deleted": lambda o: _part(o).unlink(),
    "part truncated": lambda o: _part(o).write_bytes(_part(o).read_bytes()[:300]),
    "steps.parquet truncated": lambda o: (o / storage.STEPS).write_bytes(b"PAR1"),
    "runs.parquet rewritten with other data": lambda o: _other_parquet(o / storage.RUNS),
    "part rewritten with other data": lambda o: _other_parquet(_part(o)),
    "journal line edited": lambda o: (o / storage.JOURNAL).write_bytes(
        (o / storage.JOURNAL).read_bytes().replace(b'"rows":', b'"rows":1', 1)),
    "journal line spliced in": lambda o: (o / storage.JOURNAL).write_bytes(
        b"".join([*_journal_lines(o)[:1], b'00000000 {"kind":"part","files":{}}\n', *_journal_lines(o)[1:]])),
    "garbage appended to the journal": lambda o: (o / storage.JOURNAL).open("ab").write(b"not a record\n"),
    "journal deleted": lambda o: (o / storage.JOURNAL).unlink(),
    "a stray events.parquet": lambda o: shutil.copy(_part(o, "events"), o / storage.EVENTS),
    "runs.parquet deleted": lambda o: (o / storage.RUNS).unlink(),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damage_is_reported_never_read_and_repair_then_resume_restores_the_results(
        folders_, tmp_path, capsys, monkeypatch, kind):
    toml, ref, base = folders_
    out = _copy(base, tmp_path / "d")
    DAMAGE[kind](out)
    snapshot = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(storage.StoreError, match="repair"):
        storage.load_runs(out)
    monkeypatch.chdir(tmp_path)
    assert main(_cli(str(toml), "--out", str(out))) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "repair --out" in err and "Traceback" not in err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == snapshot  # untouched
    assert main(["repair", "--out", str(out)]) == 0
    aside = list(out.glob("damaged-*"))
    assert len(aside) == 1 and any(aside[0].iterdir())  # set aside, not deleted
    assert main(_cli(str(toml), "--out", str(out))) == 0
    for name in (storage.RUNS, storage.STEPS, storage.EVENTS):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


@pytest.mark.parametrize("kind", ["torn journal tail", "orphan part", "temporary file"])
def test_crash_leftovers_are_cleaned_up_without_asking(folders_, tmp_path, monkeypatch, kind):
    toml, ref, base = folders_
    out = _copy(base, tmp_path / "c")
    if kind == "torn journal tail":
        (out / storage.JOURNAL).write_bytes((out / storage.JOURNAL).read_bytes()[:-7])
    elif kind == "orphan part":
        shutil.copy(_part(out), out / storage.PARTS / "deadbeef-000001.runs.parquet")
    else:
        (out / ".runs.parquet.0a1b2c3d.tmp").write_bytes(b"half a file")  # a compaction killed midway
    storage.load_runs(out)  # readable as it is
    monkeypatch.chdir(tmp_path)
    assert main(_cli(str(toml), "--out", str(out))) == 0
    assert (out / storage.RUNS).read_bytes() == (ref / storage.RUNS).read_bytes()
    assert not list(out.glob(".*.tmp")) and not (out / storage.PARTS).exists()


def test_readers_merge_parts_and_base_in_run_id_order(folders_):
    _, ref, base = folders_
    runs = storage.load_runs(base)
    assert list(runs["run_id"]) == sorted(runs["run_id"]) and runs["run_id"].is_unique
    full = storage.load_runs(ref)
    assert set(runs["run_id"]) < set(full["run_id"])
    merged = full.set_index("run_id").loc[runs["run_id"]].reset_index()
    # a run reads the same from a part as from the compacted file (an int column with gaps reads as float)
    __import__("pandas").testing.assert_frame_equal(merged, runs, check_dtype=False)
    assert runs.attrs["parameter_columns"] == ["x", "noise", "steps", "work_us", "fail_p", "mode"]
    chunks = list(storage.iter_runs(ref, columns=["run_id", "quadrant"], rows=7))
    assert len(chunks) > 2
    joined = __import__("pandas").concat(chunks, ignore_index=True)
    assert list(joined["run_id"]) == list(full["run_id"])
    steps, events = storage.load_steps(ref), storage.load_events(ref)
    assert list(steps.columns[:3]) == ["point", "replicate", "step"] and len(steps) > 0
    assert {"point", "replicate", "event"} <= set(events.columns)
    assert storage.load_failures(ref).empty


def test_readers_of_an_empty_or_missing_folder_return_empty_frames(tmp_path):
    for load in (storage.load_runs, storage.load_steps, storage.load_events, storage.load_failures):
        assert load(tmp_path).empty and load(tmp_path / "missing").empty


def test_a_run_holds_every_parameter_and_reproduces_from_its_row(folders_):
    from experiments.engine import trivial

    _, ref, _ = folders_
    runs = storage.load_runs(ref)
    row = runs.iloc[5]
    params = {p: row[p] for p in runs.attrs["parameter_columns"]}
    params = {k: (v.item() if hasattr(v, "item") else v) for k, v in params.items()}
    again = trivial.run(params, int(row["seed"]))
    assert again["quadrant"] == row["quadrant"] and again["value"] == row["value"]


def test_failures_are_recorded_retried_and_resolved(tmp_path, monkeypatch):
    toml = trivial_toml(tmp_path, x=(0.5,), replicates=6)
    exp = pipeline.experiment(str(toml), overrides={"fail_p": 0.3})
    res = engine.run_experiment(exp, engine.SerialExecutor(), out=tmp_path / "f", progress=False, chunk=4)
    assert res.failed > 0 and res.status == "complete_with_failures"
    failures = storage.load_failures(tmp_path / "f")
    assert len(failures) == res.failed and failures["error"].str.contains("deliberate failure").all()
    manifest = storage.read_json(tmp_path / "f" / storage.MANIFEST)
    assert manifest["runs"]["failed_unresolved"] == res.failed


def test_part_merge_is_independent_of_how_rows_were_split(tmp_path):
    rows = [{"run_id": storage.run_id(j, r), "point": j, "replicate": r, "seed": j * 10 + r,
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
    line = (ref / storage.JOURNAL).read_bytes().splitlines()[0]
    _crc, body = line.split(b" ", 1)
    record = json.loads(body)
    assert record["files"]["runs"]["sha256"] == atomic.sha256_file(ref / storage.RUNS)


# ------------------------------------------------------------------------------------------- atomic writes
def test_atomic_write_leaves_old_file_and_no_temp_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "manifest.json"
    storage.atomic_write_json(target, {"v": 1})

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        storage.atomic_write_json(target, {"v": 2})
    monkeypatch.undo()
    assert storage.read_json(target) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "summary.csv"
    storage.atomic_write_text(target, "a\n" * 1000)
    storage.atomic_write_text(target, "b\n")
    assert target.read_text() == "b\n"
    assert not list(tmp_path.glob("*.tmp"))
