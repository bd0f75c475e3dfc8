"""A search as the report sees it: its experiments (id order), the objective and its direction,
the space searched, and the series the report plots: the objective with the best so far, each
hyper-parameter against the objective, the best experiment. Standard library only.

Only experiments that count (dlicli.hpobest: FINISHED with a real metric, never WMLA's failure
sentinel 9999.99) are values: the others stay in the table, out of every series."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlicli import hpobest, wmla
from dlicli.errors import UsageError
from dlicli.hporeport import shapes
from dlicli.hporeport.space import Param, declared, guessed

OBJECTIVE_HINT = "say which is better: --objective minimize|maximize"


@dataclass
class Experiment:
    id: Any
    state: str
    value: float | None  # the objective, None unless FINISHED with a metric
    params: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class Search:
    name: str
    direction: str  # "minimize" or "maximize"
    metric_name: str
    space: dict[str, Param]
    experiments: list[Experiment]
    state: str = ""

    @property
    def finished(self) -> list[Experiment]:
        return [e for e in self.experiments if e.value is not None]

    @property
    def failed(self) -> int:
        return sum(e.state in wmla.FAILED_STATES + wmla.STOPPED_STATES for e in self.experiments)


def _key(exp: dict[str, Any]) -> tuple[int, str]:
    ident = exp.get("id")
    return (ident, "") if isinstance(ident, int) and not isinstance(ident, bool) else (1 << 62, str(ident))


def search_of(name: str, task: Any, override: str | None = None) -> Search:
    """getOneHPO's answer as a Search; exit 3 when no experiment finished (the search ended without
    one, or none yet), 2 when the direction is unknown."""
    if not isinstance(task, dict):
        task = {}
    rows = []
    for exp in sorted(shapes.experiments(task), key=_key):
        state = shapes.state_of(exp)
        value = shapes.metric(exp) if hpobest.counts(exp) else None
        rows.append(Experiment(exp.get("id"), state, value, shapes.params(exp), exp))
    if not any(e.value is not None for e in rows):
        raise shapes.nothing_finished(name, task)  # as `hpo best` says it: ended, or not yet
    direction = hpobest.objective(task, override)  # never guessed from the values
    if direction is None:
        raise UsageError(
            f"hpo task {name} does not say whether its objective is minimized or maximized", OBJECTIVE_HINT
        )
    space = space_of(task, rows)
    label = shapes.objective_metric(task) or "objective"
    return Search(name, direction, label, space, rows, shapes.state_of(task))


def space_of(task: dict[str, Any], rows: list[Experiment]) -> dict[str, Param]:
    """The searched parameters as declared (the engine sends its input's hyperParams), else guessed
    from the values (WMLA sends no space). Fixed ones are left out: they do not vary."""
    given = shapes.dig(task, "input", "hyperParams") or task.get("hyperParams")
    space = declared(given if isinstance(given, list) else [])
    out: dict[str, Param] = {}
    for name in dict.fromkeys(n for e in rows for n in e.params):
        values = [e.params[name] for e in rows if e.params.get(name) is not None]
        if name in space:
            out[name] = space[name]
        elif len({repr(v) for v in values}) > 1:
            out[name] = guessed(name, values)
    return out


def best_so_far(search: Search) -> list[tuple[Any, float, float]]:
    """(id, objective, best so far) for each finished experiment, in id order."""
    out: list[tuple[Any, float, float]] = []
    better = max if search.direction == "maximize" else min
    for exp in search.finished:
        assert exp.value is not None
        out.append((exp.id, exp.value, better(out[-1][2], exp.value) if out else exp.value))
    return out


def per_param(search: Search) -> dict[str, list[tuple[Any, float]]]:
    """Each searched parameter against the objective: (value, objective) per finished experiment."""
    return {
        name: [(e.params[name], e.value) for e in search.finished if name in e.params and e.value is not None]
        for name in search.space
    }


def best(search: Search) -> Experiment:
    """The best finished experiment (the first of equals, by id), by `hpo best`'s rule."""
    chosen = hpobest.top([e.raw for e in search.finished], search.direction)
    return next(e for e in search.finished if e.raw is chosen)


def check_comparable(searches: list[Search]) -> None:
    """Several searches overlay only when they searched the same space toward the same goal."""
    first = searches[0]
    for other in searches[1:]:
        if other.direction != first.direction or other.metric_name != first.metric_name:
            raise UsageError(
                f"hpo tasks {first.name} and {other.name} have different objectives "
                f"({first.metric_name} {first.direction}, {other.metric_name} {other.direction})"
            )
        diff = _space_difference(first.space, other.space)
        if diff:
            raise UsageError(f"hpo tasks {first.name} and {other.name} searched different spaces: {diff}")


def _space_difference(a: dict[str, Param], b: dict[str, Param]) -> str:
    if set(a) != set(b):
        only = sorted(set(a) ^ set(b))
        return "only one has " + ", ".join(only)
    for name, pa in a.items():
        pb = b[name]
        same = pa == pb if pa.declared and pb.declared else (pa.kind == "str") == (pb.kind == "str")
        if not same:
            return f"{name} differs"
    return ""
