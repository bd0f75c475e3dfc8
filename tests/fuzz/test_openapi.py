"""The OpenAPI document the engine serves at GET …/openapi.json: public, the packaged file, every
route the engine has in it and every operation in it answered by the engine, and up to date with
scripts/gen_openapi.py and the dlpd spec it is generated from."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dlicli.engine.api import TAGS, auth
from dlicli.engine.api.routing import BASE

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "spec" / "dlpd-rest-api-v1.txt"
PACKAGED = ROOT / "dlicli" / "engine" / "api" / "openapi.json"


def served_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every route the engine registers, in the OpenAPI spelling of its path."""
    ops = [(BASE + op.path, op.method) for tag in TAGS for op in tag.OPS]
    ops += [(auth.BASE + op.path, op.method) for op in auth.OPS]
    return {(method, path) for path, method in ops}


def documented(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def without_names(routes: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Path parameters compared by place, not name (the engine says exec_id, the spec execId)."""
    return {(method, re.sub(r"\{[^}]+\}", "{}", path)) for method, path in routes}


@pytest.fixture(scope="module")
def served(fuzz_engine) -> dict:
    response = httpx.get(fuzz_engine.url + "/openapi.json", timeout=10)  # no Authorization header
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_the_document_is_public_and_is_the_packaged_file(served):
    assert served == json.loads(PACKAGED.read_text(encoding="utf-8"))
    assert served["openapi"].startswith("3.0")
    assert served["components"]["securitySchemes"]["APIKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": served["components"]["securitySchemes"]["APIKey"]["description"],
    }


def test_every_route_the_engine_serves_is_documented(served):
    routes = without_names(served_routes())
    assert len(routes) == 44
    assert routes - without_names(documented(served)) == set()


def test_every_documented_operation_is_answered_by_the_engine(served, fuzz_engine):
    """Without a token each one is a 401 (public ones 200), never a 404/405 of a missing route."""
    public = {("GET", f"{BASE}/openapi.json")}
    with httpx.Client(base_url=fuzz_engine.root, timeout=10) as client:
        for method, path in sorted(documented(served)):
            url = re.sub(r"\{[^}]+\}", "x1", path)
            status = client.request(method, url).status_code
            expected = 200 if (method, path) in public else 401
            assert status == expected, f"{method} {path}: {status}"


def test_the_document_has_all_40_spec_operations_with_their_ids(served):
    ids = {op["operationId"] for item in served["paths"].values() for op in item.values()}
    engine_own = {"startService", "getOpenAPIDocument", "consoleLogon", "consoleLogoff"}
    spec_ids = ids - engine_own
    assert len(spec_ids) == 40
    assert {"execsPost", "startHPO", "getApplications", "updateService", "updateResplanByName"} <= spec_ids
    hyper = served["components"]["schemas"]["HpoHyperParameter"]
    assert hyper["required"] == ["name", "type", "dataType"]
    assert served["components"]["schemas"]["HpoTaskInput"]["properties"]["algoDef"] == {
        "$ref": "#/components/schemas/algoDef"
    }


@pytest.mark.skipif(not SPEC.exists(), reason=f"the dlpd spec text is not at {SPEC}")
def test_the_packaged_document_is_what_the_script_makes_from_the_spec():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_openapi.py"), "--check", str(SPEC)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "up to date" in done.stdout
