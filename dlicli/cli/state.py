"""Per-invocation state: the root options, and the connection, client and output built from them.

Commands get it with `state(ctx)`; nothing here is built until a command asks for it, so
`--help`, `--version` and completion stay free of httpx, keyring and yaml.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dlicli import startup
from dlicli.output import Output, escape_controls, redact, remember_secret

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient
    from dlicli.config import Connection


@dataclass
class AppState:
    url: str | None = None
    profile: str | None = None
    debug: bool = False
    insecure: bool | None = None
    ca_bundle: str | None = None
    _connection: Any = field(default=None, repr=False)
    _client: Any = field(default=None, repr=False)

    def connection(self) -> Connection:
        """The connection commands use (resolved once); the local engine is started if it is meant."""
        if self._connection is None:
            self._connection = self.resolve()
            if self._connection.authorization:
                self.add_secret(self._connection.authorization)
        return self._connection

    def resolve(self, *, start_engine: bool = True) -> Connection:
        """Resolve flag → env → profile. When that means the local engine, this is where the CLI
        starts it (a notice on stderr); start_engine=False (`status`) only looks for it and
        tolerates a secret store that cannot be read."""
        from dlicli.config import resolve_connection

        conn = resolve_connection(
            url=self.url, profile=self.profile, insecure=self.insecure, ca_bundle=self.ca_bundle, strict=start_engine
        )
        if not conn.local:
            return conn
        from dlicli import localengine, paths

        if not start_engine:
            return conn.on_local_engine(*localengine.peek(paths.data_dir()))
        ddir = engine_data_dir()
        try:
            url, token = localengine.ensure_running(ddir, note=Output().info)
        except OSError as exc:  # a read-only or misplaced data dir: the engine cannot keep its state
            raise _unusable(ddir, exc) from None
        return conn.on_local_engine(url, token)

    def add_secret(self, secret: str | None) -> None:
        """Remember a secret so no message (an error, a hint, a debug line) can show it."""
        remember_secret(secret)

    def redact(self, text: str) -> str:
        return redact(text)

    def debug_log(self, text: str) -> None:
        if self.debug:
            sys.stderr.write("debug: " + escape_controls(self.redact(text)) + "\n")
            sys.stderr.flush()

    def client(self, *, require_auth: bool = True) -> DlpdClient:
        """The API client for this invocation (built once, closed when the command ends)."""
        if self._client is None:
            from dlicli.client.http import HttpSession
            from dlicli.client.operations import DlpdClient
            from dlicli.config import http_timeout, request_deadline
            from dlicli.enginetls import connection_verify
            from dlicli.errors import CredentialsError

            conn = self.connection()
            if require_auth and not conn.authorization:
                raise CredentialsError(
                    f"no credentials for {conn.url}",
                    hint="run `dlicli login`, or set DLICLI_TOKEN (or DLICLI_USERNAME and DLICLI_PASSWORD)",
                )
            if conn.insecure:
                Output().warn("TLS certificate verification is off (--insecure / DLICLI_INSECURE)")
            session = HttpSession(
                conn.url,
                conn.authorization,
                verify=connection_verify(conn.url, conn.insecure, conn.ca_bundle),
                timeout=http_timeout(),
                deadline=request_deadline(),
                debug=self.debug_log if self.debug else None,
            )
            self._client = DlpdClient(session)
            startup.done()  # the heavy imports are behind us
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def engine_data_dir() -> Path:
    """The local engine's data dir, made when missing; a ConfigError (exit 2) saying what to fix when
    it cannot be made or written (a read-only mount, a path under a file)."""
    import os

    from dlicli import paths

    ddir = paths.data_dir()
    try:
        ddir.mkdir(parents=True, exist_ok=True)
        if not os.access(ddir, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        raise _unusable(ddir, exc) from None
    return ddir


def _unusable(ddir: Path, exc: OSError) -> Exception:
    from dlicli import paths
    from dlicli.errors import ConfigError

    return ConfigError(
        f"cannot use the local engine's data dir {ddir}: {exc.strerror or exc}",
        hint=f"make {ddir} a directory you can write, or point {paths.ENV_DATA_DIR} at one",
    )


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def output(output_format: str | None = None, as_json: bool = False) -> Output:
    """The Output for a leaf's `-o/--output` and `--json` options."""
    if as_json:
        return Output("json")
    return Output((output_format or "table").lower())
