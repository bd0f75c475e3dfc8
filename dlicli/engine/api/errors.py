"""The API's one error mapper: EngineError → JSON {"message"} with its status (a 401 also carries
the challenge header), a client gone mid-upload → 400, anything else → 500 (logged); and
Starlette's own 404/405 for a path or method the API does not have, in the same shape."""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from dlicli.engine import EngineError
from dlicli.engine.api.routing import JSONAnswer

CHALLENGE = 'Bearer realm="dlicli", Basic realm="dlicli"'

log = logging.getLogger("dlicli.engine")


def error(status: int, message: str) -> JSONAnswer:
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return JSONAnswer({"message": message}, status_code=status, headers=headers)


def failure(request: Request, exc: Exception) -> Response:
    """The answer to a handler's exception."""
    if isinstance(exc, EngineError):
        return error(exc.status, exc.message)
    if isinstance(exc, ClientDisconnect):
        log.info("%s %s: the client went away", request.method, request.url.path)
        return Response(status_code=400)
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error(500, f"internal engine error ({type(exc).__name__}: {exc}); see the engine log")


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTPException (no such route, method not allowed) as a JSON message."""
    status = getattr(exc, "status_code", 500)
    if status == 404:
        return error(404, f"no such endpoint: {request.method} {request.url.path}")
    if status == 405:
        return error(405, f"{request.method} is not allowed on {request.url.path}")
    return error(status, str(getattr(exc, "detail", "") or exc))
