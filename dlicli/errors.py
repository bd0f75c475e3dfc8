"""Every failure dlicli reports, and the one table that turns it into an exit code.

Library code (client, config, modeldir …) raises these; only `cli/app.py` catches them,
prints one `error:` line and exits with `exit_code_for(exc)`. The client's errors carry no
hint: the CLI adds one by error type (`cli/hints.py`).
"""

from __future__ import annotations

import enum
import re
from typing import NamedTuple
from urllib.parse import unquote


class ExitCode(enum.IntEnum):
    """The exit codes of DESIGN.md: a script can trust them."""

    OK = 0
    ERROR = 1  # unexpected, or the server failed (500)
    USAGE = 2  # bad usage or invalid input, caught before any request (or a 400 from the server); not confirmed
    NOT_FOUND = 3  # 404, and the spec's 400 "cannot find"
    UNAUTHENTICATED = 4  # 401, or no credentials at all
    FORBIDDEN = 5  # 403
    CONFLICT = 6  # 409
    UNAVAILABLE = 7  # cannot connect, timed out, busy: 502/503/504 after retries, 429
    STILL_RUNNING = 8  # --timeout ran out while the task still ran
    PROTOCOL = 9  # the server's answer is not what the API returns (not JSON, wrong shape, a web page)
    TASK_FAILED = 10  # the task ended FAILED or ERROR
    TASK_KILLED = 11  # the task ended KILLED or STOPPED
    INTERRUPTED = 130  # Ctrl-C: a follow or wait detaches, the task runs on


class DlicliError(Exception):
    """Base of every error dlicli reports. `hint` says what to do about it."""

    exit_code: ExitCode = ExitCode.ERROR
    detail: str = ""  # what lies behind the message (operation id, URL), shown under --debug only

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(DlicliError):
    """Invalid input found before any request was sent."""

    exit_code = ExitCode.USAGE


class ConfigError(DlicliError):
    """The configuration or a profile is missing or broken."""

    exit_code = ExitCode.USAGE


class CredentialsError(DlicliError):
    """No credentials, or no place to keep them."""

    exit_code = ExitCode.UNAUTHENTICATED


class NotFoundError(DlicliError):
    exit_code = ExitCode.NOT_FOUND


class ConnectError(DlicliError):
    """The server could not be reached, or did not answer in time."""

    exit_code = ExitCode.UNAVAILABLE


class CannotConnect(ConnectError):
    """No connection to the server could be made (after retries)."""


class RequestTimedOut(ConnectError):
    """The server did not answer within the read or connect timeout."""


class DeadlineExceeded(RequestTimedOut):
    """The whole call (every try, every backoff) ran past its deadline without an answer."""


class TLSHandshakeFailed(ConnectError):
    """The TLS handshake failed, e.g. an untrusted certificate: retrying cannot fix it."""


class PlainHTTPServer(TLSHandshakeFailed):
    """An https:// URL whose server answered the TLS handshake in plain HTTP."""


class BlankIdentifier(UsageError, ValueError):
    """An id or name that is empty or only whitespace: `/execs/` + "" would name every task."""


def require_identifier(value: object, what: str = "id") -> str:
    """`value` as a path segment's text; a blank one is a usage error, never a shorter path."""
    text = str(value)
    if not text.strip():
        raise BlankIdentifier(f"the {what} is empty" if not text else f"the {what} is only whitespace: {text!r}")
    return text


class ProtocolError(DlicliError):
    """The server answered, but not with what the operation returns: an HTML page, text where JSON
    belongs, a list where an object belongs, a create answer without an id. Never a success."""

    exit_code = ExitCode.PROTOCOL


class BadCredentialValue(ConfigError):
    """A token or password that cannot go into an HTTP header (a newline, a non-ASCII character)."""


class InvalidURL(UsageError):
    """A server URL that is empty or not scheme://host[:port][/path]."""


class CABundleError(UsageError):
    """A CA bundle file that cannot be read or is not PEM."""


class WaitTimeout(DlicliError):
    """`--timeout` ran out while a task was still running."""

    exit_code = ExitCode.STILL_RUNNING


class TaskOutcome(DlicliError):
    """A task that was waited on ended badly; the exit code says how."""

    def __init__(self, message: str, exit_code: ExitCode, hint: str | None = None):
        super().__init__(message, hint)
        self.exit_code = exit_code


class APIError(DlicliError):
    """The server answered with an error status, said in plain words: "task 123 not found",
    "could not delete task 123: <the server's words> (HTTP 500)".

    Carries what a script or a person needs: the HTTP status, the operation (its operationId),
    the method and URL, and the server's own message; the operation id and URL are in `detail`,
    which the CLI shows under --debug only.
    """

    def __init__(
        self,
        status: int,
        operation: str,
        server_message: str,
        *,
        method: str = "",
        url: str = "",
        path: str = "",
        hint: str | None = None,
    ):
        self.status = status
        self.operation = operation
        self.server_message = server_message
        self.method = method
        self.url = url
        act = ACTS.get(operation)
        self.names = path_names(act.path, path) if act else {}
        self.kind = act.kind if act else ""
        super().__init__(plain_message(status, operation, server_message, self.names), hint)
        self.exit_code = exit_code_for_status(status, server_message)
        said = f": {server_message}" if server_message else ""
        request = " ".join(part for part in (method, url) if part)
        self.detail = (
            f"{operation}: {request} answered HTTP {status}{said}" if request else f"{operation}: HTTP {status}{said}"
        )


class NotDlpdServer(ProtocolError):
    """A 2xx answer no dlpd operation gives (a web page, another service's text): what answers at
    the URL is not a dlpd server. Exit 9."""

    def __init__(self, where: str, answered: str, detail: str = ""):
        super().__init__(f"{where} is not a dlpd server: it answered {answered}")
        self.where = where
        self.detail = detail


class NotDlpdStatus(APIError):
    """An error status from what is not a dlpd server: an error page, or a 404 where every dlpd
    server has the path (the base path is wrong). Still an APIError with its status and documented
    exit code (a 404 page: 3), said as NotDlpdServer says it."""

    def __init__(self, status: int, operation: str, server_message: str, *, where: str, answered: str, **kw: str):
        super().__init__(status, operation, server_message, **kw)
        self.message = f"{where} is not a dlpd server: it answered {answered}"
        self.args = (self.message,)
        self.where = where


_NOT_FOUND_WORDS = ("cannot find", "can not find", "not found", "does not exist", "not exist", "no such")


def exit_code_for_status(status: int, server_message: str = "") -> ExitCode:
    """The exit code for an HTTP error status (the spec says 400 for "cannot find")."""
    if status == 404:
        return ExitCode.NOT_FOUND
    if status == 413:  # too large: invalid input, whatever its size
        return ExitCode.USAGE
    if status == 400:
        text = server_message.lower()
        if any(word in text for word in _NOT_FOUND_WORDS):
            return ExitCode.NOT_FOUND
        return ExitCode.USAGE
    if status == 401:
        return ExitCode.UNAUTHENTICATED
    if status == 403:
        return ExitCode.FORBIDDEN
    if status == 409:
        return ExitCode.CONFLICT
    if status in (502, 503, 504, 429):
        return ExitCode.UNAVAILABLE
    return ExitCode.ERROR


def exit_code_for(exc: BaseException) -> ExitCode:
    """The one mapping from any exception to the exit code dlicli ends with."""
    if isinstance(exc, DlicliError):
        return ExitCode(exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.ERROR


class FileChanged(DlicliError):
    """A file changed size or vanished while it was being uploaded."""


# -- what each operation acts on: the words of an APIError ------------------------------------


class Act(NamedTuple):
    """What an operation does and to what, in a user's words, and its path (under the API base),
    whose {parameters} name the thing acted on."""

    verb: str  # "get", "read the log of"
    noun: str  # "task {execId}": the path's parameters in braces
    path: str = ""

    @property
    def kind(self) -> str:
        """The noun without its parameters: "task", "resource plan"."""
        return _PLACEHOLDER.sub("", self.noun).replace("  ", " ").strip()


# operationId → (what it does, what it acts on, its path): the spec's 40 operations and the console's.
ACTS: dict[str, Act] = {
    "getDeepLearningConf": Act("read", "the configuration"),
    "execsGet": Act("list", "tasks"),
    "execsPost": Act("start", "the task"),
    "execsDelete": Act("delete", "all tasks"),
    "execsExecIdGet": Act("get", "task {execId}", "/execs/{execId}"),
    "execsExecIdDelete": Act("delete", "task {execId}", "/execs/{execId}"),
    "execsExecIdStopPost": Act("stop", "task {execId}", "/execs/{execId}/stop"),
    "execsExecIdLogGet": Act("read the log of", "task {execId}", "/execs/{execId}/log"),
    "execsExecIdResultGet": Act("download the result of", "task {execId}", "/execs/{execId}/result"),
    "execsExecIdDeployPost": Act("deploy", "task {execId}", "/execs/{execId}/deploy"),
    "execsFrameworksGet": Act("list", "frameworks"),
    "getAllHPO": Act("list", "searches"),
    "getOneHPO": Act("get", "search {hpoName}", "/hypersearch/{hpoName}"),
    "startHPO": Act("start", "the search"),
    "stopOneHPO": Act("stop", "search {hpoName}", "/hypersearch/{hpoName}"),
    "stopOneHPOForce": Act("force-stop", "search {hpoName}", "/hypersearch/{hpoName}/force"),
    "restartOneHPO": Act("restart", "search {hpoName}", "/hypersearch/{hpoName}/restart"),
    "deleteOneHPO": Act("delete", "search {hpoName}", "/hypersearch/{hpoName}"),
    "deleteAllHPO": Act("delete", "all searches"),
    "getAllHPOAlgorithm": Act("list", "algorithms"),
    "getOneAlgorithm": Act("get", "algorithm {algoName}", "/hypersearch/algorithm/{algoName}"),
    "deleteOneHPOALGORITHM": Act("delete", "algorithm {algoName}", "/hypersearch/algorithm/{algoName}"),
    "installHPOAlgorithm": Act("install", "the algorithm"),
    "debugAlgorithm": Act("debug", "the algorithm"),
    "runningServices": Act("list", "notebook services"),
    "runningServiceByUserName": Act(
        "get", "the notebook service of {username}", "/notebooks/{username}/runningservices"
    ),
    "runningKernels": Act(
        "list the kernels of", "the notebook service of {username}", "/notebooks/{username}/runningkernels"
    ),
    "stopService": Act("stop", "the notebook service of {username}", "/notebooks/{username}/stopservice"),
    "updateService": Act("update", "the notebook service of {username}", "/notebooks/{username}"),
    "createResplan": Act("create", "the resource plan"),
    "updateResplanByName": Act("update", "the resource plan"),
    "getResplan": Act("get", "resource plan {resplan_name}", "/resplans/resplan/{resplan_name}"),
    "delResplanByName": Act("delete", "resource plan {resplan_name}", "/resplans/resplan/{resplan_name}"),
    "getResplanTree": Act("read", "the resource plan tree"),
    "getApplications": Act("list", "applications"),
    "getApplicationStatistic": Act("read", "application statistics"),
    "getDriverLog": Act(
        "read the driver log of", "application {appid}", "/scheduler/applications/{appid}/driver/logs/{type}"
    ),
    "getExecutorLog": Act(
        "read the log of",
        "executor {executorid} of application {appid}",
        "/scheduler/applications/{appid}/executor/{executorid}/logs/{type}",
    ),
    "downloadDriverLogFile": Act(
        "download the driver log of",
        "application {appid}",
        "/scheduler/applications/{appid}/driver/logs/{type}/download",
    ),
    "downloadExecutorLogFile": Act(
        "download the log of",
        "executor {executorid} of application {appid}",
        "/scheduler/applications/{appid}/executor/{executorid}/logs/{type}/download",
    ),
    "consoleLogon": Act("sign in to", "the server"),
    "consoleLogoff": Act("sign out of", "the server"),
}

_PLACEHOLDER = re.compile(r"\s*\{(\w+)\}")
# Words a "not found" answer may hold that say no more than "<this thing> not found" does.
_FILLER = """
    the a an is was were with given requested resource cannot can not could find found no such does do exist
    exists of for or and by named name id in task exec execid search hpo hypersearch hponame algorithm algo
    algoname plan resplan resplan_name notebook service user username application app appid instance group
    executor executorid
"""
_NOTHING_MORE = frozenset(_FILLER.split())


def path_names(template: str, path: str) -> dict[str, str]:
    """The {parameters} of `template` read from a request `path` ("/execs/a%2Fb" → execId "a/b");
    empty when the path does not have the template's shape."""
    want, got = template.strip("/").split("/"), path.split("?")[0].strip("/").split("/")
    if not template or len(want) != len(got):
        return {}
    names = {}
    for pattern, segment in zip(want, got):
        if pattern.startswith("{"):
            names[pattern.strip("{}")] = unquote(segment)
        elif pattern != segment:
            return {}
    return names


def plain_message(status: int, operation: str, server_message: str, names: dict[str, str]) -> str:
    """An error status in a user's words: "task 123 not found" when the server's words add nothing
    to that; else "could not <verb> <what>: <the server's words> (HTTP <status>)"."""
    act = ACTS.get(operation)
    said = f": {server_message}" if server_message else ""
    if act is None:  # `dlicli api` and callers outside the spec: the operation is "METHOD /path"
        return f"{operation} answered HTTP {status}{said}"
    subject = _subject(act, names)
    if exit_code_for_status(status, server_message) is ExitCode.NOT_FOUND:
        if not server_message or (names and not _adds_to_not_found(server_message, names)):
            return f"{subject} not found"
        return f"could not {act.verb} {subject}{said}"
    return f"could not {act.verb} {subject}{said} (HTTP {status})"


def _subject(act: Act, names: dict[str, str]) -> str:
    """The noun with its parameters filled in, or without them when the path did not give them."""
    if names and all(name in names for name in _PLACEHOLDER.findall(act.noun)):
        return act.noun.format(**names)
    return act.kind


def _adds_to_not_found(server_message: str, names: dict[str, str]) -> bool:
    """True when the server's words say more than "<this thing> not found" (e.g. "resource plan
    gpu does not exist", while updating a notebook service)."""
    said = set(re.findall(r"[a-z0-9_]+", server_message.lower()))
    for value in names.values():
        said -= set(re.findall(r"[a-z0-9_]+", value.lower()))
    return bool(said - _NOTHING_MORE)
