"""--framework, --state, --type and --sort complete their values from fixed tables, through the
real completion protocol (a fresh `python -m dlicli` with _DLICLI_COMPLETE, as bash and zsh call
it), without any request to the server."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from dlicli import wmla


def tab(line: str, shell: str = "bash") -> list[str]:
    """What a TAB after `line` offers (bash: values; zsh: values, with their help dropped)."""
    env = {**os.environ, "_DLICLI_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        words = line.split()
        env.update(COMP_WORDS=line, COMP_CWORD=str(len(words) if line.endswith(" ") else len(words) - 1))
    else:
        env["_TYPER_COMPLETE_ARGS"] = line
    proc = subprocess.run([sys.executable, "-m", "dlicli"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    if shell == "bash":
        return proc.stdout.split()
    return re.findall(r'"((?:[^"\\]|\\.)*)":"', proc.stdout)  # zsh: _arguments '*: :(("V":"help") …)'


EXEC_STATES = list(wmla.EXEC_ACTIVE_STATES + wmla.EXEC_FINAL_STATES)


@pytest.mark.parametrize(
    "line,expected",
    [
        ("dlicli exec list --state ", EXEC_STATES),
        ("dlicli exec list --state fi", ["FINISHED"]),  # any case, as --state takes it
        ("dlicli exec start --framework dist", ["distPyTorch", "disttensorflow"]),
        ("dlicli exec start --framework PY", ["PyTorch", "python"]),
        ("dlicli hpo start --framework x", ["XGboost"]),
        ("dlicli hpo algorithm list --type ", ["BUILD_IN", "USER_PLUGIN"]),
        ("dlicli scheduler logs app-1 --type std", ["stdout", "stderr"]),
        ("dlicli scheduler apps --state RUN", ["RUNNING"]),
    ],
)
def test_values_complete_without_a_request(env_server, line, expected):
    assert tab(line) == expected
    assert env_server.requests == []


@pytest.mark.slow
def test_every_framework_and_the_sort_fields(env_server):
    assert tab("dlicli exec start --framework ") == list(wmla.FRAMEWORKS)
    fields = ["submitted", "id", "name", "state", "user", "duration", "slots", "cores", "mem", "framework"]
    assert tab("dlicli scheduler apps --sort ") == fields + ["-" + f for f in fields]
    assert tab("dlicli scheduler apps --sort s") == ["submitted", "state", "slots"]
    assert env_server.requests == []


def sort_fields(command: str) -> list[str]:
    """The fields the list itself sorts by (its SORT_FIELDS table): completion must offer exactly these."""
    from dlicli import tasklist
    from dlicli.cli import scheduler
    from dlicli.cli.hpo import list as hpo_list

    tables = {
        "exec list": tasklist.SORT_FIELDS,
        "hpo list": hpo_list.SORT_FIELDS,
        "scheduler apps": scheduler.SORT_KEYS,
    }
    return list(tables[command])


@pytest.mark.slow
@pytest.mark.parametrize("command", ["exec list", "hpo list", "scheduler apps"])
def test_the_lists_sort_fields(env_server, command):
    fields = sort_fields(command)
    assert tab(f"dlicli {command} --sort ") == fields + ["-" + f for f in fields]
    assert env_server.requests == []


@pytest.mark.slow
def test_zsh_shows_the_values_too(env_server):
    assert tab("dlicli exec list --state KI", shell="zsh") == ["KILLED"]
    assert env_server.requests == []


def test_the_engine_runs_only_frameworks_wmla_names():
    from dlicli.engine.tasks.frameworks import frameworks

    assert {f["name"] for f in frameworks()} <= set(wmla.FRAMEWORKS)
