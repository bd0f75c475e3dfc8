"""`dlicli server start` passes the engine's limits and --plugin-root to the engine: what GET /conf
reports and what the engine then refuses (the limits themselves: tests/engine_bounds)."""

from __future__ import annotations

from pathlib import Path

from tests.outcome import error_line


def test_server_start_limits_reach_the_engine(new_cli, tmp_path):
    cli = new_cli("limits")
    root = tmp_path / "plugins"
    root.mkdir()
    cli.ok(
        "server", "start", "--port", "0", "--max-tasks-per-user", "3", "--max-job-num", "40",
        "--max-unpacked-bytes", "123456", "--plugin-root", str(root),
        "--gpus", "2", "--hpo-max-failures", "7", "--pass-env", "DLICLI_TEST_PASSED",
    )  # fmt: skip
    conf = cli.json("conf", "get")
    assert conf["DLI_MAX_TASKS_PER_USER"] == "3" and conf["DLI_MAX_JOB_NUM"] == "40"
    assert conf["DLI_MAX_UNPACKED_BYTES"] == "123456" and conf["DLI_PLUGIN_ROOTS"] == str(root.resolve())
    assert conf["DLI_GPU_CAPACITY"] == "2" and conf["DLI_HPO_MAX_FAILURES"] == "7"
    assert conf["DLI_MAX_UPLOAD_BYTES"] == str(8 << 30)  # the defaults stand where nothing was given
    argv = Path(f"/proc/{cli.engine()['pid']}/cmdline").read_bytes().decode().split("\0")
    assert argv[argv.index("--pass-env") + 1] == "DLICLI_TEST_PASSED"


def test_a_limit_below_one_is_a_usage_error(new_cli):
    cli = new_cli("zero")
    error_line(cli("server", "start", "--max-grid", "0"), 2, "--max-grid")
    assert cli.engine() is None
