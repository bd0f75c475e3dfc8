"""The spec's 33 models as dataclasses, tolerant of what real servers send, and the task-state vocabulary.

Attribute names are the spec's wire names (`hpoName`, `metricVal`, `V1Resplan` …) so a model
reads like the JSON it came from. Every model has `from_dict(d)` (unknown keys kept in `extra`,
nested models parsed, values not coerced) and `to_dict()`, which gives back what was read: same
keys, spellings and order, None fields omitted (see `modelbase`). The HyperSearch models live in
`hpomodels` and are re-exported here; `MODELS` maps every spec name to its class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlicli.client.hpomodels import (  # noqa: F401 - re-exported: every model is importable from here
    HpoAlgorithmDesc,
    HpoExperiment,
    HpoHyperParameter,
    HpoMetric,
    HpoTaskDetail,
    HpoTaskInput,
    HpoTaskState,
    algoDef,
    algoParams,
    fixedHyperParam,
    resDef,
    searchExperiment,
    searchGrid,
)
from dlicli.client.modelbase import Model, norm  # noqa: F401

EXEC_ACTIVE_STATES = frozenset(
    {
        "NEW",
        "SUBMITTED",
        "PENDING_JOB_SCHEDULER",
        "PENDING_CRD_SCHEDULER",
        "LAUNCHING",
        "RUNNING",
        "RECOVERING",
        "UNKNOWN",
        "WAITING",
    }
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


# -- Scheduler ----------------------------------------------------------------------------------


@dataclass
class ApplicationDetail(Model):
    applicationid: str | None = None
    applicationname: str | None = None
    type: str | None = None  # BATCH | NOTEBOOK
    state: str | None = None
    slots: int | None = None
    demandslots: int | None = None
    hosts: int | None = None
    coresused: float | None = None
    memused: float | None = None
    username: str | None = None
    timestamp: int | None = None
    submittedtime: int | None = None
    schedulerUrl: str | None = None
    endtime: int | None = None
    apprunduration: float | None = None
    model: str | None = None
    dataset: str | None = None
    dltype: str | None = None
    tunningname: str | None = None
    appReason: str | None = None
    appFailureDetail: str | None = None


@dataclass
class ApplicationStatistic(Model):
    username: str | None = None
    cpuReq: float | None = None
    cpuUsed: float | None = None
    gpuReq: float | None = None
    gpuUsed: float | None = None
    jobPending: int | None = None
    jobRunning: int | None = None


# -- Execute ------------------------------------------------------------------------------------


@dataclass
class Attr(Model):
    name: str | None = None
    value: str | None = None


@dataclass
class Envs(Model):
    name: str | None = None
    value: str | None = None


@dataclass
class Batch(Model):
    """A task started through Execute (what GET /execs lists)."""

    creator: str | None = None
    id: str | None = None
    args: str | None = None
    submissionId: str | None = None
    workDir: str | None = None
    appName: str | None = None
    events: str | None = None
    appId: str | None = None
    schedulerUrl: str | None = None
    state: str | None = None

    @property
    def is_final(self) -> bool:
        return str(self.state or "").upper() in EXEC_FINAL_STATES


@dataclass
class CreationResponse(Model):
    uid: str | None = None
    href: str | None = None


@dataclass
class DLFramework(Model):
    name: str | None = None
    desc: list[str] | None = None
    frameworkVersion: str | None = None
    distributeStrategy: str | None = None
    description: str | None = None
    numPs: int | None = None


@dataclass
class EDIModelDescription(Model):
    name: str | None = None
    tag: str | None = None
    runtime: str | None = None
    weight: str | None = None
    kernel: str | None = None
    attributes: list[Attr] | None = None
    environments: list[Envs] | None = None


@dataclass
class EventDataCreateParam(Model):
    eventName: str | None = None
    eventLevel: str | None = None  # Info | Warning | Error
    eventDetails: str | None = None
    entityType: str | None = None
    entityName: str | None = None
    entityJobId: str | None = None
    eventSrc: str | None = None


@dataclass
class EventData(Model):
    id: str | None = None
    eventTimeGMT: int | None = None
    eventName: str | None = None
    eventLevel: str | None = None
    eventDetails: str | None = None
    entityType: str | None = None
    entityName: str | None = None
    entityJobId: str | None = None
    entityOwner: str | None = None
    entityConsumer: str | None = None
    eventSrc: str | None = None


@dataclass
class StringMap(Model):
    """A free-form map of strings (GET /conf): every key lands in `extra`."""

    @property
    def values(self) -> dict[str, Any]:
        return self.extra


# -- Notebooks ----------------------------------------------------------------------------------


@dataclass
class NotebookActionResult(Model):
    result: str | None = None
    message: str | None = None


@dataclass
class NotebookKernel(Model):
    kernelName: str | None = None
    userName: str | None = None
    jobId: str | None = None
    status: str | None = None
    cpuUsed: float | None = None
    gpuUsed: float | None = None
    memoryUsed: float | None = None
    createTime: int | None = None


@dataclass
class NotebookService(Model):
    userName: str | None = None
    podName: str | None = None
    podStatus: str | None = None
    podMessage: str | None = None
    podReason: str | None = None
    resourcePlan: str | None = None
    resourcePlanPath: str | None = None
    podCreateTime: int | None = None
    podStartTime: int | None = None
    kernels: int | None = None
    cpuUsed: int | None = None
    gpuUsed: int | None = None
    memoryUsed: float | None = None


# -- ResourcePlans ------------------------------------------------------------------------------


@dataclass
class Labels_Map(Model):
    key: str | None = None
    value: str | None = None


@dataclass
class Resplan(Model):
    name: str | None = None
    parent: str | None = None
    labels: list[Labels_Map] | None = None  # a JSON object here is kept as sent


@dataclass
class Children(Model):
    name: str | None = None
    usedcpu: str | None = None
    usedgpu: str | None = None
    requestcpu: str | None = None
    requestgpu: str | None = None


@dataclass
class Spec(Model):
    parent: str | None = None
    parentNamespace: str | None = None
    children: list[Children] | None = None


@dataclass
class V1Resplan(Model):
    usedcpu: str | None = None
    usedgpu: str | None = None
    requestcpu: str | None = None
    requestgpu: str | None = None
    path: str | None = None


@dataclass
class TreeDto(Model):
    id: str | None = None
    name: str | None = None
    pid: str | None = None
    path: str | None = None
    isParent: str | None = None
    V1Resplan: V1Resplan | None = None
    childTreeDto: list[TreeDto] | None = None


MODELS: dict[str, type[Model]] = {cls.__name__: cls for cls in Model.__subclasses__()}
"""The spec's 33 models by their spec name."""
