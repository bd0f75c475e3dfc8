"""The engine's HTTP API: Starlette routes under /platform/rest/deeplearning/v1 that call core.Engine.

Every route answers with and without a trailing slash (dlicmd.py posts to `/execs/`), every
request is authenticated, and errors are JSON `{"message": …}` with the spec's statuses.
Engine calls block (SQLite, files, processes), so they run in Starlette's threadpool.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from dlicli.engine.tasks import frameworks
from dlicli.engine.tasks.service import Engine, EngineError, User
from dlicli.engine.tasks.upload import FIELD_LIMIT, read_exec_form

BASE = "/platform/rest/deeplearning/v1"
CHALLENGE = 'Bearer realm="dlicli", Basic realm="dlicli"'
APP_FILTERS = ("applicationid", "applicationname", "driverid", "search", "sort", "order", "start", "length", "state")
STAT_FILTERS = ("applicationid", "applicationname", "consumer", "start", "length", "state")

log = logging.getLogger("dlicli.engine")


def error(status: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return JSONResponse({"message": message}, status_code=status, headers=headers)


async def json_body(request: Request) -> Any:
    """The request's JSON body (at most FIELD_LIMIT bytes); 400 when it is not JSON."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > FIELD_LIMIT:
            raise EngineError(400, f"the request body exceeds {FIELD_LIMIT} bytes")
    try:
        return json.loads(raw)
    except ValueError:
        raise EngineError(400, "the request body is not valid JSON") from None


def query_int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise EngineError(400, f"{name} must be a whole number >= 0, not {value!r}")
    return number


def query_filters(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.query_params[name] for name in names if request.query_params.get(name)}


def attachment(path: Path, filename: str, media_type: str) -> Response:
    """The file as a download; a log that does not exist yet is an empty one."""
    if path.is_file():
        return FileResponse(path, media_type=media_type, filename=filename)
    return Response(b"", media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class Api:
    """The route handlers. Sync handlers run in the threadpool; each gets (request, user[, body])."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def endpoint(self, handler: Callable, *, body: bool = False, auth: bool = True) -> Callable:
        is_async = inspect.iscoroutinefunction(handler)

        async def endpoint(request: Request) -> Response:
            try:
                args: list[Any] = [request]
                if auth:
                    user = await run_in_threadpool(self.engine.authenticate, request.headers.get("authorization"))
                    if user is None:
                        return error(401, "authentication required: send Authorization: Bearer <token>")
                    args.append(user)
                if body:
                    args.append(await json_body(request))
                result = await handler(*args) if is_async else await run_in_threadpool(handler, *args)
            except EngineError as exc:
                return error(exc.status, exc.message)
            except ClientDisconnect:
                log.info("%s %s: the client went away", request.method, request.url.path)
                return Response(status_code=400)
            except Exception as exc:
                log.exception("%s %s failed", request.method, request.url.path)
                return error(500, f"internal engine error ({type(exc).__name__}: {exc}); see the engine log")
            if isinstance(result, Response):
                return result
            if result is None:
                return Response(status_code=204)
            return JSONResponse(result)

        return endpoint

    # Configuration and auth ---------------------------------------------------------------
    def conf(self, request: Request, user: User) -> dict:
        return self.engine.conf()

    def logon(self, request: Request) -> dict:
        return {"accessToken": self.engine.logon(request.headers.get("authorization"))}

    def logoff(self, request: Request) -> None:
        self.engine.logoff(request.headers.get("authorization"))

    # Execute ------------------------------------------------------------------------------
    def list_tasks(self, request: Request, user: User) -> list:
        return self.engine.list_tasks(user)

    def delete_all(self, request: Request, user: User) -> None:
        self.engine.delete_all(user)

    def frameworks(self, request: Request, user: User) -> list:
        return self.engine.frameworks()

    async def submit(self, request: Request, user: User) -> dict:
        args = request.query_params.get("args", "")
        if args.strip():
            frameworks.parse_args(args)  # refuse bad args before reading a large upload
        form = await read_exec_form(request, self.engine.data_dir / "uploads", self.engine.max_upload_bytes)
        try:
            return await run_in_threadpool(
                self.engine.submit, user, args, form.filename or "model", form.path, form.fields.get("data")
            )
        finally:
            form.discard()

    def get_task(self, request: Request, user: User) -> dict:
        return self.engine.get_task(user, request.path_params["exec_id"])

    def delete_task(self, request: Request, user: User) -> None:
        self.engine.delete_task(user, request.path_params["exec_id"])

    def stop_task(self, request: Request, user: User) -> None:
        self.engine.stop_task(user, request.path_params["exec_id"])

    def read_log(self, request: Request, user: User) -> Response:
        text = self.engine.read_log(user, request.path_params["exec_id"], request.query_params.get("logType") or None)
        return JSONResponse(text)  # a JSON-encoded string, as WMLA answers

    def result(self, request: Request, user: User) -> Response:
        path, name = self.engine.result_zip(user, request.path_params["exec_id"])
        return attachment(path, name, "application/zip")

    def deploy(self, request: Request, user: User, body: Any) -> dict:
        return self.engine.deploy(user, request.path_params["exec_id"], body)

    # Scheduler ----------------------------------------------------------------------------
    def applications(self, request: Request, user: User) -> list:
        return self.engine.applications(user, **query_filters(request, APP_FILTERS))

    def statistic(self, request: Request, user: User) -> list:
        return self.engine.application_statistic(user, **query_filters(request, STAT_FILTERS))

    def driver_log(self, request: Request, user: User) -> Response:
        p = request.path_params
        return PlainTextResponse(self.engine.driver_log(user, p["appid"], p["type"], query_int(request, "lastlines")))

    def executor_log(self, request: Request, user: User) -> Response:
        p = request.path_params
        text = self.engine.executor_log(user, p["appid"], p["executorid"], p["type"], query_int(request, "lastlines"))
        return PlainTextResponse(text)

    def driver_download(self, request: Request, user: User) -> Response:
        p = request.path_params
        path = self.engine.log_path(user, p["appid"], None, p["type"])
        return attachment(path, f"{p['appid']}-driver-{p['type']}.log", "text/plain; charset=utf-8")

    def executor_download(self, request: Request, user: User) -> Response:
        p = request.path_params
        path = self.engine.log_path(user, p["appid"], p["executorid"], p["type"])
        return attachment(path, f"{p['appid']}-executor-{p['executorid']}-{p['type']}.log", "text/plain; charset=utf-8")

    # Resource plans -----------------------------------------------------------------------
    def create_resplan(self, request: Request, user: User, body: Any) -> Response:
        self.engine.create_resplan(user, body)
        return Response(status_code=201)

    def update_resplan(self, request: Request, user: User, body: Any) -> None:
        self.engine.update_resplan(user, body)

    def get_resplan(self, request: Request, user: User) -> dict:
        return self.engine.get_resplan(user, request.path_params["name"])

    def delete_resplan(self, request: Request, user: User) -> Response:
        self.engine.delete_resplan(user, request.path_params["name"])
        return Response(status_code=200)

    def resplan_tree(self, request: Request, user: User) -> Any:
        return self.engine.resplan_tree(user)


def _routes(api: Api) -> list[Route]:
    e = api.endpoint
    table: list[tuple[str, str, Callable]] = [
        ("GET", "/conf", e(api.conf)),
        ("GET", "/execs", e(api.list_tasks)),
        ("POST", "/execs", e(api.submit)),
        ("DELETE", "/execs", e(api.delete_all)),
        ("GET", "/execs/frameworks", e(api.frameworks)),
        ("GET", "/execs/{exec_id}", e(api.get_task)),
        ("DELETE", "/execs/{exec_id}", e(api.delete_task)),
        ("GET", "/execs/{exec_id}/log", e(api.read_log)),
        ("GET", "/execs/{exec_id}/result", e(api.result)),
        ("POST", "/execs/{exec_id}/stop", e(api.stop_task)),
        ("POST", "/execs/{exec_id}/deploy", e(api.deploy, body=True)),
        ("GET", "/scheduler/applications", e(api.applications)),
        ("GET", "/scheduler/applicationStatistic", e(api.statistic)),
        ("GET", "/scheduler/applications/{appid}/driver/logs/{type}", e(api.driver_log)),
        ("GET", "/scheduler/applications/{appid}/driver/logs/{type}/download", e(api.driver_download)),
        ("GET", "/scheduler/applications/{appid}/executor/{executorid}/logs/{type}", e(api.executor_log)),
        ("GET", "/scheduler/applications/{appid}/executor/{executorid}/logs/{type}/download", e(api.executor_download)),
        ("POST", "/resplans/resplan", e(api.create_resplan, body=True)),
        ("PUT", "/resplans/resplan", e(api.update_resplan, body=True)),
        ("GET", "/resplans/resplan/{name}", e(api.get_resplan)),
        ("DELETE", "/resplans/resplan/{name}", e(api.delete_resplan)),
        ("GET", "/resplans/resplantree", e(api.resplan_tree)),
    ]
    routes: list[Route] = []
    for method, path, endpoint in table:
        for variant in (BASE + path, BASE + path + "/"):
            routes.append(Route(variant, endpoint, methods=[method]))
    from dlicli.engine.api import hypersearch as routes_hpo  # the HyperSearch routes live there

    routes += routes_hpo.routes(api, BASE, json_body)
    from dlicli.engine.api import notebooks as routes_notebooks  # the Notebooks routes (and startservice) live there

    routes += routes_notebooks.routes(api, BASE, json_body)
    for method, path, endpoint in (
        ("GET", "/auth/v1/logon", e(api.logon, auth=False)),
        ("POST", "/auth/v1/logoff", e(api.logoff, auth=False)),
    ):
        routes += [Route(path, endpoint, methods=[method]), Route(path + "/", endpoint, methods=[method])]
    return routes


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 404:
        return error(404, f"no such endpoint: {request.method} {request.url.path}")
    if status == 405:
        return error(405, f"{request.method} is not allowed on {request.url.path}")
    return error(status, str(getattr(exc, "detail", "") or exc))


def create_app(engine: Engine) -> Starlette:
    """The ASGI app for a started Engine; the caller owns the engine's start and shutdown."""
    app = Starlette(routes=_routes(Api(engine)), exception_handlers={HTTPException: _http_error})
    app.router.redirect_slashes = False  # both spellings are routes; a 307 would lose a POST's body
    app.state.engine = engine
    return app
