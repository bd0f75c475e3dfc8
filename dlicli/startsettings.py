"""`server start`'s options, remembered in <data_dir>/start.json for every later start. Typer-free.

`server start --port 9392 --slots 1` keeps them there, so the engine started after a stop, by a bare
`server start` or by any command that finds it not running, listens where profiles, DLICLI_URL and
dlicmd.py --rest-port scripts expect it, with the same slots, session hours and limits. An option
given again replaces its value (a repeatable one, its whole list); `server start --reset` forgets them
all. TLS and shared trust have files of their own (tls.json, trust.json) and flags to forget them
(--no-tls, --no-shared-trust).

`--port 0` is remembered as 0, "any free port at each start": a port the kernel picked is one of its
ephemeral ports, which an outgoing connection may hold by the next start, so pinning it would turn a
start that cannot fail into one that can. A stable URL is asked for with a port number.

The running engine's own options are read from its command line, so `server start` on a running
engine names only the options whose value its next start would change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dlicli import paths
from dlicli.errors import ConfigError
from dlicli.privatefiles import write_private

LIMITS = (
    "max_upload_bytes",
    "max_unpacked_bytes",
    "max_unpack_ratio",
    "max_tar_members",
    "max_job_num",
    "max_parallel_jobs",
    "max_grid",
    "max_tasks_per_user",
    "max_searches_per_user",
    "hpo_max_failures",
)
LISTS = ("plugin_root", "pass_env")
REMEMBERED = ("host", "port", "slots", "session_hours", *LIMITS, "gpus", *LISTS)
"""`server start` parameters that are serve options of the same name, in the order serve gets them."""

RESET_HINT = "give the option again to `dlicli server start`, or forget them all with `dlicli server start --reset`"
SHARED_TRUST = "none (shared trust)"  # engine.json's isolation when --shared-trust is in force


def flag(name: str) -> str:
    """serve's (and `server start`'s) option for a parameter name: max_job_num → --max-job-num."""
    return "--" + name.replace("_", "-")


def key(name: str) -> str:
    """start.json's and `server status --json`'s key: max_job_num → maxJobNum."""
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def _valid(name: str, value: Any) -> bool:
    if name in LISTS:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if name == "host":
        return isinstance(value, str) and bool(value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def remembered(ddir: Path) -> dict[str, Any]:
    """The options the next start uses, by parameter name ({}: the defaults). A key this release
    does not know (a newer one's) is left alone; a value of the wrong kind is a ConfigError."""
    path = ddir / paths.START_SETTING
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", hint=RESET_HINT) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a JSON object", hint=RESET_HINT)
    settings = {}
    for name in REMEMBERED:
        if key(name) in data:
            if not _valid(name, data[key(name)]):
                raise ConfigError(f"{path}: {key(name)} cannot be {data[key(name)]!r}", hint=RESET_HINT)
            settings[name] = data[key(name)]
    return settings


def remember(ddir: Path, given: dict[str, Any], *, reset: bool = False) -> dict[str, Any]:
    """Keep the options a `server start` was given (None: not given) over the remembered ones, or
    over none with `reset` → what the next start uses. Folders are kept absolute."""
    settings = {} if reset else remembered(ddir)
    for name in REMEMBERED:
        value = given.get(name)
        if value is None or value == "":
            continue
        if name == "plugin_root":
            value = [str(Path(root).expanduser().absolute()) for root in value]
        settings[name] = list(value) if name in LISTS else value
    path = ddir / paths.START_SETTING
    if settings:
        write_private(path, json.dumps({key(name): value for name, value in settings.items()}, indent=1) + "\n")
    else:
        path.unlink(missing_ok=True)
    return settings


def serve_args(settings: dict[str, Any]) -> list[str]:
    """serve's options for `settings` (by parameter name), in REMEMBERED's order."""
    out: list[str] = []
    for name in REMEMBERED:
        value = settings.get(name)
        if value is None:
            continue
        for item in value if name in LISTS else [value]:
            out += [flag(name), f"{item:g}" if isinstance(item, float) else str(item)]
    return out


def describe(status: dict[str, Any]) -> str:
    """`server status`'s NEXT START: the options the next start gets, as `server start` takes them."""
    given = status.get("nextStart") or {}
    words = serve_args({name: given[key(name)] for name in REMEMBERED if key(name) in given})
    words += ["--tls"] * bool(status.get("tlsNextStart")) + ["--shared-trust"] * bool(
        status.get("sharedTrustNextStart")
    )
    return " ".join(words) or "defaults"


def remember_shared_trust(ddir: Path, shared: bool | None) -> None:
    """`server start --[no-]shared-trust`, kept in trust.json: engine starts and user adds read it."""
    if shared is not None:
        ddir.mkdir(parents=True, exist_ok=True)
        path = ddir / paths.TRUST_SETTING
        if shared:
            path.write_text('{"sharedTrust": true}\n', encoding="utf-8")
        else:
            path.unlink(missing_ok=True)


def options_of(argv: list[str]) -> dict[str, list[str]]:
    """A serve command line's options: flag → its values in order ('' for a bare flag)."""
    found: dict[str, list[str]] = {}
    index = 0
    while index < len(argv):
        name, eq, value = argv[index].partition("=")
        if name.startswith("--"):
            if not eq and index + 1 < len(argv) and not argv[index + 1].startswith("--"):
                index, value = index + 1, argv[index + 1]
            found.setdefault(name, []).append(value)
        index += 1
    return found


def running_argv(pid: int) -> list[str]:
    """The command line of the engine process `pid` ([] when it cannot be read)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def changed(record: dict[str, Any], names: list[str], next_argv: list[str], shared_next: bool) -> list[str]:
    """The options among `names` (start's parameter names; "tls", "shared_trust" and their "no_" forms) whose value at
    the next start (`next_argv`, serve's command line) differs from the running engine's (`record`,
    its engine.json, and its command line)."""
    now, then = options_of(running_argv(record["pid"])), options_of(next_argv)
    differing = []
    for name in names:
        if name == "host":
            differ = (then.get("--host") or [paths.DEFAULT_HOST])[-1] != record.get("host")
        elif name == "port":
            differ = now.get("--port") != then.get("--port") and then.get("--port") != [str(record.get("port"))]
        elif name in ("tls", "no_tls"):
            differ = any(now.get(option) != then.get(option) for option in ("--tls", "--cert", "--key"))
        elif name in ("shared_trust", "no_shared_trust"):
            isolation = record.get("isolation")
            differ = isolation != "bwrap" and (isolation == SHARED_TRUST) != shared_next
        else:
            differ = now.get(flag(name)) != then.get(flag(name))
        if differ:
            differing.append(flag(name))
    return differing
