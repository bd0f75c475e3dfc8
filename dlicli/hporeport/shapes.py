"""getOneHPO's answer read the same way whatever the server: WMLA's HpoTaskState (experiments from
id 0, `hyperParams` a list of {name, dataType, fixedVal}, no objective field) or the local engine's
(the same, plus `objective`, `objectiveMetric` and the `input` body). Standard library only (and
dlicli's errors and wmla tables): `hpo get|best|wait` and `hpo report` share it."""

from __future__ import annotations

from typing import Any

from dlicli import wmla
from dlicli.errors import NotFoundError


def state_of(obj: Any) -> str:
    return str(obj.get("state") or "").strip().upper() if isinstance(obj, dict) else ""


def experiments(task: Any) -> list[dict[str, Any]]:
    rows = task.get("experiments") if isinstance(task, dict) else None
    return [e for e in rows or [] if isinstance(e, dict)]


def metric(exp: dict[str, Any]) -> float | None:
    value = exp.get("metricVal")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


def exec_id(exp: dict[str, Any]) -> str:
    """An experiment's exec task (`dlicli exec logs ID`): the engine's execId, WMLA's appId."""
    return str(exp.get("execId") or exp.get("appId") or "")


def dig(obj: Any, *path: str) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def objective_metric(task: Any) -> str | None:
    for path in ((), ("algoDef",), ("input", "algoDef")):
        name = dig(task, *path, "objectiveMetric")
        if isinstance(name, str) and name:
            return name
    return None


def params(exp: dict[str, Any]) -> dict[str, Any]:
    """An experiment's hyper-parameters as {name: value}, typed by each one's dataType."""
    from dlicli.hpospec.checker import as_float, as_int

    given = exp.get("hyperParams")
    if isinstance(given, dict):
        return dict(given)
    values: dict[str, Any] = {}
    for hp in given or []:
        if not isinstance(hp, dict) or not hp.get("name"):
            continue
        raw = hp.get("value", hp.get("fixedVal"))  # the local engine's `value`: config.json's own
        dtype = wmla.data_type(hp.get("dataType"))  # any spelling: double, DOUBLE, str, string …
        typed = as_int(raw) if dtype == "INT" else as_float(raw) if dtype == "DOUBLE" else None
        values[str(hp["name"])] = raw if typed is None or isinstance(raw, bool) else typed
    return values


def nothing_finished(name: str, task: Any) -> NotFoundError:
    """Exit 3 for a search with no experiment finished with a metric, said as `hpo best` and `hpo
    report` both say it: one that ended will never have one (see its experiments); one still
    running may (wait for it)."""
    now = state_of(task) or "no state"
    if now in wmla.HPO_FINAL_STATES:
        tried = len(experiments(task))
        return NotFoundError(
            f"hpo task {name} ended {now} with no finished experiment"
            + (f" ({tried} tried, none finished with a metric)" if tried else ""),
            hint=f"see its experiments: dlicli hpo get {name}",
        )
    return NotFoundError(
        f"hpo task {name} has no finished experiment yet ({now})", hint=f"wait for it: dlicli hpo wait {name}"
    )
