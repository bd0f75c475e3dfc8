"""IBM dlicmd.py's options as data: the commands and how many values each takes, the option
spellings it accepted (aliases mapped to one name), what `--exec-start` passes on to the server,
what dlicli does not take (with what to use instead), the native command of the plain ones, what
value each option wants (for the error when it has none), and which options go with which command.
`dlicmdargs` parses with these tables. Its submit options' spellings are `dlicli.wmla`'s.
"""

from __future__ import annotations

from dlicli.wmla import DLICMD_SUBMIT_OPTIONS, WMLA_ARG_KINDS

# dlicmd command → how many values it takes: 0, 1 or "+" (one or more).
COMMANDS: dict[str, int | str] = {
    "--logon": 0,
    "--dl-frameworks": 0,
    "--exec-start": 1,
    "--exec-get": 1,
    "--exec-get-all": 0,
    "--exec-stop": 1,
    "--exec-delete": 1,
    "--exec-delete-all": 0,
    "--exec-deploy": 1,
    "--exec-trainlogs": 1,
    "--exec-trainoutlogs": 1,
    "--exec-trainerrlogs": 1,
    "--exec-trainresult": 1,
    "--exec-outlogs": 1,
    "--exec-errlogs": 1,
    "--exec-launcherlogs": 1,
    "--hpo-start": 1,
    "--hpo-get": 1,
    "--hpo-get-all": 0,
    "--hpo-stop": "+",
    "--hpo-restart": 1,
    "--hpo-delete": "+",
    "--hpo-delete-all": 0,
    "--hpo-algorithm-get-all": 0,
    "--hpo-algorithm-get": 1,
    "--hpo-algorithm-delete": 1,
    "--rp-get-all": 0,
    "--rp-get": 1,
    "--rp-delete": 1,
}

# Options that take a value; the alias spellings dlicmd accepted map to one name.
CONNECTION = {
    "--rest-host": "--rest-host",
    "--master-host": "--rest-host",
    "--rest-port": "--rest-port",
    "--dli-rest-port": "--rest-port",
    "--rest-protocol": "--rest-protocol",
    "--jwt-token": "--jwt-token",
    "--username": "--username",
    "--query-args": "--query-args",
    "--debug-level": "--debug-level",
    "-o": "-o",
    "--output": "-o",
}
SUBMIT = {
    "--model-main": "--model-main",
    "--model-dir": "--model-dir",
    "--data-source": "--data-source",
    "--conda-env-yaml": "--conda-env-yaml",  # a local file, uploaded as a further part `file`
    "--conda-package": "--conda-package",
    **DLICMD_SUBMIT_OPTIONS,
}
DEPLOY = ("--name", "--runtime", "--kernel", "--weight", "--tag", "--attributes", "--envs")
FLAGS = ("--http", "--debug", "--password-stdin")  # dlicli's additions that take no value

# WMLA's other submit options (the one table, `wmla.WMLA_ARGS`): dlicli has no flag for them, so
# (like dlicmd) they go to the server verbatim inside the `args` query, through `--wmla-args`.
# --debug-level is dlicmd's own client setting (CONNECTION).
SUBMIT_PASSTHROUGH = frozenset(
    name for name in WMLA_ARG_KINDS if name not in SUBMIT and name not in ("--exec-start", "--debug-level")
)
SECRET_PASSTHROUGH = frozenset(name for name, kind in WMLA_ARG_KINDS.items() if kind == "secret")

# dlicmd options dlicli does not take, with what to use instead (None: nothing in the API).
NOT_SUPPORTED: dict[str, str | None] = {
    "--password": "`dlicli dlicmd --logon --username U --password-stdin` (the password on stdin), or leave it out to be asked",
    "--logoff": "dlicli logout",
    "--status": "dlicli status",
    "--app-get-all": "dlicli scheduler apps --state RUNNING",
    "--app-history-get-all": "dlicli scheduler apps --state FINISHED",
    "--app-get": "dlicli scheduler apps --id APPID",
    "--app-outlogs": "dlicli scheduler logs APPID",
    "--app-errlogs": "dlicli scheduler logs APPID --type stderr",
    "--app-launcherlogs": "dlicli scheduler logs APPID --type launcherlog",
    "--app-wait": "dlicli scheduler logs APPID --follow",
    "--app-analyze": "dlicli scheduler stats",
    "--app-stop": None,
    "--app-stop-all": None,
    "--pj-get-all": None,
    "--k8s-obj-get-all": None,
    "--k8s-obj-get": None,
    "--app-search-start": "dlicli scheduler apps --start N",
    "--app-search-length": "dlicli scheduler apps --length N",
}

DATA_COMMANDS = frozenset(
    {
        "--dl-frameworks",
        "--exec-start",
        "--exec-get",
        "--exec-get-all",
        "--exec-deploy",
        "--hpo-start",
        "--hpo-get",
        "--hpo-get-all",
        "--hpo-algorithm-get-all",
        "--hpo-algorithm-get",
        "--rp-get-all",
        "--rp-get",
    }
)
APP_LOG_TYPES = {"--exec-outlogs": "stdout", "--exec-errlogs": "stderr", "--exec-launcherlogs": "launcherlog"}


# dlicmd command → (its dlicli command, the options after the values), for the commands that
# translate plainly; the values (an id, names) are dlicmd's own, placed by dlicmdargs.
SIMPLE: dict[str, tuple[list[str], list[str]]] = {
    "--dl-frameworks": (["exec", "frameworks"], []),
    "--exec-get": (["exec", "get"], []),
    "--exec-get-all": (["exec", "list"], ["--all"]),  # dlicmd.py lists every task, experiments too
    "--exec-stop": (["exec", "stop"], []),
    "--exec-delete": (["exec", "delete"], []),
    "--exec-delete-all": (["exec", "delete"], ["--all", "--yes"]),
    "--exec-trainoutlogs": (["exec", "logs"], ["--stdout"]),
    "--exec-trainerrlogs": (["exec", "logs"], ["--stderr"]),
    "--exec-trainresult": (["exec", "result"], []),
    "--hpo-start": (["hpo", "start"], []),
    "--hpo-get": (["hpo", "get"], []),
    "--hpo-get-all": (["hpo", "list"], []),
    "--hpo-stop": (["hpo", "stop"], []),
    "--hpo-restart": (["hpo", "restart"], []),
    "--hpo-delete": (["hpo", "delete"], []),
    "--hpo-delete-all": (["hpo", "delete"], ["--all", "--yes"]),
    "--hpo-algorithm-get-all": (["hpo", "algorithm", "list"], []),
    "--hpo-algorithm-get": (["hpo", "algorithm", "get"], []),
    "--hpo-algorithm-delete": (["hpo", "algorithm", "delete"], []),
    "--rp-get-all": (["resplan", "tree"], []),
    "--rp-get": (["resplan", "get"], []),
    "--rp-delete": (["resplan", "delete"], ["--yes"]),
}

# What value each option wants, for the error when it has none (the others: by WMLA_ARG_KINDS).
_TASK, _SEARCH = "a task ID", "a search name"
VALUE_OF: dict[str, str] = {
    "--exec-start": "a framework name, e.g. PyTorch",
    **dict.fromkeys(("--exec-get", "--exec-stop", "--exec-delete", "--exec-deploy", "--exec-trainresult"), _TASK),
    **dict.fromkeys(
        (f"--exec-{log}logs" for log in ("train", "trainout", "trainerr", "out", "err", "launcher")), _TASK
    ),
    "--hpo-start": "a search spec JSON file",
    **dict.fromkeys(("--hpo-get", "--hpo-restart"), _SEARCH),
    **dict.fromkeys(("--hpo-stop", "--hpo-delete"), "one or more search names"),
    **dict.fromkeys(("--hpo-algorithm-get", "--hpo-algorithm-delete"), "an algorithm name"),
    **dict.fromkeys(("--rp-get", "--rp-delete"), "a resource plan name"),
    "--rest-host": "a host name, e.g. wmla.example.com",
    "--rest-port": "a port number, or -1 for none",
    "--rest-protocol": "http or https",
    "--jwt-token": "a token",
    "--username": "a user name",
    "--query-args": "k=v&k2=v2",
    "--debug-level": "debug, info, warn or error",
    "-o": "json, table or yaml",
    "--model-main": "the model's main file, e.g. main.py",
    "--model-dir": "the model's directory",
    "--data-source": "a data source as JSON",
    "--conda-env-yaml": "a conda environment file",
    "--conda-package": "a conda package file",
    "--conda-env-name": "a conda environment name",
    "--cs-datastore-meta": "the datastore's meta, e.g. type=fs",
    "--appName": "an application name",
    "--name": "the deployed model's name",
    "--kernel": "a kernel file",
    "--runtime": "a runtime name",
    "--weight": "a weight file",
    "--tag": "a tag",
    "--attributes": "k=v,k=v",
    "--envs": "k=v,k=v",
}
_KIND_VALUE = {"int": "a whole number", "list": "a KEY=VALUE item", "secret": "a secret"}


def value_of(name: str) -> str:
    """What `name` (a dlicmd option that takes a value, any spelling) wants, in a few words."""
    canonical = CONNECTION.get(name) or name
    if canonical in VALUE_OF:
        return VALUE_OF[canonical]
    kind = WMLA_ARG_KINDS.get(name, "str")
    if kind.startswith("choice:"):
        *first, last = kind.removeprefix("choice:").split("|")
        return f"{', '.join(first)} or {last}"
    return _KIND_VALUE.get(kind, "the value WMLA takes for it")


# Every option name dlicmd.py's parser knew: a word that starts with one (before any `=`) is an option.
KNOWN = frozenset((*COMMANDS, *CONNECTION, *SUBMIT, *DEPLOY, *FLAGS, *SUBMIT_PASSTHROUGH, *NOT_SUPPORTED))


# Which options each command may take besides the connection ones (a stray one is an error).
ALLOWED: dict[str, frozenset[str]] = {
    "--exec-start": frozenset(SUBMIT.values()) | {"-o", "passthrough"},
    "--exec-deploy": frozenset(DEPLOY) | {"-o"},
    "--hpo-start": frozenset({"--model-dir", "-o"}),
    "--logon": frozenset({"--username"}),
    "--exec-get-all": frozenset({"--query-args", "-o"}),
    "--hpo-get-all": frozenset({"--query-args", "-o"}),
}
COMMON = frozenset({"--rest-host", "--rest-port", "--rest-protocol", "--jwt-token", "--debug-level", "-o"})
