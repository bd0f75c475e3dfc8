"""Start-up stays light: the everyday commands import nothing they do not need.

Each command runs as a real `python -X importtime -m dlicli …` process (so nothing a previous test
imported hides a cost) against the recording server, and the modules it imported are read from
importtime's report. What a command may not import is what costs tens of milliseconds and is not
needed on that path: see benchmarks/bench_startup.py for the figures.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import TOKEN

# Never on these paths: the engine's stack, pydantic (typer 0.29 would bring it), httpx's own CLI
# (its httpx._main pulls click, rich and pygments; dlicli.client.http blocks it), and what only
# some commands need (keyring, yaml, rich for a terminal).
NEVER = {"pydantic", "click", "pygments", "starlette", "uvicorn", "numpy", "optuna"}
NEVER |= {"textual", "plotext", "plotly"}  # the tui and plots extras: only their own commands load them
NOT_FOR_JSON = {"rich", "keyring", "yaml", "platformdirs", "jmespath"}  # jmespath: only for a --query


def imported(args: list[str], env: dict[str, str]) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dlicli", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout, "the command printed nothing"
    return {m.group(1) for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", proc.stderr, re.M)}


def top_levels(modules: set[str]) -> set[str]:
    return modules | {m.split(".")[0] for m in modules}


@pytest.fixture
def env(env_server):
    env_server.route("GET", "/execs", body=[{"id": "exec-1", "state": "RUNNING", "hpoName": None}])
    env_server.route("GET", "/execs/exec-1", body={"id": "exec-1", "state": "RUNNING"})
    return dict(os.environ, DLICLI_URL=env_server.root, DLICLI_TOKEN=TOKEN)


@pytest.mark.parametrize(
    ("args", "path"),
    [(["exec", "list", "--json"], "/execs"), (["exec", "get", "exec-1", "--json"], "/execs/exec-1")],
)
def test_a_json_read_imports_only_typer_and_httpx(env, env_server, args, path):
    modules = top_levels(imported(args, env))
    assert "httpx" in modules and "typer" in modules  # the check sees real imports
    assert not modules & (NEVER | NOT_FOR_JSON), sorted(modules & (NEVER | NOT_FOR_JSON))
    assert [r.path.rstrip("/") for r in env_server.api_requests()] == ["/platform/rest/deeplearning/v1" + path]


@pytest.mark.parametrize("args", [["--help"], ["exec", "--help"], ["completion", "bash"]])
def test_help_and_completion_send_nothing_and_import_no_http(env, env_server, args):
    modules = top_levels(imported(args, env))
    assert "typer" in modules
    heavy = NEVER | NOT_FOR_JSON | {"httpx", "httpcore", "ssl"}
    assert not modules & heavy, sorted(modules & heavy)
    # `dlicli --help` lists every command from cli/app.py's COMMANDS without importing one
    commands = {m for m in modules if m.startswith(("dlicli.cli.hpo", "dlicli.cli.auth", "dlicli.cli.server"))}
    assert args != ["--help"] or not commands, sorted(commands)
    assert env_server.api_requests() == []


def test_version_imports_not_even_typer(env, env_server):
    modules = top_levels(imported(["--version"], env))
    assert "dlicli" in modules
    assert not modules & {"typer", "httpx", "rich", "yaml", "keyring"}


def test_plain_http_loads_no_ca_bundle(env_server, run, tmp_path, monkeypatch):
    # Building a TLS context (loading a CA bundle) costs tens of ms; a plain-http server needs
    # none, so the bundle is not even parsed (with https this one is an error: test_http.py).
    bundle = tmp_path / "bad.pem"
    bundle.write_text("not a certificate\n")
    monkeypatch.setenv("DLICLI_CA_BUNDLE", str(bundle))
    env_server.route("GET", "/execs", body=[])
    result = run("exec", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "[]\n"
    assert len(env_server.api_requests()) == 1


GC_PROBE = """
import gc, sys
from dlicli.__main__ import main
sys.argv = ["dlicli", *sys.argv[1:]]
try:
    main()
finally:
    sys.stderr.write(f"GC {gc.get_threshold()[0]} {gc.get_freeze_count()}\\n")
"""


@pytest.mark.parametrize(("args", "held_back"), [(["exec", "list", "--json"], False), (["--help"], True)])
def test_the_collector_is_held_back_until_the_client_is_built(env, args, held_back):
    proc = subprocess.run([sys.executable, "-c", GC_PROBE, *args], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    threshold, frozen = map(int, proc.stderr.rsplit("GC ", 1)[1].split())
    if held_back:  # no client: start-up's raised threshold stays, nothing frozen
        assert (threshold, frozen) == (50_000, 0)
    else:  # the client built: start-up's objects frozen, the default threshold back
        assert threshold < 50_000 and frozen > 10_000


def test_in_process_callers_keep_their_collector(env_server, run):
    import gc

    before = gc.get_threshold(), gc.get_freeze_count()
    env_server.route("GET", "/execs", body=[])
    assert run("exec", "list", "--json").exit_code == 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
