"""`dlicli login|logout|status|token`: sign a profile in and out, and say who and where.

A secret is read from a hidden prompt or stdin, never from argv; it is registered with
`AppState.add_secret` before any request so `--debug` redacts it, and only `dlicli token`
ever prints one (to stdout, for piping).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dlicli.cli.options import JsonOpt, OutputOpt
from dlicli.cli.state import AppState, output, state
from dlicli.output import Column, Output

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient

STATUS_TIMEOUT = 5.0
STORE_HELP = (
    "Where to keep the secret: keyring, file (0600 credentials.yaml, opt-in) or auto; env DLICLI_CREDENTIALS_STORE."
)
ProfileNameOpt = Annotated[
    str | None,
    typer.Option("--profile-name", help="Profile to act on (default: the active one).", metavar="NAME"),
]


def _client(st: AppState, url: str, authorization: str | None, verify: Any, *, quick: bool = False) -> DlpdClient:
    """A client for a connection that is not (yet) the invocation's own, with redacted debug."""
    from dlicli.client.http import HttpSession
    from dlicli.client.operations import DlpdClient
    from dlicli.config import http_timeout, request_deadline

    session = HttpSession(
        url,
        authorization,
        verify=verify,
        timeout=STATUS_TIMEOUT if quick else http_timeout(),
        connect_timeout=STATUS_TIMEOUT if quick else 10.0,
        deadline=None if quick else request_deadline(),
        retries=0 if quick else 3,
        debug=st.debug_log if st.debug else None,
    )
    return DlpdClient(session)


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _read_stdin(what: str) -> str:
    value = sys.stdin.read().strip()
    if not value:
        from dlicli.errors import UsageError

        raise UsageError(f"no {what} on stdin", hint=f"pipe the {what} in, for example from a secrets manager")
    return value


def _prompt_secret(label: str) -> str:
    value = typer.prompt(label, hide_input=True, err=True).strip()
    if not value:
        from dlicli.errors import UsageError

        raise UsageError(f"empty {label.lower()}")
    return value


def _ca_bundle_path(value: str | None) -> str | None:
    if not value:
        return None
    from pathlib import Path

    from dlicli.errors import UsageError

    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"CA bundle not found: {value}", hint="give a readable PEM file with --ca-bundle")
    return str(path.resolve())


def _rejected(exc: Any, url: str) -> Exception:
    """A 401 during login as a credentials error; anything else as it was."""
    from dlicli.errors import APIError, CredentialsError

    if isinstance(exc, APIError) and exc.status == 401:
        detail = f": {exc.server_message}" if exc.server_message else ""
        return CredentialsError(
            f"the server at {url} rejected the credentials (HTTP 401){detail}",
            hint="check them and run `dlicli login` again; nothing was saved",
        )
    return exc


def _header(token: str | None = None, username: str | None = None, password: str | None = None) -> str:
    """The Authorization header for a secret already checked non-empty (the readers refuse empty
    input), which authorization_header always turns into a header."""
    from dlicli.client.http import authorization_header

    header = authorization_header(token=token, username=username, password=password)
    assert header is not None, "a non-empty secret always makes a header"
    return header


def _credentials(
    st: AppState, old: Any, *, username: str | None, token_stdin: bool, password_stdin: bool, console: bool
) -> tuple[str, str | None, str, str]:
    """(auth kind, user, secret, Authorization header) from the flags, stdin or hidden prompts."""
    from dlicli.errors import UsageError
    from dlicli.paths import ENV_USERNAME

    if token_stdin:
        kind = "token"
    elif console:
        kind = "console"
    elif password_stdin or username:
        kind = "basic"
    else:
        kind = old.auth if old else "token"
    interactive = _stdin_is_tty()
    if not (token_stdin or password_stdin or interactive):
        raise UsageError(
            "stdin is not a terminal, so dlicli cannot prompt for the secret",
            hint="pipe it in with --token-stdin, or --username U --password-stdin",
        )
    if kind == "token":
        user = username
        secret = _read_stdin("token") if token_stdin else _prompt_secret("Token")
        st.add_secret(secret)
        authorization = _header(token=secret)
    else:
        user = username or os.environ.get(ENV_USERNAME) or (old.username if old and old.auth != "token" else None)
        if not user:
            if not interactive:
                raise UsageError("a user name is needed with --password-stdin", hint="add --username U")
            user = typer.prompt("Username", err=True).strip()
        secret = _read_stdin("password") if password_stdin else _prompt_secret("Password")
        st.add_secret(secret)
        authorization = _header(username=user, password=secret)
    st.add_secret(authorization)
    return kind, user, secret, authorization


def _verify(st: AppState, out: Output, url: str, kind: str, secret: str, authorization: str, verify: Any) -> str:
    """Check the credentials with GET /conf (after a console logon, if asked); return the secret to keep."""
    from dlicli.errors import APIError, CredentialsError

    try:
        if kind == "console":
            with _client(st, url, None, verify) as client:
                answer = client.console_logon(authorization)
            access_token = answer.get("accessToken") if isinstance(answer, dict) else None
            if not isinstance(access_token, str) or not access_token:
                raise CredentialsError(f"the console logon at {url} answered without an accessToken")
            secret = access_token
            st.add_secret(secret)
            authorization = _header(token=secret)
            st.add_secret(authorization)
        with _client(st, url, authorization, verify) as client:
            try:
                client.get_deep_learning_conf()
            except APIError as exc:
                if exc.status != 403:
                    raise
                out.warn("signed in, but this user may not read the server configuration (HTTP 403)")
    except APIError as exc:
        raise _rejected(exc, url) from None
    return secret


def login(
    ctx: typer.Context,
    profile_name: ProfileNameOpt = None,
    url: Annotated[str | None, typer.Option("--url", help="Server URL to sign in to.", metavar="URL")] = None,
    username: Annotated[
        str | None,
        typer.Option("--username", "-u", help="User name: sign in with a password (Basic).", metavar="USER"),
    ] = None,
    token_stdin: Annotated[bool, typer.Option("--token-stdin", help="Read the token from stdin.")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    console_logon: Annotated[
        bool,
        typer.Option("--console-logon", help="Trade user and password for a WMLA console token (GET /auth/v1/logon)."),
    ] = False,
    store: Annotated[str | None, typer.Option("--store", help=STORE_HELP, metavar="keyring|file|auto")] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", "-k", help="Skip TLS certificate checks for this profile.")
    ] = False,
    ca_bundle: Annotated[
        str | None, typer.Option("--ca-bundle", help="PEM file of CAs to trust for this profile.", metavar="FILE")
    ] = None,
) -> None:
    """Sign in: verify the credentials with GET /conf, keep the secret, make the profile current."""
    from dlicli.client.http import normalize_base_url
    from dlicli.config import LOCAL_PROFILE, Config, Profile, env_true
    from dlicli.credentials import nowhere_to_keep, requested_store, save_secret
    from dlicli.enginetls import connection_verify
    from dlicli.errors import CredentialsError, UsageError
    from dlicli.paths import ENV_CA_BUNDLE, ENV_INSECURE, ENV_PROFILE, ENV_URL

    st = state(ctx)
    out = Output()
    if token_stdin and (password_stdin or console_logon):
        raise UsageError("--token-stdin cannot be combined with --password-stdin or --console-logon")
    store = requested_store(store)
    cfg = Config.load()
    name = profile_name or st.profile or os.environ.get(ENV_PROFILE) or cfg.current_profile or "default"
    if name == LOCAL_PROFILE:
        raise UsageError(
            f"the profile name {LOCAL_PROFILE!r} is reserved for the local engine",
            hint="choose another name with --profile-name",
        )
    old = cfg.profiles.get(name)
    target = url or st.url or os.environ.get(ENV_URL) or (old.url if old else None)
    if not target:
        raise UsageError("no server URL to sign in to", hint="dlicli login --url https://wmla.example.com:9243")
    target = normalize_base_url(target)
    keep_insecure = bool(insecure or st.insecure or (old.insecure if old else False))
    keep_ca = _ca_bundle_path(ca_bundle or st.ca_bundle) or (old.ca_bundle if old else None)

    kind, user, secret, authorization = _credentials(
        st, old, username=username, token_stdin=token_stdin, password_stdin=password_stdin, console=console_logon
    )
    insecure_now = keep_insecure or env_true(ENV_INSECURE)
    if insecure_now:
        out.warn("TLS certificate verification is off (--insecure / DLICLI_INSECURE)")
    verify = connection_verify(target, insecure_now, keep_ca or os.environ.get(ENV_CA_BUNDLE))
    secret = _verify(st, out, target, kind, secret, authorization, verify)

    try:
        used = save_secret(name, secret, store, previous=old.store if old else None)
    except CredentialsError as exc:  # valid credentials, nowhere to keep them: say where they can go
        raise nowhere_to_keep(target, exc) from None
    cfg = Config.load()
    cfg.profiles[name] = Profile(name, target, user, kind, keep_insecure, keep_ca, used)
    cfg.current_profile = name
    cfg.save()
    who = f"as {user}" if user else "with a token"
    out.success(f"signed in to {target} {who} (profile {name}, secret in {used})")


def _logoff(st: AppState, prof: Any) -> None:
    """Best effort: end a console session on the server; failures only show with --debug."""
    from dlicli.client.http import authorization_header
    from dlicli.credentials import read_secret
    from dlicli.enginetls import connection_verify
    from dlicli.errors import DlicliError

    try:
        secret = read_secret(prof.name, prof.store)
        if not secret:
            return
        authorization = authorization_header(token=secret)
        st.add_secret(secret)
        st.add_secret(authorization)
        verify = connection_verify(prof.url, prof.insecure, prof.ca_bundle)
        with _client(st, prof.url, authorization, verify, quick=True) as client:
            client.console_logoff()
    except DlicliError as exc:
        st.debug_log(f"console logoff failed: {exc}")


def logout(
    ctx: typer.Context,
    profile_name: ProfileNameOpt = None,
    all_profiles: Annotated[bool, typer.Option("--all", help="Sign out of every profile.")] = False,
) -> None:
    """Sign out: forget the profile's secret (its URL and settings stay)."""
    from dlicli.config import Config
    from dlicli.credentials import delete_secret
    from dlicli.errors import ConfigError

    st = state(ctx)
    out = Output()
    cfg = Config.load()
    if all_profiles:
        names = list(cfg.profiles)
        if not names:
            out.info("no profiles to sign out of")
    else:
        name = profile_name or cfg.active_name(st.profile)
        if not name:
            raise ConfigError("no active profile to sign out of", hint="name one with --profile-name, or use --all")
        names = [name]
    for name in names:
        prof = cfg.get(name)
        if prof.auth == "console":
            _logoff(st, prof)
        if not delete_secret(name, prof.store):
            out.warn(f"could not reach the system keyring to delete the secret of profile {name!r}")
        out.info(f"signed out of profile {name} ({prof.url})")


def status(ctx: typer.Context, output_format: OutputOpt = None, as_json: JsonOpt = False) -> None:
    """Show the active profile, URL, user and secret source, and whether the server answers."""
    from dlicli.config import LOCAL_PROFILE
    from dlicli.errors import ConnectError, CredentialsError

    st = state(ctx)
    out = output(output_format, as_json)
    conn = st.resolve(start_engine=False)
    st.add_secret(conn.authorization)
    local_down = conn.profile == LOCAL_PROFILE and conn.secret_problem is not None  # nothing to ask
    if conn.secret_problem and not local_down:
        Output().warn(conn.secret_problem)
    error: Exception | None = None
    server: dict[str, Any]
    if local_down:
        server = {"reachable": False, "status": None, "message": "not running"}
        error = ConnectError(f"{conn.secret_problem}", hint="any command starts it, or `dlicli server start`")
    else:
        server, error = _probe(st, conn)
    if not conn.authorization and not local_down:
        error = CredentialsError(
            conn.secret_problem or f"no credentials for {conn.url}",
            hint="run `dlicli login`, or set DLICLI_TOKEN (or DLICLI_USERNAME and DLICLI_PASSWORD)",
        )
    info = {**conn.describe(), "server": server}
    if not info.get("user") and server.get("user"):
        info.update(user=server["user"], userSource="server")
    out.data(
        info,
        columns=[
            Column("PROFILE", "profile"),
            Column("URL", "url"),
            Column("USER", lambda r: r["user"] or "unknown"),
            Column("SECRET", "secretSource"),
            Column("INSECURE", "insecure"),
            Column("CA BUNDLE", "caBundle"),
            Column("SERVER", "server.message"),
        ],
    )
    if error is not None:
        raise error


def _probe(st: AppState, conn: Any) -> tuple[dict[str, Any], Exception | None]:
    """Ask the server for GET /conf: (what `status` shows of it, the error to exit with)."""
    from dlicli.client.answers import checked_answer, expected
    from dlicli.enginetls import connection_verify
    from dlicli.errors import APIError, ConnectError, NotDlpdServer, NotDlpdStatus, ProtocolError

    status = None
    verify = connection_verify(conn.url, conn.insecure, conn.ca_bundle)
    try:
        with _client(st, conn.url, conn.authorization, verify, quick=True) as c:
            response = c.http.send("GET", "/conf", operation="getDeepLearningConf")
            status = response.status_code
            checked_answer(response, expected("getDeepLearningConf"), "getDeepLearningConf", "GET", conn.url)
        user = response.headers.get("x-dlicli-user")  # the local engine says who the token is
        return {"reachable": True, "status": status, "message": "ok", **({"user": user} if user else {})}, None
    except (NotDlpdServer, NotDlpdStatus) as exc:  # a web page or another service answers there, not dlpd
        shown = exc.status if isinstance(exc, NotDlpdStatus) else status
        return {"reachable": True, "status": shown, "message": f"not a dlpd server: it answered {exc.answered}"}, exc
    except ProtocolError as exc:  # dlpd's path, but not the answer the API gives
        return {"reachable": True, "status": status, "message": f"not the dlpd API: {exc}"}, exc
    except APIError as exc:
        detail = f": {exc.server_message}" if exc.server_message else ""
        return {"reachable": True, "status": exc.status, "message": f"HTTP {exc.status}{detail}"}, exc
    except ConnectError as exc:
        return {"reachable": False, "status": None, "message": f"unreachable: {exc}"}, exc


def token(ctx: typer.Context) -> None:
    """Print the active token to stdout (without "Bearer "), for piping into other tools."""
    from dlicli.errors import CredentialsError

    conn = state(ctx).connection()
    if not conn.authorization:
        raise CredentialsError(f"no credentials for {conn.url}", hint="run `dlicli login`, or set DLICLI_TOKEN")
    scheme, _, value = conn.authorization.partition(" ")
    if scheme != "Bearer":
        raise CredentialsError(
            "the active credentials are a user name and password, not a token",
            hint="sign in with `dlicli login --token-stdin`, or `--console-logon` to trade the password for a token",
        )
    Output().write(value + "\n")


# The root registers these lazily (cli/app.py COMMANDS).
commands = typer.Typer()
commands.command("login")(login)
commands.command("logout")(logout)
commands.command("status")(status)
commands.command("token")(token)
