"""Authentication: the Authorization check every API request passes (Bearer token, Basic
user:token or user:password, or a raw token; 401 with a challenge otherwise) and the WMLA console's
GET /auth/v1/logon (a session token that expires after --session-hours; 401 "token expired; log on
again" after that) and POST /auth/v1/logoff (revokes the session token it is called with), served
outside the API's base path."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from dlicli.engine import EngineError, User
from dlicli.engine.api.routing import Op
from dlicli.engine.core import Engine


async def authorize(engine: Engine, request: Request) -> User:
    """The user the request's Authorization header proves; EngineError 401 when none."""
    header = request.headers.get("authorization")
    user = await run_in_threadpool(engine.users.authenticate, header)
    if user is None:
        raise EngineError(401, await run_in_threadpool(engine.users.failure_message, header))
    return user


def logon(engine: Engine, request: Request) -> dict:
    return {"accessToken": engine.users.logon(request.headers.get("authorization"))}


def logoff(engine: Engine, request: Request) -> None:
    engine.users.logoff(request.headers.get("authorization"))


BASE = ""  # these paths are the console's, not under the API's base path
OPS = [
    Op("GET", "/auth/v1/logon", logon, auth=False),
    Op("POST", "/auth/v1/logoff", logoff, auth=False),
]
