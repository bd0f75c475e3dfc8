"""Where dlicli keeps its settings, and how a connection is resolved: flag → env → profile.

MINIMAL FIRST VERSION: env and config.yaml profiles; secret stores come next.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlicli.errors import ConfigError

ENV_URL = "DLICLI_URL"
ENV_TOKEN = "DLICLI_TOKEN"
ENV_USERNAME = "DLICLI_USERNAME"
ENV_PASSWORD = "DLICLI_PASSWORD"
ENV_PROFILE = "DLICLI_PROFILE"
ENV_CA_BUNDLE = "DLICLI_CA_BUNDLE"
ENV_INSECURE = "DLICLI_INSECURE"
ENV_CONFIG_DIR = "DLICLI_CONFIG_DIR"
ENV_DATA_DIR = "DLICLI_DATA_DIR"

TRUE_WORDS = ("1", "true", "yes", "on")


def config_dir() -> Path:
    value = os.environ.get(ENV_CONFIG_DIR)
    if value:
        return Path(value).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("dlicli"))


def data_dir() -> Path:
    value = os.environ.get(ENV_DATA_DIR)
    if value:
        return Path(value).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("dlicli"))


@dataclass
class Connection:
    """Everything needed to talk to one server. `authorization` is a secret: never print it."""

    url: str
    authorization: str | None = field(default=None, repr=False)
    profile: str | None = None
    username: str | None = None
    secret_source: str = "none"
    insecure: bool = False
    ca_bundle: str | None = None

    def describe(self) -> dict[str, Any]:
        """What `status` may show: no secret."""
        return {
            "profile": self.profile,
            "url": self.url,
            "user": self.username,
            "secretSource": self.secret_source,
            "insecure": self.insecure,
            "caBundle": self.ca_bundle,
        }


def resolve_connection(
    *,
    url: str | None = None,
    profile: str | None = None,
    insecure: bool | None = None,
    ca_bundle: str | None = None,
) -> Connection:
    """The connection this invocation uses: flags first, then the environment, then the profile."""
    from dlicli.client.http import authorization_header, normalize_base_url

    env = os.environ
    url = url or env.get(ENV_URL)
    if not url:
        raise ConfigError(
            "no server configured",
            hint=f"run `dlicli login --url URL`, or set {ENV_URL} and {ENV_TOKEN}",
        )
    token = env.get(ENV_TOKEN)
    username = env.get(ENV_USERNAME)
    password = env.get(ENV_PASSWORD)
    source = "none"
    if token:
        source = f"env:{ENV_TOKEN}"
    elif username and password is not None:
        source = f"env:{ENV_PASSWORD}"
    if insecure is None:
        insecure = env.get(ENV_INSECURE, "").lower() in TRUE_WORDS
    ca_bundle = ca_bundle or env.get(ENV_CA_BUNDLE) or env.get("REQUESTS_CA_BUNDLE") or None
    return Connection(
        url=normalize_base_url(url),
        authorization=authorization_header(token=token, username=username, password=password),
        profile=profile,
        username=username,
        secret_source=source,
        insecure=insecure,
        ca_bundle=ca_bundle,
    )


def http_timeout() -> float:
    """Read timeout for one request, in seconds (DLICLI_HTTP_TIMEOUT, default 60)."""
    value = os.environ.get("DLICLI_HTTP_TIMEOUT")
    if not value:
        return 60.0
    try:
        seconds = float(value)
    except ValueError as exc:
        raise ConfigError(f"DLICLI_HTTP_TIMEOUT is not a number: {value!r}") from exc
    if seconds <= 0:
        raise ConfigError(f"DLICLI_HTTP_TIMEOUT must be positive, not {value!r}")
    return seconds
