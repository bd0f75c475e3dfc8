"""The HTTP session every operation goes through.

It owns what is the same for all 40 operations: the base URL, the Authorization header,
the User-Agent, timeouts, TLS, retries (idempotent requests only) and turning an error
status into an `APIError` that carries the server's own message. No typer, no rich, and no
hints in its errors: their types say what failed, and the CLI says what to do (cli/hints.py).
"""

from __future__ import annotations

import contextlib
import os
import random
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dlicli import __version__
from dlicli.errors import (
    BadCredentialValue,
    CABundleError,
    CannotConnect,
    ConnectError,
    DeadlineExceeded,
    InvalidURL,
    PlainHTTPServer,
    RequestTimedOut,
    TLSHandshakeFailed,
    UsageError,
)
from dlicli.paths import API_BASE_PATH

# httpx imports its own command-line client (click, rich, pygments: a third of a start-up) whenever
# click is importable, which the engine's uvicorn makes true. Nothing here uses it: mark it missing,
# and httpx falls back to its stub `main`.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
import httpx  # noqa: E402

from dlicli.client.answers import (  # noqa: E402
    Expect,
    check_stream,
    checked_answer,
    error_answer,
    expected,
    retry_after,
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def normalize_base_url(url: str) -> str:
    """`https://host:9243` → `https://host:9243/platform/rest/deeplearning/v1`; a full base stays."""
    text = (url or "").strip()
    if not text:
        raise InvalidURL("the server URL is empty")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port that is not a number from 0 to 65535 raises here
    except ValueError as exc:
        raise InvalidURL(f"not a server URL: {text!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidURL(f"not a server URL: {text!r}")
    path = parts.path.rstrip("/")
    if not path:
        path = API_BASE_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def server_root(base_url: str) -> str:
    """`scheme://host:port` of a base URL: where a WMLA console serves /auth/v1/logon."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def authorization_header(
    token: str | None = None, username: str | None = None, password: str | None = None
) -> str | None:
    """The spec's Authorization header: `Bearer <token>` (kept as given if it already names
    a scheme), or Basic for a username and password."""
    if token:
        token = token.strip()
        if token.startswith(("Bearer ", "Basic ")):
            return token
        return f"Bearer {token}"
    if username is not None and password is not None:
        import base64

        raw = f"{username}:{password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")
    return None


def tls_verify(
    insecure: bool = False, ca_bundle: str | None = None, url: str | None = None, pinned: str | None = None
) -> bool | ssl.SSLContext:
    """What httpx's `verify` gets: off, a context trusting a CA bundle, or the default.

    For a plain-http `url` no TLS is spoken, so no context is built (loading a CA bundle costs
    tens of milliseconds of every start-up); a bundle that cannot be read is still an error.
    `pinned` is a server's own certificate, trusted as it is instead of any CA (the local engine's:
    self-signed, or the user's leaf), the host name still checked.
    """
    if insecure:
        return False
    if ca_bundle and not os.access(ca_bundle, os.R_OK):
        raise _bad_bundle(ca_bundle, "no such readable file")
    if url is not None and url.startswith("http://"):
        return False
    if pinned:
        try:
            context = ssl.create_default_context(cafile=pinned)
        except (OSError, ssl.SSLError) as exc:
            raise CABundleError(f"cannot use the local engine's certificate {pinned}: {exc}") from exc
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        return context
    if ca_bundle:
        try:
            return ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise _bad_bundle(ca_bundle, exc) from exc
    return True


def _bad_bundle(path: str, why: object) -> CABundleError:
    return CABundleError(f"cannot use CA bundle {path}: {why}")


class HttpSession:
    """One connection to one dlpd server. Create per invocation; close when done.

    `timeout` bounds one try (each read); `deadline` bounds a whole call, every retry and backoff
    included, so a server that accepts and goes silent costs at most `deadline` seconds. Uploads
    and streamed downloads have no deadline (their size sets their time): each read is bounded.
    """

    def __init__(
        self,
        base_url: str,
        authorization: str | None = None,
        *,
        verify: bool | ssl.SSLContext = True,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        deadline: float | None = None,
        retries: int = 3,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
        debug: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = normalize_base_url(base_url)
        self._authorization = header_value(authorization)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.deadline = deadline if deadline and deadline > 0 else None
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._debug = debug
        headers = {"User-Agent": f"dlicli/{__version__}", "Accept": "application/json"}
        if self.base_url.startswith("http://"):
            verify = False  # no TLS is spoken: don't load a CA bundle (see tls_verify)
        self._client = httpx.Client(
            headers=headers,
            verify=verify,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
        )

    # -- plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def has_credentials(self) -> bool:
        return bool(self._authorization)

    def url_for(self, path: str, *, root: bool = False) -> str:
        """An absolute URL: under the API base, or (root=True) under the server's host."""
        base = server_root(self.base_url) if root else self.base_url
        return base + "/" + path.lstrip("/")

    def _log(self, text: str) -> None:
        if self._debug is not None:
            self._debug(text)

    def _retry_delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay = retry_after(response) if response is not None else None
        if delay is None:
            delay = random.uniform(0, min(self.max_backoff, self.backoff * (2**attempt)))
        return min(delay, self.max_backoff * 4)

    def _try_timeout(self, stop_at: float | None) -> httpx.Timeout:
        """The timeouts of one try: the session's, cut to what is left of the deadline."""
        if stop_at is None:
            return httpx.Timeout(self.timeout, connect=self.connect_timeout)
        left = max(0.001, stop_at - time.monotonic())
        return httpx.Timeout(min(self.timeout, left), connect=min(self.connect_timeout, left))

    # -- the one entry point ----------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        content: Any = None,
        headers: dict[str, str] | None = None,
        authorization: str | None = None,
        root: bool = False,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request and return the response, or raise `APIError` / a `ConnectError`.

        Idempotent methods are retried on connection errors and 429/502/503/504 with
        jittered exponential backoff (Retry-After honoured) while the deadline allows;
        anything else is sent once. With stream=True the caller must close the returned response.
        """
        method = method.upper()
        url = self.url_for(path, root=root)
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        hdrs = dict(headers or {})
        auth = header_value(authorization) or self._authorization
        if auth:
            hdrs["Authorization"] = auth
        uploading = content is not None and not isinstance(content, (bytes, str))
        stop_at = None if (stream or uploading or self.deadline is None) else time.monotonic() + self.deadline

        def build() -> httpx.Request:  # anew for every attempt, as a body may be a stream
            try:
                timeout = self._try_timeout(stop_at)
                return self._client.build_request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    files=files,
                    content=content,
                    headers=hdrs,
                    timeout=timeout,
                )
            except httpx.InvalidURL as exc:
                if "too long" in str(exc):  # the URL is fine: what the query carries is too much
                    raise UsageError(
                        f"the request to {url} is too long to send ({exc}): the values in its query "
                        "(a task's model arguments travel there) must be shorter"
                    ) from None
                raise InvalidURL(f"not a valid request URL: {url!r} ({exc})") from None

        attempts = self.retries + 1 if method in IDEMPOTENT_METHODS else 1
        for attempt in range(attempts):
            self._log(f"> {method} {url}{_query_for_log(params)}")
            outcome = self._attempt(build, method, url, operation, stream=stream)
            response = outcome if isinstance(outcome, httpx.Response) else None
            retryable = response is None or response.status_code in RETRY_STATUSES
            delay = self._retry_delay(attempt, response)
            if retryable and attempt + 1 < attempts and _fits(stop_at, delay):
                if response is not None:
                    response.close()
                self._log(f"retrying in {delay:.2f}s (attempt {attempt + 2} of {attempts})")
                time.sleep(delay)
                continue
            if not isinstance(outcome, httpx.Response):
                raise self._past_deadline(outcome, stop_at, operation, method, url)
            if outcome.status_code >= 400:
                raise error_answer(outcome, operation, path, self.base_url, stream=stream)
            return outcome
        raise AssertionError("unreachable")  # pragma: no cover

    def _past_deadline(
        self, error: ConnectError, stop_at: float | None, operation: str, method: str, url: str
    ) -> ConnectError:
        """The deadline's own error when it is what ended the call, else the last try's error."""
        if stop_at is None or time.monotonic() + 0.05 < stop_at or not isinstance(error, RequestTimedOut):
            return error
        return DeadlineExceeded(f"{operation}: {method} {url}: no answer within the {self.deadline:g} s deadline")

    def _attempt(
        self, build: Callable[[], httpx.Request], method: str, url: str, operation: str, *, stream: bool
    ) -> httpx.Response | ConnectError:
        """One try: the response, or the connection error it ended with (TLS errors are raised:
        retrying cannot fix a certificate the client does not trust)."""
        started = time.monotonic()
        try:
            response = self._client.send(build(), stream=stream)
        except httpx.TimeoutException as exc:
            self._log(f"< timeout after {time.monotonic() - started:.3f}s")
            return RequestTimedOut(f"{operation}: {method} {url} timed out ({type(exc).__name__})")
        except httpx.TransportError as exc:
            self._log(f"< connection error after {time.monotonic() - started:.3f}s: {exc}")
            if _is_plain_http_answer(exc):
                raise PlainHTTPServer(f"{self.base_url} answered in plain HTTP, not TLS ({exc})") from exc
            if _is_tls_failure(exc):
                raise TLSHandshakeFailed(f"TLS handshake with {self.base_url} failed: {exc}") from exc
            return CannotConnect(f"cannot connect to {self.base_url}: {exc or type(exc).__name__}")
        elapsed = time.monotonic() - started
        self._log(f"< {response.status_code} {method} {url} ({elapsed * 1000:.0f} ms)")
        return response

    def call(self, method: str, path: str, *, operation: str, expect: Expect | None = None, **kwargs: Any) -> Any:
        """Send and decode: the server's answer when it is what the operation returns (`expect`,
        else answers.EXPECTED by operationId), a ProtocolError when it is not."""
        response = self.send(method, path, operation=operation, **kwargs)
        return checked_answer(
            response, expect or expected(operation), operation, method.upper(), _shown(response), base=self.base_url
        )

    @contextlib.contextmanager
    def stream(
        self, method: str, path: str, *, operation: str, expect: Expect | None = None, **kwargs: Any
    ) -> Iterator[httpx.Response]:
        """A streamed response for downloads; closed when the block ends."""
        response = self.send(method, path, operation=operation, stream=True, **kwargs)
        try:
            check_stream(
                response, expect or expected(operation), operation, method.upper(), _shown(response), base=self.base_url
            )
            yield response
        finally:
            response.close()


def _shown(response: httpx.Response) -> str:
    """The URL a response came from, as an error message shows it (no query: it may hold args)."""
    return str(response.request.url.copy_with(query=None))


def header_value(authorization: str | None) -> str | None:
    """An Authorization header as it may be sent: one line of printable ASCII. A token read from a
    file with a comment or a stray newline, or with a non-ASCII character, is refused here, naming
    the position but never the secret (httpx would fail and quote it)."""
    if not authorization:
        return authorization
    for position, char in enumerate(authorization):
        if not " " <= char <= "~":
            what = (
                "a line break" if char in "\r\n" else "a control character" if char < " " else "a non-ASCII character"
            )
            raise BadCredentialValue(
                f"the token or password holds {what} (character {position + 1} of the Authorization header)",
                hint="a token is one line of ASCII: check DLICLI_TOKEN, the token file, or sign in again",
            )
    return authorization


def _fits(stop_at: float | None, delay: float) -> bool:
    """True when waiting `delay` leaves time for another try before the deadline."""
    return stop_at is None or time.monotonic() + delay < stop_at - 0.05


def _is_tls_failure(exc: BaseException) -> bool:
    """True when a transport error comes from TLS (e.g. an untrusted certificate)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _is_plain_http_answer(exc: BaseException) -> bool:
    """True when the TLS error is OpenSSL reading an HTTP answer as a TLS record (the server
    speaks plain HTTP on that port): "wrong version number", or "http request" from newer OpenSSL."""
    text = str(exc).upper()
    return _is_tls_failure(exc) and any(
        words in text for words in ("WRONG_VERSION_NUMBER", "WRONG VERSION NUMBER", "HTTP_REQUEST", "HTTP REQUEST")
    )


def _query_for_log(params: dict[str, Any] | None) -> str:
    if not params:
        return ""
    return " " + str(httpx.QueryParams(params))
