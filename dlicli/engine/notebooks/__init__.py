"""Notebooks: per-user Jupyter servers run by the engine (service.py)."""
