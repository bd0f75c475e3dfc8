"""Resource plans and the scheduler end to end: the real CLI (`dlicli resplan …`, `dlicli scheduler …`)
against one real engine — a plan's cpu quota really makes a task wait, and the scheduler's
application and log commands show the tasks that run."""

from __future__ import annotations

import json

from tests.e2e.conftest import write_model
from tests.outcome import error_line
from tests.waiting import holds_for

# Prints 20 lines (and one to stderr), then holds its cpu until the RELEASE file appears.
HOLDER = """\
    import os, pathlib, sys, time
    for i in range(1, 21):
        print(f"line {i}", flush=True)
    print("a warning", file=sys.stderr, flush=True)
    release, deadline = pathlib.Path(os.environ["DLI_DATA_FS"], RELEASE), time.time() + 60
    while not release.exists() and time.time() < deadline:
        time.sleep(0.05)
    print("released", flush=True)
"""
LINES = "".join(f"line {i}\n" for i in range(1, 21))


def plan_lines(stdout: str) -> dict[str, str]:
    """`resplan tree` piped: indented `PATH<TAB>cpu<TAB>gpu` → {indented path: 'cpu gpu'}."""
    rows = [line.split("\t") for line in stdout.splitlines()]
    assert all(len(row) == 3 for row in rows), stdout
    return {row[0]: f"{row[1]} {row[2]}" for row in rows}


def test_resplan_create_get_update_tree_delete(cli):
    created = cli("resplan", "create", "team", "--label", "cpu=4")
    assert (created.returncode, created.stdout) == (0, "") and "created resource plan team" in created.stderr
    cli.ok("resplan", "create", "team-a", "--parent", "team", "--label", "cpu=1", "--label", "gpu=0")
    error_line(cli("resplan", "create", "team"), 6, "HTTP 409")  # exists: a conflict
    orphan = cli("resplan", "create", "orphan", "--parent", "nope")
    error_line(orphan, 3, "could not create the resource plan: parent resource plan nope does not exist")
    error_line(cli("resplan", "create", "bad", "--label", "cpu"), 2, "cpu")

    plan = cli.json("resplan", "get", "team-a")
    assert (plan["path"], plan["parent"], plan["cpuQuota"], plan["usedcpu"], plan["requestcpu"]) == (
        "/team/team-a",
        "team",
        "1",
        "0",
        "0",
    )
    assert {(label["key"], label["value"]) for label in plan["labels"]} == {("cpu", "1"), ("gpu", "0")}
    table = cli.ok("resplan", "get", "team-a").stdout
    assert "/team/team-a" in table and "usedcpu" in table

    cli.ok("resplan", "update", "team-a", "--label", "cpu=3")
    assert cli.json("resplan", "get", "team-a")["cpuQuota"] == "3"
    error_line(cli("resplan", "update", "team-a"), 2, "nothing to update")
    error_line(cli("resplan", "update", "ghost", "--label", "cpu=1"), 3, "ghost")

    lines = plan_lines(cli.ok("resplan", "tree").stdout)
    assert lines["/team"] == "0/0 0/0" and lines["  /team/team-a"] == "0/0 0/0"
    tree = cli.json("resplan", "tree")  # one TreeDto: the root "/" holding the top plans
    team = next(node for node in tree["childTreeDto"] if node["name"] == "team")
    assert [child["name"] for child in team["childTreeDto"]] == ["team-a"]
    assert team["childTreeDto"][0]["V1Resplan"]["cpuQuota"] == "3"

    error_line(cli("resplan", "delete", "team", "--yes"), 6, "HTTP 409")  # it has a child plan
    refused = cli("resplan", "delete", "team-a")  # no terminal to ask on: refuse, send nothing
    assert refused.returncode == 2 and "--yes" in refused.stderr
    cli.ok("resplan", "delete", "team-a", "--yes")
    cli.ok("resplan", "delete", "team", "--yes")
    error_line(cli("resplan", "get", "team-a"), 3, "team-a")
    assert not [n for n in cli.json("resplan", "tree")["childTreeDto"] if n["name"] in ("team", "team-a")]


def test_a_plans_quota_makes_a_task_wait_and_the_scheduler_shows_it(cli, tmp_path):
    release = cli.data / "datasets" / f"release-{tmp_path.name}"  # in DLI_DATA_FS: a sandboxed task sees it
    release.parent.mkdir(parents=True, exist_ok=True)
    main = write_model(tmp_path / "holder", HOLDER.replace("RELEASE", repr(release.name)))
    cli.ok("resplan", "create", "one-cpu", "--label", "cpu=1")
    start = ("exec", "start", "--framework", "python", "--model-main", str(main), "--wmla-args", "--resplan one-cpu")
    first = cli.ok(*start).stdout.strip()
    try:
        cli.wait_state(first, "RUNNING")
        second = cli.ok(*start).stdout.strip()
        waiting = cli.wait_state(second, "PENDING_JOB_SCHEDULER", timeout=10)
        assert "quota" in waiting["reason"] and waiting["resplan"] == "one-cpu"
        holds_for(  # it stays pending while the first holds the plan's only cpu
            lambda: cli.json("exec", "get", second)["state"] == "PENDING_JOB_SCHEDULER",
            0.5,
            what=f"{second} pending",
        )
        assert cli.json("exec", "get", first)["state"] == "RUNNING"
        plan = cli.json("resplan", "get", "one-cpu")
        assert (plan["usedcpu"], plan["requestcpu"]) == ("1", "2")
        assert plan_lines(cli.ok("resplan", "tree").stdout)["/one-cpu"] == "1/2 0/0"
        busy = cli("resplan", "delete", "one-cpu", "--yes")
        assert busy.returncode == 6 and "in use" in busy.stderr

        app_id = cli.json("exec", "get", first)["appId"]
        apps = {a["applicationid"]: a for a in cli.json("scheduler", "apps")}
        assert apps[app_id]["state"] == "RUNNING" and apps[app_id]["driverid"] == first
        assert apps[f"app-{second}"]["state"] == "PENDING_JOB_SCHEDULER"
        newest_first = cli.ok("scheduler", "apps", "--sort", "-submitted", "-q").stdout.split()  # a column's name
        assert newest_first[:2] == [f"app-{second}", app_id], newest_first  # the engine sorted by submittedtime
        only = cli.json("scheduler", "apps", "--id", app_id)
        assert [a["applicationid"] for a in only] == [app_id]
        assert [a["applicationid"] for a in cli.json("scheduler", "apps", "--state", "PENDING_JOB_SCHEDULER")] == [
            f"app-{second}"
        ]
        stats = {s["username"]: s for s in cli.json("scheduler", "stats")}
        assert (stats["admin"]["jobRunning"], stats["admin"]["jobPending"]) == (1, 1)
        assert stats["admin"]["cpuUsed"] == 1 and stats["admin"]["cpuReq"] == 2
        assert "admin" in cli.ok("scheduler", "stats").stdout

        cli.wait_output("line 20", "scheduler", "logs", app_id, "--last", "1")
        last5 = cli.ok("scheduler", "logs", app_id, "--last", "5").stdout
        assert last5.splitlines() == [f"line {i}" for i in range(16, 21)]
        assert cli.ok("scheduler", "logs", app_id, "--executor", "1", "--last", "5").stdout == last5
        assert cli.ok("scheduler", "logs", app_id, "--type", "stderr").stdout.strip() == "a warning"
        one_worker = cli("scheduler", "logs", app_id, "--executor", "2")
        error_line(
            one_worker, 3, f"could not read the log of executor 2 of application {app_id}: ", "its executors are 1"
        )
        saved = cli("scheduler", "logs", app_id, "--download", "-O", "driver.log")
        assert saved.returncode == 0 and saved.stdout == "" and "saved" in saved.stderr, saved.stderr
        assert (tmp_path / "driver.log").read_text() == LINES
        cli.ok("scheduler", "logs", app_id, "--executor", "1", "--download", "-O", "exec1.log")
        assert (tmp_path / "exec1.log").read_text() == LINES
        exists = cli("scheduler", "logs", app_id, "--download", "-O", "driver.log")
        assert error_line(exists, 2) == "error: driver.log already exists"
        assert error_line(cli("scheduler", "logs", "app-nope"), 3) == "error: application app-nope not found"
    finally:
        release.write_text("go")
    waited = cli("exec", "wait", first, second, "--timeout", "30")
    assert waited.returncode == 0, waited.stderr
    one, two = cli.json("exec", "get", first), cli.json("exec", "get", second)
    assert two["startTime"] >= one["endTime"]  # the second ran only once the first let its cpu go
    assert cli.ok("scheduler", "logs", app_id, "--last", "1").stdout == "released\n"
    assert json.loads(cli.ok("resplan", "get", "one-cpu", "--json").stdout)["usedcpu"] == "0"
    cli.ok("resplan", "delete", "one-cpu", "--yes")
