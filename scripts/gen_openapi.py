"""Generate dlicli/engine/api/openapi.json, the OpenAPI 3.0 document the local engine serves at
GET /platform/rest/deeplearning/v1/openapi.json, from IBM's dlpd REST API text.

    python scripts/gen_openapi.py [SPEC_TXT]      # default: ../shared/spec/dlpd-rest-api-v1.txt
    python scripts/gen_openapi.py --check         # exit 1 when the committed file is stale

The spec text (a rendered swagger page) is regular: each operation starts with `Up`, then
`method /path`, then `summary (operationId)`, then sections (Path/Query/Form parameters,
Request body, Return type, Responses); each model is `Name - Up` then its fields, `name
(optional)` over `Type description`, with `Enum:` values. What the text lost (nested model
types, two operationIds) and what the local engine adds (its own routes and query args) are
the tables below, each row saying why.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "dlicli" / "engine" / "api" / "openapi.json"
SPEC = ROOT.parent / "shared" / "spec" / "dlpd-rest-api-v1.txt"
BASE = "/platform/rest/deeplearning/v1"

SECTIONS = (
    "Path parameters",
    "Query parameters",
    "Form parameters",
    "Request body",
    "Request headers",
    "Return type",
    "Example data",
    "Responses",
    "Consumes",
    "Produces",
)
SCALARS = {
    "String": {"type": "string"},
    "Integer": {"type": "integer", "format": "int32"},
    "Long": {"type": "integer", "format": "int64"},
    "Double": {"type": "number", "format": "double"},
    "Boolean": {"type": "boolean"},
}
# fields whose type the rendered text dropped (they are nested models); read off its example data
UNTYPED_FIELDS = {
    ("HpoExperiment", "metrics"): "array[HpoMetric]",
    ("HpoExperiment", "hyperParams"): "array[HpoHyperParameter]",
    ("HpoTaskDetail", "input"): "HpoTaskInput",
    ("HpoTaskDetail", "searchGrid"): "searchGrid",
    ("HpoTaskInput", "resDef"): "resDef",
    ("HpoTaskInput", "algoDef"): "algoDef",
    ("TreeDto", "V1Resplan"): "V1Resplan",
    ("searchGrid", "experiments"): "array[HpoExperiment]",
    ("searchGrid", "best"): "HpoExperiment",
    ("searchGrid", "duration"): "String",
    ("StringMap", "example_key"): "String",  # an example key: the model is a map of strings (below)
}
# two operations have no summary line in the text; these are the ids dlicli's client uses
MISSING_IDS = {("put", "/notebooks/{username}"): "updateService", ("put", "/resplans/resplan"): "updateResplanByName"}
# query args the local engine reads that the spec leaves out (dlicmd.py's --query-args, the log type)
ENGINE_QUERY = {
    ("get", "/execs"): [
        ("state", "string", "Only tasks in these states (comma-separated, any case)."),
        ("sort_by", "string", "A Batch field, then `:asc` or `:desc` (dlicmd.py's --query-args)."),
        ("limit", "integer", "At most this many tasks (>= 1)."),
        ("start", "integer", "Skip this many first (>= 0)."),
    ],
    ("get", "/execs/{execId}/log"): [
        ("logType", "string", "Which log: outlog, errlog or outerrlog (default both)."),
        # the Kubernetes log API's parameters (engine/tasks/logtimes.py); WMLA ignores them
        (
            "timestamps",
            "boolean",
            "Begin each line with its RFC 3339 UTC time and a space (answers X-Dlicli-Log-Timestamps: 1).",
        ),
        ("sinceSeconds", "integer", "Only the lines written in the last N seconds (>= 1)."),
        ("tailLines", "integer", "Only the last N lines (>= 0)."),
    ],
}
PARAM_TYPES = {"lastlines": "integer", "start": "integer", "length": "integer"}


def blocks(lines: list[str]) -> tuple[list[list[str]], list[str]]:
    """The operations' line blocks (each from its `method /path` line) and the models' lines."""
    models_at = next(i for i, line in enumerate(lines) if line.strip() == "Models" and i > 100)
    starts = [i for i in range(models_at) if re.match(r"^(get|post|put|delete|patch) /", lines[i])]
    ops = [lines[a : (b - 1 if lines[b - 1].strip() == "Up" else b)] for a, b in zip(starts, [*starts[1:], models_at])]
    return ops, lines[models_at:]


def sections(block: list[str]) -> dict[str, list[str]]:
    """An operation's sections by title; `_head` holds the lines before the first."""
    found: dict[str, list[str]] = {"_head": []}
    current = "_head"
    for line in block[1:]:
        if line.strip() in SECTIONS:
            current = line.strip()
            found[current] = []
        elif line.strip():
            found[current].append(line.rstrip())
    return found


def schema_of(type_name: str) -> dict[str, Any]:
    """`String`, `array[Batch]`, `HpoTaskState` → a JSON schema (models by $ref)."""
    inner = re.fullmatch(r"array\[(\w+)\]", type_name)
    if inner:
        return {"type": "array", "items": schema_of(inner.group(1))}
    if type_name in SCALARS:
        return dict(SCALARS[type_name])
    return {"$ref": f"#/components/schemas/{type_name}"}


def named_params(lines: list[str], where: str) -> list[dict[str, Any]]:
    """`name (required)` over `X Parameter — text` pairs → OpenAPI parameters."""
    params = []
    for i, line in enumerate(lines):
        match = re.fullmatch(r"(\w+) \((required|optional)\)", line.strip())
        if not match:
            continue
        text = lines[i + 1].split("—", 1)[-1].strip() if i + 1 < len(lines) else ""
        kind = "integer" if match.group(1) in PARAM_TYPES else "string"
        param = {"name": match.group(1), "in": where, "required": match.group(2) == "required" or where == "path"}
        params.append({**param, "description": text, "schema": {"type": kind}})
    return params


def responses(lines: list[str], returns: dict[str, Any] | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for i, line in enumerate(lines):
        if re.fullmatch(r"\d{3}", line.strip()):
            text = lines[i + 1].strip() if i + 1 < len(lines) else ""
            answer: dict[str, Any] = {"description": text}
            if line.startswith("2") and returns is not None and line != "204":
                answer["content"] = {"application/json": {"schema": returns}}
            elif line[0] in "45":
                answer["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            found[line.strip()] = answer
    return found


def operation(block: list[str]) -> tuple[str, str, dict[str, Any]]:
    method, path = block[0].split(" ", 1)
    part = sections(block)
    head = part["_head"]
    summary_match = re.fullmatch(r"(.*) \((\w+)\)", head[0]) if head else None
    op_id = summary_match.group(2) if summary_match else MISSING_IDS[(method, path)]
    summary = summary_match.group(1) if summary_match else op_id
    description = "\n".join(head[1:] if summary_match else head)
    params = named_params(part.get("Path parameters", []), "path")
    params += named_params(part.get("Query parameters", []), "query")
    for name, kind, text in ENGINE_QUERY.get((method, path), []):
        params.append({"name": name, "in": "query", "required": False, "description": text, "schema": {"type": kind}})
    returns = schema_of(part["Return type"][0].strip()) if "Return type" in part else None
    op: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": [tag_of(path)]}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = params
    body = request_body(part)
    if body:
        op["requestBody"] = body
    op["responses"] = responses(part.get("Responses", []), returns)
    return method, path, op


def request_body(part: dict[str, list[str]]) -> dict[str, Any] | None:
    if "Request body" in part:
        name, model = part["Request body"][0].split()[:2]
        return {"required": True, "content": {"application/json": {"schema": schema_of(model)}}, "description": name}
    form = named_params(part.get("Form parameters", []), "form")
    if not form:
        return None
    props = {p["name"]: form_field(p) for p in form}
    required = [p["name"] for p in form if p["required"]]
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def form_field(param: dict[str, Any]) -> dict[str, Any]:
    if param["name"] == "file":
        return {"type": "string", "format": "binary", "description": param["description"]}
    return {"type": "string", "description": param["description"] + " A JSON object, as text."}


def tag_of(path: str) -> str:
    first = path.strip("/").split("/")[0]
    return {
        "conf": "Configuration",
        "execs": "Execute",
        "hypersearch": "HyperSearch",
        "notebooks": "Notebooks",
        "resplans": "ResourcePlans",
        "scheduler": "Scheduler",
    }[first]


def models(lines: list[str]) -> dict[str, Any]:
    """Every `Name - Up` model of the text as a JSON schema."""
    found: dict[str, Any] = {}
    starts = [i for i, line in enumerate(lines) if re.fullmatch(r"(\w+) - Up", line.strip())]
    names = {lines[i].split()[0] for i in starts}
    for a, b in zip(starts, [*starts[1:], len(lines)]):
        name = lines[a].split()[0]
        found[name] = model(name, [line.strip() for line in lines[a + 1 : b] if line.strip()], names)
    return found


def is_type_line(line: str, names: set[str]) -> bool:
    if re.fullmatch(r"\w+ \(optional\)", line):
        return False  # the next field (`algoParams (optional)` names a model too)
    word = line.split(" ", 1)[0]
    inner = re.fullmatch(r"array\[(\w+)\]", word)
    return (inner.group(1) if inner else word) in SCALARS.keys() | names


def is_field(model_name: str, lines: list[str], i: int, names: set[str]) -> bool:
    """A field's first line: `name (optional)`, or a bare `name` over its type line (or known untyped)."""
    line = lines[i]
    if re.fullmatch(r"\w+ \(optional\)", line) or (model_name, line) in UNTYPED_FIELDS:
        return True
    following = lines[i + 1] if i + 1 < len(lines) else ""
    return bool(re.fullmatch(r"\w+", line)) and bool(following) and is_type_line(following, names)


def model(name: str, lines: list[str], names: set[str]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    description: list[str] = []
    field = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if is_field(name, lines, i, names):
            field = line.split()[0]
            if "(optional)" not in line:
                required.append(field)
            following = lines[i + 1] if i + 1 < len(lines) and is_type_line(lines[i + 1], names) else ""
            props[field] = field_schema(name, field, following)
        elif line == "Enum:" and field:
            values = []
            while i + 1 < len(lines) and not is_field(name, lines, i + 1, names):
                i += 1
                values.append(lines[i])
            props[field]["enum"] = values
        elif not field:
            description.append(line)
        i += 1
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if name == "StringMap":
        schema = {"type": "object", "additionalProperties": {"type": "string"}}
    if required:
        schema["required"] = required
    if description:
        schema["description"] = " ".join(description)
    return schema


def field_schema(model_name: str, field: str, following: str) -> dict[str, Any]:
    """A field's schema from its type line (`Double The metric. format: double`)."""
    if (model_name, field) in UNTYPED_FIELDS:
        return schema_of(UNTYPED_FIELDS[(model_name, field)])
    word, _, text = following.partition(" ")
    if not word:
        raise SystemExit(f"{model_name}.{field} has no type in the text: add it to UNTYPED_FIELDS")
    schema = schema_of(word)
    if "$ref" in schema:
        return schema
    return {**schema, "description": text.replace(" format: double", "").replace(" format: int64", "")}


# the local engine's own routes (not in IBM's text): each says what it is for
ENGINE_PATHS: dict[str, dict[str, Any]] = {
    BASE + "/notebooks/{username}/startservice": {
        "post": {
            "operationId": "startService",
            "summary": "Start a user's notebook service (local engine only; admin)",
            "description": "Launches the user's Jupyter server: 201 when started now, 200 when one already ran.",
            "tags": ["Notebooks"],
            "parameters": [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"resourcePlan": {"type": "string"}}}
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Already running.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NotebookService"}}},
                },
                "201": {
                    "description": "Started.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NotebookService"}}},
                },
                "400": {
                    "description": "Bad request.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
                "401": {"description": "Authentication error."},
                "403": {"description": "Only the admin starts notebook services."},
            },
        }
    },
    BASE + "/openapi.json": {
        "get": {
            "operationId": "getOpenAPIDocument",
            "summary": "This document (local engine only; no authentication)",
            "tags": ["Configuration"],
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/auth/v1/logon": {
        "get": {
            "operationId": "consoleLogon",
            "summary": "Sign in: a session token for the Basic user:password (or token) given",
            "tags": ["Auth"],
            "security": [{"basicAuth": []}],
            "responses": {
                "200": {
                    "description": "The session token.",
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "properties": {"accessToken": {"type": "string"}}}
                        }
                    },
                },
                "401": {
                    "description": "Authentication error.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
    },
    "/auth/v1/logoff": {
        "post": {
            "operationId": "consoleLogoff",
            "summary": "Sign out: revoke the session token given",
            "tags": ["Auth"],
            "responses": {"204": {"description": "Signed out."}, "401": {"description": "Authentication error."}},
        }
    },
}
ERROR = {
    "type": "object",
    "description": "The local engine's error answer.",
    "properties": {"message": {"type": "string", "description": "What is wrong, in words."}},
}


def document(text: str) -> dict[str, Any]:
    ops, model_lines = blocks(text.splitlines())
    paths: dict[str, Any] = {}
    for block in ops:
        method, path, op = operation(block)
        paths.setdefault(BASE + path, {})[method] = op
    for path, item in ENGINE_PATHS.items():
        paths.setdefault(path, {}).update(item)
    schemas = models(model_lines)
    schemas["Error"] = ERROR
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "dlpd REST API (IBM WMLA deep learning), as the dlicli local engine serves it",
            "version": "1.0",
            "description": "Generated by scripts/gen_openapi.py from IBM's dlpd REST API v1 reference, "
            "plus the local engine's own routes (startservice, logon, logoff, this document). "
            'Errors answer {"message"}.',
        },
        "servers": [{"url": "/"}],
        "security": [{"APIKey": []}],
        "tags": [
            {"name": t}
            for t in ("Configuration", "Execute", "HyperSearch", "Notebooks", "ResourcePlans", "Scheduler", "Auth")
        ],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "APIKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`Bearer TOKEN`, `Basic base64(user:token or user:password)`, or the bare token.",
                },
                "basicAuth": {"type": "http", "scheme": "basic"},
            },
        },
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    rest = [a for a in argv if a != "--check"]
    spec = Path(rest[0]) if rest else SPEC
    text = json.dumps(document(spec.read_text(encoding="utf-8")), indent=1, ensure_ascii=False) + "\n"
    if check:
        stale = not OUT.exists() or OUT.read_text(encoding="utf-8") != text
        print(f"{OUT.relative_to(ROOT)} is {'stale: run scripts/gen_openapi.py' if stale else 'up to date'}")
        return int(stale)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {sum(len(v) for v in json.loads(text)['paths'].values())} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
