"""HPO results: an experiment's `$RESULT_DIR/val_dict_list.json` → metricVal, metrics, maxiteration,
and the spec's views of experiments and tasks (HpoExperiment, HpoTaskState).

val_dict_list.json (read by tasks/valdict.py, bounded) is a list of dicts, one per evaluation, in the order the script wrote them:
`{"steps": n, "<metric>": value, …}` (`step` accepted too; a lone dict counts as a list of one).
Per metric name: min, max and latest (the last one written); `metricVal` is the best value of
`objectiveMetric` by `objective`. A metric named in `additionalMetrics` gets `strategy` and the
`value` that strategy picks (min for minimize, max for maximize, else latest), as the objective does.

The views are in the form IBM's recorded WMLA outputs show (1.2.x to 2.2.0 notebooks in IBM/wmla-assets
and IBM/wmla-learning-path): experiment `id` a counter from 0, `appId` the experiment's exec id (IBM's
notebooks GET /execs/{appId}), times "YYYY-MM-DD HH:MM:SS" (the engine's local time), `duration` "HH:MM:SS",
`complete` the experiments that ended (succeeded or failed), `failed` those that failed, `running`
those submitted or running, `progress` "complete/maxJobNum".
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from dlicli.engine.tasks.runner import log_file
from dlicli.engine.tasks.valdict import read_values as read_values  # the shared reader, for driver and service
from dlicli.wmla import EXPERIMENT_ACTIVE_STATES, EXPERIMENT_FAILED_STATES, answered_data_type, metric_strategy

STEP_KEYS = ("steps", "step")
STDERR_TAIL_BYTES = 4096  # where the last line of a failed script's stderr is looked for
REASON_LINE_MAX = 300


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def summarize(
    entries: list[dict] | None, objective_metric: str, maximize: bool, additional: dict[str, str] | None = None
) -> tuple[float | None, list[dict], int | None]:
    """(metricVal, metrics [{name, min, max, latest, …}], maxiteration) of one experiment."""
    series: dict[str, list[float]] = {}
    steps: list[float] = []
    for entry in entries or []:
        for key, raw in entry.items():
            value = _number(raw)
            if value is None:
                continue
            if key in STEP_KEYS:
                steps.append(value)
            else:
                series.setdefault(str(key), []).append(value)
    wanted = {objective_metric: "maximize" if maximize else "minimize"}
    for name, how in (additional or {}).items():
        wanted.setdefault(str(name), metric_strategy(how))
    metrics = []
    for name in sorted(series, key=lambda n: (n != objective_metric, list(series).index(n))):
        values = series[name]
        metric = {"name": name, "min": min(values), "max": max(values), "latest": values[-1]}
        if name in wanted:
            how = wanted[name]
            metric["strategy"] = how
            metric["value"] = {"minimize": metric["min"], "maximize": metric["max"]}.get(how, metric["latest"])
        metrics.append(metric)
    objective = series.get(objective_metric)
    metric_val = (max(objective) if maximize else min(objective)) if objective else None
    iterations = int(max(steps)) if steps else (len(entries) if entries else None)
    return metric_val, metrics, iterations


def failure_reason(task: dict) -> str:
    """A failed experiment's reason: its engine task's ("exit code 1") and the last line its
    script wrote to stderr (the exception, most often), so `hpo get` says why without the log."""
    reason = task["reason"] or ""
    if task["state"] not in EXPERIMENT_FAILED_STATES or not task["task_dir"]:
        return reason
    last = last_line(log_file(Path(task["task_dir"]), 0, "stderr"))
    return f"{reason}: {last}" if reason and last else reason or last


def last_line(path: Path) -> str:
    """The last non-blank line of a log (read from its end only), or "" without one."""
    try:
        with open(path, "rb") as log:
            log.seek(0, 2)
            log.seek(max(0, log.tell() - STDERR_TAIL_BYTES))
            tail = log.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1][:REASON_LINE_MAX] if lines else ""


def rank(experiments: list[dict], maximize: bool) -> list[dict]:
    """Best first: FINISHED by metricVal (ties by id), then everything else by id."""

    def key(exp: dict):
        good = exp["state"] == "FINISHED" and exp["metricVal"] is not None
        value = exp["metricVal"] if good else 0.0
        return (not good, -value if maximize else value, exp["id"])

    return sorted(experiments, key=key)


def duration_text(seconds: float) -> str:
    """A duration as WMLA writes it: HH:MM:SS (00:09:28; hours go past 24)."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def wmla_time(stamp: float | None) -> str | None:
    """A time as WMLA writes an hpo task's: "2020-11-17 19:59:48", the server's local time."""
    if stamp is None:
        return None
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def declared_types(body: Any) -> dict[str, Any]:
    """Each parameter the request declared → its dataType as written: hyperParams, or the grid's
    experiments (keys in any case, as the engine reads them)."""

    def keyed(obj: Any) -> dict[str, Any]:
        return {str(k).lower(): v for k, v in obj.items()} if isinstance(obj, dict) else {}

    def listed(value: Any) -> list:
        return value if isinstance(value, list) else []

    top = keyed(body)
    params = listed(top.get("hyperparams"))
    for exp in map(keyed, listed(top.get("experiments"))):
        params = params + listed(exp.get("hyperparams", exp.get("fixedhyperparams")))
    declared: dict[str, Any] = {}
    for hp in map(keyed, params):
        if hp.get("name") is not None:
            declared.setdefault(str(hp["name"]), hp.get("datatype"))
    return declared


def hyper_params(config: dict[str, Any], declared: dict[str, Any]) -> list[dict]:
    """An experiment's values as HpoHyperParameter objects of type fix (value = the typed value),
    as IBM's recorded outputs show them: dataType as the request spelled it (lower case; "str" for
    Hyperband's resource, which it did not declare), userDefined false for every one."""
    return [
        {
            "name": name,
            "type": "fix",
            "dataType": answered_data_type(declared.get(name)),
            "fixedVal": value if isinstance(value, str) else json.dumps(value),
            "value": value,
            "userDefined": False,
        }
        for name, value in config.items()
    ]


def experiment(row: dict, declared: dict[str, Any]) -> dict:
    """One experiments row as HpoExperiment (plus execId and reason); appId is the exec id, as WMLA's."""
    return {
        "id": row["id"],
        "state": row["state"],
        "metricVal": row["metric_val"],
        "metrics": json.loads(row["metrics"] or "[]"),
        "maxiteration": row["maxiteration"],
        "hyperParams": hyper_params(json.loads(row["config"]), declared),
        "appId": row["task_id"] or "",
        "execId": row["task_id"] or "",
        "startTime": wmla_time(row["start_time"]),
        "endTime": wmla_time(row["end_time"]),
        "reason": row["reason"] or "",
    }


def task_state(task: dict, rows: list[dict], spec: dict) -> dict:
    """An hpo_tasks row and its experiments as HpoTaskState, plus the input and a few extras.

    `spec` holds the parsed input's essentials: objective, objectiveMetric, maxJobNum, searched.
    """
    maximize = spec["objective"] == "maximize"
    body = json.loads(task["input"])
    declared = declared_types(body)
    experiments = [experiment(row, declared) for row in rows]
    running = sum(e["state"] in EXPERIMENT_ACTIVE_STATES for e in experiments)
    failed = sum(e["state"] in EXPERIMENT_FAILED_STATES for e in experiments)
    complete = sum(e["state"] == "FINISHED" for e in experiments) + failed  # WMLA: succeeded and failed
    ranked = rank(experiments, maximize)
    best = ranked[0] if ranked and ranked[0]["state"] == "FINISHED" and ranked[0]["metricVal"] is not None else None
    start = task["start_time"] or task["create_time"]
    limit = spec["maxJobNum"]
    return {
        "hpoName": task["name"],
        "state": task["state"],
        "running": running,
        "complete": complete,
        "failed": failed,
        "progress": f"{complete}/{limit if limit > 0 else '-'}",
        "duration": duration_text((task["end_time"] or time.time()) - start),
        "creator": task["creator"],
        "createtime": wmla_time(task["create_time"]),
        "best": best,
        "experiments": experiments,
        "algorithm": task["algorithm"],
        "objective": spec["objective"],
        "objectiveMetric": spec["objectiveMetric"],
        "startTime": wmla_time(task["start_time"]),
        "endTime": wmla_time(task["end_time"]),
        "reason": task["reason"] or "",
        "searchLog": str(Path(task["hpo_dir"]) / "search.log"),
        "input": body,
    }


def exp_result(row: dict, objective_metric: str, searched: set[str]) -> dict:
    """A finished experiment in the shape of `last_exp_results` (dlicli/engine/hpo's contract):
    `hyperparameters` the searched values, `config` all of config.json (Hyperband's resource too)."""
    config = json.loads(row["config"])
    chosen = {k: v for k, v in config.items() if k in searched}
    ok = row["state"] == "FINISHED" and row["metric_val"] is not None
    metrics = {
        m["name"]: {"min": m["min"], "max": m["max"], "latest": m["latest"]} for m in json.loads(row["metrics"] or "[]")
    }
    return {
        "id": row["id"],
        "state": "FINISHED" if ok else "FAILED",
        "hyperparameters": chosen,
        "hyper_parameters": dict(chosen),
        "metricVal": row["metric_val"] if ok else None,
        "objectiveMetric": objective_metric,
        "metrics": metrics,
        "config": dict(config),
    }
