"""The engine log never shows the values of options named like secrets.

Users put passwords in a task's model args (`--db-password s3cr3t`, `--api_token=abc`), which reach
the engine in the `args` query string that uvicorn's access log prints, percent-encoded or not.
`redact` replaces the value of every option or query parameter whose name holds `password`,
`passwd`, `token`, `secret` or `key` (any case) with `***`, in the forms `--opt value`,
`--opt=value` and `name=value`, with a space written as ` `, `%20` or `+` and `=` as `=` or `%3D`.
A value that starts with `--` is the next option, not a value, and stays. `RedactingFormatter`
applies it to each whole formatted line (tracebacks too); serve.py puts it on the engine's handler.
"""

from __future__ import annotations

import logging
import re

_NAME = r"[\w.-]*?(?:password|passwd|token|secret|key)[\w.-]*"
_VALUE = r"(?:%(?!20)[0-9A-Fa-f]{2}|[^\s&\"'%+])+"
_OPTION = re.compile(rf"(--?{_NAME})(\s+|%20|\+|=|%3[dD])(?!--)({_VALUE})", re.IGNORECASE)
_PAIR = re.compile(rf"((?<![\w.%-]){_NAME})(=|%3[dD])({_VALUE})", re.IGNORECASE)
MASK = "***"


def redact(text: str) -> str:
    """`text` with the values of secret-looking options and parameters replaced by ***."""
    text = _OPTION.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return _PAIR.sub(lambda m: m.group(1) + m.group(2) + MASK, text)


class RedactingFormatter(logging.Formatter):
    """A Formatter whose every line has gone through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
