"""The spec's models (typed views, tolerant of unknown fields) and the task-state vocabulary.

(First version: state sets and `created_id`; the dataclasses for all 33 models come next.)
"""

from __future__ import annotations

from typing import Any

EXEC_ACTIVE_STATES = frozenset(
    {"NEW", "SUBMITTED", "PENDING_JOB_SCHEDULER", "PENDING_CRD_SCHEDULER", "LAUNCHING", "RUNNING",
     "RECOVERING", "UNKNOWN", "WAITING"}
)
EXEC_FINAL_STATES = frozenset({"FINISHED", "KILLED", "ERROR", "FAILED"})
HPO_STATES = ("SUBMITTED", "RUNNING", "FINISHED", "FAILED", "STOPPED", "RECOVERPEND")
EXPERIMENT_STATES = ("NOTRUN", "SUBMITTED", "RUNNING", "FINISHED", "FAILED", "STOPPED", "KILLED", "ERROR")


def created_id(response: Any) -> str | None:
    """The id in a create response: a bare string, a Batch `{id, …}`, or `{uid, href}`."""
    if isinstance(response, str):
        text = response.strip().strip('"')
        return text or None
    if isinstance(response, dict):
        for key in ("id", "uid", "execId", "hpoName", "name"):
            value = response.get(key)
            if value not in (None, ""):
                return str(value)
        href = response.get("href")
        if isinstance(href, str) and href.strip("/"):
            return href.rstrip("/").rsplit("/", 1)[-1]
    return None
