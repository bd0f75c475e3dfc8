"""The [plots] extra, imported only when a report is made: missing, a usage error (exit 2) that
says how to install it."""

from __future__ import annotations

import importlib
from types import ModuleType

from dlicli.errors import UsageError

INSTALL = "pip install 'dlicli[plots]'"


def need(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(f"hpo report needs {module.split('.')[0]}, from the [plots] extra", hint=INSTALL) from None
