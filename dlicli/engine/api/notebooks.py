"""The Notebooks routes: the spec's five operations, plus the local engine's own startservice.

`POST /notebooks/{username}/startservice` (admin only; body optional: `{"resourcePlan": P}`) is a
local-engine extension that `dlicli server notebook start` calls: it launches the user's Jupyter
server and answers the NotebookService, 201 when started now, 200 when one already ran.
The routes call engine.notebooks (NotebookManager); app.Api.endpoint authenticates and maps errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dlicli.engine import EngineError, User
from dlicli.engine.notebooks.service import NotebookManager


def _name(request: Request) -> str:
    return request.path_params["username"]


def routes(api: Any, base: str, json_body: Callable) -> list[Route]:
    """Routes for `api` (an app.Api) under `base`; each path also answers with a trailing slash."""
    nb: NotebookManager = api.engine.notebooks

    async def start(request: Request, user: User) -> Response:
        body: Any = {}
        if (await request.body()).strip():  # Starlette caches the body, so json_body reads it again
            body = await json_body(request)
        if not isinstance(body, dict):
            raise EngineError(400, 'the body must be a JSON object like {"resourcePlan": "PLAN"}')
        service, started = await run_in_threadpool(nb.start, user, _name(request), body.get("resourcePlan"))
        return JSONResponse(service, status_code=201 if started else 200)

    e = api.endpoint
    table: list[tuple[str, str, Callable]] = [
        ("GET", "/notebooks/runningservices", e(lambda request, user: nb.services(user))),
        ("GET", "/notebooks/{username}/runningservices", e(lambda request, user: nb.service(user, _name(request)))),
        ("GET", "/notebooks/{username}/runningkernels", e(lambda request, user: nb.kernels(user, _name(request)))),
        ("PUT", "/notebooks/{username}/stopservice", e(lambda request, user: nb.stop(user, _name(request)))),
        (
            "PUT",
            "/notebooks/{username}",
            e(lambda request, user, body: nb.update(user, _name(request), body), body=True),
        ),
        ("POST", "/notebooks/{username}/startservice", e(start)),
    ]
    return [
        Route(variant, endpoint, methods=[method])
        for method, path, endpoint in table
        for variant in (base + path, base + path + "/")
    ]
