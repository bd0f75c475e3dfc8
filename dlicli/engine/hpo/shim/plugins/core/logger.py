"""`from plugins.core.logger import logger`, as on WMLA: a logging.Logger writing to stderr, which
the plugin host sends to the task's log. Level from DLICLI_HPO_PLUGIN_LOG_LEVEL (default INFO)."""

import logging
import os
import sys

logger = logging.getLogger("hpo.plugin")
if not logger.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(filename)s:%(lineno)d %(message)s"))
    logger.addHandler(_handler)
    logger.propagate = False
    _level = os.environ.get("DLICLI_HPO_PLUGIN_LOG_LEVEL", "INFO").strip().upper()
    _level = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(_level, _level)
    logger.setLevel(_level if _level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO")
