"""The ResourcePlans routes: create, update, get, delete a plan and the plan tree, calling
engine.resplans (resplans.py). A create answers 201, a delete 200 (both with no body)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dlicli.engine import User
from dlicli.engine.api.routing import Op
from dlicli.engine.core import Engine


def create(engine: Engine, request: Request, user: User, body: Any) -> Response:
    engine.resplans.create(user, body)
    return Response(status_code=201)


def update(engine: Engine, request: Request, user: User, body: Any) -> None:
    engine.resplans.update(user, body)


def get(engine: Engine, request: Request, user: User) -> dict:
    return engine.resplans.get(user, request.path_params["name"])


def delete(engine: Engine, request: Request, user: User) -> Response:
    engine.resplans.delete(user, request.path_params["name"])
    return Response(status_code=200)


def tree(engine: Engine, request: Request, user: User) -> Any:
    return engine.resplans.tree(user)


OPS = [
    Op("POST", "/resplans/resplan", create, body=True),
    Op("PUT", "/resplans/resplan", update, body=True),
    Op("GET", "/resplans/resplan/{name}", get),
    Op("DELETE", "/resplans/resplan/{name}", delete),
    Op("GET", "/resplans/resplantree", tree),
]
