"""dlicli: a command-line tool for the WMLA deep-learning REST API (dlpd)."""

__version__ = "0.1.0"
