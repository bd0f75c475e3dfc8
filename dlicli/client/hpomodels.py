"""The HyperSearch tag's models (re-exported by `client.models`): tasks, experiments, hyperparameters.

The API's own spellings are read both ways: `maxParalleJob` → `maxParalleJobNum`, `eta` →
`hyperbandEta`, `discreteStrVal` → `discreateStrVal`, an experiment's `hyperParams` →
`fixedHyperParams` (and written back as they came); `type`, `dataType` and `objective` are read
case-insensitively by the helper properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from dlicli.client.modelbase import Model, norm


@dataclass
class HpoAlgorithmDesc(Model):
    name: str | None = None
    path: str | None = None
    condaHome: str | None = None
    condaEnv: str | None = None
    creator: str | None = None
    createtime: str | None = None
    type: str | None = None  # BUILD_IN | USER_PLUGIN
    remoteExec: bool | None = None
    logLevel: str | None = None


@dataclass
class HpoHyperParameter(Model):
    """One searched hyperparameter; `kind`, `dtype` and `discrete_values` read it case-insensitively."""

    ALIASES: ClassVar[dict[str, str]] = {"discreteStrVal": "discreateStrVal"}

    name: str | None = None
    type: str | None = None  # range | discrete | fix
    dataType: str | None = None  # int | double | str
    minDbVal: float | None = None
    maxDbVal: float | None = None
    minIntVal: int | None = None
    maxIntVal: int | None = None
    discreteDbVal: list[float] | None = None
    discreteIntVal: list[int] | None = None
    discreateStrVal: list[str] | None = None
    userDefined: bool | None = None
    fixedVal: str | None = None
    step: str | None = None
    power: str | None = None

    @property
    def kind(self) -> str | None:
        return norm(self.type)

    @property
    def dtype(self) -> str | None:
        return norm(self.dataType)

    @property
    def discrete_values(self) -> list[Any] | None:
        return {"int": self.discreteIntVal, "double": self.discreteDbVal, "str": self.discreateStrVal}.get(
            self.dtype or ""
        )


@dataclass
class HpoMetric(Model):
    name: str | None = None
    min: float | None = None
    max: float | None = None
    latest: float | None = None


@dataclass
class HpoExperiment(Model):
    id: int | None = None
    state: str | None = None
    metricVal: float | None = None
    metrics: list[HpoMetric] | None = None
    maxiteration: int | None = None
    hyperParams: list[HpoHyperParameter] | None = None
    appId: str | None = None
    startTime: str | None = None
    endTime: str | None = None


@dataclass
class HpoTaskState(Model):
    """An HPO task as GET /hypersearch[/{hpoName}] answers."""

    hpoName: str | None = None
    state: str | None = None
    running: int | None = None
    complete: int | None = None
    failed: int | None = None
    progress: str | None = None
    duration: str | None = None
    creator: str | None = None
    createtime: str | None = None
    best: HpoExperiment | None = None
    experiments: list[HpoExperiment] | None = None


@dataclass
class algoParams(Model):
    name: str | None = None
    value: str | None = None


@dataclass
class algoDef(Model):
    """The search algorithm; `maxParalleJob` and `eta` are read as their spec fields."""

    ALIASES: ClassVar[dict[str, str]] = {"maxParalleJob": "maxParalleJobNum", "eta": "hyperbandEta"}

    algorithm: str | None = None
    maxRunTime: int | None = None
    maxJobNum: int | None = None
    maxParalleJobNum: int | None = None
    hyperbandEta: float | None = None
    objectiveMetric: str | None = None  # in the startHPO data text, not in the model table
    objective: str | None = None  # Maximize | Minimize, any case
    algoParams: list[algoParams] | None = None

    @property
    def maximize(self) -> bool:
        return norm(self.objective) == "maximize"

    def param(self, name: str, default: Any = None) -> Any:
        """An algoParams value by name (case-insensitive)."""
        for p in self.algoParams or []:
            if isinstance(p, algoParams) and norm(p.name) == norm(name):
                return p.value
        return default


@dataclass
class fixedHyperParam(Model):
    name: str | None = None
    dataType: str | None = None
    fixedVal: str | None = None

    @property
    def dtype(self) -> str | None:
        return norm(self.dataType)


@dataclass
class searchExperiment(Model):
    ALIASES: ClassVar[dict[str, str]] = {"hyperParams": "fixedHyperParams"}

    id: int | None = None
    fixedHyperParams: list[fixedHyperParam] | None = None


@dataclass
class resDef(Model):
    framework: str | None = None
    initWeightPath: str | None = None
    maxiteration: str | None = None
    miniteration: str | None = None
    batchsize: int | None = None
    gpuNum: int | None = None
    workerNum: int | None = None
    distribute: bool | None = None
    syncMode: str | None = None
    resourceInstanceId: str | None = None


@dataclass
class HpoTaskInput(Model):
    modelName: str | None = None
    hpoName: str | None = None
    modelSpec: dict[str, Any] | None = None  # in the startHPO data text: {"args": …, "dataSource": […]}
    hyperParams: list[HpoHyperParameter] | None = None
    resDef: resDef | None = None
    algoDef: algoDef | None = None
    experiments: list[searchExperiment] | None = None


@dataclass
class searchGrid(Model):
    experiments: list[HpoExperiment] | None = None
    best: HpoExperiment | None = None
    running: int | None = None
    complete: int | None = None
    failed: int | None = None
    progress: str | None = None
    duration: str | None = None


@dataclass
class HpoTaskDetail(Model):
    input: HpoTaskInput | None = None
    searchGrid: searchGrid | None = None
    state: str | None = None
    creator: str | None = None
    createtime: str | None = None
