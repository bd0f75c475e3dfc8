"""The local engine: a dlpd-compatible server for one machine that really runs training tasks.

This package imports only the standard library (server dependencies live in api/ and serve.py).
`EngineError` and `User` live here so every engine module can raise them without import cycles.

Layout: core.Engine builds and owns one service per API tag (tasks/service.py, schedapps.py,
resplans.py, hpo/service.py, notebooks/service.py, users.py, conf.py); api/ has one routes
module per tag; tasks/ runs the training processes; hpo/ drives searches (algorithms/ inside).
"""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """A failure the HTTP layer turns into a status: 400, 401, 403, 404, 409 or 500."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class User:
    name: str
    admin: bool = False


NOT_FOUND_EXEC = "Cannot find task with given execId."
