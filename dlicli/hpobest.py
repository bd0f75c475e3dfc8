"""Which experiment of an HPO search is best, decided from what the search asked for, never guessed
from the values: `hpo get|best|wait`, `hpo report` and `dlicli top` all use this one rule.

- The direction is `--objective` when given, else the search's own (`objective`, `algoDef.objective`
  or `input.algoDef.objective`), else unknown (None): the values never say it, and neither does
  whether the server's `best` is their largest (WMLA records a failed experiment as 9999.99).
- An experiment counts when it FINISHED with a finite metric that is not WMLA's failure sentinel.
- The best is the server's `best` when it sent one, else the counted experiment the direction
  prefers (the first of equals by id), as the server picks it; unknown direction → none.
Standard library only."""

from __future__ import annotations

import math
from typing import Any

from dlicli import wmla
from dlicli.errors import UsageError
from dlicli.hporeport.shapes import dig, experiments, metric, state_of

OBJECTIVE_UNKNOWN = "objective unknown: pass --objective minimize|maximize"
_OBJECTIVE_PATHS = (("objective",), ("algoDef", "objective"), ("input", "algoDef", "objective"))


def check_override(override: str | None) -> str | None:
    """`--objective` as "minimize"/"maximize" (None when not given); exit 2 on anything else."""
    if override is None:
        return None
    value = wmla.objective(override)
    if value is None:
        raise UsageError(f"--objective must be minimize or maximize, not {override!r}")
    return value


def objective(task: Any, override: str | None = None) -> str | None:
    """The direction to rank by: --objective, else the search's own, else None (unknown)."""
    given = check_override(override)
    if given is not None:
        return given
    for path in _OBJECTIVE_PATHS:
        own = wmla.objective(dig(task, *path))
        if own is not None:
            return own
    return None


def is_sentinel(value: float) -> bool:
    """WMLA's metric for an experiment that failed (9999.99): never a result."""
    return math.isclose(value, wmla.FAILED_METRIC_SENTINEL, rel_tol=0.0, abs_tol=1e-9)


def counted_metric(exp: Any) -> float | None:
    """The experiment's metric when it counts (FINISHED, finite, not the sentinel), else None."""
    if not isinstance(exp, dict) or state_of(exp) not in ("FINISHED", ""):
        return None
    value = metric(exp)
    if value is None or not math.isfinite(value) or is_sentinel(value):
        return None
    return value


def counts(exp: Any) -> bool:
    """True for an experiment that FINISHED with a real metric: the only kind that can be best."""
    return isinstance(exp, dict) and state_of(exp) == "FINISHED" and counted_metric(exp) is not None


def counted(task: Any) -> list[dict[str, Any]]:
    return [e for e in experiments(task) if counts(e)]


def server_best(task: Any) -> dict[str, Any] | None:
    """The server's own `best`, when it sent one with a real metric."""
    given = task.get("best") if isinstance(task, dict) else None
    return given if isinstance(given, dict) and counted_metric(given) is not None else None


def top(exps: list[dict[str, Any]], direction: str | None) -> dict[str, Any] | None:
    """The counted experiment the direction prefers, the first of equals by id; None when the
    direction is unknown or none counts."""
    if direction is None:
        return None
    sign = -1.0 if direction == "maximize" else 1.0
    scored = [(sign * v, _ident(e), n, e) for n, e in enumerate(exps) if (v := counted_metric(e)) is not None]
    return min(scored, key=lambda s: s[:3])[3] if scored else None


def best(task: Any, direction: str | None) -> dict[str, Any] | None:
    """The best experiment: the server's `best`, else the top counted one by the direction."""
    return server_best(task) or top(counted(task), direction)


def ranked(task: Any, direction: str | None) -> list[dict[str, Any]]:
    """Experiments best first: the counted ones by metric (by id when the direction is unknown),
    then the others by id, the failed and stopped last."""
    sign = 0.0 if direction is None else -1.0 if direction == "maximize" else 1.0
    bad = set(wmla.FAILED_STATES + wmla.STOPPED_STATES)

    def key(exp: dict[str, Any]) -> tuple[int, float, int]:
        value, ident = counted_metric(exp) if counts(exp) else None, _ident(exp)
        if state_of(exp) in bad:
            return 2, 0.0, ident
        return (1, 0.0, ident) if value is None else (0, sign * value, ident)

    return sorted(experiments(task), key=key)


def _ident(exp: dict[str, Any]) -> int:
    ident = exp.get("id")
    return ident if isinstance(ident, int) and not isinstance(ident, bool) else 0
