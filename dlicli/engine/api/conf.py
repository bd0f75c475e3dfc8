"""The Configuration routes: GET /conf (the engine's DLI_* settings) and GET /openapi.json, the
API's OpenAPI document (dlicli/engine/api/openapi.json, made by scripts/gen_openapi.py from the
dlpd spec). The document is public, as such documents are: it holds no secret, and tools read it
before they have a token."""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from dlicli.engine import User
from dlicli.engine.api.routing import Op
from dlicli.engine.core import Engine


def get_conf(engine: Engine, request: Request, user: User) -> dict:
    return engine.conf.get()


@cache
def openapi_bytes() -> bytes:
    """The packaged document, read once."""
    return resources.files("dlicli.engine.api").joinpath("openapi.json").read_bytes()


def openapi_document(engine: Engine, request: Request) -> Response:
    return Response(openapi_bytes(), media_type="application/json")


OPS = [
    Op("GET", "/conf", get_conf),
    Op("GET", "/openapi.json", openapi_document, auth=False),
]
