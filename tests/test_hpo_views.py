"""`hpo get` and `--follow` show why experiments failed and which exec ran them, stay on one screen,
and print in event order: through the real CLI against a recording server answering as WMLA does
(appId, "YYYY-MM-DD HH:MM:SS" times, no reason) and as the local engine does (execId, reason), and
against a real engine whose experiments really fail."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

import pytest

NAME = "sweep"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # bold, and the live view's cursor moves


def hp(name: str, dtype: str, value: str) -> dict:
    return {"name": name, "dataType": dtype, "fixedVal": value, "type": "fix", "userDefined": True}


def wmla_exp(ident: int, state: str, metric: float | None, lr: str, start: str, end: str | None) -> dict:
    """An experiment as WMLA answers it: appId, local times, no reason."""
    return {
        "id": ident,
        "appId": f"liqbj-{600 + ident}",
        "state": state,
        "metricVal": metric,
        "hyperParams": [hp("learning_rate", "double", lr)],
        "startTime": start,
        "endTime": end,
    }


def engine_exp(ident: int, state: str, metric: float | None, lr: float, reason: str = "") -> dict:
    """An experiment as the local engine answers it: execId too, and a reason."""
    exp = wmla_exp(ident, state, metric, str(lr), "2026-01-01 10:00:00", "2026-01-01 10:01:05")
    exp.update(execId=f"admin-{ident:05x}", appId=f"admin-{ident:05x}", reason=reason)
    return exp


def task(experiments: list[dict], state: str = "RUNNING", **extra) -> dict:
    done = [e for e in experiments if e["state"] not in ("RUNNING", "SUBMITTED")]
    return {
        "hpoName": NAME,
        "state": state,
        "objective": "minimize",
        "objectiveMetric": "loss",
        "progress": f"{len(done)}/{extra.pop('jobs', len(experiments))}",
        "running": len(experiments) - len(done),
        "complete": len(done),
        "failed": sum(e["state"] == "FAILED" for e in experiments),
        "duration": "00:02:05",
        "experiments": experiments,
        **extra,
    }


def script(server, *answers: dict) -> None:
    """GET /hypersearch/NAME answers each task once, in order, then the last forever."""
    server.route("GET", f"/hypersearch/{NAME}", body=answers[-1])
    for answer in reversed(answers[:-1]):
        server.route("GET", f"/hypersearch/{NAME}", body=answer, times=1)


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0")


# -- hpo get: the columns -------------------------------------------------------------------------

ENGINE_TASK = task(
    [
        engine_exp(0, "FINISHED", 0.25, 0.01),
        engine_exp(1, "FAILED", None, 0.9, "exit code 1: ValueError: learning rate 0.9 diverged"),
        engine_exp(2, "FINISHED", 0.125, 0.02),
    ],
    state="FINISHED",
)


def test_get_piped_has_a_header_then_exec_state_metric_duration_reason_and_params(env_server, run):
    env_server.route("GET", f"/hypersearch/{NAME}", body=ENGINE_TASK)
    result = run("hpo", "get", NAME)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "BEST\tID\tEXEC\tSTATE\tLOSS\tDURATION\tREASON\tlearning_rate",
        "*\t2\tadmin-00002\tFINISHED\t0.125\t1m05s\t\t0.02",
        "\t0\tadmin-00000\tFINISHED\t0.25\t1m05s\t\t0.01",
        "\t1\tadmin-00001\tFAILED\t\t1m05s\texit code 1: ValueError: learning rate 0.9 diverged\t0.9",
    ]
    assert (
        result.stderr.splitlines()[0]
        == f"{NAME}  FINISHED  progress 3/3  running 0  complete 3  failed 1  duration 2m05s"
    )


def test_get_of_a_wmla_answer_takes_appid_and_the_times_and_leaves_reason_empty(env_server, run):
    running = wmla_exp(2, "RUNNING", None, "0.3", "2000-01-01 00:00:00", None)  # runs on: its age, growing
    answer = task(
        [
            wmla_exp(0, "FINISHED", 0.0652, "0.0768", "2020-11-17 19:59:48", "2020-11-17 20:00:58"),
            wmla_exp(1, "FAILED", None, "0.0443", "2020-11-17 19:59:48", "2020-11-17 19:59:50"),
            running,
        ]
    )
    env_server.route("GET", f"/hypersearch/{NAME}", body=answer)
    rows = [line.split("\t") for line in run("hpo", "get", NAME).stdout.splitlines()]
    assert rows[0][:7] == ["BEST", "ID", "EXEC", "STATE", "LOSS", "DURATION", "REASON"]
    assert rows[1][:7] == ["*", "0", "liqbj-600", "FINISHED", "0.0652", "1m10s", ""]
    assert rows[2][:4] == ["", "2", "liqbj-602", "RUNNING"] and "d" in rows[2][5]
    assert rows[3][:7] == ["", "1", "liqbj-601", "FAILED", "", "2s", ""]


def test_get_json_is_the_server_answer_without_a_header(env_server, run):
    env_server.route("GET", f"/hypersearch/{NAME}", body=ENGINE_TASK)
    assert json.loads(run("hpo", "get", NAME, "--json").stdout) == ENGINE_TASK


def test_get_with_no_experiments_prints_no_header(env_server, run):
    env_server.route("GET", f"/hypersearch/{NAME}", body=task([]))
    result = run("hpo", "get", NAME)
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no experiments yet" in result.stderr


def on_tty(*args: str, columns: int = 80, lines: int = 25) -> tuple[str, str, int]:
    """`python -m dlicli ARGS` with stdout on a pseudo-terminal of that size: (screen, stderr, code)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": str(lines), "NO_COLOR": "1", "TERM": "xterm"}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dlicli", *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=env,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        err = proc.communicate(timeout=60)[1].decode()
    finally:
        os.close(master)
    screen = ANSI.sub("", b"".join(chunks).decode(errors="replace"))
    return screen.replace("\r\n", "\n"), err, proc.returncode


@pytest.mark.slow
def test_get_on_a_narrow_terminal_shortens_reason_first_and_keeps_a_row_on_a_line(env_server):
    long_reason = "exit code 1: RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB " * 2
    answer = dict(
        ENGINE_TASK, experiments=[*ENGINE_TASK["experiments"], engine_exp(3, "FAILED", None, 0.5, long_reason)]
    )
    env_server.route("GET", f"/hypersearch/{NAME}", body=answer)
    screen, err, code = on_tty("hpo", "get", NAME, columns=100)
    assert code == 0, err
    rows = [line for line in screen.splitlines() if line.strip()]
    assert len(rows) == 5 and all(len(line) <= 100 for line in rows)  # the header and 4 rows, one line each
    assert rows[0].split() == ["BEST", "ID", "EXEC", "STATE", "LOSS", "DURATION", "REASON", "learning_rate"]
    failed = next(line for line in rows if "admin-00003" in line)
    assert "exit code 1: RuntimeError" in failed and "…" in failed and failed.rstrip().endswith("0.5")
    assert "exit code 1: ValueError: learning" in screen  # every reason cut to the same width


# -- --follow, piped: event order -----------------------------------------------------------------

POLLS = [
    task([], state="SUBMITTED", jobs=3),
    task([engine_exp(0, "RUNNING", None, 0.01), engine_exp(1, "SUBMITTED", None, 0.9)], jobs=3),
    task([engine_exp(0, "RUNNING", None, 0.01), engine_exp(1, "RUNNING", None, 0.9)], jobs=3),
    task(
        [
            engine_exp(0, "FINISHED", 0.25, 0.01),
            engine_exp(1, "FAILED", None, 0.9, "exit code 1: ValueError: diverged"),
            engine_exp(2, "RUNNING", None, 0.02),
        ],
        jobs=3,
    ),
    ENGINE_TASK,
]


def test_wait_follow_piped_prints_each_change_in_order_and_the_summary_last(env_server, run):
    script(env_server, *POLLS)
    result = run("hpo", "wait", NAME, "--follow")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{NAME}: SUBMITTED (0/3)",
        f"{NAME}: experiment 0 RUNNING exec=admin-00000",
        f"{NAME}: experiment 1 SUBMITTED exec=admin-00001",
        f"{NAME}: RUNNING (0/3)",
        f"{NAME}: experiment 1 RUNNING",
        f"{NAME}: experiment 0 FINISHED loss=0.25",
        f"{NAME}: experiment 1 FAILED: exit code 1: ValueError: diverged",
        f"{NAME}: experiment 2 RUNNING exec=admin-00002",
        f"{NAME}: RUNNING (2/3)",
        f"{NAME}: experiment 2 FINISHED loss=0.125",
        f"{NAME}: FINISHED (3/3)",
        f"hint: the best parameters: dlicli hpo best {NAME}",
    ]


def test_follow_orders_a_polls_changes_by_when_they_ended(env_server, run):
    late = dict(engine_exp(0, "FINISHED", 0.5, 0.1), endTime="2026-01-01 10:03:00")
    early = dict(engine_exp(1, "FINISHED", 0.4, 0.2), endTime="2026-01-01 10:02:00")
    script(env_server, task([late, early], state="FINISHED"))
    lines = run("hpo", "wait", NAME, "--follow").stderr.splitlines()
    assert lines[:3] == [
        f"{NAME}: experiment 1 FINISHED loss=0.4",
        f"{NAME}: experiment 0 FINISHED loss=0.5",
        f"{NAME}: FINISHED (2/2)",
    ]


def test_get_follow_piped_prints_changes_then_the_final_table_and_exits_with_the_outcome(env_server, run):
    failed = dict(ENGINE_TASK, state="FAILED")
    script(env_server, *POLLS[:-1], failed)
    result = run("hpo", "get", NAME, "--follow")
    assert result.exit_code == 10
    assert result.stdout.splitlines()[0] == "BEST\tID\tEXEC\tSTATE\tLOSS\tDURATION\tREASON\tlearning_rate"
    assert len(result.stdout.splitlines()) == 4
    err = result.stderr.splitlines()
    assert err.index(f"{NAME}: experiment 2 FINISHED loss=0.125") < err.index(f"{NAME}: FAILED (3/3)")
    assert f"error: hpo task {NAME} ended FAILED" in result.stderr


# -- the live view on a short terminal ------------------------------------------------------------


def many(finished: int, failed: int, running: int) -> dict:
    exps = [engine_exp(i, "FINISHED", 1.0 + i, 0.001 * i) for i in range(finished)]
    exps += [engine_exp(finished + i, "FAILED", None, 0.5, "exit code 1: boom") for i in range(failed)]
    exps += [engine_exp(finished + failed + i, "RUNNING", None, 0.3) for i in range(running)]
    return task(exps, jobs=len(exps))


@pytest.mark.slow
def test_live_view_on_a_short_terminal_keeps_best_and_running_rows_and_folds_the_rest(env_server):
    script(env_server, many(20, 7, 3), dict(many(20, 7, 3), state="FINISHED"))
    screen, err, code = on_tty("hpo", "wait", NAME, "--follow", columns=100, lines=12)
    assert code == 0, err
    last = screen.rsplit(f"{NAME}  FINISHED", 1)[1]  # the final frame
    rows = last.splitlines()
    assert any(line.startswith("*") and "admin-00000" in line for line in rows)
    assert sum("RUNNING" in line for line in rows) == 3
    assert "… 23 more (16 finished, 7 failed)" in last
    assert len(rows) <= 12


# -- against a real engine --------------------------------------------------------------------------

FAILING_MODEL = """\
    import json, os, time
    x = float(json.load(open("config.json"))["x"])
    time.sleep(0.2)
    if x > 1:
        raise ValueError(f"x={x} is too big")
    json.dump([{"steps": 1, "loss": (x - 1) ** 2}], open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
"""


def grid_spec(name: str, xs: list[float], parallel: int = 2) -> dict:
    """An ExperimentGridSearch over x (so which experiment fails is known)."""
    return {
        "hpoName": name,
        "modelSpec": {"args": "--exec-start python --model-main main.py --model-dir model"},
        "algoDef": {
            "algorithm": "ExperimentGridSearch",
            "objectiveMetric": "loss",
            "objective": "minimize",
            "maxParalleJob": parallel,
        },
        "experiments": [
            {"id": i, "hyperParams": [{"name": "x", "dataType": "double", "fixedVal": x}]} for i, x in enumerate(xs)
        ],
    }


@pytest.mark.e2e
def test_a_real_engine_says_why_an_experiment_failed_and_its_exec_has_the_log(tmp_path):
    from tests.e2e.conftest import Cli, write_model

    cli = Cli(tmp_path / "e2e")
    cli.root.mkdir()
    try:
        cli.ok("server", "start", "--port", "0", "--slots", "2")
        write_model(cli.root / "model", FAILING_MODEL)
        (cli.root / "spec.json").write_text(json.dumps(grid_spec("fails", [0.5, 3.0, 1.0])))
        started = cli("hpo", "start", "spec.json", "--model-dir", "model", "--follow", timeout=120)
        assert started.returncode == 0, started.stderr
        lines = started.stderr.splitlines()
        last = [i for i, line in enumerate(lines) if line.startswith("fails: experiment ")][-1]
        assert lines[last + 1] == "fails: FINISHED (3/3)"  # the summary after the last experiment's line
        assert "fails: experiment 1 FAILED: exit code 1: ValueError: x=3.0 is too big" in lines
        shown = cli.ok("hpo", "get", "fails").stdout.splitlines()
        assert shown[0] == "BEST\tID\tEXEC\tSTATE\tLOSS\tDURATION\tREASON\tx"
        rows = {row.split("\t")[1]: row.split("\t") for row in shown[1:]}
        assert rows["1"][3:5] == ["FAILED", ""] and rows["1"][6] == "exit code 1: ValueError: x=3.0 is too big"
        assert rows["2"][0] == "*" and rows["2"][3:5] == ["FINISHED", "0"] and rows["2"][6] == ""
        assert rows["1"][5].endswith("s")  # a duration, as `1m05s` writes it
        log = cli("exec", "logs", rows["1"][2], "--stderr")  # EXEC is an exec id the exec commands take
        assert "ValueError: x=3.0 is too big" in log.stdout + log.stderr
    finally:
        cli.cleanup()
