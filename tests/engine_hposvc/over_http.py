"""Real engine processes for the HyperSearch tests over HTTP: start one, post a search as the client
does (multipart `data` + the model tar), wait for it. The fixtures `procs`, `server` and `admin` are in
conftest.py (one engine per test module), with `start`."""

from __future__ import annotations

import json

import httpx

from tests.engine_hposvc.conftest import QUADRATIC, body
from tests.engine_http.conftest import model_tar
from tests.waiting import wait_until

FINAL = {"FINISHED", "FAILED"}


def post_hpo(client: httpx.Client, data, *, file: bool = True, name: str = "quad") -> httpx.Response:
    tar = model_tar(name, {"main.py": QUADRATIC})
    # without the model it is still multipart, as the client sends it
    files = {"file": (f"{name}.modelDir.tar", tar, "application/x-tar")} if file else {"other": ("x.txt", b"x")}
    form = {"data": data if isinstance(data, str) else json.dumps(data)}
    return client.post("hypersearch", data=form, files=files)


def hpo_body(name: str, **kw) -> dict:
    data = body(name, **kw)
    data["modelSpec"]["args"] = data["modelSpec"]["args"].replace("--model-main", "--model-dir quad --model-main")
    return data


def wait_hpo(client: httpx.Client, name: str, states=FINAL, timeout: float = 60.0) -> dict:
    return wait_until(
        lambda: client.get(f"hypersearch/{name}").json(),
        timeout,
        0.1,
        f"search {name} to reach {sorted(states)}",
        until=lambda view: view.get("state") in states,
    )
