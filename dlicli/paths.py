"""Where dlicli keeps its data (the local engine's state): one rule shared by the CLI and the engine.

Kept apart from dlicli.config so the engine can use it without importing the CLI's configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_DIR = "DLICLI_DATA_DIR"


def data_dir() -> Path:
    """$DLICLI_DATA_DIR, else platformdirs' user data dir for "dlicli"."""
    value = os.environ.get(ENV_DATA_DIR)
    if value:
        return Path(value).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("dlicli"))
