"""Every failure dlicli reports, and the one table that turns it into an exit code.

Library code (client, config, modeldir …) raises these; only `cli/app.py` catches them,
prints one `error:` line and exits with `exit_code_for(exc)`. The client's errors carry no
hint: the CLI adds one by error type (`cli/hints.py`).
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The exit codes of DESIGN.md: a script can trust them."""

    OK = 0
    ERROR = 1  # unexpected, or the server failed (500)
    USAGE = 2  # bad usage or invalid input, caught before any request (or a 400 from the server)
    NOT_FOUND = 3  # 404, and the spec's 400 "cannot find"
    UNAUTHENTICATED = 4  # 401, or no credentials at all
    FORBIDDEN = 5  # 403
    CONFLICT = 6  # 409
    UNAVAILABLE = 7  # cannot connect, timed out, 502/503/504 after retries
    STILL_RUNNING = 8  # --timeout ran out while the task still ran
    PROTOCOL = 9  # the server's answer is not what the API returns (not JSON, wrong shape, a web page)
    TASK_FAILED = 10  # the task ended FAILED or ERROR
    TASK_KILLED = 11  # the task ended KILLED or STOPPED
    INTERRUPTED = 130  # Ctrl-C: a follow or wait detaches, the task runs on


class DlicliError(Exception):
    """Base of every error dlicli reports. `hint` says what to do about it."""

    exit_code: ExitCode = ExitCode.ERROR

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
    """The server answered with an error status.

    Carries what a script or a person needs: the HTTP status, the operation (its
    operationId), the method and URL, and the server's own message.
    """

    def __init__(
        self,
        status: int,
        operation: str,
        server_message: str,
        *,
        method: str = "",
        url: str = "",
        hint: str | None = None,
    ):
        self.status = status
        self.operation = operation
        self.server_message = server_message
        self.method = method
        self.url = url
        detail = f": {server_message}" if server_message else ""
        super().__init__(f"{operation} failed with HTTP {status}{detail}", hint)
        self.exit_code = exit_code_for_status(status, server_message)


_NOT_FOUND_WORDS = ("cannot find", "can not find", "not found", "does not exist", "not exist", "no such")


def exit_code_for_status(status: int, server_message: str = "") -> ExitCode:
    """The exit code for an HTTP error status (the spec says 400 for "cannot find")."""
    if status == 404:
        return ExitCode.NOT_FOUND
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
