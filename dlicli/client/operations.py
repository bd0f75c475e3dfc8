"""One method per operation of the dlpd REST API v1, named after its operationId.

Each returns what the server sent, decoded (JSON → dict/list/str, text → str, empty → None),
so `--json` can print it exactly; `dlicli.wmla` names the states and spellings in it.
Path segments are URL-quoted; query values are encoded by httpx.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from dlicli.client.http import HttpSession
from dlicli.client.multipart import ByteStream, MultipartBody
from dlicli.errors import require_identifier


def _seg(value: str | int) -> str:
    """One path segment, quoted so ids and names with `/`, spaces or `#` stay one segment. A blank
    one is a BlankIdentifier (a ValueError): `/execs/` + "" would be DELETE /execs, every task."""
    return quote(require_identifier(value), safe="")


def _form_json(value: Any) -> str:
    return value if isinstance(value, str) else jsonlib.dumps(value)


class DlpdClient:
    """The dlpd API as methods. Wraps an `HttpSession`; holds no other state."""

    def __init__(self, session: HttpSession):
        self.http = session

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DlpdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- Configuration ----------------------------------------------------------------------

    def get_deep_learning_conf(self) -> dict[str, str]:
        """GET /conf"""
        return self.http.call("GET", "/conf", operation="getDeepLearningConf")

    # -- Execute ----------------------------------------------------------------------------

    def execs_get(self, query: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """GET /execs[?state=&sort_by=&limit=] (the query args dlicmd.py's --query-args documents)"""
        return self.http.call("GET", "/execs", operation="execsGet", params=query or None) or []

    def execs_post(
        self,
        args: str,
        file_name: str,
        file: ByteStream | bytes,
        data: dict[str, Any] | str | None = None,
        content_type: str = "application/octet-stream",
        *,
        size: int | None = None,
        progress: Callable[[int], None] | None = None,
        extra_files: Sequence[tuple[str, ByteStream | bytes]] = (),
    ) -> Any:
        """POST /execs?args=… with multipart part `file` and optional form field `data`.

        `file` is streamed from 0 (a seekable stream, e.g. modeldir.TarStream, or bytes);
        `extra_files` (file name, stream) follow as further parts also named `file`, as dlicmd.py
        sends `--conda-env-yaml`/`--conda-package`; `progress` is called with the bytes sent so far.
        """
        fields = [("data", _form_json(data))] if data is not None else []
        extras = [("file", name, stream) for name, stream in extra_files]
        body = MultipartBody(fields, "file", file_name, file, size, content_type, extras)
        body.progress = progress
        return self.http.call(
            "POST", "/execs", operation="execsPost", params={"args": args}, content=body, headers=body.headers
        )

    def execs_delete(self) -> Any:
        """DELETE /execs — every task of the current user."""
        return self.http.call("DELETE", "/execs", operation="execsDelete")

    def execs_exec_id_get(self, exec_id: str) -> dict[str, Any]:
        """GET /execs/{execId}"""
        return self.http.call("GET", f"/execs/{_seg(exec_id)}", operation="execsExecIdGet")

    def execs_exec_id_delete(self, exec_id: str) -> Any:
        """DELETE /execs/{execId}"""
        return self.http.call("DELETE", f"/execs/{_seg(exec_id)}", operation="execsExecIdDelete")

    def execs_exec_id_stop_post(self, exec_id: str) -> Any:
        """POST /execs/{execId}/stop"""
        return self.http.call("POST", f"/execs/{_seg(exec_id)}/stop", operation="execsExecIdStopPost")

    def execs_exec_id_log_get(self, exec_id: str, log_type: str | None = None) -> str:
        """GET /execs/{execId}/log (logType: outlog, errlog or outerrlog; None: the server's default)."""
        body = self.http.call(
            "GET", f"/execs/{_seg(exec_id)}/log", operation="execsExecIdLogGet", params={"logType": log_type}
        )
        if body is None:
            return ""
        return body if isinstance(body, str) else jsonlib.dumps(body)

    def execs_exec_id_log_get_timed(
        self,
        exec_id: str,
        log_type: str,
        *,
        since_seconds: int | None = None,
        tail_lines: int | None = None,
        timestamps: bool = True,
    ) -> tuple[str, bool]:
        """GET /execs/{execId}/log asking for the Kubernetes log API's timestamps (unless told not
        to), sinceSeconds and tailLines: the local engine's extension, which other servers ignore.
        Returns the text and whether its lines carry times (the engine's X-Dlicli-Log-Timestamps: 1)."""
        from dlicli.client.answers import checked_answer, expected

        operation = "execsExecIdLogGet"
        params = {
            "logType": log_type,
            "timestamps": "true" if timestamps else None,
            "sinceSeconds": since_seconds,
            "tailLines": tail_lines,
        }
        response = self.http.send("GET", f"/execs/{_seg(exec_id)}/log", operation=operation, params=params)
        url = str(response.request.url.copy_with(query=None))
        body = checked_answer(response, expected(operation), operation, "GET", url)
        text = "" if body is None else body if isinstance(body, str) else jsonlib.dumps(body)
        return text, response.headers.get("x-dlicli-log-timestamps") == "1"

    def execs_exec_id_result_get(self, exec_id: str):
        """GET /execs/{execId}/result — a context manager yielding the streamed zip response."""
        return self.http.stream("GET", f"/execs/{_seg(exec_id)}/result", operation="execsExecIdResultGet")

    def execs_exec_id_deploy_post(self, exec_id: str, model_description: dict[str, Any]) -> Any:
        """POST /execs/{execId}/deploy with an EDIModelDescription body."""
        return self.http.call(
            "POST", f"/execs/{_seg(exec_id)}/deploy", operation="execsExecIdDeployPost", json=model_description
        )

    def execs_frameworks_get(self) -> list[dict[str, Any]]:
        """GET /execs/frameworks"""
        return self.http.call("GET", "/execs/frameworks", operation="execsFrameworksGet") or []

    # -- HyperSearch ------------------------------------------------------------------------

    def get_all_hpo(self) -> list[dict[str, Any]]:
        """GET /hypersearch"""
        return self.http.call("GET", "/hypersearch", operation="getAllHPO") or []

    def get_one_hpo(self, hpo_name: str) -> dict[str, Any]:
        """GET /hypersearch/{hpoName}"""
        return self.http.call("GET", f"/hypersearch/{_seg(hpo_name)}", operation="getOneHPO")

    def start_hpo(
        self,
        data: dict[str, Any] | str,
        file_name: str,
        file: ByteStream | bytes,
        content_type: str = "application/octet-stream",
        *,
        size: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Any:
        """POST /hypersearch: form field `data` = the task JSON, part `file` = the model."""
        body = MultipartBody([("data", _form_json(data))], "file", file_name, file, size, content_type)
        body.progress = progress
        return self.http.call("POST", "/hypersearch", operation="startHPO", content=body, headers=body.headers)

    def stop_one_hpo(self, hpo_name: str) -> Any:
        """PUT /hypersearch/{hpoName}"""
        return self.http.call("PUT", f"/hypersearch/{_seg(hpo_name)}", operation="stopOneHPO")

    def stop_one_hpo_force(self, hpo_name: str) -> Any:
        """PUT /hypersearch/{hpoName}/force"""
        return self.http.call("PUT", f"/hypersearch/{_seg(hpo_name)}/force", operation="stopOneHPOForce")

    def restart_one_hpo(self, hpo_name: str) -> Any:
        """PUT /hypersearch/{hpoName}/restart"""
        return self.http.call("PUT", f"/hypersearch/{_seg(hpo_name)}/restart", operation="restartOneHPO")

    def delete_one_hpo(self, hpo_name: str) -> Any:
        """DELETE /hypersearch/{hpoName}"""
        return self.http.call("DELETE", f"/hypersearch/{_seg(hpo_name)}", operation="deleteOneHPO")

    def delete_all_hpo(self) -> Any:
        """DELETE /hypersearch"""
        return self.http.call("DELETE", "/hypersearch", operation="deleteAllHPO")

    def get_all_hpo_algorithm(self, algo_type: str | None = None) -> list[dict[str, Any]]:
        """GET /hypersearch/algorithm[?type=BUILD_IN|USER_PLUGIN]"""
        return (
            self.http.call("GET", "/hypersearch/algorithm", operation="getAllHPOAlgorithm", params={"type": algo_type})
            or []
        )

    def get_one_algorithm(self, algo_name: str) -> dict[str, Any]:
        """GET /hypersearch/algorithm/{algoName}"""
        return self.http.call("GET", f"/hypersearch/algorithm/{_seg(algo_name)}", operation="getOneAlgorithm")

    def delete_one_hpo_algorithm(self, algo_name: str) -> Any:
        """DELETE /hypersearch/algorithm/{algoName}"""
        return self.http.call("DELETE", f"/hypersearch/algorithm/{_seg(algo_name)}", operation="deleteOneHPOALGORITHM")

    def install_hpo_algorithm(
        self, data: dict[str, Any] | str, file_name: str | None = None, file: ByteStream | bytes | None = None
    ) -> Any:
        """POST /hypersearch/algorithm/install: form field `data`, optional part `file` (a .tar).

        Always multipart/form-data, even without a file (the server reads form-data parts).
        """
        body = MultipartBody(
            [("data", _form_json(data))], "file", file_name or "plugin.tar", file, content_type="application/x-tar"
        )
        return self.http.call(
            "POST",
            "/hypersearch/algorithm/install",
            operation="installHPOAlgorithm",
            content=body,
            headers=body.headers,
        )

    def debug_algorithm(self, hpo_task_opts: dict[str, Any]):
        """POST /hypersearch/algorithm/debug — a context manager yielding the streamed file."""
        return self.http.stream("POST", "/hypersearch/algorithm/debug", operation="debugAlgorithm", json=hpo_task_opts)

    # -- Notebooks --------------------------------------------------------------------------

    def running_services(self) -> Any:
        """GET /notebooks/runningservices"""
        return self.http.call("GET", "/notebooks/runningservices", operation="runningServices")

    def running_service_by_user_name(self, username: str) -> Any:
        """GET /notebooks/{username}/runningservices"""
        return self.http.call(
            "GET", f"/notebooks/{_seg(username)}/runningservices", operation="runningServiceByUserName"
        )

    def running_kernels(self, username: str) -> Any:
        """GET /notebooks/{username}/runningkernels"""
        return self.http.call("GET", f"/notebooks/{_seg(username)}/runningkernels", operation="runningKernels")

    def stop_service(self, username: str) -> Any:
        """PUT /notebooks/{username}/stopservice"""
        return self.http.call("PUT", f"/notebooks/{_seg(username)}/stopservice", operation="stopService")

    def update_service(self, username: str, notebook: dict[str, Any]) -> Any:
        """PUT /notebooks/{username} with a NotebookService body (only resourcePlan is honoured)."""
        return self.http.call("PUT", f"/notebooks/{_seg(username)}", operation="updateService", json=notebook)

    # -- ResourcePlans ----------------------------------------------------------------------

    def create_resplan(self, resplan: dict[str, Any]) -> Any:
        """POST /resplans/resplan with a Resplan body."""
        return self.http.call("POST", "/resplans/resplan", operation="createResplan", json=resplan)

    def update_resplan_by_name(self, resplan: dict[str, Any]) -> Any:
        """PUT /resplans/resplan with a Resplan body."""
        return self.http.call("PUT", "/resplans/resplan", operation="updateResplanByName", json=resplan)

    def get_resplan(self, resplan_name: str) -> Any:
        """GET /resplans/resplan/{resplan_name}"""
        return self.http.call("GET", f"/resplans/resplan/{_seg(resplan_name)}", operation="getResplan")

    def del_resplan_by_name(self, resplan_name: str) -> Any:
        """DELETE /resplans/resplan/{resplan_name}"""
        return self.http.call("DELETE", f"/resplans/resplan/{_seg(resplan_name)}", operation="delResplanByName")

    def get_resplan_tree(self) -> Any:
        """GET /resplans/resplantree"""
        return self.http.call("GET", "/resplans/resplantree", operation="getResplanTree")

    # -- Scheduler --------------------------------------------------------------------------

    def get_applications(
        self,
        *,
        applicationid: str | None = None,
        applicationname: str | None = None,
        driverid: str | None = None,
        search: str | None = None,
        sort: str | None = None,
        order: str | None = None,
        start: int | None = None,
        length: int | None = None,
        state: str | None = None,
    ) -> list[dict[str, Any]]:
        """GET /scheduler/applications with its filters, sorting and paging."""
        params = {
            "applicationid": applicationid,
            "applicationname": applicationname,
            "driverid": driverid,
            "search": search,
            "sort": sort,
            "order": order,
            "start": start,
            "length": length,
            "state": state,
        }
        return self.http.call("GET", "/scheduler/applications", operation="getApplications", params=params) or []

    def get_application_statistic(
        self,
        *,
        applicationid: str | None = None,
        applicationname: str | None = None,
        consumer: str | None = None,
        start: int | None = None,
        length: int | None = None,
        state: str | None = None,
    ) -> list[dict[str, Any]]:
        """GET /scheduler/applicationStatistic"""
        params = {
            "applicationid": applicationid,
            "applicationname": applicationname,
            "consumer": consumer,
            "start": start,
            "length": length,
            "state": state,
        }
        return (
            self.http.call("GET", "/scheduler/applicationStatistic", operation="getApplicationStatistic", params=params)
            or []
        )

    def get_driver_log(self, appid: str, log_type: str, lastlines: int | None = None) -> Any:
        """GET /scheduler/applications/{appid}/driver/logs/{type}?lastlines=N"""
        return self.http.call(
            "GET",
            f"/scheduler/applications/{_seg(appid)}/driver/logs/{_seg(log_type)}",
            operation="getDriverLog",
            params={"lastlines": lastlines},
        )

    def get_executor_log(self, appid: str, executorid: str, log_type: str, lastlines: int | None = None) -> Any:
        """GET /scheduler/applications/{appid}/executor/{executorid}/logs/{type}?lastlines=N"""
        return self.http.call(
            "GET",
            f"/scheduler/applications/{_seg(appid)}/executor/{_seg(executorid)}/logs/{_seg(log_type)}",
            operation="getExecutorLog",
            params={"lastlines": lastlines},
        )

    def download_driver_log_file(self, appid: str, log_type: str):
        """GET …/driver/logs/{type}/download — a context manager yielding the streamed file."""
        return self.http.stream(
            "GET",
            f"/scheduler/applications/{_seg(appid)}/driver/logs/{_seg(log_type)}/download",
            operation="downloadDriverLogFile",
        )

    def download_executor_log_file(self, appid: str, executorid: str, log_type: str):
        """GET …/executor/{executorid}/logs/{type}/download — a context manager yielding the file."""
        return self.http.stream(
            "GET",
            f"/scheduler/applications/{_seg(appid)}/executor/{_seg(executorid)}/logs/{_seg(log_type)}/download",
            operation="downloadExecutorLogFile",
        )

    # -- WMLA console (outside the API base) ------------------------------------------------

    def console_logon(self, basic_authorization: str) -> Any:
        """GET /auth/v1/logon on the server's host: Basic credentials → `{"accessToken": …}`."""
        return self.http.call(
            "GET", "/auth/v1/logon", operation="consoleLogon", root=True, authorization=basic_authorization
        )

    def console_logoff(self) -> Any:
        """POST /auth/v1/logoff on the server's host."""
        return self.http.call("POST", "/auth/v1/logoff", operation="consoleLogoff", root=True)
