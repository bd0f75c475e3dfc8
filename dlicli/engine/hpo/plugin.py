"""Loading a WMLA plugin inside the plugin process: the shim on sys.path, optimizer.py imported,
its PluginOptimizer class returned. Standard library only (it runs in the plugin's own Python).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from dlicli.engine.hpo.base import OptimizerError

SHIM_DIR = Path(__file__).resolve().parent / "shim"


def find_optimizer(plugin_dir: str | Path) -> Path:
    """optimizer.py in the plugin folder, or in its only subfolder (a tar of the folder itself)."""
    root = Path(plugin_dir)
    if (root / "optimizer.py").is_file():
        return root / "optimizer.py"
    subs = [p for p in root.iterdir() if p.is_dir() and (p / "optimizer.py").is_file()] if root.is_dir() else []
    if len(subs) == 1:
        return subs[0] / "optimizer.py"
    raise OptimizerError(f"no optimizer.py in the plugin folder {root}")


def load_plugin_class(plugin_dir: str | Path) -> type:
    """Import the plugin's optimizer.py as module `optimizer` and return PluginOptimizer."""
    path = find_optimizer(plugin_dir)
    for entry in (str(path.parent), str(SHIM_DIR)):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    spec = importlib.util.spec_from_file_location("optimizer", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["optimizer"] = module
    spec.loader.exec_module(module)
    cls = getattr(module, "PluginOptimizer", None)
    if not isinstance(cls, type):
        raise OptimizerError(f"{path} defines no class PluginOptimizer")
    return cls
