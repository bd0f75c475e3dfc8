"""Users and tokens (hashed at rest), logon/logoff sessions, and task ownership."""

from __future__ import annotations

import base64
import sqlite3

import pytest

from dlicli.engine import EngineError, User
from tests.engine.conftest import ADMIN, ALICE, BOB, submit, wait_state


def basic(name: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()


def test_ensure_admin_creates_admin_once_and_tokens_are_stored_hashed(engine):
    token = engine.users.ensure_admin()
    assert token and engine.users.ensure_admin() is None
    assert engine.users.authenticate(f"Bearer {token}") == User("admin", True)
    assert engine.users.authenticate(token) == User("admin", True)
    raw = b"".join(p.read_bytes() for p in engine.data_dir.glob("engine.db*"))
    assert token.encode() not in raw
    with sqlite3.connect(engine.data_dir / "engine.db") as db:
        hashes = [row[0] for row in db.execute("SELECT hash FROM tokens")]
    assert len(hashes) == 1 and len(hashes[0]) == 64 and hashes[0] != token


def test_authenticate_refuses_bad_tokens_and_accepts_basic_with_the_token_as_password(engine):
    token = engine.users.add("alice")
    assert engine.users.authenticate(f"Bearer {token}") == ALICE
    assert engine.users.authenticate(basic("alice", token)) == ALICE
    for header in (
        None,
        "",
        "Bearer ",
        "Bearer nope",
        f"Bearer {token}x",
        basic("bob", token),
        basic("alice", "wrong"),
        "Basic !!!notbase64",
        f"Basic {token}",
    ):
        assert engine.users.authenticate(header) is None, header


def test_add_user_validates_names_and_refuses_duplicates(engine):
    engine.users.add("bob")
    with pytest.raises(EngineError) as info:
        engine.users.add("bob")
    assert info.value.status == 409
    for bad in ("", "a b", "../x", "-x", "x" * 65):
        with pytest.raises(EngineError) as info:
            engine.users.add(bad)
        assert info.value.status == 400


def test_logon_makes_a_session_token_that_logoff_revokes(engine):
    token = engine.users.add("alice")
    session = engine.users.logon(basic("alice", token))
    assert session != token and engine.users.authenticate(f"Bearer {session}") == ALICE
    engine.users.logoff(f"Bearer {session}")
    assert engine.users.authenticate(f"Bearer {session}") is None
    engine.users.logoff(f"Bearer {token}")  # the user's own token is not revoked by a logoff
    assert engine.users.authenticate(f"Bearer {token}") == ALICE
    for call in (engine.users.logon, engine.users.logoff):
        with pytest.raises(EngineError) as info:
            call(basic("alice", "wrong"))
        assert info.value.status == 401


def test_users_see_and_manage_only_their_own_tasks(engine, tmp_path):
    mine = submit(engine, tmp_path, "print('a')", user=ALICE)
    other = submit(engine, tmp_path, "print('b')", user=BOB)
    wait_state(engine, mine["id"], user=ALICE)
    wait_state(engine, other["id"], user=BOB)
    assert [t["id"] for t in engine.execs.list_tasks(ALICE)] == [mine["id"]]
    assert {t["id"] for t in engine.execs.list_tasks(ADMIN)} == {mine["id"], other["id"]}
    calls = [
        lambda: engine.execs.get_task(ALICE, other["id"]),
        lambda: engine.execs.stop_task(ALICE, other["id"]),
        lambda: engine.execs.delete_task(ALICE, other["id"]),
        lambda: engine.execs.read_log(ALICE, other["id"], None),
        lambda: engine.execs.result_zip(ALICE, other["id"]),
        lambda: engine.execs.deploy(ALICE, other["id"], {"name": "m", "kernel": "main.py"}),
        lambda: engine.schedapps.driver_log(ALICE, "app-" + other["id"], "stdout", None),
    ]
    for call in calls:
        with pytest.raises(EngineError) as info:
            call()
        assert info.value.status in (400, 404)  # as for a missing id: ids of others do not leak
    assert engine.execs.get_task(ADMIN, other["id"])["creator"] == "bob"  # the admin sees all


def test_delete_all_deletes_only_the_callers_tasks(engine, tmp_path):
    admins = submit(engine, tmp_path, "print('a')", user=ADMIN)
    alices = [submit(engine, tmp_path, "print('b')", user=ALICE) for _ in range(2)]
    for batch in alices:
        wait_state(engine, batch["id"], user=ALICE)
    engine.execs.delete_all(ALICE)
    assert engine.execs.list_tasks(ALICE) == []
    assert [t["id"] for t in engine.execs.list_tasks(ADMIN)] == [admins["id"]]
    engine.execs.delete_all(ADMIN)
    assert engine.execs.list_tasks(ADMIN) == []
    assert list(engine.tasks_root.iterdir()) == []


def test_a_token_never_starts_with_a_dash():
    """`dlicli dlicmd --jwt-token -x…` is a missing value then an option (as dlicmd.py's argparse reads
    it): one token in 64 did start so, and then no dlicmd line could pass it as a separate word."""
    from dlicli.engine.users import secret_token

    tokens = [secret_token() for _ in range(3000)]
    assert not [t for t in tokens if t.startswith("-")]
    assert len(set(tokens)) == 3000 and {len(t) for t in tokens} == {43}
