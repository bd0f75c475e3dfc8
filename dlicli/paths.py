"""Names and places shared by the CLI, the client and the local engine, each defined once. Stdlib only.

The API's base path, the local engine's default address and the files in its data dir, the
environment variables dlicli reads, and the two directories every file dlicli writes lives in:
config_dir() (config.yaml, credentials.yaml) and data_dir() (the engine's state, logs, pidfile).
Kept apart from dlicli.config so the engine and the client can use it without the CLI's configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

API_BASE_PATH = "/platform/rest/deeplearning/v1"  # the dlpd service's base path (the spec's)

# The local engine: where it listens by default, and what it keeps in the data dir.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9281
DEFAULT_ENGINE_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}{API_BASE_PATH}"
ENGINE_JSON = "engine.json"  # written by serve once it answers: pid, url, version …
ENGINE_LOG = "engine.log"
ADMIN_TOKEN = "admin.token"
TRUST_SETTING = "trust.json"  # `server start --shared-trust`, remembered for later starts and user adds
START_SETTING = "start.json"  # `server start`'s --host, --port, --slots, limits …, remembered for later starts

# Environment variables.
ENV_URL = "DLICLI_URL"
ENV_TOKEN = "DLICLI_TOKEN"
ENV_USERNAME = "DLICLI_USERNAME"
ENV_PASSWORD = "DLICLI_PASSWORD"
ENV_PROFILE = "DLICLI_PROFILE"
ENV_CA_BUNDLE = "DLICLI_CA_BUNDLE"
ENV_INSECURE = "DLICLI_INSECURE"
ENV_CONFIG_DIR = "DLICLI_CONFIG_DIR"
ENV_DATA_DIR = "DLICLI_DATA_DIR"
ENV_CREDENTIALS_STORE = "DLICLI_CREDENTIALS_STORE"
ENV_HTTP_TIMEOUT = "DLICLI_HTTP_TIMEOUT"
ENV_DEADLINE = "DLICLI_DEADLINE"
# never handed to the engine or its tasks (they inherit its environment)
SECRET_ENV = (ENV_TOKEN, ENV_PASSWORD, ENV_USERNAME)


def config_dir() -> Path:
    """$DLICLI_CONFIG_DIR, else platformdirs' user config dir for "dlicli"."""
    value = os.environ.get(ENV_CONFIG_DIR)
    if value:
        return Path(value).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("dlicli"))


def data_dir() -> Path:
    """$DLICLI_DATA_DIR, else platformdirs' user data dir for "dlicli"; always absolute."""
    value = os.environ.get(ENV_DATA_DIR)
    if value:
        return Path(value).expanduser().absolute()
    from platformdirs import user_data_dir

    return Path(user_data_dir("dlicli")).absolute()
