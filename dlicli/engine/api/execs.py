"""The Execute routes: /execs (submit, list, delete all), /execs/frameworks and /execs/{execId}
(get, delete, log, result, stop, deploy), calling engine.execs (tasks/service.py).

POST /execs reads the multipart upload with the engine's streaming reader (tasks/upload.py):
query `args` (dlicmd-style), part `file` (the model), optional field `data` (JSON).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from dlicli.engine import User
from dlicli.engine.api.routing import Op, attachment
from dlicli.engine.core import Engine
from dlicli.engine.tasks import execargs, logtimes
from dlicli.engine.tasks.upload import read_exec_form


def _exec_id(request: Request) -> str:
    return request.path_params["exec_id"]


async def submit(engine: Engine, request: Request, user: User) -> dict:
    args = request.query_params.get("args", "")
    if args.strip():
        execargs.parse_args(args)  # refuse bad args before reading a large upload
    form = await read_exec_form(request, engine.data_dir / "uploads", engine.settings.max_upload_bytes)
    assert form.path is not None  # read_exec_form requires the part file here
    try:
        return await run_in_threadpool(
            engine.execs.submit, user, args, form.filename or "model", form.path, form.fields.get("data"), form.extras
        )
    finally:
        form.discard()


def list_tasks(engine: Engine, request: Request, user: User) -> list:
    """GET /execs with dlicmd.py's --query-args (state, sort_by, limit; see tasks/query.py)."""
    return engine.execs.list_tasks(user, request.query_params)


def delete_all(engine: Engine, request: Request, user: User) -> None:
    engine.execs.delete_all(user)


def list_frameworks(engine: Engine, request: Request, user: User) -> list:
    return engine.execs.frameworks()


def get_task(engine: Engine, request: Request, user: User) -> dict:
    return engine.execs.get_task(user, _exec_id(request))


def delete_task(engine: Engine, request: Request, user: User) -> None:
    engine.execs.delete_task(user, _exec_id(request))


def stop_task(engine: Engine, request: Request, user: User) -> None:
    engine.execs.stop_task(user, _exec_id(request))


def read_log(engine: Engine, request: Request, user: User) -> Response:
    """The log as a JSON-encoded string (the spec's answer), or as plain text when the request
    asks for text/plain first, as dlicmd.py does and WMLA answers it (IBM's samples show dlicmd
    printing raw lines). The Kubernetes log API's timestamps, sinceSeconds and tailLines are an
    engine extension (tasks/logtimes.py)."""
    query = logtimes.parse_query(request.query_params)
    text = engine.execs.read_log(user, _exec_id(request), request.query_params.get("logType") or None, query)
    headers = {logtimes.HEADER: "1"} if query.timestamps else None
    if wants_plain_text(request.headers.get("accept", "")):
        return PlainTextResponse(text, headers=headers)
    return JSONResponse(text, headers=headers)


def wants_plain_text(accept: str) -> bool:
    """Whether an Accept header's first media type is text/plain (`text/plain`, `text/plain;
    q=0.9, */*`); anything else, or none, gets the spec's JSON."""
    first = accept.split(",")[0].split(";")[0].strip().lower()
    return first == "text/plain"


def result(engine: Engine, request: Request, user: User) -> Response:
    path, name = engine.execs.result_zip(user, _exec_id(request))
    return attachment(path, name, "application/zip")


def deploy(engine: Engine, request: Request, user: User, body: Any) -> dict:
    return engine.execs.deploy(user, _exec_id(request), body)


OPS = [
    Op("GET", "/execs", list_tasks),
    Op("POST", "/execs", submit),
    Op("DELETE", "/execs", delete_all),
    Op("GET", "/execs/frameworks", list_frameworks),
    Op("GET", "/execs/{exec_id}", get_task),
    Op("DELETE", "/execs/{exec_id}", delete_task),
    Op("GET", "/execs/{exec_id}/log", read_log),
    Op("GET", "/execs/{exec_id}/result", result),
    Op("POST", "/execs/{exec_id}/stop", stop_task),
    Op("POST", "/execs/{exec_id}/deploy", deploy, body=True),
]
