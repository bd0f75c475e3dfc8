"""The HyperSearch routes: the spec's 13 operations, calling engine.hpo (hpo/service.py).

POST /hypersearch and /hypersearch/algorithm/install read multipart forms with the engine's
streaming reader (tasks/upload.py): field `data` (JSON), part `file` (the model; for install, an optional
.tar of the plugin folder). /hypersearch/algorithm/debug answers a file download, task_attr.json.
Stop, force, restart and the deletes answer 204; creates answer CreationResponse {uid, href}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from dlicli.engine import User
from dlicli.engine.api.routing import Op
from dlicli.engine.core import Engine
from dlicli.engine.tasks.upload import read_exec_form


async def _form_call(
    engine: Engine, request: Request, user: User, call: Callable, what: str, file_required: bool
) -> Any:
    """Read the multipart form, then call(user, data field, file path, file name) in the threadpool."""
    uploads, limit = engine.data_dir / "uploads", engine.settings.max_upload_bytes
    form = await read_exec_form(request, uploads, limit, file_required=file_required, what=what)
    try:
        return await run_in_threadpool(call, user, form.fields.get("data", ""), form.path, form.filename or None)
    finally:
        form.discard()


def _name(request: Request) -> str:
    return request.path_params["hpo_name"]


def _algo(request: Request) -> str:
    return request.path_params["algo_name"]


async def create(engine: Engine, request: Request, user: User) -> Any:
    def call(user: User, data: Any, path: Any, filename: str | None) -> Any:
        return engine.hpo.create(user, data, path, filename or "model")

    return await _form_call(engine, request, user, call, "POST /hypersearch", True)


async def install(engine: Engine, request: Request, user: User) -> Any:
    call = engine.hpo.algorithm_install
    return await _form_call(engine, request, user, call, "POST /hypersearch/algorithm/install", False)


def debug(engine: Engine, request: Request, user: User, body: Any) -> Response:
    data, filename = engine.hpo.debug(user, body)
    return Response(
        data, media_type="application/json", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def list_tasks(engine: Engine, request: Request, user: User) -> Any:
    return engine.hpo.list(user)


def delete_all(engine: Engine, request: Request, user: User) -> None:
    engine.hpo.delete_all(user)


def algorithm_list(engine: Engine, request: Request, user: User) -> Any:
    return engine.hpo.algorithm_list(user, request.query_params.get("type"))


def algorithm_get(engine: Engine, request: Request, user: User) -> Any:
    return engine.hpo.algorithm_get(user, _algo(request))


def algorithm_delete(engine: Engine, request: Request, user: User) -> None:
    engine.hpo.algorithm_delete(user, _algo(request))


def get(engine: Engine, request: Request, user: User) -> Any:
    return engine.hpo.get(user, _name(request))


def stop(engine: Engine, request: Request, user: User) -> None:
    engine.hpo.stop(user, _name(request))


def force_stop(engine: Engine, request: Request, user: User) -> None:
    engine.hpo.stop(user, _name(request), force=True)


def restart(engine: Engine, request: Request, user: User) -> None:
    engine.hpo.restart(user, _name(request))


def delete(engine: Engine, request: Request, user: User) -> None:
    engine.hpo.delete(user, _name(request))


OPS = [
    Op("GET", "/hypersearch", list_tasks),
    Op("POST", "/hypersearch", create),
    Op("DELETE", "/hypersearch", delete_all),
    Op("GET", "/hypersearch/algorithm", algorithm_list),
    Op("POST", "/hypersearch/algorithm/install", install),
    Op("POST", "/hypersearch/algorithm/debug", debug, body=True),
    Op("GET", "/hypersearch/algorithm/{algo_name}", algorithm_get),
    Op("DELETE", "/hypersearch/algorithm/{algo_name}", algorithm_delete),
    Op("GET", "/hypersearch/{hpo_name}", get),
    Op("PUT", "/hypersearch/{hpo_name}", stop),
    Op("DELETE", "/hypersearch/{hpo_name}", delete),
    Op("PUT", "/hypersearch/{hpo_name}/force", force_stop),
    Op("PUT", "/hypersearch/{hpo_name}/restart", restart),
]
