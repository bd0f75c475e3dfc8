"""HPO service test helpers: engines in a tmp dir, the noisy-quadratic model, task bodies, waiting.

The model reads config.json (x, y, optional epochs), sleeps `--sleep` seconds, records its own
start/end times in `--stamps DIR` (one file per process), and writes val_dict_list.json with
loss = (x-1)^2 + (y+2)^2 + noise (+ 1/epochs when Hyperband gives a resource). `--fail-above X`
makes it exit 1 when x > X; `--no-metric` makes it write a metric of another name.
"""

from __future__ import annotations

import copy
import io
import json
import tarfile
import textwrap
from pathlib import Path

import pytest

from dlicli.engine.core import Engine, User
from tests.engine.conftest import make_engine, wait_for  # noqa: F401 - a fixture and a helper, shared
from tests.engine_http.conftest import EngineProc
from tests.waiting import wait_until

ADMIN = User("admin", True)
ALICE = User("alice", False)
BOB = User("bob", False)
HPO_FINAL = {"FINISHED", "FAILED"}

QUADRATIC = """\
import argparse, json, os, random, sys, time
p = argparse.ArgumentParser()
p.add_argument("--sleep", type=float, default=0.0)
p.add_argument("--stamps", default="")
p.add_argument("--fail-above", type=float, default=None)
p.add_argument("--no-metric", action="store_true")
a = p.parse_args()
start = time.time()
cfg = json.load(open("config.json"))
time.sleep(a.sleep)
x, y = float(cfg["x"]), float(cfg["y"])
if a.fail_above is not None and x > a.fail_above:
    sys.exit(1)
loss = (x - 1) ** 2 + (y + 2) ** 2 + random.gauss(0, 0.001)
if "epochs" in cfg:
    loss += 1.0 / cfg["epochs"]
name = "other" if a.no_metric else "loss"
values = [{"steps": 1, name: loss + 1, "acc": 0.5}, {"steps": 2, name: loss, "acc": 0.25}]
json.dump(values, open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
if a.stamps:
    with open(os.path.join(a.stamps, os.environ["DLI_EXECID"]), "w") as f:
        json.dump({"start": start, "end": time.time(), "cfg": cfg, "cwd": os.getcwd(),
                   "exp": os.environ.get("DLI_HPO_EXPERIMENT_ID")}, f)
"""

XY = [
    {"name": "x", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 3},
    {"name": "y", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 3},
]


@pytest.fixture
def engine(make_engine):  # noqa: F811 - the imported fixture
    return make_engine(slots=4, grace_seconds=2.0)


@pytest.fixture
def model(tmp_path) -> Path:
    path = tmp_path / "model" / "main.py"
    path.parent.mkdir()
    path.write_text(QUADRATIC)
    return path


@pytest.fixture
def stamps(tmp_path) -> Path:
    path = tmp_path / "stamps"
    path.mkdir()
    return path


def body(
    name: str = "q",
    algorithm: str = "Random",
    *,
    jobs: int = 4,
    parallel: int = 2,
    args: str = "",
    hyper: list | None = None,
    params: dict | None = None,
    **algo,
) -> dict:
    algo_def = {
        "algorithm": algorithm,
        "objective": "minimize",
        "objectiveMetric": "loss",
        "maxJobNum": jobs,
        "maxParalleJob": parallel,
        "algoParams": [{"name": k, "value": str(v)} for k, v in (params or {"RandomSeed": 7}).items()],
        **algo,
    }
    out = {
        "hpoName": name,
        "modelSpec": {"args": f"--exec-start python --model-main main.py {args}".strip()},
        "algoDef": algo_def,
    }
    if algorithm != "ExperimentGridSearch":
        out["hyperParams"] = copy.deepcopy(XY if hyper is None else hyper)
    return out


def create(engine: Engine, model: Path, data: dict, user: User = ADMIN) -> dict:
    return engine.hpo.create(user, json.dumps(data), model, model.name)


def wait_hpo(engine: Engine, name: str, states=HPO_FINAL, timeout: float = 30.0, user: User = ADMIN) -> dict:
    states = {states} if isinstance(states, str) else set(states)
    return wait_until(
        lambda: engine.hpo.get(user, name),
        timeout,
        0.03,
        f"search {name} to reach {sorted(states)}",
        until=lambda view: view["state"] in states,
    )


def read_stamps(stamps: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(stamps.iterdir())]


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals open at one time."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda t: (t[0], t[1]))
    most = now = 0
    for _, delta in events:
        now += delta
        most = max(most, now)
    return most


def values(exp: dict) -> dict:
    return {hp["name"]: hp["value"] for hp in exp["hyperParams"]}


PLUGIN = """\
import json
from plugins.core.base_plugin_opt import BasePluginOptimizer
from plugins.core.logger import logger


class PluginOptimizer(BasePluginOptimizer):
    \"\"\"Walks x over a fixed list; y is fixed. Fails on purpose when algoParams Explode is set.\"\"\"

    def __init__(self, name, hyper_parameters, **kwargs):
        super().__init__(name, hyper_parameters, **kwargs)
        self.points = [1.0, -1.0, 2.0, 0.5]
        self.next = 0
        self.seen = []
        self.explode = kwargs.get("Explode")
        logger.info("plugin ready: %s %s", [h["type"] + "/" + h["dataType"] for h in hyper_parameters],
                    sorted(kwargs))

    def search(self, number_samples, last_exp_results):
        if self.explode:
            raise RuntimeError("boom from the plugin")
        self.seen += [r["id"] for r in last_exp_results]
        for result in last_exp_results:
            logger.info("result %s", json.dumps(result, sort_keys=True))
        out = []
        while len(out) < number_samples and self.next < len(self.points):
            out.append({"x": self.points[self.next], "y": -2.0})
            self.next += 1
        return out

    def get_state(self):
        return {"next": self.next, "seen": self.seen}

    def set_state(self, state):
        self.next, self.seen = state["next"], state["seen"]
"""


def plugin_tar(folder: str = "myplugin", files: dict[str, str] | None = None) -> bytes:
    """A tar of a plugin folder (default: optimizer.py = PLUGIN and a README)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for rel, text in (files or {"optimizer.py": PLUGIN, "README": "a test plugin\n"}).items():
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(f"{folder}/{rel}")
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# -- one real engine process per test module, over HTTP (tests/engine_hposvc/over_http.py) --


def start(procs: list, data_dir: Path, *extra: str) -> EngineProc:
    """One more engine process (4 slots, 2 s grace, `extra` serve options), stopped with the module."""
    proc = EngineProc(data_dir, ("--port", "0", "--slots", "4", "--grace-seconds", "2", *extra))
    procs.append(proc)
    return proc


@pytest.fixture(scope="module")
def server(procs, tmp_path_factory):
    return start(procs, tmp_path_factory.mktemp("hpo-engine") / "data")


@pytest.fixture
def admin(server):
    with server.client() as client:
        yield client
