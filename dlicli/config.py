"""Where dlicli keeps its settings, and how a connection is resolved: flag → env → profile.

`config.yaml` in the config dir holds the profiles (URL, user, auth kind, TLS, which secret store)
and `current_profile` — never a secret; secrets live in `dlicli.credentials`. Files are written
atomically with mode 0600 so a crash or a second dlicli never leaves half a file behind.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dlicli.errors import ConfigError, NotFoundError
from dlicli.paths import (
    DEFAULT_ENGINE_URL,
    ENV_CA_BUNDLE,
    ENV_DEADLINE,
    ENV_HTTP_TIMEOUT,
    ENV_INSECURE,
    ENV_PASSWORD,
    ENV_PROFILE,
    ENV_TOKEN,
    ENV_URL,
    ENV_USERNAME,
    config_dir,
)
from dlicli.privatefiles import dump_yaml, read_yaml_mapping, write_private

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
AUTH_KINDS = ("token", "basic", "console")
LOCAL_PROFILE = "local"  # reserved for the local engine
CONFIG_FILE = "config.yaml"


def env_true(name: str) -> bool:
    """A yes/no variable: unset or empty is no; any other word than these is a usage error, so a
    typo (DLICLI_INSECURE=maybe) is not silently taken as no."""
    raw = os.environ.get(name, "")
    value = raw.strip().lower()
    if value and value not in TRUE_WORDS + FALSE_WORDS:
        raise ConfigError(
            f"{name} must be one of {', '.join(TRUE_WORDS)} or {', '.join(FALSE_WORDS)}, not {raw!r}",
            hint=f"unset {name}, or set it to 1 or 0",
        )
    return value in TRUE_WORDS


# -- profiles -----------------------------------------------------------------------------


@dataclass
class Profile:
    """One named connection: where and how to sign in. Holds no secret."""

    name: str
    url: str
    username: str | None = None
    auth: str = "token"  # token | basic | console
    insecure: bool = False
    ca_bundle: str | None = None
    store: str | None = None  # keyring | file: where its secret was put

    def to_yaml(self) -> dict[str, Any]:
        data = asdict(self)
        del data["name"]
        return data

    def to_json(self, current: bool = False) -> dict[str, Any]:
        """What `profile list/show --json` prints (no secret)."""
        return {
            "name": self.name,
            "url": self.url or None,  # the local profile's, while its engine is not running
            "user": self.username,
            "auth": self.auth,
            "insecure": self.insecure,
            "caBundle": self.ca_bundle,
            "store": self.store,
            "current": current,
        }


def _profile_from(path: Path, name: Any, raw: Any) -> Profile:
    if not isinstance(raw, dict) or not isinstance(raw.get("url"), str) or not raw["url"]:
        raise ConfigError(f"{path}: profile {name!r} has no url", hint=f"fix {path}, or log in again")
    auth = raw.get("auth") or "token"
    if auth not in AUTH_KINDS:
        raise ConfigError(f"{path}: profile {name!r} has unknown auth {auth!r}", hint=f"use one of {AUTH_KINDS}")
    return Profile(
        name=str(name),
        url=raw["url"],
        username=raw.get("username") or None,
        auth=auth,
        insecure=bool(raw.get("insecure", False)),
        ca_bundle=raw.get("ca_bundle") or None,
        store=raw.get("store") or None,
    )


@dataclass
class Config:
    """config.yaml: the profiles and which one is current."""

    path: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    current_profile: str | None = None

    @classmethod
    def load(cls) -> Config:
        path = config_dir() / CONFIG_FILE
        data = read_yaml_mapping(path)
        raw_profiles = data.get("profiles") or {}
        if not isinstance(raw_profiles, dict):
            raise ConfigError(f"{path}: `profiles` is not a mapping", hint=f"fix or remove {path}")
        profiles = {str(n): _profile_from(path, n, p) for n, p in raw_profiles.items()}
        current = data.get("current_profile")
        return cls(path, profiles, str(current) if current else None)

    def save(self) -> None:
        data = {
            "current_profile": self.current_profile,
            "profiles": {name: p.to_yaml() for name, p in self.profiles.items()},
        }
        write_private(self.path, dump_yaml(data))

    def get(self, name: str) -> Profile:
        """The named profile (`local`: the local engine's), or NotFoundError (exit 3)."""
        if name == LOCAL_PROFILE and name not in self.profiles:  # where the engine usually listens
            return Profile(LOCAL_PROFILE, DEFAULT_ENGINE_URL, auth="token")
        try:
            return self.profiles[name]
        except KeyError:
            raise NotFoundError(
                f"no profile named {name!r}", hint="list them with `dlicli profile list`, or `dlicli login`"
            ) from None

    def active_name(self, flag: str | None = None) -> str | None:
        """--profile, else DLICLI_PROFILE, else current_profile (when it still exists)."""
        name = flag or os.environ.get(ENV_PROFILE)
        if name:
            return name
        if self.current_profile in self.profiles:
            return self.current_profile
        return None

    def current_name(self, flag: str | None = None, url: str | None = None) -> str | None:
        """The profile this invocation uses: the active one, else the built-in `local` one when no
        URL names another server (--url, DLICLI_URL), as resolve_connection decides."""
        name = self.active_name(flag)
        if name is None and not (url or os.environ.get(ENV_URL)):
            return LOCAL_PROFILE
        return name

    def remove(self, name: str) -> Profile:
        profile = self.get(name)
        self.profiles.pop(name, None)
        if self.current_profile == name:
            self.current_profile = None
        return profile


# -- the connection -----------------------------------------------------------------------


@dataclass
class Connection:
    """Everything needed to talk to one server. `authorization` is a secret: never print it.

    `local` means nothing named a server: the local engine is meant. Resolving does not look
    for it (its `url` stays empty); the CLI finds or starts it and calls `on_local_engine`.
    """

    url: str
    authorization: str | None = field(default=None, repr=False)
    profile: str | None = None
    username: str | None = None
    secret_source: str = "none"
    insecure: bool = False
    ca_bundle: str | None = None
    secret_problem: str | None = None  # why the secret could not be read (tolerant mode), or the engine is down
    local: bool = False

    def describe(self) -> dict[str, Any]:
        """What `status` may show: no secret. The user: the one signed in as, else the one the token
        names (a JWT), else null ("unknown": the dlpd API has no operation that names the caller)."""
        user = self.username or token_user(self.authorization)
        return {
            "profile": self.profile,
            "url": self.url,
            "user": user,
            "userSource": "credentials" if self.username else ("token" if user else "unknown"),
            "secretSource": self.secret_source,
            "insecure": self.insecure,
            "caBundle": self.ca_bundle,
        }

    def on_local_engine(self, url: str, token: str | None, problem: str | None = None) -> Connection:
        """This connection aimed at the local engine found at `url`, signed in with its admin token
        unless the environment gave credentials."""
        from dlicli.client.http import authorization_header, normalize_base_url

        conn = dataclasses.replace(self, url=normalize_base_url(url), secret_problem=problem)
        if conn.authorization is None and token:
            conn.authorization = authorization_header(token=token)
            conn.secret_source, conn.username = "engine:admin.token", "admin"
        return conn


def _applicable_profile(cfg: Config, flag: str | None, url: str | None) -> Profile | None:
    """The active profile, if it applies to this URL.

    A profile named on purpose (--profile, DLICLI_PROFILE) always applies. The implicit current
    profile applies only when no other URL was given or the URL is its own: its secret must never
    be sent to a server the user pointed at by --url or DLICLI_URL.
    """
    from dlicli.client.http import normalize_base_url

    name = cfg.active_name(flag)
    if name is None or name == LOCAL_PROFILE:
        return None
    profile = cfg.get(name)
    explicit = bool(flag or os.environ.get(ENV_PROFILE))
    if explicit or url is None or normalize_base_url(url) == normalize_base_url(profile.url):
        return profile
    return None


def resolve_connection(
    *,
    url: str | None = None,
    profile: str | None = None,
    insecure: bool | None = None,
    ca_bundle: str | None = None,
    strict: bool = True,
) -> Connection:
    """The connection this invocation uses: flags first, then the environment, then the profile.

    Reads config.yaml and the secret store, nothing else: with no URL and no profile it returns
    `local=True` and leaves finding the engine to the caller. strict=False (for `status` and
    completion) records a secret store that cannot be read instead of raising.
    """
    from dlicli.client.http import normalize_base_url

    url = url or os.environ.get(ENV_URL) or None
    cfg = Config.load()
    local = url is None and cfg.active_name(profile) in (None, LOCAL_PROFILE)
    prof = _applicable_profile(cfg, profile, url)
    url = url or (prof.url if prof else None)
    if not url and not local:
        raise ConfigError(
            "no server configured",
            hint=f"run `dlicli login --url URL`, or set {ENV_URL} and {ENV_TOKEN}",
        )
    conn = Connection(
        url=normalize_base_url(url) if url else "",
        profile=LOCAL_PROFILE if local else (prof.name if prof else None),
        local=local,
    )
    _add_credentials(conn, prof, strict)
    if insecure is None:
        insecure = env_true(ENV_INSECURE) or (prof.insecure if prof else False)
    conn.insecure = bool(insecure)
    env = os.environ
    ca_bundle = (
        ca_bundle or env.get(ENV_CA_BUNDLE) or env.get("REQUESTS_CA_BUNDLE") or (prof.ca_bundle if prof else None)
    )
    conn.ca_bundle = ca_bundle or None
    return conn


def _add_credentials(conn: Connection, prof: Profile | None, strict: bool) -> None:
    """The Authorization header: DLICLI_TOKEN, else DLICLI_USERNAME + DLICLI_PASSWORD, else the profile's secret."""
    from dlicli.client.http import authorization_header

    env = os.environ
    token = env.get(ENV_TOKEN) or None
    username = env.get(ENV_USERNAME) or None
    password = env.get(ENV_PASSWORD)
    conn.username = username
    if token:
        conn.authorization, conn.secret_source = authorization_header(token=token), f"env:{ENV_TOKEN}"
    elif username and password is not None:
        conn.authorization = authorization_header(username=username, password=password)
        conn.secret_source = f"env:{ENV_PASSWORD}"
    elif prof is not None:
        from dlicli.credentials import read_secret
        from dlicli.errors import CredentialsError

        conn.username = prof.username
        try:
            secret = read_secret(prof.name, prof.store)
        except CredentialsError as exc:
            if strict:
                raise
            secret, conn.secret_problem = None, exc.message
        if secret is not None:
            conn.authorization, conn.secret_source = profile_authorization(prof, secret), prof.store or "none"


def profile_authorization(prof: Profile, secret: str) -> str | None:
    """The Authorization header for a profile's stored secret (a token, or a Basic password)."""
    from dlicli.client.http import authorization_header

    if prof.auth == "basic":
        return authorization_header(username=prof.username or "", password=secret)
    return authorization_header(token=secret)


JWT_USER_CLAIMS = ("username", "preferred_username", "upn", "sub")  # where a JWT names its user, in order


def token_user(authorization: str | None) -> str | None:
    """The user a Bearer token names, when it is a JWT (as the tokens of WMLA on Cloud Pak are):
    read from its payload for display only, never trusted. None for an opaque token."""
    import base64
    import binascii
    import json

    scheme, _, token = (authorization or "").partition(" ")
    parts = token.split(".")
    if scheme != "Bearer" or len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(claims, dict):
        return None
    return next((v for k in JWT_USER_CLAIMS if isinstance(v := claims.get(k), str) and v), None)


DEFAULT_DEADLINE = 60.0


def http_timeout() -> float:
    """Read timeout for one request, in seconds (DLICLI_HTTP_TIMEOUT, default 60)."""
    return _seconds(ENV_HTTP_TIMEOUT, 60.0) or 60.0


def request_deadline() -> float | None:
    """The most one call may take, every retry and backoff included (DLICLI_DEADLINE, default 60;
    0 turns it off). Uploads and streamed downloads are bounded per read, not by this."""
    return _seconds(ENV_DEADLINE, DEFAULT_DEADLINE, zero_is_off=True)


def _seconds(name: str, default: float, *, zero_is_off: bool = False) -> float | None:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError as exc:
        raise ConfigError(f"{name} is not a number: {value!r}") from exc
    if zero_is_off and seconds == 0:
        return None
    if not seconds > 0 or seconds == float("inf"):
        raise ConfigError(f"{name} must be a positive number of seconds, not {value!r}")
    return seconds
