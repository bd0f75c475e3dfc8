"""`from plugins.core.base_plugin_opt import BasePluginOptimizer`, as on WMLA."""

from dlicli.engine.hpo.algorithms.base import BasePluginOptimizer

__all__ = ["BasePluginOptimizer"]
