from tests.conftest import TOKEN


def test_conf_get_json_prints_exactly_what_the_server_sent(env_server, run):
    env_server.route("GET", "/conf", body={"b": "2", "a": "1"})
    result = run("conf", "get", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == '{\n  "b": "2",\n  "a": "1"\n}\n'
    req = env_server.last
    assert req.method == "GET" and req.path.endswith("/platform/rest/deeplearning/v1/conf")
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["user-agent"].startswith("dlicli/")


def test_unknown_command_is_one_error_line_exit_2(run):
    result = run("exec", "bogus")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: No such command 'bogus'")
    assert "Traceback" not in result.stderr
