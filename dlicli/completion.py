"""Values for shell completion: task ids, HPO names, plans, algorithms, profiles from the server;
frameworks, states, log types and sort fields from fixed tables (`option_values`). Typer-free.

A TAB must never hang the shell, print anything or start the local engine. So a server lookup is
ONE GET with retries off, bounded at TIMEOUT seconds in all (resolving the connection included);
the local engine is asked only when it already runs (the non-starting path `dlicli status` uses);
and any failure at all means no candidates, with nothing on stderr.
"""

from __future__ import annotations

import io
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

TIMEOUT = 2.0
Candidate = tuple[str, str]  # (value, help that zsh and fish show beside it)


def _help(*parts: Any) -> str:
    return " ".join(str(p) for p in parts if p not in (None, ""))


def _tasks(data: Any) -> Iterator[Candidate]:
    for row in data if isinstance(data, list) else []:
        if isinstance(row, dict) and row.get("id"):
            yield str(row["id"]), _help(row.get("state"), row.get("appName"))


def _hpo_tasks(data: Any) -> Iterator[Candidate]:
    for row in data if isinstance(data, list) else []:
        if isinstance(row, dict) and row.get("hpoName"):
            yield str(row["hpoName"]), _help(row.get("state"))


def _algorithms(data: Any) -> Iterator[Candidate]:
    for row in data if isinstance(data, list) else []:
        if isinstance(row, dict) and row.get("name"):
            yield str(row["name"]), _help(row.get("type"))


def _plans(data: Any) -> Iterator[Candidate]:
    from dlicli import resplantree

    for _, row in resplantree.walk(resplantree.roots(data)):
        if row.name != resplantree.MISSING:
            yield row.name, row.path if row.path != row.name else ""


# kind → (the one GET, how its answer becomes candidates)
LOOKUPS: dict[str, tuple[str, Callable[[Any], Iterator[Candidate]]]] = {
    "tasks": ("/execs", _tasks),
    "hpo": ("/hypersearch", _hpo_tasks),
    "algorithms": ("/hypersearch/algorithm", _algorithms),
    "plans": ("/resplans/resplantree", _plans),
}


def _matching(candidates: Iterator[Candidate], incomplete: str) -> list[Candidate]:
    seen: dict[str, str] = {}
    for value, text in candidates:
        if value.startswith(incomplete) and value not in seen:
            seen[value] = text
    return list(seen.items())


def _fetch(path: str, deadline: float, connection: dict[str, Any]) -> Any:
    """GET `path` once on the resolved server; None when the local engine is not running."""
    from dlicli import localengine, paths
    from dlicli.client.http import HttpSession, tls_verify
    from dlicli.config import resolve_connection

    conn = resolve_connection(strict=False, **connection)
    if conn.local:  # the local engine is asked only when it runs: a TAB does not start it
        url, token, not_running = localengine.peek(paths.data_dir())
        if not_running:
            return None
        conn = conn.on_local_engine(url, token)
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    verify = tls_verify(conn.insecure, conn.ca_bundle, conn.url)
    with HttpSession(
        conn.url, conn.authorization, verify=verify, timeout=left, connect_timeout=left, retries=0
    ) as http:
        return http.call("GET", path, operation="complete")


def _bounded(work: Callable[[], Any], timeout: float) -> Any:
    """work() in a daemon thread, given up after `timeout` s (None then, or on any exception).

    Whatever the work writes to stderr (keyring's logging, warnings) is swallowed; when it is
    given up, stderr stays swallowed, since it may still write before the process exits.
    """
    box: list[Any] = []

    def target() -> None:
        try:
            box.append(work())
        except BaseException:  # noqa: BLE001 - completion is silent on every failure
            pass

    saved = sys.stderr
    sys.stderr = io.StringIO()
    worker = threading.Thread(target=target, name="dlicli-complete", daemon=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        worker.start()
        worker.join(max(0.0, timeout))
    if not worker.is_alive():
        sys.stderr = saved
    return box[0] if box else None


def server_values(
    kind: str,
    incomplete: str,
    *,
    url: str | None = None,
    profile: str | None = None,
    insecure: bool | None = None,
    ca_bundle: str | None = None,
    timeout: float = TIMEOUT,
) -> list[Candidate]:
    """The server's values of `kind` (a LOOKUPS key) starting with `incomplete`; [] on any failure."""
    deadline = time.monotonic() + min(timeout, TIMEOUT)
    try:
        path, extract = LOOKUPS[kind]
        import dlicli.client.http
        import dlicli.config
        import dlicli.localengine  # noqa: F401 - imported here, not in the bounded thread

        connection = {"url": url, "profile": profile, "insecure": insecure, "ca_bundle": ca_bundle}
        data = _bounded(lambda: _fetch(path, deadline, connection), deadline - time.monotonic())
        return _matching(extract(data), incomplete) if data is not None else []
    except Exception:  # noqa: BLE001 - completion is silent on every failure
        return []


# -- option values: fixed tables, no request ---------------------------------------------------


def _sort_values(*fields: str) -> tuple[Candidate, ...]:
    """Each field ascending, then `-field` descending (what --sort takes)."""
    return tuple((f, "ascending") for f in fields) + tuple((f"-{f}", "descending") for f in fields)


def _states(states: tuple[str, ...], final: tuple[str, ...]) -> tuple[Candidate, ...]:
    return tuple((s, "final" if s in final else "active") for s in states)


def _option_values() -> dict[tuple[str, str], tuple[Candidate, ...]]:
    """(command path below dlicli, option) → its values. Sort fields are the keys of each list's
    SORT_FIELDS (not imported: completion stays light; tests/test_completion_values.py keeps them
    equal); states and frameworks from dlicli.wmla."""
    from dlicli import wmla

    frameworks = tuple((name, "WMLA framework") for name in wmla.FRAMEWORKS)
    exec_states = _states(wmla.EXEC_ACTIVE_STATES + wmla.EXEC_FINAL_STATES, wmla.EXEC_FINAL_STATES)
    hpo_states = _states(wmla.HPO_STATES, wmla.HPO_FINAL_STATES)
    app_states = _states(wmla.APP_STATES, wmla.APP_FINAL_STATES)
    return {
        ("exec start", "--framework"): frameworks,
        ("hpo start", "--framework"): frameworks,
        ("exec list", "--state"): exec_states,
        ("hpo list", "--state"): hpo_states,
        ("scheduler apps", "--state"): app_states,
        ("exec list", "--sort"): _sort_values("created", "state", "duration", "id", "name", "search", "framework"),
        ("hpo list", "--sort"): _sort_values("created", "name", "state", "duration", "best"),
        ("scheduler apps", "--sort"): _sort_values(*wmla.APP_SORT_FIELDS),
        ("hpo algorithm list", "--type"): (("BUILD_IN", "built-in algorithms"), ("USER_PLUGIN", "installed plugins")),
        ("scheduler logs", "--type"): (
            ("stdout", "the output log"),
            ("stderr", "the error log"),
            ("launcherlog", "the launcher's log"),
        ),
    }


VALUE_OPTIONS = ("--framework", "--state", "--type", "--sort")
"""The options whose values complete from _option_values, wherever they are declared."""


def option_values(command: str, option: str, incomplete: str) -> list[Candidate]:
    """The values of `option` of `command` ("exec list") starting with `incomplete` in any case
    (states and frameworks are matched in any case); [] for an option without a table."""
    wanted = incomplete.lower()
    return [(v, h) for v, h in _option_values().get((command, option), ()) if v.lower().startswith(wanted)]


def profile_names(incomplete: str) -> list[Candidate]:
    """Profiles of config.yaml starting with `incomplete` (their URL as help); [] on any failure."""
    try:
        from dlicli.config import Config

        cfg = Config.load()
        return _matching(((name, p.url) for name, p in sorted(cfg.profiles.items())), incomplete)
    except Exception:  # noqa: BLE001 - completion is silent on every failure
        return []
