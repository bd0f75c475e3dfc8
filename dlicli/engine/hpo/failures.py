"""When a search gives up on its experiments.

An hpo task whose experiments keep failing (the script crashes, or never writes the objective
metric to val_dict_list.json) would otherwise run forever with `maxJobNum: -1`. The driver ends it
FAILED, its `reason` naming the count and the last experiment's failure, once the experiments that
ended last failed `failure_limit()` times in a row: the engine's setting (`--hpo-max-failures`,
default 5), but at least two rounds of `maxParalleJobNum`, so that one failed round of parallel
experiments never ends a search alone. A FINISHED experiment resets the count; experiments that
were stopped or killed (by a user, or by maxRunTime) neither count nor reset it.
"""

from __future__ import annotations

from dlicli.wmla import EXPERIMENT_FAILED_STATES

DEFAULT_MAX_FAILURES = 5


def failure_limit(setting: int, max_parallel: int) -> int:
    """How many failed experiments in a row end a search."""
    return max(1, setting, 2 * max_parallel)


def failure_streak(experiments: list[dict]) -> tuple[int, str]:
    """(how many of the most recently ended experiments failed in a row, the latest one's reason)."""
    ended = [e for e in experiments if e["state"] == "FINISHED" or e["state"] in EXPERIMENT_FAILED_STATES]
    ended.sort(key=lambda e: (e["end_time"] or 0.0, e["id"]))
    streak, reason = 0, ""
    for exp in reversed(ended):
        if exp["state"] == "FINISHED":
            break
        if not streak:
            reason = f"experiment {exp['id']} {exp['state']}" + (f": {exp['reason']}" if exp["reason"] else "")
        streak += 1
    return streak, reason


def give_up_reason(streak: int, last: str) -> str:
    """The task's reason when it ends on failures."""
    return f"{streak} experiments in a row failed; the search stopped (last: {last})"
