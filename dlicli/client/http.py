"""The HTTP session every operation goes through.

It owns what is the same for all 40 operations: the base URL, the Authorization header,
the User-Agent, timeouts, TLS, retries (idempotent requests only) and turning an error
status into an `APIError` that carries the server's own message. No typer, no rich, and no
hints in its errors: their types say what failed, and the CLI says what to do (cli/hints.py).
"""

from __future__ import annotations

import contextlib
import email.utils
import json as jsonlib
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
    APIError,
    CABundleError,
    CannotConnect,
    InvalidURL,
    PlainHTTPServer,
    RequestTimedOut,
    TLSHandshakeFailed,
)
from dlicli.paths import API_BASE_PATH

# httpx imports its own command-line client (click, rich, pygments: a third of a start-up) whenever
# click is importable, which the engine's uvicorn makes true. Nothing here uses it: mark it missing,
# and httpx falls back to its stub `main`.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
import httpx  # noqa: E402

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def normalize_base_url(url: str) -> str:
    """`https://host:9243` → `https://host:9243/platform/rest/deeplearning/v1`; a full base stays."""
    text = (url or "").strip()
    if not text:
        raise InvalidURL("the server URL is empty")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
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


def server_message(response: httpx.Response) -> str:
    """The server's own words from an error response (JSON message fields, else the text)."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return ""
    text = text.strip()
    if not text:
        return response.reason_phrase or ""
    try:
        body = jsonlib.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(body, dict):
        for key in ("message", "Message", "errorMessage", "error_description", "error", "description", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"]
    if isinstance(body, str):
        return body
    return text[:500]


def decode_body(response: httpx.Response) -> Any:
    """JSON when the body is JSON, else the text; None for an empty body."""
    content = response.content
    if not content or not content.strip():
        return None
    ctype = response.headers.get("content-type", "")
    if "json" in ctype or content.lstrip()[:1] in (b"{", b"[", b'"'):
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpSession:
    """One connection to one dlpd server. Create per invocation; close when done."""

    def __init__(
        self,
        base_url: str,
        authorization: str | None = None,
        *,
        verify: bool | ssl.SSLContext = True,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
        debug: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = normalize_base_url(base_url)
        self._authorization = authorization
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

    def _sleep_before_retry(self, attempt: int, response: httpx.Response | None) -> None:
        delay = _retry_after(response) if response is not None else None
        if delay is None:
            delay = random.uniform(0, min(self.max_backoff, self.backoff * (2**attempt)))
        delay = min(delay, self.max_backoff * 4)
        self._log(f"retrying in {delay:.2f}s (attempt {attempt + 2} of {self.retries + 1})")
        time.sleep(delay)

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
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        authorization: str | None = None,
        root: bool = False,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request and return the response, or raise `APIError` / a `ConnectError`.

        Idempotent methods are retried on connection errors and 429/502/503/504 with
        jittered exponential backoff (Retry-After honoured); anything else is sent once.
        With stream=True the caller must close the returned response.
        """
        method = method.upper()
        url = self.url_for(path, root=root)
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        hdrs = dict(headers or {})
        auth = authorization or self._authorization
        if auth:
            hdrs["Authorization"] = auth

        def build() -> httpx.Request:  # anew for every attempt, as a body may be a stream
            return self._client.build_request(
                method, url, params=params, json=json, data=data, files=files, content=content, headers=hdrs
            )

        attempts = self.retries + 1 if method in IDEMPOTENT_METHODS else 1
        for attempt in range(attempts):
            last = attempt + 1 == attempts
            self._log(f"> {method} {url}{_query_for_log(params)}")
            response = self._attempt(build, method, url, operation, stream=stream, last=last)
            if response is None:  # a connection error that may be retried
                self._sleep_before_retry(attempt, None)
                continue
            if response.status_code in RETRY_STATUSES and not last:
                response.close()
                self._sleep_before_retry(attempt, response)
                continue
            if response.status_code >= 400:
                raise _api_error(response, operation, method, url, stream)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self, build: Callable[[], httpx.Request], method: str, url: str, operation: str, *, stream: bool, last: bool
    ) -> httpx.Response | None:
        """One try: the response, None when a connection error may be retried, else a ConnectError."""
        started = time.monotonic()
        try:
            response = self._client.send(build(), stream=stream)
        except httpx.TimeoutException as exc:
            self._log(f"< timeout after {time.monotonic() - started:.3f}s")
            if not last:
                return None
            raise RequestTimedOut(f"{operation}: {method} {url} timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            self._log(f"< connection error after {time.monotonic() - started:.3f}s: {exc}")
            if _is_plain_http_answer(exc):
                raise PlainHTTPServer(f"{self.base_url} answered in plain HTTP, not TLS ({exc})") from exc
            if _is_tls_failure(exc):  # retrying cannot fix a certificate the client does not trust
                raise TLSHandshakeFailed(f"TLS handshake with {self.base_url} failed: {exc}") from exc
            if not last:
                return None
            raise CannotConnect(f"cannot connect to {self.base_url}: {exc or type(exc).__name__}") from exc
        elapsed = time.monotonic() - started
        self._log(f"< {response.status_code} {method} {url} ({elapsed * 1000:.0f} ms)")
        return response

    def call(self, method: str, path: str, *, operation: str, **kwargs: Any) -> Any:
        """Send and decode: the server's JSON (or text, or None for an empty body)."""
        response = self.send(method, path, operation=operation, **kwargs)
        return decode_body(response)

    @contextlib.contextmanager
    def stream(self, method: str, path: str, *, operation: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streamed response for downloads; closed when the block ends."""
        response = self.send(method, path, operation=operation, stream=True, **kwargs)
        try:
            yield response
        finally:
            response.close()


def _api_error(response: httpx.Response, operation: str, method: str, url: str, stream: bool) -> APIError:
    """An error status as an APIError with the server's own message (a streamed body is read first)."""
    if stream:
        response.read()
        response.close()
    return APIError(response.status_code, operation, server_message(response), method=method, url=url)


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
