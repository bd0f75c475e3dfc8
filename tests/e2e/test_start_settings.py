"""`server start`'s options are remembered for every later start (QA 9, daily #3): the port, slots
and limits come back after a stop, in the start a command makes by itself too; a start on a running
engine warns only about what differs; `--reset` goes back to the defaults; `--port 0` stays "any".

Real engines on free ports (never 9281); the CLI as a subprocess. Where the old code would have
started an engine on the default port, the test first checks something the old code does not show.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

from tests.e2e.conftest import Cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_of(cli: Cli) -> int:
    return urlsplit(cli.url).port


def next_start(cli: Cli) -> dict:
    return cli.json("server", "status")["nextStart"]


def test_port_slots_and_limits_come_back_after_a_stop_in_the_start_a_command_makes(new_cli):
    cli, port = new_cli(), free_port()
    cli.ok("server", "start", "--port", str(port), "--slots", "1", "--max-grid", "7")
    assert port_of(cli) == port
    cli.ok("server", "stop")

    assert next_start(cli) == {"port": port, "slots": 1, "maxGrid": 7}
    assert f"NEXT START\t--port {port} --slots 1 --max-grid 7\n" in cli.ok("server", "status").stdout
    idle = cli("status", "--json")  # not running: where the next start will listen
    assert idle.returncode == 7 and json.loads(idle.stdout)["url"].startswith(f"http://127.0.0.1:{port}/")

    slots = cli.ok("conf", "get", "DLI_SLOTS")  # nothing configured: the CLI starts the engine itself
    assert "starting the local engine" in slots.stderr and slots.stdout.strip() == "1"
    assert port_of(cli) == port and cli.ok("conf", "get", "DLI_MAX_GRID").stdout.strip() == "7"
    cli.ok("server", "stop")
    cli.ok("server", "start")  # a bare start too
    assert port_of(cli) == port and cli.ok("conf", "get", "DLI_SLOTS").stdout.strip() == "1"


def test_a_start_on_the_running_engine_warns_only_about_values_that_differ(new_cli):
    cli, port = new_cli(), free_port()
    cli.ok("server", "start", "--port", str(port), "--slots", "1")
    pid = cli.engine()["pid"]

    same = cli.ok("server", "start", "--port", str(port), "--slots", "1")
    assert same.stderr == f"the local engine already runs at {cli.url} (pid {pid})\n"

    other = cli.ok("server", "start", "--port", str(port), "--slots", "2", "--no-tls")
    warning = other.stderr.splitlines()[0]
    assert warning.startswith("warning: the engine already runs: --slots applies at its next start"), other.stderr
    assert "--port" not in warning and "tls" not in warning
    assert cli.engine()["pid"] == pid and next_start(cli) == {"port": port, "slots": 2}
    cli.ok("server", "stop")
    cli.ok("server", "start")
    assert port_of(cli) == port and cli.ok("conf", "get", "DLI_SLOTS").stdout.strip() == "2"


def test_reset_goes_back_to_the_defaults_and_keeps_what_it_is_given(new_cli):
    cli, port, other = new_cli(), free_port(), free_port()
    cli.ok("server", "start", "--port", str(port), "--slots", "1", "--session-hours", "2")
    reset = cli.ok("server", "start", "--reset")
    assert "warning: the engine already runs: --port, --slots, --session-hours apply at its next start" in reset.stderr
    assert next_start(cli) == {} and not (cli.data / "start.json").exists()
    assert "NEXT START\tdefaults\n" in cli.ok("server", "status").stdout
    cli.ok("server", "stop")
    cli.ok("server", "start", "--slots", "1", "--port", str(port))
    cli.ok("server", "start", "--reset", "--port", str(other))  # running: only this port is kept now
    assert next_start(cli) == {"port": other}
    cli.ok("server", "stop")
    cli.ok("server", "start")
    assert port_of(cli) == other and cli.ok("conf", "get", "DLI_SLOTS").stdout.strip() != "1"


def test_port_0_is_remembered_as_any_free_port(new_cli):
    cli = new_cli()
    cli.ok("server", "start", "--port", "0", "--slots", "1")
    assert next_start(cli) == {"port": 0, "slots": 1} and port_of(cli) > 0
    cli.ok("server", "stop")
    cli.ok("server", "start")  # again a port of the kernel's choosing
    assert next_start(cli) == {"port": 0, "slots": 1} and port_of(cli) > 0
    again = cli.ok("server", "start", "--port", "0")  # the same option as the running engine's
    assert "warning" not in again.stderr


def test_a_start_failing_on_a_remembered_port_says_how_to_change_it(new_cli):
    cli, port = new_cli(), free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        failed = cli("server", "start", "--port", str(port))  # the start a command makes says the same
    assert failed.returncode == 1 and failed.stdout == ""
    assert "error: the local engine exited with code 1 while starting" in failed.stderr
    hint = failed.stderr.strip().splitlines()[-1]
    assert hint.startswith("hint: see ") and f"remembered --port {port}" in hint and "--reset" in hint
