"""The command line's answer to bad input: one line, exit status 2, nothing written."""

from __future__ import annotations

import pytest
from support import run_cli, tiny_toml

from experiments.cli import main


@pytest.mark.parametrize(
    "args, needle",
    [
        (["run", "no_such_experiment"], "unknown experiment"),
        (["run", "BAD.toml"], "bad TOML"),
        (["run", "baseline", "--set", "no_such_param=1"], "unknown parameter"),
        (["run", "baseline", "--set", "voice_cost=99"], "voice_cost"),
        (["run", "baseline", "--set", "voice_cost"], "name=value"),
        (["run", "RANGE.toml"], "voice_cost"),
        (["run", "baseline", "--replicates", "0"], "replicates"),
        (["run", "baseline", "--workers", "zero"], "workers"),
        (["frobnicate"], "invalid choice"),
        (["plot", "never_run"], "never_run"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2_nothing_written(tmp_path, monkeypatch, capsys, args, needle):
    (tmp_path / "BAD.toml").write_text('name = "bad"\n[design\n')
    tiny_toml(tmp_path, name="RANGE", body='[design]\ntype = "grid"\n[design.parameters]\nvoice_cost = [0.1, 11.0]\n')
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("python -m experiments: error:") and needle in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_cli_process_exit_code_and_single_line(tmp_path):
    res = run_cli("run", "no_such_experiment", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "unknown experiment" in res.stderr
    assert not (tmp_path / "results").exists()
