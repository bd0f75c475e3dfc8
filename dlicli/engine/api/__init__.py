"""The engine's HTTP API: Starlette routes under /platform/rest/deeplearning/v1 that call the
engine's per-tag services (core.Engine: engine.execs, engine.hpo, …).

One routes module per API tag (conf, execs, hypersearch, notebooks, resplans, scheduler) plus
auth, each with an `OPS` table; this module wraps every handler the same way (authenticate,
read the JSON body, run it, map errors with errors.py) and answers each path with and without
a trailing slash (dlicmd.py posts to `/execs/`), matched on the path as sent, one segment per
`{param}` (routing.SegmentRoute: an id holding `%2F` never reaches another operation). Sync
handlers run in Starlette's threadpool.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from dlicli.engine.api import auth, conf, execs, hypersearch, notebooks, resplans, scheduler
from dlicli.engine.api.errors import failure, http_error
from dlicli.engine.api.routing import BASE, JSONAnswer, Op, SegmentRoute, json_body
from dlicli.engine.core import Engine

__all__ = ["BASE", "create_app"]

USER_HEADER = "X-Dlicli-User"
TAGS = (conf, execs, scheduler, resplans, hypersearch, notebooks)


def endpoint(engine: Engine, op: Op) -> Callable:
    """The ASGI endpoint of one operation: authenticate, add the body, call, answer."""
    is_async = inspect.iscoroutinefunction(op.handler)

    async def answer(request: Request) -> Response:
        user = None
        try:
            args: list[Any] = [engine, request]
            if op.auth:
                user = await auth.authorize(engine, request)
                args.append(user)
            if op.body:
                args.append(await json_body(request))
            result = await op.handler(*args) if is_async else await run_in_threadpool(op.handler, *args)
        except Exception as exc:  # noqa: BLE001 - every failure is answered (errors.failure)
            return failure(request, exc)
        if isinstance(result, Response):
            response = result
        else:
            response = Response(status_code=204) if result is None else JSONAnswer(result)
        if user is not None:  # who the caller is (`dlicli status`): the dlpd API has no operation that says it
            response.headers[USER_HEADER] = user.name
        return response

    return answer


def routes(engine: Engine, ops: list[Op], base: str) -> list[SegmentRoute]:
    """Both spellings of each path (`/x` and `/x/`) under `base`."""
    found = []
    for op in ops:
        answer = endpoint(engine, op)
        found += [SegmentRoute(base + op.path + slash, answer, methods=[op.method]) for slash in ("", "/")]
    return found


def create_app(engine: Engine) -> Starlette:
    """The ASGI app for a started Engine; the caller owns the engine's start and shutdown."""
    table = [route for tag in TAGS for route in routes(engine, tag.OPS, BASE)]
    table += routes(engine, auth.OPS, auth.BASE)
    app = Starlette(routes=table, exception_handlers={HTTPException: http_error})
    app.router.redirect_slashes = False  # both spellings are routes; a 307 would lose a POST's body
    app.state.engine = engine
    return app
