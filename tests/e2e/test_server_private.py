"""`dlicli server start` makes the data dir and engine.log its user's alone, and hands
`--session-hours` to the engine, whose logon tokens then end on time."""

from __future__ import annotations

import stat
import time

import httpx

from tests.waiting import wait_until


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_server_start_keeps_its_files_private_and_passes_session_hours(new_cli):
    cli = new_cli("private")
    cli.ok("server", "start", "--port", "0", "--session-hours", "0.001")
    assert mode(cli.data) == 0o700
    assert mode(cli.data / "engine.log") == 0o600
    assert mode(cli.data / "engine.db") == 0o600 and mode(cli.data / "admin.token") == 0o600
    root = cli.url.split("/platform/", 1)[0]
    session = httpx.get(root + "/auth/v1/logon", headers={"Authorization": f"Bearer {cli.admin_token}"})
    token = session.json()["accessToken"]
    started = time.monotonic()
    wait_until(
        lambda: httpx.get(cli.url + "/execs", headers={"Authorization": f"Bearer {token}"}).status_code,
        15,
        0.2,
        "the 3.6 s session token to expire",
        until=lambda status: status == 401,
    )
    assert time.monotonic() - started > 1.0  # it lasted, then ended
