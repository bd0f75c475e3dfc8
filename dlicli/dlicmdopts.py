"""IBM dlicmd.py's options as data: the commands and how many values each takes, the option
spellings it accepted (aliases mapped to one name), what `--exec-start` passes on to the server,
what dlicli does not take (with what to use instead), and which options go with which command.
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
    "--password": "dlicli prompts for it; or pipe it with `dlicli login --username U --password-stdin`",
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
