"""The HyperSearch routes: the spec's 13 operations, calling engine.hpo (hposervice.HpoService).

POST /hypersearch and /hypersearch/algorithm/install read multipart forms with the engine's
streaming reader (upload.py): field `data` (JSON), part `file` (the model; for install, an optional
.tar of the plugin folder). /hypersearch/algorithm/debug answers a file download, task_attr.json.
Stop, force, restart and the deletes answer 204; creates answer CreationResponse {uid, href}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dlicli.engine import User
from dlicli.engine.tasks.upload import read_exec_form


def routes(api: Any, base: str, json_body: Callable) -> list[Route]:
    """Routes for `api` (an app.Api) under `base`; each path also answers with a trailing slash."""
    engine = api.engine
    hpo = engine.hpo

    async def form_call(request: Request, user: User, call: Callable, what: str, file_required: bool) -> Any:
        form = await read_exec_form(
            request, engine.data_dir / "uploads", engine.max_upload_bytes, file_required=file_required, what=what
        )
        try:
            return await run_in_threadpool(call, user, form.fields.get("data", ""), form.path, form.filename or None)
        finally:
            form.discard()

    async def create(request: Request, user: User) -> Any:
        return await form_call(
            request, user, lambda u, d, p, n: hpo.create(u, d, p, n or "model"), "POST /hypersearch", True
        )

    async def install(request: Request, user: User) -> Any:
        return await form_call(request, user, hpo.algorithm_install, "POST /hypersearch/algorithm/install", False)

    def debug(request: Request, user: User, body: Any) -> Response:
        data, filename = hpo.debug(user, body)
        return Response(
            data, media_type="application/json", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )

    def name(request: Request) -> str:
        return request.path_params["hpo_name"]

    def algo(request: Request) -> str:
        return request.path_params["algo_name"]

    e = api.endpoint
    table: list[tuple[str, str, Callable]] = [
        ("GET", "/hypersearch", e(lambda request, user: hpo.list(user))),
        ("POST", "/hypersearch", e(create)),
        ("DELETE", "/hypersearch", e(lambda request, user: hpo.delete_all(user))),
        (
            "GET",
            "/hypersearch/algorithm",
            e(lambda request, user: hpo.algorithm_list(user, request.query_params.get("type"))),
        ),
        ("POST", "/hypersearch/algorithm/install", e(install)),
        ("POST", "/hypersearch/algorithm/debug", e(debug, body=True)),
        ("GET", "/hypersearch/algorithm/{algo_name}", e(lambda request, user: hpo.algorithm_get(user, algo(request)))),
        (
            "DELETE",
            "/hypersearch/algorithm/{algo_name}",
            e(lambda request, user: hpo.algorithm_delete(user, algo(request))),
        ),
        ("GET", "/hypersearch/{hpo_name}", e(lambda request, user: hpo.get(user, name(request)))),
        ("PUT", "/hypersearch/{hpo_name}", e(lambda request, user: hpo.stop(user, name(request)))),
        ("DELETE", "/hypersearch/{hpo_name}", e(lambda request, user: hpo.delete(user, name(request)))),
        ("PUT", "/hypersearch/{hpo_name}/force", e(lambda request, user: hpo.stop(user, name(request), force=True))),
        ("PUT", "/hypersearch/{hpo_name}/restart", e(lambda request, user: hpo.restart(user, name(request)))),
    ]
    return [
        Route(variant, endpoint, methods=[method])
        for method, path, endpoint in table
        for variant in (base + path, base + path + "/")
    ]
