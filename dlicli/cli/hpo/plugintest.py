"""`hpo algorithm test`: drive a plugin's search() against simulated results, with no server.

The plugin runs as the engine runs it: `python -m dlicli.engine.hpo.pluginhost` in the plugin
folder, spoken to in JSON lines (init, search, get_state); the CLI never imports the engine.
Simulated metric: a bowl around a point of the space drawn from --seed — the mean over parameters
of the squared normalised distance (Range; in exponent space with power) or 0/1 (Discrete),
plus noise of 0.01; lower is better, and `1 − it` when the objective is maximize. Typer-free.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from dlicli.errors import DlicliError, UsageError
from dlicli.wmla import ALIASES_OF, DISCRETE_KEY, RANGE_KEYS, aliased

TASK_ATTR_FORMAT = "dlicli.task_attr/1"


@dataclass
class TaskAttrs:
    """What the plugin is built with and how the run is shaped."""

    name: str
    hyper_parameters: list[dict[str, Any]]
    kwargs: dict[str, str]
    metric: str = "metric"
    maximize: bool = False
    max_jobs: int = -1
    parallel: int = 1
    seen: dict[str, Any] = field(default_factory=dict)


def canonical(hps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated hyperParams as a WMLA plugin gets them: type Range/Discrete, dataType DOUBLE/INT/STR."""
    out = []
    for hp in hps:
        d = dict(hp)
        d["type"] = "Range" if str(hp["type"]).lower() == "range" else "Discrete"
        d["dataType"] = str(hp["dataType"]).upper()
        out.append(d)
    return out


def load_task(path: str) -> TaskAttrs:
    """A spec (startHPO's body) or the task_attr file `hpo algorithm debug` saved (the local engine's
    JSON form; WMLA's is a binary task_attr.pb, which only WMLA reads)."""
    from dlicli import hpospec

    refuse_binary_task_attr(path)
    raw = hpospec.load(path)
    if isinstance(raw, dict) and raw.get("format") == TASK_ATTR_FORMAT:
        kwargs = {str(k): str(v) for k, v in (raw.get("kwargs") or {}).items()}
        return TaskAttrs(
            str(raw.get("name") or "test"),
            list(raw.get("hyper_parameters") or []),
            kwargs,
            str(raw.get("objectiveMetric") or "metric"),
            str(raw.get("objective") or "").lower() == "maximize",
            int(raw.get("maxJobNum") or -1),
            int(raw.get("maxParalleJobNum") or 1),
        )
    body, _ = hpospec.validate(raw, path)
    algo = body["algoDef"]
    if not body.get("hyperParams"):
        raise UsageError(f"{path}: a plugin searches hyperParams; this spec has none")
    kwargs = {p["name"]: p["value"] for p in algo.get("algoParams") or []}
    kwargs.update(
        objective=algo["objective"].lower(),
        objectiveMetric=algo["objectiveMetric"],
        maxJobNum=str(algo.get("maxJobNum", -1)),
    )
    parallel = aliased(algo, "maxParalleJobNum", 1)
    return TaskAttrs(
        str(body.get("hpoName") or "test"),
        canonical(body["hyperParams"]),
        kwargs,
        algo["objectiveMetric"],
        algo["objective"].lower() == "maximize",
        int(algo.get("maxJobNum", -1)),
        int(parallel),
    )


# -- the space: checking suggestions and scoring them ------------------------------------------------


def refuse_binary_task_attr(path: str) -> None:
    """WMLA's `algorithm debug` answer is a protobuf (task_attr.pb): say what to give instead."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return  # hpospec.load says why
    if any(b < 9 or 13 < b < 32 for b in head):
        raise UsageError(
            f"{path} is binary: WMLA's task_attr.pb (from `hpo algorithm debug` on WMLA) is not readable here",
            hint="give the spec you start the search with (--spec SPEC.yaml), or the JSON file the local "
            "engine's `hpo algorithm debug` saves",
        )


def _bounds(hp: dict[str, Any]) -> tuple[float, float]:
    lo, hi = RANGE_KEYS["int" if hp["dataType"] == "INT" else "double"]
    return float(hp[lo]), float(hp[hi])


def _exponent(hp: dict[str, Any], value: float) -> float | None:
    power = float(hp["power"]) if hp.get("power") else None
    if power is None:
        return value
    return math.log(value, power) if value > 0 else None


def _choices(hp: dict[str, Any]) -> list[Any]:
    key = DISCRETE_KEY.get(str(hp["dataType"]).lower(), DISCRETE_KEY["str"])
    return list(hp.get(key) or hp.get(ALIASES_OF.get(key, "")) or [])


def problems(suggestion: dict[str, Any], hps: list[dict[str, Any]], extra: set[str]) -> list[str]:
    """What is wrong with one suggestion: unknown or missing names, wrong types, values off the space."""
    found = []
    names = {hp["name"] for hp in hps}
    for key in suggestion:
        if key not in names and key not in extra:
            found.append(f"{key}: not a hyper-parameter of the spec")
    for hp in hps:
        name, value = hp["name"], suggestion.get(hp["name"])
        if name not in suggestion:
            found.append(f"{name}: missing")
        elif hp["type"] == "Discrete":
            if value not in _choices(hp):
                found.append(f"{name}={value!r}: not one of {_choices(hp)}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            found.append(f"{name}={value!r}: not a number")
        elif hp["dataType"] == "INT" and not hp.get("power") and value != int(value):
            found.append(f"{name}={value!r}: not an integer")
        else:
            lo, hi = _bounds(hp)
            x = _exponent(hp, float(value))
            if x is None or not lo - 1e-9 <= x <= hi + 1e-9:
                shown = f"{hp['power']}**[{lo:g}, {hi:g}]" if hp.get("power") else f"[{lo:g}, {hi:g}]"
                found.append(f"{name}={value!r}: outside {shown}")
    return found


def score(suggestion: dict[str, Any], hps: list[dict[str, Any]], seed: int, ident: int) -> float:
    """The simulated metric (lower is better) of a suggestion; see the module doc."""
    total = 0.0
    for hp in hps:
        pick = random.Random(f"{seed}:{hp['name']}")
        value = suggestion.get(hp["name"])
        if hp["type"] == "Discrete":
            choices = _choices(hp)
            total += 0.0 if choices and value == choices[pick.randrange(len(choices))] else 1.0
            continue
        lo, hi = _bounds(hp)
        x = _exponent(hp, float(value)) if isinstance(value, (int, float)) else None
        target = lo + (hi - lo) * pick.random()
        total += 1.0 if x is None else ((x - target) / ((hi - lo) or 1.0)) ** 2
    return total / max(1, len(hps)) + random.Random(f"{seed}:noise:{ident}").gauss(0.0, 0.01)


# -- the plugin process ---------------------------------------------------------------------------


class Plugin:
    """The plugin host child: one JSON line per request, one per answer; its stderr forwarded to `log`."""

    def __init__(self, plugin_dir: str, log: IO[str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dlicli.engine.hpo.pluginhost"],
            cwd=plugin_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr, "all three are PIPEs"
        self.requests, self.replies, errors = self.proc.stdin, self.proc.stdout, self.proc.stderr
        self.tail: list[str] = []

        def forward() -> None:
            for line in errors:
                self.tail = [*self.tail, line][-20:]
                log.write(f"plugin: {line}")
                log.flush()

        self.forwarder = threading.Thread(target=forward, daemon=True)
        self.forwarder.start()

    def call(self, op: str, **req: Any) -> dict[str, Any]:
        try:
            self.requests.write(json.dumps({"op": op, **req}) + "\n")
            self.requests.flush()
        except OSError:
            pass  # the empty read below reports the exit
        line = self.replies.readline()
        if not line:
            code = self.proc.wait()
            self.forwarder.join(timeout=2)
            raise DlicliError(
                f"the plugin process exited ({code}) during {op}", hint="its last lines are above (prefixed plugin:)"
            )
        reply = json.loads(line)
        if not reply.get("ok"):
            raise DlicliError(f"the plugin failed in {op}: {reply.get('error')}\n{reply.get('traceback', '')}".rstrip())
        return reply

    def close(self) -> None:
        if self.proc.poll() is None:
            self.requests.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.forwarder.join(timeout=2)


def run(
    plugin_dir: str, task: TaskAttrs, *, rounds: int, seed: int, warn: Callable[[str], None], log: IO[str]
) -> list[dict[str, Any]]:
    """Up to `rounds` search() calls; every suggestion answered FINISHED with a simulated metric."""
    import os

    if not os.path.isfile(os.path.join(plugin_dir, "optimizer.py")):
        raise UsageError(
            f"{plugin_dir} has no optimizer.py",
            hint="a plugin's optimizer.py defines PluginOptimizer(BasePluginOptimizer)",
        )
    extra = {task.kwargs.get("ResourceName", "")} - {""}
    rows: list[dict[str, Any]] = []
    bad = 0
    last: list[dict[str, Any]] = []
    plugin = Plugin(plugin_dir, log)
    try:
        plugin.call(
            "init",
            plugin_dir=os.path.abspath(plugin_dir),
            name=task.name,
            hyper_parameters=task.hyper_parameters,
            kwargs=task.kwargs,
        )
        for round_no in range(1, rounds + 1):
            want = task.parallel if task.max_jobs < 0 else min(task.parallel, task.max_jobs - len(rows))
            if want <= 0:
                task.seen["end"] = f"maxJobNum ({task.max_jobs}) reached"
                break
            suggestions = plugin.call("search", number_samples=want, last_exp_results=last)["result"]
            plugin.call("get_state")  # as the engine saves it after every search: must pickle
            if not suggestions:
                task.seen["end"] = "the plugin ended the search (search() returned [])"
                break
            if len(suggestions) > want:
                warn(f"round {round_no}: search({want}) returned {len(suggestions)} suggestions")
            last = []
            for values in suggestions:
                ident = len(rows) + 1
                for problem in problems(values, task.hyper_parameters, extra):
                    warn(f"round {round_no}, experiment {ident}: {problem}")
                    bad += 1
                value = score(values, task.hyper_parameters, seed, ident)
                value = 1.0 - value if task.maximize else value
                rows.append({"round": round_no, "id": ident, "hyperparameters": values, "metricVal": value})
                last.append(_finished(ident, values, value, task.metric))
        else:
            task.seen["end"] = f"stopped after --rounds {rounds}"
    finally:
        plugin.close()
    if bad:
        raise DlicliError(
            f"the plugin's suggestions had {bad} problem{'s' if bad > 1 else ''} (see the warnings)",
            hint="a suggestion names every hyper-parameter once, with a value inside its space",
        )
    return rows


def _finished(ident: int, values: dict[str, Any], value: float, metric: str) -> dict[str, Any]:
    """An experiment's result as the engine hands it to search(): FINISHED, with its metric."""
    return {
        "id": ident,
        "state": "FINISHED",
        "hyperparameters": values,
        "hyper_parameters": values,
        "metricVal": value,
        "objectiveMetric": metric,
        "metrics": {metric: {"min": value, "max": value, "latest": value}},
        "config": dict(values),
    }


def summarize(rows: list[dict[str, Any]], task: TaskAttrs, info: Callable[[str], None]) -> None:
    info(f"{len(rows)} experiments; {task.seen.get('end', 'done')}")
    if rows:
        pick = max if task.maximize else min
        top = pick(rows, key=lambda r: r["metricVal"])
        info(f"best: experiment {top['id']} {task.metric}={top['metricVal']:.6g} {json.dumps(top['hyperparameters'])}")
