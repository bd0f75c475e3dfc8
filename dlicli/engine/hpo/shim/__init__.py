"""A sys.path root for plugin processes: it holds the `plugins.core` package WMLA plugins import."""
