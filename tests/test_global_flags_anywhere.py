"""Global options after the verb, as gh takes them: `dlicli exec list --url URL` reaches the server
named there (given before and after the verb, the later one wins); --profile, --insecure/-k,
--ca-bundle and --debug likewise. A leaf's help lists them under "Global options"; a group, which
does not take them, says where they go."""

from __future__ import annotations

import pytest

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import RecordingServer

BASE = "/platform/rest/deeplearning/v1"
TASKS = [{"id": "t-1", "state": "RUNNING"}]


@pytest.fixture
def token_only(monkeypatch):
    """A token in the environment and no URL: only a --url or --profile says where to go."""
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)


@pytest.fixture
def other():
    srv = RecordingServer().start()
    yield srv
    srv.stop()


def paths(server) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in server.requests]


def test_url_after_the_verb_reaches_that_server(server, run, token_only):
    server.route("GET", "/execs", body=TASKS)
    result = run("exec", "list", "--url", server.root, "--json")
    assert result.exit_code == 0, result.stderr
    assert paths(server)[0] == ("GET", BASE + "/execs")
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_url_after_an_argument_too(server, run, token_only):
    server.route("GET", "/execs/t-1", body=TASKS[0])
    result = run("exec", "get", "t-1", "--url", server.root, "--json")
    assert result.exit_code == 0, result.stderr
    assert paths(server) == [("GET", BASE + "/execs/t-1")]


def test_given_before_and_after_the_verb_the_later_wins(server, other, run, token_only):
    server.route("GET", "/execs", body=TASKS)
    other.route("GET", "/execs", body=TASKS)
    assert run("--url", other.root, "exec", "list", "--url", server.root).exit_code == 0
    assert paths(server)[0] == ("GET", BASE + "/execs") and other.requests == []


def test_profile_after_the_verb_chooses_the_server(server, run, token_only, tmp_path):
    server.route("GET", "/hypersearch", body=[])
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(f"profiles:\n  lab:\n    url: {server.root}\n")
    result = run("hpo", "list", "--profile", "lab")
    assert result.exit_code == 0, result.stderr
    assert paths(server) == [("GET", BASE + "/hypersearch")]
    missing = run("hpo", "list", "-P", "nope")  # the same error as `dlicli -P nope hpo list`
    error_line(missing, 3, "no profile named 'nope'")
    assert len(server.requests) == 1


def test_insecure_after_the_verb_turns_tls_checks_off(env_server, run):
    env_server.route("GET", "/conf", body={"a": "1"})
    result = run("conf", "get", "-k", "--json")
    assert result.exit_code == 0, result.stderr
    assert "warning: TLS certificate verification is off" in result.stderr
    assert "TLS certificate" not in run("conf", "get", "--json").stderr


def test_ca_bundle_after_the_verb_is_read_before_any_request(env_server, run, tmp_path):
    result = run("exec", "list", "--ca-bundle", str(tmp_path / "missing.pem"))
    error_line(result, 2, "cannot use CA bundle", "missing.pem")
    assert env_server.requests == []


def test_debug_after_the_verb_logs_the_requests(env_server, run):
    env_server.route("GET", "/execs", body=TASKS)
    result = run("exec", "list", "--json", "--debug")
    assert result.exit_code == 0
    assert f"debug: > GET {env_server.url}/execs" in result.stderr
    assert TOKEN not in result.stderr
    assert "debug:" not in run("exec", "list", "--json").stderr


def test_a_leaf_lists_the_global_options_in_their_own_section(run):
    text = run("exec", "list", "--help").stdout
    options, _, globals_ = text.partition("Global options:")
    globals_ = globals_.partition("Examples:")[0]
    assert "--query JMESPATH" in options and "--state" in options
    for flag in ("--url URL", "-P, --profile NAME", "-k, --insecure", "--ca-bundle FILE", "--debug"):
        assert flag in globals_ and flag not in options


def test_a_leaf_with_its_own_url_keeps_it(run):
    """`login --url` is the URL to sign in to: its own option, listed with its options."""
    text = run("login", "--help").stdout
    options, _, globals_ = text.partition("Global options:")
    globals_ = globals_.partition("Examples:")[0]
    assert "--url URL" in options and "--url" not in globals_
    assert "--debug" in globals_


def test_a_group_says_where_global_options_go(env_server, run):
    result = run("exec", "--url", env_server.root, "list")
    error_line(result, 2, "No such option: --url")
    assert f"hint: global options go before the command: dlicli --url {env_server.root} exec list" in result.stderr
    assert env_server.requests == []
    flag = run("hpo", "algorithm", "-k", "list")
    assert "hint: global options go before the command: dlicli -k hpo algorithm list" in flag.stderr


def test_dlicmd_passes_its_own_options_on(run):
    """dlicmd takes IBM's options as they come: none of ours is added to it."""
    assert "Global options" not in run("dlicmd", "--help").stdout


def test_global_options_after_the_verb_complete_with_their_values(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.yaml").write_text(
        "profiles:\n  lab:\n    url: http://x\n  prod:\n    url: http://y\n"
    )

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_DLICLI_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        proc = subprocess.run([sys.executable, "-m", "dlicli"], env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    assert complete("dlicli exec list --pro") == ["--profile"]
    assert complete("dlicli exec list --profile ") == ["local", "lab", "prod"]
