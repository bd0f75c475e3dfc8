"""WMLA's vocabulary as data: field spellings and their aliases, value spellings, algorithm names,
task states, and the submit options' dlicmd spellings. One table for the CLI (hpospec/, execwatch,
dlicmd), the client and the local engine; standard library only, so any of them imports it cheaply.

Sources: the spec (`spec/dlpd-rest-api-v1.txt`: model field names such as `maxParalleJobNum`,
`hyperbandEta` and its typo `discreateStrVal`), the startHPO `data` text and WMLA's HPO docs (the
short spellings `maxParalleJob` and `eta`, `objectiveMetric`, algoParams), IBM's dlicmd.py (the
`args` option spellings) and the state lists in the WMLA docs (DESIGN.md, "Wire rules").
"""

from __future__ import annotations

from typing import Any

# -- field spellings -------------------------------------------------------------------------------

TOP_KEYS = ("hpoName", "modelSpec", "algoDef", "hyperParams", "experiments", "modelName", "resDef")
"""startHPO's body (HpoTaskInput, as the startHPO data text spells it)."""
MODEL_SPEC_KEYS = ("args", "dataSource", "sigName")
"""modelSpec: the spec's args and dataSource, and `sigName`, the Spark instance group WMLA runs the
experiments in (every IBM HPO notebook sends it; the local engine has no instance groups and
ignores it, as it does `--ig`)."""
ALGO_DEF_KEYS = (
    "algorithm",
    "maxRunTime",
    "maxJobNum",
    "maxParalleJob",
    "maxParalleJobNum",
    "objectiveMetric",
    "objective",
    "additionalMetrics",
    "algoParams",
    "eta",
    "hyperbandEta",
)
"""algoDef: the spec's fields, the data text's `objectiveMetric`, the short aliases, and dlicli's
`additionalMetrics` ({metric: minimize|maximize|latest})."""
HYPER_PARAM_KEYS = (
    "name",
    "type",
    "dataType",
    "minDbVal",
    "maxDbVal",
    "minIntVal",
    "maxIntVal",
    "discreteDbVal",
    "discreteIntVal",
    "discreateStrVal",
    "discreteStrVal",
    "step",
    "power",
    "userDefined",
    "fixedVal",
)
"""HpoHyperParameter's fields, with both spellings of the string list."""
EXPERIMENT_KEYS = ("id", "hyperParams")
"""An ExperimentGridSearch experiment (searchExperiment; the spec names the list fixedHyperParams)."""
FIXED_PARAM_KEYS = ("name", "dataType", "fixedVal")

ALGO_DEF_ALIASES = {"maxParalleJob": "maxParalleJobNum", "eta": "hyperbandEta"}
"""algoDef: WMLA's docs and the startHPO data text write maxParalleJob and eta; the spec's
model names them maxParalleJobNum and hyperbandEta."""
HYPER_PARAM_ALIASES = {"discreteStrVal": "discreateStrVal"}
"""hyperParams: the spec misspells discreteStrVal, and a WMLA server reads only its own spelling."""
ALIASES = {**ALGO_DEF_ALIASES, **HYPER_PARAM_ALIASES}
"""Every other spelling → the spec's."""
ALIASES_OF = {canonical: alias for alias, canonical in ALIASES.items()}
"""The spec's spelling → the other one."""

DISCRETE_KEY = {"int": "discreteIntVal", "double": "discreteDbVal", "str": "discreateStrVal"}
"""A Discrete parameter's list of values, by dataType."""
RANGE_KEYS = {"int": ("minIntVal", "maxIntVal"), "double": ("minDbVal", "maxDbVal")}
"""A Range parameter's bounds, by dataType."""


def normalise_keys(obj: dict[str, Any], known: tuple[str, ...], *, fold_aliases: bool = False) -> dict[str, Any]:
    """`obj` with every key in `known` spelled as there (any case accepted); other keys as written.
    Aliases stay separate keys (read them with `aliased`) unless `fold_aliases`: then they become
    the spec's spelling (the later key wins when both are given)."""
    lookup = {k.lower(): ALIASES.get(k, k) if fold_aliases else k for k in known}
    return {lookup.get(str(k).lower(), k): v for k, v in obj.items()}


def aliased(obj: dict[str, Any], field: str, default: Any = None) -> Any:
    """The value of the spec's `field`, else of its alias (`maxParalleJobNum`, else `maxParalleJob`)."""
    if field in obj:
        return obj[field]
    return obj.get(ALIASES_OF.get(field, ""), default)


# -- value spellings -------------------------------------------------------------------------------

HP_TYPES = ("range", "discrete")
"""A hyperparameter's `type`, any case (WMLA writes Range and Discrete); what the spec checker takes."""
HP_TYPE_NAMES = {"range": "Range", "discrete": "Discrete", "fix": "Fix", "fixed": "Fix"}
"""Every `type` the engine reads → its name there; `fix`/`fixed` (one value) is the engine's own tolerance."""
DATA_TYPES = ("int", "double", "str", "string")
"""A hyperparameter's `dataType`, any case, as the spec checker takes it: the spec's three, and STRING
as IBM's own published request bodies write it (WMLA takes it)."""
DATA_TYPE_NAMES = {"double": "DOUBLE", "float": "DOUBLE", "int": "INT", "integer": "INT", "str": "STR", "string": "STR"}
"""Every `dataType` the engine reads (float and integer are its own tolerance) → what a WMLA plugin
receives."""
OBJECTIVES = ("minimize", "maximize")
"""algoDef.objective, any case (WMLA writes Minimize/Maximize)."""
METRIC_STRATEGIES = ("minimize", "maximize", "latest")
"""additionalMetrics' values; anything else counts as latest."""


def lower(value: Any) -> str:
    """A value compared case-insensitively: stripped and lower-cased ("" for None)."""
    return str(value if value is not None else "").strip().lower()


def hp_type(value: Any) -> str | None:
    """Range | Discrete | Fix for any spelling the engine reads; None otherwise."""
    return HP_TYPE_NAMES.get(lower(value))


def data_type(value: Any) -> str | None:
    """DOUBLE | INT | STR for any spelling the engine reads; None otherwise."""
    return DATA_TYPE_NAMES.get(lower(value))


RESOURCE_DATA_TYPE = "str"
"""The dataType WMLA's answers give a parameter the request did not declare: Hyperband's resource
(IBM's recorded WMLA-HPO-state.ipynb output: `epochs`, "str", fixedVal "1")."""


def answered_data_type(declared: Any) -> str:
    """A parameter's dataType as WMLA's answers (HpoExperiment.hyperParams) write it: the request's
    own spelling lower-cased (IBM's recorded outputs: DOUBLE → double, STRING → string), the
    engine's float and integer as double and int; RESOURCE_DATA_TYPE when none was declared.
    Readers take any of these through `data_type`."""
    if lower(declared) in DATA_TYPES:
        return lower(declared)
    canonical = data_type(declared)
    return canonical.lower() if canonical else RESOURCE_DATA_TYPE


def objective(value: Any) -> str | None:
    """minimize | maximize in any case; None otherwise."""
    return lower(value) if lower(value) in OBJECTIVES else None


def metric_strategy(value: Any) -> str:
    """minimize | maximize | latest (anything else is latest, as the spec says)."""
    return lower(value) if lower(value) in METRIC_STRATEGIES else "latest"


# -- algorithms ------------------------------------------------------------------------------------

GRID = "ExperimentGridSearch"
ASHA = "ASHA"
BUILTIN_ALGORITHMS = ("Random", "Tpe", "Bayesian", "Hyperband", ASHA, GRID)
"""WMLA's built-in search algorithms, spelled as WMLA does (ASHA is this engine's addition, asynchronous
successive halving as Katib and Ray Tune offer it); requests may use any case."""
ETA_PARAMS = ("eta", "hyperbandEta")
"""Hyperband's (and ASHA's) eta: an algoDef field or an algoParams entry under either name."""
MIN_RESOURCE_PARAM = "MinResourceValue"
"""ASHA's lowest rung's resource, named after WMLA's ResourceValue (AWS SageMaker says MinResource)."""


def builtin_algorithm(name: Any) -> str | None:
    """A built-in algorithm's WMLA spelling for `name` in any case; None for any other name."""
    return next((a for a in BUILTIN_ALGORITHMS if a.lower() == lower(name)), None)


# -- frameworks ------------------------------------------------------------------------------------

FRAMEWORKS = ("PyTorch", "tensorflow", "distPyTorch", "disttensorflow", "edtPyTorch", "XGboost", "python", "caffe")
"""`--exec-start` / `--framework` names in WMLA's spelling (matched in any case): what GET
/execs/frameworks lists on WMLA and on the local engine (which refuses caffe)."""

# -- states ----------------------------------------------------------------------------------------

EXEC_ACTIVE_STATES = (
    "NEW",
    "SUBMITTED",
    "PENDING_JOB_SCHEDULER",
    "PENDING_CRD_SCHEDULER",
    "LAUNCHING",
    "RUNNING",
    "RECOVERING",
    "UNKNOWN",
    "WAITING",
)
"""A Batch (exec task) still to end; a state the client does not know also counts as active."""
EXEC_FINAL_STATES = ("FINISHED", "KILLED", "ERROR", "FAILED")
"""A Batch that ended; a wait ends on every one of them."""
HPO_STATES = ("SUBMITTED", "RUNNING", "FINISHED", "FAILED", "STOPPED", "RECOVERPEND")
"""An HPO task's states (HpoTaskState.state)."""
HPO_ACTIVE_STATES = ("SUBMITTED", "RUNNING", "RECOVERPEND")
HPO_FINAL_STATES = ("FINISHED", "FAILED", "STOPPED")
EXPERIMENT_STATES = ("NOTRUN", "SUBMITTED", "RUNNING", "FINISHED", "FAILED", "STOPPED", "KILLED", "ERROR")
"""An HPO experiment's states (HpoExperiment.state)."""
EXPERIMENT_ACTIVE_STATES = ("NOTRUN", "SUBMITTED", "RUNNING")
EXPERIMENT_FAILED_STATES = ("FAILED", "ERROR")
FAILED_STATES = ("FAILED", "ERROR")
"""Any task that ended in failure (exit code 10)."""
STOPPED_STATES = ("KILLED", "STOPPED")
"""Any task that was stopped (exit code 11)."""
STATE_MEANINGS = {
    "RECOVERPEND": "the search waits to recover after a restart of the HPO service; it resumes from its saved state",
    "PENDING_CRD_SCHEDULER": "waiting for the Kubernetes scheduler to place it",
    "PENDING_JOB_SCHEDULER": "waiting for the job scheduler to give it resources",
    "RECOVERING": "being recovered after a failure; it runs on",
    "UNKNOWN": "the scheduler cannot say its state; it may still run",
}
"""What a state the CLI does not treat as final means (shown beside it, so a wait says what it
waits for); any other PENDING_* state is a wait for a scheduler (`state_meaning`)."""


def state_meaning(state: Any) -> str | None:
    """A word on what a non-final state means, or None for the plain and the final ones."""
    upper = str(state or "").strip().upper()
    if upper in STATE_MEANINGS:
        return STATE_MEANINGS[upper]
    if upper.startswith("PENDING"):
        return "waiting for a scheduler to run it"
    return None


FAILED_METRIC_SENTINEL = 9999.99
"""The metricVal WMLA records for an HPO experiment that failed: never a result, never the best."""
APP_FINAL_STATES = (
    "FINISHED",
    "FAILED",
    "KILLED",
    "ERROR",
    "STOPPED",
    "COMPLETED",
    "DONE",
    "CANCELLED",
    "CANCELED",
)
"""A scheduler application that ended: the task states plus the spellings other schedulers
report through /scheduler/applications."""
APP_STATES = EXEC_ACTIVE_STATES + APP_FINAL_STATES
"""Every state `scheduler apps --state` takes (and completes): a task's active ones and every final
spelling."""
APP_SORT_FIELDS = {
    "submitted": "submittedtime",
    "id": "applicationid",
    "name": "applicationname",
    "state": "state",
    "user": "username",
    "duration": "apprunduration",
    "slots": "slots",
    "cores": "coresused",
    "mem": "memused",
    "framework": "dltype",
}
"""`scheduler apps --sort`: a column's name (as `scheduler apps` heads it) → the ApplicationDetail
field the server sorts by (getApplications' `sort`). The server's own names are taken as well."""


# -- submit options --------------------------------------------------------------------------------

SUBMIT_OPTIONS = {
    "--cs-datastore-meta": "--cs-datastore-meta",
    "--num-worker": "--numWorker",
    "--worker-device-num": "--workerDeviceNum",
    "--app-name": "--appName",
    "--conda-env-name": "--conda-env-name",
}
"""dlicli's `exec start` option → dlicmd.py's spelling inside the `args` query."""
DLICMD_SUBMIT_OPTIONS = {dlicmd: option for option, dlicmd in SUBMIT_OPTIONS.items()}
"""dlicmd.py's spelling → dlicli's option."""

# Every option WMLA takes in a task's `args` (IBM dlicmd.py's exec-start options, the ones IBM's HPO
# tutorials write, and dlicli's own), as (option, kind, what the local engine does with it).
# kind: "str" | "int" | "flag" (no value) | "list" (repeatable) | "choice:a|b" | "secret" (a value
# never shown). The effect — runs (the engine needs it), acts (it does something on one machine),
# ignored (an event says so), refused (400) — is documented in docs/wmla-compatibility.md.
WMLA_ARGS: tuple[tuple[str, str, str], ...] = (
    ("--exec-start", "str", "runs: the framework"),
    ("--model-main", "str", "runs: the main file, run with the task's python"),
    ("--model-dir", "str", "runs: the uploaded directory's name"),
    ("--numWorker", "int", "acts: that many worker processes for distributed frameworks"),
    ("--workerDeviceNum", "int", "acts: GPUs per worker, given in CUDA_VISIBLE_DEVICES"),
    ("--gpuPerWorker", "int", "acts: GPUs per worker, given in CUDA_VISIBLE_DEVICES"),
    ("--workerDeviceType", "choice:cpu|gpu", "acts: cpu hides every GPU (CUDA_VISIBLE_DEVICES empty)"),
    ("--workerMemory", "str", "acts: a memory limit on each worker process"),
    ("--workerMemoryLimit", "str", "acts: a memory limit on each worker process"),
    ("--workerCPULimit", "str", "ignored: the local engine gives each worker one slot"),
    ("--workerGPULimit", "str", "ignored: GPUs come from --workerDeviceNum"),
    ("--numPs", "int", "ignored: no parameter servers on one machine"),
    ("--numDriver", "int", "ignored: the local engine runs no separate driver"),
    ("--driverDeviceType", "choice:cpu|gpu", "ignored: the local engine runs no separate driver"),
    ("--driverDeviceNum", "str", "ignored: the local engine runs no separate driver"),
    ("--driverMemory", "str", "ignored: the local engine runs no separate driver"),
    ("--driverCPULimit", "str", "ignored: the local engine runs no separate driver"),
    ("--driverGPULimit", "str", "ignored: the local engine runs no separate driver"),
    ("--driverMemoryLimit", "str", "ignored: the local engine runs no separate driver"),
    ("--appName", "str", "acts: the task's application name"),
    ("--consumer", "str", "ignored: no consumer tree on the local engine"),
    ("--submit-user", "str", "ignored: tasks run as the engine's user"),
    ("--ig", "str", "ignored: no instance groups on the local engine"),
    ("--conda-env-name", "str", "acts: the python of that conda env, when it exists here"),
    ("--conda-home", "str", "acts: where to look for --conda-env-name's env"),
    ("--conda-env-yaml", "str", "acts: the uploaded file is kept in the task dir (not applied)"),
    ("--conda-package", "str", "acts: the uploaded file is kept in the task dir (not installed)"),
    ("--python-version", "str", "acts: that python (pythonX.Y on PATH) when present"),
    ("--cs-datastore-meta", "str", "acts: data_path=… sets DATA_DIR under the engine's data root"),
    ("--data-source", "str", "acts: an fs data source sets DATA_DIR"),
    ("--cs-rmq-meta", "str", "ignored: no metric forwarding on the local engine"),
    ("--cs-url-meta", "str", "ignored: no metric forwarding on the local engine"),
    ("--cs-url-bearer", "secret", "ignored: no metric forwarding on the local engine"),
    ("--msd-env", "list", "acts: NAME=VALUE is set in the task's environment"),
    ("--msd-attr", "list", "ignored: no pods on the local engine"),
    ("--msd-label", "list", "ignored: no pods on the local engine"),
    ("--msd-image-name", "str", "ignored: no pods on the local engine"),
    ("--msd-image-pull-secret", "str", "ignored: no pods on the local engine"),
    ("--msd-image-pull-policy", "choice:Always|Never|IfNotPresent", "ignored: no pods on the local engine"),
    ("--msd-priority", "int", "ignored: the local engine queues in submission order"),
    ("--msd-task0-node-selector", "str", "ignored: no pods on the local engine"),
    ("--msd-task12n-node-selector", "str", "ignored: no pods on the local engine"),
    ("--msd-pending-timeout", "int", "ignored: tasks wait until slots are free"),
    ("--msd-podaffinity-rule", "str", "ignored: no pods on the local engine"),
    ("--msd-podaffinity-topology-key", "str", "ignored: no pods on the local engine"),
    ("--msd-pack-id", "str", "ignored: no pods on the local engine"),
    ("--sc-runasuser", "int", "ignored: tasks run as the engine's user"),
    ("--sc-runasgroup", "int", "ignored: tasks run as the engine's user"),
    ("--sc-fsgroup", "int", "ignored: tasks run as the engine's user"),
    ("--lsf-gpu-syntax", "str", "ignored: no LSF on the local engine"),
    ("--edt-options", "str", "acts: edtPyTorch without --numWorker runs maxWorkers workers (elastic range fixed)"),
    ("--user-cmd", "flag", "acts: the command after -- runs instead of --model-main"),
    ("--pbmodel-name", "str", "refused: no prebuilt-model library on the local engine"),
    ("--pbmodel-cmd", "str", "refused: no prebuilt-model library on the local engine"),
    ("--debug-level", "choice:debug|info|warn|error", "ignored: a dlicmd.py client setting"),
    ("--resplan", "str", "acts: the task's resource plan (dlicli)"),
    ("--resource-plan", "str", "acts: the task's resource plan (dlicli)"),
)
WMLA_ARG_KINDS = {name: kind for name, kind, _ in WMLA_ARGS}
"""A WMLA args option → its kind; an option not here belongs to the model."""
WMLA_ARG_EFFECTS = {name: effect for name, _, effect in WMLA_ARGS}
"""A WMLA args option → what the local engine does with it ("acts: …", "ignored: …" …)."""


# -- answers ---------------------------------------------------------------------------------------


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
