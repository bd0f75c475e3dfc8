"""The isolation test (issue 10): over real HTTP, against a real engine, one user's task tries to reach
another user's task dir and args, the admin token, the database, the TLS key, another user's
notebook token and the engine's environment, and fails; its own files, DATA_DIR and RESULT_DIR work,
its result zip works, stop still kills its whole process group, and distributed workers still meet
on 127.0.0.1. It skips, saying why, only where bubblewrap cannot run.

The figure: "secrets readable by another user" (printed, and asserted to be 0).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from dlicli.engine import sandbox
from dlicli.engine.tasks import runner
from dlicli.enginetls import trust
from tests.engine_hposvc.conftest import plugin_tar
from tests.engine_hposvc.over_http import hpo_body, post_hpo, wait_hpo
from tests.engine_http import conftest
from tests.engine_http.conftest import submit, wait_state
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(sandbox.bwrap() is None, reason="bubblewrap (bwrap) is missing or cannot run here")

CANARIES = {
    "AWS_SECRET_ACCESS_KEY": "canary-aws-3f9a1c",
    "GITHUB_TOKEN": "canary-github-77e0d2",
    "DLICLI_TOKEN": "canary-dlicli-token-5b21",
}
PASSED = {"HTTPS_PROXY": "http://proxy.example:3128", "MY_SITE_SETTING": "site-value"}
BOB_SECRET = "bob-secret-arg-91c4"

BOB_SCRIPT = """\
    import os, sys, time
    open(os.path.join(os.environ["RESULT_DIR"], "secret.txt"), "w").write("bob-secret-result")
    print("bob's args:", sys.argv[1:], flush=True)
    time.sleep(60)
"""

PROBE_SCRIPT = """\
    import json, os
    targets, names, secrets, engine_pid = json.loads(TARGETS)
    found = {}

    def attempt(name, path):
        try:
            if os.path.isdir(path):
                listing = os.listdir(path)
                found[name] = [entry for entry in listing if any(s in entry for s in names)]
            else:
                found[name] = open(path, "rb").read(200).decode(errors="replace") or "(empty)"
        except OSError as exc:
            found[name] = None

    for name, path in targets.items():
        attempt(name, path)
    found["environment"] = [k for k, v in os.environ.items() if any(s in v for s in secrets)]
    leaks = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for part in ("cmdline", "environ"):
            try:
                text = open(f"/proc/{pid}/{part}", "rb").read().decode(errors="replace")
            except OSError:
                continue
            leaks += [f"/proc/{pid}/{part}" for s in secrets if s in text]
    found["other processes"] = leaks
    try:
        os.kill(engine_pid, 0)
        found["signal the engine"] = "reached"
    except OSError:
        found["signal the engine"] = None
    own = {}
    own["main.py"] = "PROBE_SCRIPT" in open("main.py").read()
    own["data"] = open(os.path.join(os.environ["DATA_DIR"], "shared.csv")).read()
    open(os.path.join(os.environ["RESULT_DIR"], "probe.json"), "w").write(json.dumps(found))
    link = os.path.join(os.environ["DLI_RESULT_FS"], os.environ["USER"], "batchworkdir", os.environ["DLI_EXECID"])
    open(os.path.join(link, "via-link.txt"), "w").write("written through DLI_RESULT_FS")
    open(os.path.join(os.environ["HOME"], ".cache-test"), "w").write("home is writable")
    open("/tmp/scratch-" + os.environ["DLI_EXECID"], "w").write("private tmp")
    own["tmp"] = os.listdir("/tmp")
    own["env"] = sorted(os.environ)
    open(os.path.join(os.environ["RESULT_DIR"], "own.json"), "w").write(json.dumps(own))
"""

RENDEZVOUS_SCRIPT = """\
    import os, socket, time
    addr, port, rank = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), int(os.environ["RANK"])
    if rank == 0:
        server = socket.create_server((addr, port))
        server.settimeout(15)
        peer, _ = server.accept()
        open(os.path.join(os.environ["RESULT_DIR"], "heard"), "w").write(peer.recv(16).decode())
    else:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection((addr, port), timeout=1).sendall(b"rank 1")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
"""

SPY_PLUGIN = """\
import json, os
from plugins.core.base_plugin_opt import BasePluginOptimizer
from plugins.core.logger import logger

GIVEN = json.loads(TARGETS)


class PluginOptimizer(BasePluginOptimizer):
    def __init__(self, name, hyper_parameters, **kwargs):
        super().__init__(name, hyper_parameters, **kwargs)
        found = {}
        for label, path in GIVEN["paths"].items():
            try:
                if os.path.isdir(path):
                    found[label] = [e for e in os.listdir(path) if any(n in e for n in GIVEN["names"])]
                else:
                    found[label] = open(path, "rb").read(100).decode(errors="replace") or "(empty)"
            except OSError:
                found[label] = None
        found["environment"] = [k for k, v in os.environ.items() if any(s in v for s in GIVEN["secrets"])]
        try:
            open("written-by-a-search", "w").write("x")
            found["the installed plugin (shared by every user)"] = "written"
        except OSError:
            found["the installed plugin (shared by every user)"] = None
        logger.info("spy %s", json.dumps(found))
        logger.info("spy home %s", os.environ.get("HOME"))
        self.left = [{"x": 1.0, "y": -2.0}]

    def search(self, number_samples, last_exp_results):
        out, self.left = self.left, []
        return out
"""

STUBBORN_SCRIPT = """\
    import signal, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("started", flush=True)
    time.sleep(120)
"""


def start_with_env(start_engine, data_dir: Path, env: dict[str, str], *args: str) -> conftest.EngineProc:
    """An engine whose environment adds `env` (the fixtures' own environment filter applied first)."""
    plain = conftest.clean_env
    conftest.clean_env = lambda: {**plain(), **env}  # type: ignore[assignment]
    try:
        return start_engine(data_dir, *args)
    finally:
        conftest.clean_env = plain  # type: ignore[assignment]


@pytest.fixture(scope="module")
def isolated(start_engine, tmp_path_factory):
    """An engine (TLS, canaries and a proxy in its environment) with users alice and bob."""
    data = tmp_path_factory.mktemp("isolated") / "data"
    args = ("--port", "0", "--slots", "4", "--grace-seconds", "2", "--tls", "--pass-env", "MY_SITE_SETTING")
    engine = start_with_env(start_engine, data, {**CANARIES, **PASSED}, *args)
    assert engine.info["isolation"] == "bwrap"
    engine.tokens = {name: engine.add_user(name) for name in ("alice", "bob")}
    (data / "datasets").mkdir(exist_ok=True)
    (data / "datasets" / "shared.csv").write_text("a,b\n1,2\n")
    return engine


def client(engine, name: str) -> httpx.Client:
    """A client of `name` that trusts the engine's own certificate."""
    token = engine.token if name == "admin" else engine.tokens[name]
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=engine.url + "/", headers=headers, timeout=30, verify=trust(engine.info["cert"]))


def bob_notebook(engine) -> bool:
    """Start bob's Jupyter server (its token file is then in the data dir); False without jupyter_server."""
    try:
        import jupyter_server  # noqa: F401
    except ImportError:
        return False
    with client(engine, "admin") as admin:
        started = admin.post("notebooks/bob/startservice")
    assert started.status_code in (200, 201), started.text
    return True


def task_pid(data: Path, exec_id: str) -> int:
    with closing(sqlite3.connect(data / "engine.db")) as db:
        return db.execute("SELECT pid FROM tasks WHERE id = ?", (exec_id,)).fetchone()[0]


def targets(data: Path, bob_id: str, bob_user: str) -> dict[str, str]:
    bob_dir = data / "tasks" / bob_id
    return {
        "bob's task dir": str(bob_dir),
        "bob's model": str(bob_dir / "_submitted_code" / "mymodel" / "main.py"),
        "bob's args (launch.json)": str(bob_dir / "launch.json"),
        "bob's result": str(bob_dir / "result" / "secret.txt"),
        "bob's log": str(bob_dir / "log" / "stdout.log"),
        "bob's result via DLI_RESULT_FS": str(data / "results" / bob_user / "batchworkdir" / bob_id / "secret.txt"),
        "the tasks dir": str(data / "tasks"),
        "the data dir": str(data),
        "admin.token": str(data / "admin.token"),
        "engine.db": str(data / "engine.db"),
        "engine.db-wal": str(data / "engine.db-wal"),
        "the TLS key": str(data / "tls" / "key.pem"),
        "bob's notebook token": str(data / "notebooks" / "bob" / "config" / "jupyter_server_config.json"),
    }


def test_a_task_cannot_read_another_users_files_the_engines_secrets_or_its_environment(isolated):
    data = isolated.data_dir
    notebook = bob_notebook(isolated)
    with client(isolated, "bob") as bob, client(isolated, "alice") as alice:
        bob_task = submit(bob, BOB_SCRIPT, args=f"--password {BOB_SECRET}").json()
        bob_dir = data / "tasks" / bob_task["id"]
        wait_until(lambda: (bob_dir / "result" / "secret.txt").exists(), 20, what="bob's task to run")
        bob_user = json.loads((bob_dir / "launch.json").read_text())["workers"][0]["env"]["USER"]
        names = [bob_task["id"], "admin.token", "engine.db", "tls", "notebooks", "bob"]  # in a listing
        secrets = [BOB_SECRET, "bob-secret-result", *CANARIES.values(), (data / "admin.token").read_text().strip()]
        given = json.dumps([targets(data, bob_task["id"], bob_user), names, secrets, isolated.info["pid"]])
        probe = submit(alice, PROBE_SCRIPT.replace("TARGETS", repr(given))).json()
        done = wait_state(alice, probe["id"])
        assert done["state"] == "FINISHED", alice.get(f"execs/{probe['id']}/log?logType=errlog").json()
        result = alice.get(f"execs/{probe['id']}/result")
        bob.post(f"execs/{bob_task['id']}/stop")
    assert result.status_code == 200
    with zipfile.ZipFile(io.BytesIO(result.content)) as archive:
        assert {"probe.json", "own.json", "via-link.txt"} <= set(archive.namelist())
        found = json.loads(archive.read("probe.json"))
        own = json.loads(archive.read("own.json"))
    readable = {name: value for name, value in found.items() if value}
    print(f"\nsecrets readable by another user: {len(readable)} of {len(found)} attempts {sorted(readable)}")
    print(f"(bob's notebook token {'was' if notebook else 'was not'} on disk during the probe)")
    assert readable == {}
    assert own["main.py"] is True and own["data"] == "a,b\n1,2\n" and f"scratch-{probe['id']}" in own["tmp"]
    assert not Path(f"/tmp/scratch-{probe['id']}").exists()  # its /tmp was its own


def test_a_task_starts_from_the_allow_listed_environment(isolated):
    script = "import json, os\nprint(json.dumps(dict(os.environ)))\n"
    with client(isolated, "alice") as alice:
        done = wait_state(alice, submit(alice, script, args="--msd-env FROM_ARGS=yes").json()["id"])
        env = json.loads(alice.get(f"execs/{done['id']}/log?logType=outlog").json())
    fixed = {"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "USER", "LOGNAME", "PYTHONUNBUFFERED", "FROM_ARGS"}
    fixed |= {"RESULT_DIR", "LOG_DIR", "DATA_DIR", "JOB_STATE_DIR", "CUDA_VISIBLE_DEVICES", *PASSED}
    unexpected = {k for k in env if k not in fixed and not k.startswith(("LC_", "DLI_"))}
    assert unexpected == set()
    assert {k: env.get(k) for k in PASSED} == PASSED and env["FROM_ARGS"] == "yes"
    assert env["HOME"] == str(isolated.data_dir / "tasks" / done["id"] / "home")
    assert not any(v in json.dumps(env) for v in CANARIES.values())


def test_stop_kills_the_whole_sandboxed_group(isolated):
    with client(isolated, "alice") as alice:
        exec_id = submit(alice, STUBBORN_SCRIPT).json()["id"]
        wait_until(lambda: alice.get(f"execs/{exec_id}/log?logType=outlog").json() == "started\n", 20)
        pgid = task_pid(isolated.data_dir, exec_id)
        members = runner.group_members(pgid)
        assert len(members) >= 4  # the sandbox, its init, the launcher, the worker and its child
        assert alice.post(f"execs/{exec_id}/stop").status_code in (200, 204)
        assert wait_state(alice, exec_id)["state"] == "KILLED"
    wait_until(lambda: not runner.group_members(pgid), 10, what=f"the processes of group {pgid} to end")


def test_distributed_workers_still_meet_on_loopback(isolated):
    with client(isolated, "alice") as alice:
        query = "--exec-start distPyTorch --numWorker 2 --model-dir dist --model-main main.py"
        tar = conftest.model_tar("dist", {"main.py": RENDEZVOUS_SCRIPT})
        posted = alice.post(f"execs/?args={query}", files={"file": ("dist.modelDir.tar", tar)}).json()
        done = wait_state(alice, posted["id"], timeout=40)
    assert done["state"] == "FINISHED", done
    assert (isolated.data_dir / "tasks" / posted["id"] / "result" / "heard").read_text() == "rank 1"


def mount_namespace(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/mnt")


def test_a_plugin_search_sees_only_its_plugin_and_a_dir_of_its_own(isolated):
    data = isolated.data_dir
    paths = {
        "admin.token": str(data / "admin.token"),
        "engine.db": str(data / "engine.db"),
        "the TLS key": str(data / "tls" / "key.pem"),
        "the tasks dir": str(data / "tasks"),
        "the data dir": str(data),
    }
    given = json.dumps(
        {"paths": paths, "names": ["admin.token", "engine.db", "alice", "bob"], "secrets": [*CANARIES.values()]}
    )
    tar = plugin_tar("spy", {"optimizer.py": SPY_PLUGIN.replace("TARGETS", repr(given))})
    with client(isolated, "admin") as admin, client(isolated, "alice") as alice:
        installed = admin.post(
            "hypersearch/algorithm/install",
            data={"data": json.dumps({"name": "spy"})},
            files={"file": ("spy.tar", tar, "application/x-tar")},
        )
        assert installed.status_code == 200, installed.text
        assert post_hpo(alice, hpo_body("spied", algorithm="spy", jobs=-1, parallel=1)).status_code == 200
        view = wait_hpo(alice, "spied")
    log = Path(view["searchLog"]).read_text()
    assert view["state"] == "FINISHED", log
    found = json.loads(log.split(" spy ", 1)[1].splitlines()[0])
    readable = {name: value for name, value in found.items() if value}
    print(f"\nreadable by a plugin search: {len(readable)} of {len(found)} attempts {sorted(readable)}")
    assert readable == {}
    home = log.split(" spy home ", 1)[1].splitlines()[0]
    assert "dlicli-plugin-" in home and str(data) not in home


def test_a_notebook_server_runs_in_its_own_namespace_without_the_engines_environment(isolated):
    if not bob_notebook(isolated):
        pytest.skip("jupyter_server is not installed")
    with closing(sqlite3.connect(isolated.data_dir / "engine.db")) as db:
        leader = db.execute("SELECT pid FROM notebooks WHERE user = 'bob'").fetchone()[0]
    members = runner.group_members(leader)
    inside = [pid for pid in members if mount_namespace(pid) != mount_namespace("self")]
    assert inside, f"no process of bob's notebook group {members} runs in a mount namespace of its own"
    for pid in inside:
        environ = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
        assert not any(value in environ for value in CANARIES.values())
        assert f"HOME={isolated.data_dir / 'notebooks' / 'bob' / 'home'}" in environ.split("\0")
