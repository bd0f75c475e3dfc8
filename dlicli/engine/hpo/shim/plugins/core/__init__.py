"""WMLA's `plugins.core`: base_plugin_opt (BasePluginOptimizer) and logger (`logger`)."""
