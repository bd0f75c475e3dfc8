"""The Configuration routes: GET /conf (the engine's DLI_* settings)."""

from __future__ import annotations

from starlette.requests import Request

from dlicli.engine import User
from dlicli.engine.api.routing import Op
from dlicli.engine.core import Engine


def get_conf(engine: Engine, request: Request, user: User) -> dict:
    return engine.conf.get()


OPS = [Op("GET", "/conf", get_conf)]
