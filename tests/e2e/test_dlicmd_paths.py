"""dlicmd.py's read paths end to end: `dlicli dlicmd --exec-outlogs/--exec-errlogs`,
`--exec-get-all --query-args` and `--rp-get-all` as subprocesses against a real engine, beside
the native `dlicli scheduler logs` and `dlicli resplan tree` they must agree with."""

from __future__ import annotations

import json
import subprocess
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Cli, task_id, write_model
from tests.outcome import error_line

WORKER = """\
    import os, sys
    print(f"rank {os.environ['RANK']} says hi")
    print(f"rank {os.environ['RANK']} warns", file=sys.stderr)
"""


@pytest.fixture(scope="module")
def dlicmd(engine_cli, tmp_path_factory):
    """`dlicli dlicmd ARGS --rest-host 127.0.0.1 --rest-port P --http --jwt-token T` from fresh
    config and data dirs: dlicmd's flags are its only way to the engine."""
    port = urlsplit(engine_cli.url).port
    lonely = Cli(tmp_path_factory.mktemp("dlicmd-paths"))
    flags = ("--rest-host", "127.0.0.1", "--rest-port", str(port), "--http", "--jwt-token", engine_cli.admin_token)

    def run(*args: str) -> subprocess.CompletedProcess:
        return lonely("dlicmd", *flags, *args)

    try:
        yield run
    finally:
        lonely.cleanup()


@pytest.fixture(scope="module")
def two_workers(engine_cli, tmp_path_factory) -> str:
    """A finished 2-worker distPyTorch task (no torch needed: the script only reads RANK)."""
    model = tmp_path_factory.mktemp("dist") / "dist"
    write_model(model, WORKER)
    start = ("exec", "start", "--framework", "distPyTorch", "--num-worker", "2")
    exec_id = task_id(engine_cli.ok(*start, "--model-dir", str(model), "--model-main", "main.py"))
    assert engine_cli.wait_state(exec_id)["state"] == "FINISHED"
    return exec_id


def test_exec_outlogs_prints_every_workers_log(cli, dlicmd, two_workers):
    out = dlicmd("--exec-outlogs", two_workers)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "rank 0 says hi\nrank 1 says hi\n"
    assert "==> executor 1 stdout <==" in out.stderr and "==> executor 2 stdout <==" in out.stderr
    assert "driver" not in out.stderr  # the local engine's applications have no task0
    err = dlicmd("--exec-errlogs", two_workers)
    assert (err.returncode, err.stdout) == (0, "rank 0 warns\nrank 1 warns\n")

    app_id = cli.json("exec", "get", two_workers)["appId"]
    natives = [cli.ok("scheduler", "logs", app_id, "--executor", n).stdout for n in ("1", "2")]
    assert "".join(natives) == out.stdout
    assert cli.ok("scheduler", "logs", app_id).stdout == natives[0]  # the driver's: the first worker's
    error_line(cli("scheduler", "logs", app_id, "--executor", "3"), 3, "its executors are 1 to 2")


def test_exec_get_all_query_args_reach_the_engine(cli, dlicmd, two_workers, tmp_path):
    failing = write_model(tmp_path / "bad", "raise SystemExit(2)\n")
    bad = task_id(cli.ok("exec", "start", "--framework", "python", "--model-main", str(failing)))
    assert cli.wait_state(bad)["state"] == "FAILED"

    def ids(query_args: str) -> list[str]:
        result = dlicmd("--exec-get-all", "--query-args", query_args)
        assert result.returncode == 0, result.stderr
        return [batch["id"] for batch in json.loads(result.stdout)]

    assert bad in ids("state=FAILED") and two_workers not in ids("state=FAILED")
    assert ids("state=RUNNING") == []
    newest_first = ids("sort_by=createTime:desc")
    assert newest_first.index(bad) < newest_first.index(two_workers)
    assert ids("limit=1&state=FINISHED&sort_by=createTime:desc") == [ids("state=FINISHED")[-1]]
    refused = dlicmd("--exec-get-all", "--query-args", "limit=x")
    assert refused.returncode != 0 and "limit must be a positive whole number" in refused.stderr
    assert refused.stdout == ""


def test_rp_get_all_is_the_tree_resplan_tree_shows(cli, dlicmd):
    cli.ok("resplan", "create", "paths-a", "--label", "cpu=2")
    cli.ok("resplan", "create", "paths-a1", "--parent", "paths-a")
    try:
        answer = dlicmd("--rp-get-all")
        assert answer.returncode == 0, answer.stderr
        tree = json.loads(answer.stdout)
        assert tree == cli.json("resplan", "tree") and tree["id"] == "/"
        top = next(node for node in tree["childTreeDto"] if node["id"] == "paths-a")
        assert [kid["id"] for kid in top["childTreeDto"]] == ["paths-a1"]
        lines = cli.ok("resplan", "tree").stdout.splitlines()
        assert "/paths-a\t0/0\t0/0" in lines and "  /paths-a/paths-a1\t0/0\t0/0" in lines
        assert not any(line.startswith("/\t") for line in lines)  # the engine's root is not a plan
    finally:
        cli("resplan", "delete", "paths-a1", "--yes")
        cli("resplan", "delete", "paths-a", "--yes")
