"""An empty or whitespace id is a usage error, never a shorter path: `exec delete ""` used to send
`DELETE /execs/` (every task of the user), exit 0. Now: exit 2, one error line, no request, and the
local engine is not even started; the client library refuses it too (a ValueError)."""

from __future__ import annotations

import pytest

from dlicli.client.http import HttpSession, authorization_header
from dlicli.client.operations import DlpdClient
from dlicli.errors import BlankIdentifier
from tests.conftest import TOKEN
from tests.outcome import error_line

# command words → options that must follow the id
COMMANDS: dict[str, tuple[str, ...]] = {
    "exec get": (),
    "exec stop": (),
    "exec delete": ("--yes",),
    "exec logs": (),
    "exec result": (),
    "exec wait": (),
    "exec deploy": ("--name", "m", "--kernel", "k.py"),
    "hpo get": (),
    "hpo best": (),
    "hpo wait": (),
    "hpo stop": (),
    "hpo restart": (),
    "hpo delete": ("--yes",),
    "hpo algorithm get": (),
    "hpo algorithm delete": (),
    "resplan get": (),
    "resplan delete": ("--yes",),
    "notebook get": (),
    "notebook kernels": (),
    "notebook stop": (),
    "notebook update": ("--resource-plan", "p"),
    "scheduler logs": (),
}


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_blank_id_is_a_usage_error_and_sends_nothing(env_server, run, command, blank):
    env_server.route("DELETE", "/execs", status=204)  # what `exec delete ""` reached before
    env_server.route("GET", "/execs", body=[])
    result = run(*command.split(), blank, *COMMANDS[command])
    error_line(result, 2, "argument is", "empty" if not blank else "only whitespace")
    assert env_server.requests == []


@pytest.mark.parametrize("command", [("exec", "stop"), ("exec", "delete"), ("hpo", "stop"), ("exec", "wait")])
def test_one_blank_id_among_several_stops_the_command_before_any_request(env_server, run, command):
    result = run(*command, "good-id", "", "other-id")
    error_line(result, 2, "the ID argument is empty" if command[0] == "exec" else "the NAME argument is empty")
    assert env_server.requests == []


def test_a_blank_id_does_not_start_the_local_engine(run, tmp_path):
    result = run("exec", "delete", "")
    error_line(result, 2, "the ID argument is empty")
    assert not (tmp_path / "data").exists()  # the data dir the engine would have made


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.execs_exec_id_delete(""),
        lambda c: c.execs_exec_id_get("  "),
        lambda c: c.delete_one_hpo(""),
        lambda c: c.delete_one_hpo_algorithm(" "),
        lambda c: c.del_resplan_by_name(""),
        lambda c: c.stop_service("\n"),
        lambda c: c.get_driver_log("app-1", ""),
    ],
)
def test_the_client_never_builds_a_path_from_a_blank_id(server, call):
    client = DlpdClient(HttpSession(server.url, authorization_header(token=TOKEN)))
    with client, pytest.raises(BlankIdentifier) as caught:
        call(client)
    assert isinstance(caught.value, ValueError)  # a library user can catch it as bad input
    assert server.requests == []


def test_a_real_id_still_goes_through(env_server, run):
    env_server.route("DELETE", "/execs/a b", status=204)
    result = run("exec", "delete", "a b")
    assert result.exit_code == 0, result.stderr
    assert [r.raw_path for r in env_server.requests] == ["/platform/rest/deeplearning/v1/execs/a%20b"]
