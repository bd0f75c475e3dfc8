"""WMLA's `plugins` package, as a plugin's optimizer.py sees it on WMLA."""
