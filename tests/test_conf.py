"""`dlicli conf get`: GET /conf rendered as a table, JSON, YAML, or one key's value."""

from __future__ import annotations

import yaml

CONF = {"dlpd.version": "1.2.3", "storage.dir": "/gpfs/dli data", "empty": ""}


def test_table_piped_is_sorted_tsv_without_header(env_server, run):
    env_server.route("GET", "/conf", body=CONF)
    result = run("conf", "get")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "dlpd.version\t1.2.3\nempty\t\nstorage.dir\t/gpfs/dli data\n"
    assert [(r.method, r.raw_path) for r in env_server.requests] == [("GET", "/platform/rest/deeplearning/v1/conf")]
    assert env_server.last.raw_query == ""


def test_json_is_the_server_body_exactly(env_server, run):
    env_server.route("GET", "/conf", body=CONF)
    result = run("conf", "get", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == '{\n  "dlpd.version": "1.2.3",\n  "storage.dir": "/gpfs/dli data",\n  "empty": ""\n}\n'


def test_output_yaml(env_server, run):
    env_server.route("GET", "/conf", body=CONF)
    result = run("conf", "get", "-o", "yaml")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout) == CONF
    assert result.stdout.startswith("dlpd.version: 1.2.3\n")


def test_key_prints_only_its_value(env_server, run):
    env_server.route("GET", "/conf", body=CONF)
    result = run("conf", "get", "storage.dir")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "/gpfs/dli data\n"


def test_key_with_json_is_a_one_key_object(env_server, run):
    env_server.route("GET", "/conf", body=CONF)
    result = run("conf", "get", "dlpd.version", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == '{\n  "dlpd.version": "1.2.3"\n}\n'


def test_missing_key_exits_3_with_one_error_line(env_server, run):
    env_server.route("GET", "/conf", body=CONF)
    result = run("conf", "get", "no.such.key")
    assert result.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ") and "no.such.key" in lines[0]
    assert lines[1].startswith("hint: ")


def test_bad_output_format_is_usage_error(env_server, run):
    env_server.route("GET", "/conf", body=CONF)
    result = run("conf", "get", "-o", "xml")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown output format 'xml'")
    assert env_server.requests == []


def test_server_error_exits_1(env_server, run):
    env_server.route("GET", "/conf", status=500, body={"message": "database down"})
    result = run("conf", "get")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "database down" in result.stderr
