"""`dlicli server user list|remove|passwd|rotate-token` as a subprocess on a running engine's data
dir, and the session tokens of /auth/v1/logon (expiry, logoff), all checked over real HTTP: the
running engine must see every change on its next request."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import httpx
import pytest

from tests.engine_hposvc.over_http import hpo_body, post_hpo, wait_hpo
from tests.engine_http.conftest import clean_env, submit, wait_state
from tests.waiting import wait_until

SLEEPER = "import time\nprint('up', flush=True)\ntime.sleep(120)\n"


@pytest.fixture(scope="module")
def engine(start_engine, tmp_path_factory):
    return start_engine(tmp_path_factory.mktemp("useradmin") / "data", "--port", "0", "--grace-seconds", "1")


def dlicli(engine, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = dict(clean_env(), DLICLI_DATA_DIR=str(engine.data_dir), _TYPER_FORCE_DISABLE_TERMINAL="1")
    return subprocess.run(
        [sys.executable, "-m", "dlicli", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def status(engine, token: str, path: str = "execs") -> int:
    with engine.client(token) as client:
        return client.get(path).status_code


def basic(name: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()}


@pytest.mark.slow
def test_list_shows_users_and_counts_but_never_a_token(engine):
    token = dlicli(engine, "server", "user", "add", "lister").stdout.strip()
    listed = dlicli(engine, "server", "user", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    users = {u["name"]: u for u in json.loads(listed.stdout)}
    assert users["admin"]["admin"] is True and users["admin"]["tokens"] == 1
    assert users["lister"] == {**users["lister"], "admin": False, "hasPassword": False, "tokens": 1}
    assert isinstance(users["lister"]["created"], str) and users["lister"]["created"].endswith("Z")
    table = dlicli(engine, "server", "user", "list")
    assert table.returncode == 0 and "lister\tno\t" in table.stdout  # no terminal: tab-separated rows
    everything = listed.stdout + listed.stderr + table.stdout + table.stderr
    assert token not in everything and engine.token not in everything


@pytest.mark.slow
def test_remove_stops_the_users_tasks_keeps_them_for_the_admin_and_revokes_at_once(engine):
    token = dlicli(engine, "server", "user", "add", "leaver").stdout.strip()
    with engine.client(token) as client:
        answer = submit(client, SLEEPER)
        assert answer.status_code == 200, answer.text
        exec_id = answer.json()["id"]
        wait_state(client, exec_id, "RUNNING")
        assert post_hpo(client, hpo_body("leavers", jobs=200, parallel=1)).status_code == 200
        wait_hpo(client, "leavers", {"RUNNING"})

    removed = dlicli(engine, "server", "user", "remove", "leaver", "--yes")
    assert removed.returncode == 0, removed.stderr
    assert "removed user leaver" in removed.stderr
    answer = httpx.get(engine.url + "/execs", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401  # at once: no cache in the engine

    with engine.client() as admin:
        kept = wait_state(admin, exec_id, {"KILLED"}, timeout=20)
        assert kept["id"] == exec_id
        assert exec_id in [t["id"] for t in admin.get("execs").json()]
    names = [u["name"] for u in json.loads(dlicli(engine, "server", "user", "list", "--json").stdout)]
    assert "leaver" not in names
    with engine.client() as admin:
        assert admin.delete(f"execs/{exec_id}").status_code in (200, 204)  # the admin deletes it
        search = wait_hpo(admin, "leavers", {"STOPPED"}, timeout=20)
        assert search["creator"] == "leaver" and search["running"] == 0
    again = dlicli(engine, "server", "user", "add", "leaver")  # the name is taken while their search is kept
    assert again.returncode == 6 and "kept" in again.stderr
    with engine.client() as admin:
        assert admin.delete("hypersearch/leavers").status_code == 204
    assert dlicli(engine, "server", "user", "add", "leaver").returncode == 0  # now it may be given again


@pytest.mark.slow
def test_remove_refuses_the_admin_and_unknown_users_and_asks_without_yes(engine):
    me = dlicli(engine, "server", "user", "remove", "admin", "--yes")
    assert me.returncode == 2 and me.stderr.count("error:") == 1 and "admin" in me.stderr
    assert "Traceback" not in me.stderr and status(engine, engine.token) == 200
    nobody = dlicli(engine, "server", "user", "remove", "nobody", "--yes")
    assert nobody.returncode == 3 and "nobody" in nobody.stderr and "Traceback" not in nobody.stderr
    dlicli(engine, "server", "user", "add", "keeper")
    unasked = dlicli(engine, "server", "user", "remove", "keeper")  # no TTY, no --yes: refused
    assert unasked.returncode == 2 and "--yes" in unasked.stderr
    assert "keeper" in dlicli(engine, "server", "user", "list").stdout


@pytest.mark.slow
def test_rotate_token_replaces_the_old_one_at_once(engine):
    old = dlicli(engine, "server", "user", "add", "rotor").stdout.strip()
    assert status(engine, old) == 200
    rotated = dlicli(engine, "server", "user", "rotate-token", "rotor")
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip()
    assert len(new) >= 32 and new != old
    assert status(engine, old) == 401 and status(engine, new) == 200
    nobody = dlicli(engine, "server", "user", "rotate-token", "nobody")
    assert nobody.returncode == 3 and "nobody" in nobody.stderr


@pytest.mark.slow
def test_rotating_the_admins_token_rewrites_admin_token(engine):
    old = engine.token
    rotated = dlicli(engine, "server", "user", "rotate-token", "admin")
    assert rotated.returncode == 0, rotated.stderr
    new = (engine.data_dir / "admin.token").read_text().strip()
    assert new != old and rotated.stdout == "" and "admin.token" in rotated.stderr
    assert status(engine, old) == 401 and status(engine, new) == 200
    engine.token = new


@pytest.mark.slow
def test_passwd_sets_a_password_from_stdin_and_refuses_unknown_users(engine):
    token = dlicli(engine, "server", "user", "add", "carol").stdout.strip()
    done = dlicli(engine, "server", "user", "passwd", "carol", "--password-stdin", stdin="s3cret pw\n")
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout + done.stderr
    assert httpx.get(engine.url + "/execs", headers=basic("carol", "s3cret pw")).status_code == 200
    assert status(engine, token) == 200  # the token stays
    listed = {u["name"]: u for u in json.loads(dlicli(engine, "server", "user", "list", "--json").stdout)}
    assert listed["carol"]["hasPassword"] is True
    nobody = dlicli(engine, "server", "user", "passwd", "nobody", "--password-stdin", stdin="pw\n")
    assert nobody.returncode == 3 and "nobody" in nobody.stderr
    no_tty = dlicli(engine, "server", "user", "passwd", "carol")  # no --password-stdin and no terminal
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr


# sessions ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def short_sessions(start_engine, tmp_path_factory):
    """Session tokens that live 0.001 h = 3.6 s."""
    return start_engine(tmp_path_factory.mktemp("sessions") / "data", "--port", "0", "--session-hours", "0.001")


def logon(engine, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(engine.root + "/auth/v1/logon", headers={"Accept": "application/json", **headers})


@pytest.mark.slow
def test_session_tokens_expire_and_user_tokens_do_not(short_sessions):
    engine = short_sessions
    answer = logon(engine, {"Authorization": f"Bearer {engine.token}"})
    assert answer.status_code == 200, answer.text
    session = answer.json()["accessToken"]
    assert status(engine, session) == 200
    expired = wait_until(
        lambda: httpx.get(engine.url + "/execs", headers={"Authorization": f"Bearer {session}"}),
        15,
        0.2,
        "the session token to expire",
        until=lambda r: r.status_code == 401,
    )
    assert expired.json() == {"message": "token expired; log on again"}
    assert status(engine, engine.token) == 200  # the user's own token does not expire


@pytest.mark.slow
def test_logoff_revokes_the_session_token_it_is_called_with(short_sessions):
    engine = short_sessions
    session = logon(engine, {"Authorization": f"Bearer {engine.token}"}).json()["accessToken"]
    off = httpx.post(engine.root + "/auth/v1/logoff", headers={"Authorization": f"Bearer {session}"})
    assert off.status_code in (200, 204), off.text
    assert status(engine, session) == 401
    assert status(engine, engine.token) == 200
