"""The Notebooks routes: the spec's five operations, plus the local engine's own startservice.

`POST /notebooks/{username}/startservice` (admin only; body optional: `{"resourcePlan": P}`) is a
local-engine extension that `dlicli server notebook start` calls: it launches the user's Jupyter
server and answers the NotebookService, 201 when started now, 200 when one already ran.
The routes call engine.notebooks (notebooks/service.py); api/__init__.py authenticates and maps errors.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dlicli.engine import EngineError, User
from dlicli.engine.api.routing import Op, json_body
from dlicli.engine.core import Engine


def _name(request: Request) -> str:
    return request.path_params["username"]


async def start(engine: Engine, request: Request, user: User) -> Response:
    body: Any = {}
    if (await request.body()).strip():  # Starlette caches the body, so json_body reads it again
        body = await json_body(request)
    if not isinstance(body, dict):
        raise EngineError(400, 'the body must be a JSON object like {"resourcePlan": "PLAN"}')
    service, started = await run_in_threadpool(engine.notebooks.start, user, _name(request), body.get("resourcePlan"))
    return JSONResponse(service, status_code=201 if started else 200)


def services(engine: Engine, request: Request, user: User) -> Any:
    return engine.notebooks.services(user)


def service(engine: Engine, request: Request, user: User) -> Any:
    return engine.notebooks.service(user, _name(request))


def kernels(engine: Engine, request: Request, user: User) -> Any:
    return engine.notebooks.kernels(user, _name(request))


def stop(engine: Engine, request: Request, user: User) -> Any:
    return engine.notebooks.stop(user, _name(request))


def update(engine: Engine, request: Request, user: User, body: Any) -> Any:
    return engine.notebooks.update(user, _name(request), body)


OPS = [
    Op("GET", "/notebooks/runningservices", services),
    Op("GET", "/notebooks/{username}/runningservices", service),
    Op("GET", "/notebooks/{username}/runningkernels", kernels),
    Op("PUT", "/notebooks/{username}/stopservice", stop),
    Op("PUT", "/notebooks/{username}", update, body=True),
    Op("POST", "/notebooks/{username}/startservice", start),
]
