"""`dlicli scheduler apps|stats|logs` against the recording server; the log-following helpers."""

from __future__ import annotations

import json
import os

import pytest

from dlicli import schedlogs
from dlicli.errors import UsageError
from tests.outcome import error_line
from tests.recorder import BASE
from tests.test_resplan_cli import run_on_tty

ODD = "a b/c"
ODD_RAW = "a%20b%2Fc"
APPS = [
    {
        "applicationid": "app-1",
        "applicationname": "mnist",
        "state": "RUNNING",
        "username": "alice",
        "slots": 2,
        "coresused": 2.0,
        "memused": 1024.5,
        "submittedtime": 1700000000000,
        "apprunduration": 12.5,
        "dltype": "PyTorch",
        "type": "BATCH",
    },
    {"applicationid": "app-2", "state": "FINISHED", "username": "bob"},
]
STATS = [
    {
        "username": "alice",
        "cpuReq": 4.0,
        "cpuUsed": 2.5,
        "gpuReq": 2.0,
        "gpuUsed": 1.0,
        "jobPending": 1,
        "jobRunning": 2,
    },
    {"username": "bob", "jobPending": 0, "jobRunning": 0},
]
TEXT = {"Content-Type": "text/plain"}
DRIVER = "/scheduler/applications/{}/driver/logs/{}"


def calls(server):
    return [(r.method, r.raw_path.removeprefix(BASE), r.raw_query) for r in server.requests]


def sequence(*bodies):
    """A route body answering each of `bodies` in turn, then the last one forever."""
    answers = list(bodies)

    def answer(_rec):
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return answer


# -- apps --------------------------------------------------------------------------------


def test_apps_sends_every_filter_in_the_query(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=[])
    result = run(
        "scheduler",
        "apps",
        "--id",
        "app 1",
        "--name",
        "a&b",
        "--driver-id",
        "drv",
        "--search",
        "x y",
        "--sort",
        "-submittedtime",
        "--order",
        "desc",
        "--start",
        "10",
        "--length",
        "5",
        "--state",
        "RUNNING",
    )
    assert result.exit_code == 0, result.stderr
    req = env_server.last
    assert (req.method, req.path.removeprefix(BASE)) == ("GET", "/scheduler/applications")
    assert req.query == {
        "applicationid": ["app 1"],
        "applicationname": ["a&b"],
        "driverid": ["drv"],
        "search": ["x y"],
        "sort": ["-submittedtime"],
        "order": ["desc"],
        "start": ["10"],
        "length": ["5"],
        "state": ["RUNNING"],
    }


def test_apps_without_filters_sends_no_query(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=APPS)
    result = run("scheduler", "apps")
    assert calls(env_server) == [("GET", "/scheduler/applications", "")]
    assert result.stdout == (
        "app-1\tmnist\tRUNNING\talice\t2\t2\t1024.5\t2023-11-14T22:13:20Z\t12s\tPyTorch\napp-2\t\tFINISHED\tbob\t\t\t\t\t\t\n"
    )


def test_apps_json_exact_and_empty(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=APPS)
    assert run("scheduler", "apps", "--json").stdout == json.dumps(APPS, indent=2) + "\n"
    env_server.route("GET", "/scheduler/applications", body=[])
    result = run("scheduler", "apps", "--json")
    assert result.exit_code == 0 and result.stdout == "[]\n"


@pytest.mark.slow
def test_apps_on_a_terminal_formats_submitted_as_local_time(env_server):
    env_server.route("GET", "/scheduler/applications", body=APPS)
    done = run_on_tty("scheduler", "apps", TZ="UTC")
    assert done.returncode == 0, done.stderr
    assert "2023-11-14 22:13:20" in done.stdout and "1700000000000" not in done.stdout
    assert "SUBMITTED" in done.stdout and "MEM MB" in done.stdout


@pytest.mark.parametrize("args", [["--start", "-1"], ["--length", "x"], ["--bogus"]])
def test_apps_bad_options_exit_2_without_request(env_server, run, args):
    result = run("scheduler", "apps", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert env_server.requests == []


@pytest.mark.parametrize("states", [["nosuch"], ["running,nosuch"], ["RUNNING", "Nosuch"]])
def test_apps_unknown_state_exits_2_naming_the_valid_ones_without_request(env_server, run, states):
    """As `exec list` and `hpo list`: --state is checked (any case) before anything is sent."""
    env_server.route("GET", "/scheduler/applications", body=APPS)
    result = run("scheduler", "apps", *[arg for state in states for arg in ("--state", state)])
    assert error_line(result, 2, "unknown application state NOSUCH")
    hint = result.stderr.splitlines()[1]
    assert hint.startswith("hint: valid states: ") and "RUNNING" in hint and "FINISHED" in hint
    assert env_server.requests == []


def test_apps_states_any_case_repeated_or_comma_separated(env_server, run):
    """The states are sent in WMLA's spelling, one comma-separated `state`; rows in another state
    (a server that ignores the filter) are not shown."""
    env_server.route("GET", "/scheduler/applications", body=APPS)
    result = run("scheduler", "apps", "--state", "running,Killed", "--state", "killed", "-q")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.query == {"state": ["KILLED,RUNNING"]}
    assert result.stdout == "app-1\n"


def test_apps_index_out_of_range_416_exits_1(env_server, run):
    env_server.route("GET", "/scheduler/applications", status=416, body={"message": "index out of range"})
    result = run("scheduler", "apps", "--start", "999")
    assert result.exit_code == 1
    assert "index out of range" in result.stderr


# -- stats -------------------------------------------------------------------------------


def test_stats_query_and_tsv(env_server, run):
    env_server.route("GET", "/scheduler/applicationStatistic", body=STATS)
    result = run(
        "scheduler",
        "stats",
        "--id",
        "app-1",
        "--name",
        "mnist",
        "--consumer",
        "/a/b",
        "--start",
        "0",
        "--length",
        "2",
        "--state",
        "RUNNING",
    )
    assert result.exit_code == 0, result.stderr
    req = env_server.last
    assert req.path.removeprefix(BASE) == "/scheduler/applicationStatistic"
    assert req.query == {
        "applicationid": ["app-1"],
        "applicationname": ["mnist"],
        "consumer": ["/a/b"],
        "start": ["0"],
        "length": ["2"],
        "state": ["RUNNING"],
    }
    assert result.stdout == "alice\t2.5/4\t1/2\t1\t2\nbob\t-/-\t-/-\t0\t0\n"


def test_stats_json_exact(env_server, run):
    env_server.route("GET", "/scheduler/applicationStatistic", body=STATS)
    result = run("scheduler", "stats", "-o", "json")
    assert json.loads(result.stdout) == STATS


def test_stats_unauthorized_exits_4(env_server, run):
    env_server.route("GET", "/scheduler/applicationStatistic", status=401)
    result = run("scheduler", "stats")
    assert error_line(result, 4, "HTTP 401")
    assert "hint: sign in again with `dlicli login`, or set DLICLI_TOKEN" in result.stderr
    assert len(env_server.requests) == 1  # a 401 is not retried


# -- logs: lines -------------------------------------------------------------------------


def test_logs_driver_lines_default_both_types_no_lastlines(env_server, run):
    env_server.route("GET", DRIVER.format(ODD, "stdout"), body=b"one\ntwo\n", headers=TEXT)
    env_server.route("GET", DRIVER.format(ODD, "stderr"), body=b"uh-oh\n", headers=TEXT)
    result = run("scheduler", "logs", ODD)
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("GET", DRIVER.format(ODD_RAW, t), "") for t in ("stdout", "stderr")]
    assert result.stdout == "one\ntwo\n"
    assert result.stderr == "uh-oh\n"  # the application's stderr on ours


def test_logs_executor_lines_with_last(env_server, run):
    path = f"/scheduler/applications/app-1/executor/{ODD}/logs/stderr"
    env_server.route("GET", path, body=b"oops\n", headers=TEXT)
    result = run("scheduler", "logs", "app-1", "--executor", ODD, "--type", "STDERR", "--last", "50")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [
        ("GET", f"/scheduler/applications/app-1/executor/{ODD_RAW}/logs/stderr", "lastlines=50")
    ]
    assert result.stdout == "oops\n"


def test_logs_launcherlog_json_string_body_is_printed_as_text(env_server, run):
    env_server.route("GET", DRIVER.format("app-1", "launcherlog"), body='line "1"\n')
    result = run("scheduler", "logs", "app-1", "--type", "launcherlog")
    assert result.stdout == 'line "1"\n'


@pytest.mark.parametrize(
    "args,message",
    [
        (["--type", "syslog"], "unknown log type 'syslog'"),
        (["--last", "0"], "--tail must be a positive number"),
        (["--tail", "-3"], "--tail must be a positive number"),
        (["--stdout", "--type", "stderr"], "--type and --stdout/--stderr each pick"),
        (["--stdout", "--stderr"], "--stdout and --stderr each pick one log"),
        (["--since", "soon"], "--since takes a duration"),
        (["--download", "--timestamps"], "--download saves the whole file"),
        (["--download", "--follow"], "--download saves the whole file"),
        (["--download", "--last", "3"], "--download saves the whole file"),
        (["-O", "x.log"], "-O/--output-file and --force go with --download"),
    ],
)
def test_logs_usage_errors_exit_2_without_request(env_server, run, args, message):
    result = run("scheduler", "logs", "app-1", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}")
    assert env_server.requests == []


def test_logs_unknown_application_exits_3(env_server, run):
    env_server.route("GET", DRIVER.format("ghost", "stdout"), status=404, body={"message": "app not found"})
    result = run("scheduler", "logs", "ghost")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: application ghost not found\n")


# -- logs: download ----------------------------------------------------------------------


def test_download_driver_default_name(env_server, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env_server.route("GET", DRIVER.format(ODD, "stdout") + "/download", body=b"whole log\n")
    result = run("scheduler", "logs", ODD, "--download")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("GET", DRIVER.format(ODD_RAW, "stdout") + "/download", "")]
    assert (tmp_path / "a b_c-stdout.log").read_bytes() == b"whole log\n"
    assert set(os.listdir(tmp_path)) - {"config", "data"} == {"a b_c-stdout.log"}
    assert result.stdout == ""
    assert "saved a b_c-stdout.log (10 bytes)" in result.stderr


def test_download_executor_default_name_and_server_name(env_server, run, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    path = "/scheduler/applications/app-1/executor/e 1/logs/launcherlog/download"
    env_server.route("GET", path, body=b"L")
    assert run("scheduler", "logs", "app-1", "--executor", "e 1", "--type", "launcherlog", "--download").exit_code == 0
    assert env_server.last.raw_path.endswith("/executor/e%201/logs/launcherlog/download")
    assert os.listdir(work) == ["app-1-e 1-launcherlog.log"]
    env_server.route("GET", path, body=b"L2", headers={"Content-Disposition": 'attachment; filename="../x.log"'})
    assert run("scheduler", "logs", "app-1", "--executor", "e 1", "--type", "launcherlog", "--download").exit_code == 0
    assert (work / "x.log").read_bytes() == b"L2"


def test_download_to_file_dir_and_stdout(env_server, run, tmp_path):
    env_server.route("GET", DRIVER.format("app-1", "stderr") + "/download", body=b"E\n")
    target = tmp_path / "err.log"
    assert run("scheduler", "logs", "app-1", "--type", "stderr", "--download", "-O", str(target)).exit_code == 0
    assert target.read_bytes() == b"E\n"
    folder = tmp_path / "dir"
    folder.mkdir()
    assert run("scheduler", "logs", "app-1", "--type", "stderr", "--download", "-O", str(folder)).exit_code == 0
    assert os.listdir(folder) == ["app-1-stderr.log"]
    result = run("scheduler", "logs", "app-1", "--type", "stderr", "--download", "-O", "-")
    assert result.stdout_bytes == b"E\n"


def test_download_refuses_to_overwrite_before_any_request(env_server, run, tmp_path):
    target = tmp_path / "keep.log"
    target.write_bytes(b"precious")
    result = run("scheduler", "logs", "app-1", "--download", "-O", str(target))
    assert error_line(result, 2) == f"error: {target} already exists"
    assert env_server.requests == []
    assert target.read_bytes() == b"precious"
    env_server.route("GET", DRIVER.format("app-1", "stdout") + "/download", body=b"new")
    assert run("scheduler", "logs", "app-1", "--download", "-O", str(target), "--force").exit_code == 0
    assert target.read_bytes() == b"new"


def test_download_not_found_leaves_no_file(env_server, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env_server.route("GET", DRIVER.format("ghost", "stdout") + "/download", status=404)
    result = run("scheduler", "logs", "ghost", "--download")
    assert error_line(result, 3, "application ghost not found")
    assert [r.path for r in env_server.requests] == [BASE + DRIVER.format("ghost", "stdout") + "/download"]
    assert not (tmp_path / "ghost-stdout.log").exists()


# -- logs: follow ------------------------------------------------------------------------


def _apps(*states):
    return sequence(*[[{"applicationid": "app-1", "state": s}] if s else [] for s in states])


def test_follow_prints_only_new_lines_until_the_application_ends(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=_apps("RUNNING", "RUNNING", "RUNNING", "FINISHED"))
    env_server.route(
        "GET",
        DRIVER.format("app-1", "stdout"),
        headers=TEXT,
        body=sequence(
            b"l1\nl2\npart",  # the last line is not complete yet: held back
            b"l1\nl2\npartial done\nl3\n",
            b"l3\nl4\nl5\n",  # the window slid: only l3 overlaps
            b"l4\nl5\nl6",  # final: the unterminated line is printed too
        ),
    )
    result = run("scheduler", "logs", "app-1", "--follow", env={"DLICLI_POLL_INTERVAL": "0"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "l1\nl2\npartial done\nl3\nl4\nl5\nl6"
    assert "app-1: FINISHED" in result.stderr
    apps = [r for r in env_server.requests if r.path.endswith("/applications")]
    logs = [r for r in env_server.requests if "/logs/" in r.path]
    assert len(apps) == 4 and len(logs) == 8  # stdout and stderr (a 404: no stderr log) each poll
    assert all(r.query == {"applicationid": ["app-1"]} for r in apps)
    assert all(r.query == {"lastlines": [str(schedlogs.FOLLOW_WINDOW)]} for r in logs)
    assert "warning" not in result.stderr


@pytest.mark.parametrize("final,code", [("failed", 10), ("ERROR", 10), ("KILLED", 11)])
def test_follow_exit_code_is_the_outcome(env_server, run, final, code):
    env_server.route("GET", "/scheduler/applications", body=_apps("RUNNING", final))
    env_server.route("GET", DRIVER.format("app-1", "stdout"), headers=TEXT, body=b"x\n")
    result = run("scheduler", "logs", "app-1", "-f", env={"DLICLI_POLL_INTERVAL": "0"})
    assert result.exit_code == code
    assert result.stdout == "x\n"
    assert f"application app-1 ended {final.upper()}" in result.stderr


def test_follow_with_last_prints_the_tail_first_and_widens_the_window(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=_apps("RUNNING", "FINISHED"))
    env_server.route(
        "GET",
        f"/scheduler/applications/app-1/executor/{ODD}/logs/stderr",
        headers=TEXT,
        body=sequence(b"a\nb\nc\n", b"a\nb\nc\nd\n"),
    )
    result = run(
        "scheduler",
        "logs",
        "app-1",
        "--executor",
        ODD,
        "--type",
        "stderr",
        "--last",
        "20000",
        "--follow",
        "--interval",
        "0",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "a\nb\nc\nd\n"
    assert env_server.last.query == {"lastlines": ["20000"]}
    env_server.route("GET", "/scheduler/applications", body=_apps("RUNNING", "FINISHED"))
    env_server.route(
        "GET",
        f"/scheduler/applications/app-1/executor/{ODD}/logs/stderr",
        headers=TEXT,
        body=sequence(b"a\nb\nc\n", b"a\nb\nc\nd\n"),
    )
    result = run(
        "scheduler",
        "logs",
        "app-1",
        "--executor",
        ODD,
        "--type",
        "stderr",
        "--last",
        "1",
        "--follow",
        "--interval",
        "0",
    )
    assert result.stdout == "c\nd\n"
    assert env_server.last.query == {"lastlines": [str(schedlogs.FOLLOW_WINDOW)]}


def test_follow_warns_when_lines_may_be_missing(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=_apps("RUNNING", "FINISHED"))
    env_server.route("GET", DRIVER.format("app-1", "stdout"), headers=TEXT, body=sequence(b"a\nb\n", b"y\nz\n"))
    result = run("scheduler", "logs", "app-1", "--follow", env={"DLICLI_POLL_INTERVAL": "0"})
    assert result.exit_code == 0
    assert result.stdout == "a\nb\ny\nz\n"
    assert "some lines may be missing" in result.stderr


def test_follow_waits_through_a_404_before_the_log_exists(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=_apps("PENDING", "RUNNING", "FINISHED"))
    env_server.route("GET", DRIVER.format("app-1", "stdout"), headers=TEXT, body=b"hello\n")
    env_server.route("GET", DRIVER.format("app-1", "stdout"), status=404, times=1)
    result = run("scheduler", "logs", "app-1", "--follow", env={"DLICLI_POLL_INTERVAL": "0"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hello\n"


def test_follow_stops_when_the_application_is_not_listed(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=[])
    env_server.route("GET", DRIVER.format("app-1", "stdout"), headers=TEXT, body=b"last words")
    result = run("scheduler", "logs", "app-1", "--follow", env={"DLICLI_POLL_INTERVAL": "0"})
    assert result.exit_code == 0
    assert result.stdout == "last words"
    assert "no longer lists application app-1" in result.stderr


def test_follow_bad_poll_interval_is_exit_2_without_request(env_server, run):
    result = run("scheduler", "logs", "app-1", "--follow", env={"DLICLI_POLL_INTERVAL": "soon"})
    assert error_line(result, 2) == "error: DLICLI_POLL_INTERVAL is not a number of seconds: 'soon'"
    assert env_server.requests == []


# -- helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "executor,download,operation",
    [
        (None, False, "getDriverLog"),
        ("e", False, "getExecutorLog"),
        (None, True, "downloadDriverLogFile"),
        ("e", True, "downloadExecutorLogFile"),
    ],
)
def test_log_source_picks_the_operation(executor, download, operation):
    assert schedlogs.LogSource("a", "stdout", executor).operation(download) == operation


def test_default_names_are_safe():
    assert schedlogs.LogSource("../a/b", "stderr").default_name() == "_a_b-stderr.log"
    assert schedlogs.LogSource("app", "stdout", "e/1").default_name() == "app-e_1-stdout.log"


def test_check_log_type():
    assert schedlogs.check_log_type(" StdOut ") == "stdout"
    with pytest.raises(UsageError):
        schedlogs.check_log_type("out")


@pytest.mark.parametrize(
    "prev,cur,new,found",
    [
        ([], ["a"], ["a"], True),
        (["a", "b"], ["a", "b", "c"], ["c"], True),  # log shorter than the window: exact
        (["a", "b", "c"], ["b", "c", "d"], ["d"], True),  # window slid by one
        (["a", "b"], ["a", "b"], [], True),
        (["x", "x", "x"], ["x", "x", "x", "x"], ["x"], True),  # growing log of repeats: still exact
        (["a", "b"], ["c", "d"], ["c", "d"], False),  # gap
        (["a"], [], [], True),
    ],
)
def test_new_lines(prev, cur, new, found):
    assert schedlogs.new_lines(prev, cur) == (new, found)


def test_overlap_is_the_longest():
    assert schedlogs.overlap(["a", "b", "a", "b"], ["a", "b", "a", "b", "c"]) == 4
    assert schedlogs.overlap(["q", "a", "b"], ["a", "b", "a"]) == 2
