"""The Scheduler routes: applications, their statistics, and driver/executor logs (shown or
downloaded), calling engine.schedapps (schedapps.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from dlicli.engine import User
from dlicli.engine.api.routing import Op, attachment, query_filters, query_int
from dlicli.engine.core import Engine

APP_FILTERS = ("applicationid", "applicationname", "driverid", "search", "sort", "order", "start", "length", "state")
STAT_FILTERS = ("applicationid", "applicationname", "consumer", "start", "length", "state")
LOG_MEDIA = "text/plain; charset=utf-8"


def applications(engine: Engine, request: Request, user: User) -> list:
    return engine.schedapps.applications(user, **query_filters(request, APP_FILTERS))


def statistics(engine: Engine, request: Request, user: User) -> list:
    return engine.schedapps.statistics(user, **query_filters(request, STAT_FILTERS))


def driver_log(engine: Engine, request: Request, user: User) -> Response:
    p = request.path_params
    return PlainTextResponse(engine.schedapps.driver_log(user, p["appid"], p["type"], query_int(request, "lastlines")))


def executor_log(engine: Engine, request: Request, user: User) -> Response:
    p = request.path_params
    lastlines = query_int(request, "lastlines")
    return PlainTextResponse(engine.schedapps.executor_log(user, p["appid"], p["executorid"], p["type"], lastlines))


def driver_download(engine: Engine, request: Request, user: User) -> Response:
    p = request.path_params
    path = engine.schedapps.log_path(user, p["appid"], None, p["type"])
    return attachment(path, f"{p['appid']}-driver-{p['type']}.log", LOG_MEDIA)


def executor_download(engine: Engine, request: Request, user: User) -> Response:
    p = request.path_params
    path = engine.schedapps.log_path(user, p["appid"], p["executorid"], p["type"])
    return attachment(path, f"{p['appid']}-executor-{p['executorid']}-{p['type']}.log", LOG_MEDIA)


_APP = "/scheduler/applications/{appid}"
OPS = [
    Op("GET", "/scheduler/applications", applications),
    Op("GET", "/scheduler/applicationStatistic", statistics),
    Op("GET", _APP + "/driver/logs/{type}", driver_log),
    Op("GET", _APP + "/driver/logs/{type}/download", driver_download),
    Op("GET", _APP + "/executor/{executorid}/logs/{type}", executor_log),
    Op("GET", _APP + "/executor/{executorid}/logs/{type}/download", executor_download),
]
