"""`dlicli top`'s Textual console, driven by Textual's pilot against a real engine process: keys
move the cursor, Tab switches pane, Enter opens a followed log, `s` stops after a confirm, `/`
filters, `q` quits; a server that does not answer shows in the status line."""

from __future__ import annotations

import asyncio
import time

import pytest

pytest.importorskip("textual")

from textual.widgets import DataTable, Log

from dlicli.client.http import HttpSession, authorization_header
from dlicli.client.operations import DlpdClient
from dlicli.top.app import ConfirmStop, LogScreen, TopApp
from tests.engine_http.conftest import wait_state
from tests.test_top_helpers import SEARCH, finished_task, start_engine, start_search, start_sleeper

pytestmark = pytest.mark.slow
SIZE = (140, 45)


@pytest.fixture(scope="module")
def engine(procs, tmp_path_factory):
    engine = start_engine(procs, tmp_path_factory.mktemp("top") / "data")
    with engine.client() as admin:
        engine.sleeper = start_sleeper(admin)
        engine.finished = finished_task(admin)
        start_search(admin)
    return engine


def client_for(url: str, token: str) -> DlpdClient:
    return DlpdClient(HttpSession(url, authorization_header(token=token), timeout=5.0, retries=0))


def run(scenario) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 90))


async def until(pilot, predicate, what: str, timeout: float = 30.0):
    """Let the app run until `predicate()` is truthy; fail naming `what` (and the last value)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for {what}; last value: {value!r}")


def ids(app: TopApp) -> list[str]:
    return [row[0] for row in app.shown_rows("tasks")]


def test_the_panes_show_tasks_with_their_last_line_the_search_and_the_plans(engine):
    async def scenario():
        app = TopApp(client_for(engine.url, engine.token), interval=0.5, server=engine.url)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: engine.sleeper in ids(app), "the sleeping task in the tasks pane")
            rows = {row[0]: row for row in app.shown_rows("tasks")}
            assert rows[engine.sleeper][1] == "RUNNING"
            assert rows[engine.sleeper][5] == "epoch 1 loss=0.42 top-marker"  # its last log line
            assert rows[engine.finished][1] == "FINISHED" and rows[engine.finished][5] == ""
            search = await until(
                pilot, lambda: [r for r in app.shown_rows("searches") if r[0] == SEARCH], "the search's row"
            )
            assert search[0][1] == "RUNNING" and search[0][2].endswith("/4") and "░" in search[0][2]
            assert any("experiment" in r[0] for r in app.shown_rows("searches"))  # its running experiments
            experiment_tasks = {r[4] for r in app.shown_rows("searches") if "experiment" in r[0]}
            assert not experiment_tasks & set(ids(app)), "experiments show under their search, not as tasks"
            assert app.shown_rows("apps")  # the engine's scheduler applications
            assert "Searches" in str(app.query_one("#searches", DataTable).border_title)

    run(scenario)


def test_keys_move_the_cursor_and_tab_switches_pane(engine):
    async def scenario():
        app = TopApp(client_for(engine.url, engine.token), interval=0.5)
        async with app.run_test(size=SIZE) as pilot:
            tasks = app.query_one("#tasks", DataTable)
            await until(pilot, lambda: tasks.row_count >= 2, "two rows in the tasks pane")
            assert app.focused is tasks and tasks.cursor_row == 0
            await pilot.press("j")
            assert tasks.cursor_row == 1
            await pilot.press("k")
            assert tasks.cursor_row == 0
            await pilot.press("down")
            assert tasks.cursor_row == 1
            await pilot.press("tab")
            assert app.focused is app.query_one("#searches", DataTable)

    run(scenario)


def test_enter_opens_the_tasks_log_followed_and_escape_comes_back(engine):
    async def scenario():
        app = TopApp(client_for(engine.url, engine.token), interval=0.5)
        async with app.run_test(size=SIZE) as pilot:
            tasks = app.query_one("#tasks", DataTable)
            await until(pilot, lambda: engine.sleeper in ids(app), "the sleeping task")
            tasks.move_cursor(row=tasks.get_row_index(engine.sleeper))
            await pilot.press("enter")
            assert isinstance(app.screen, LogScreen) and app.screen.exec_id == engine.sleeper
            log = app.screen.query_one(Log)
            await until(pilot, lambda: "top-marker" in "\n".join(log.lines), "the task's output in the log screen")
            assert "starting up" in "\n".join(log.lines)
            await pilot.press("escape")
            assert not isinstance(app.screen, LogScreen) and app.focused is tasks

    run(scenario)


def test_s_asks_first_and_confirming_stops_the_task(engine):
    with engine.client() as admin:
        victim = start_sleeper(admin)

    async def scenario():
        app = TopApp(client_for(engine.url, engine.token), interval=0.5)
        async with app.run_test(size=SIZE) as pilot:
            tasks = app.query_one("#tasks", DataTable)
            await until(pilot, lambda: victim in ids(app), "the task to stop")
            tasks.move_cursor(row=tasks.get_row_index(victim))
            await pilot.press("s")
            assert isinstance(app.screen, ConfirmStop) and app.screen.target.ident == victim
            await pilot.press("n")  # cancelled: nothing is sent
            assert not isinstance(app.screen, ConfirmStop)
            await pilot.press("s")
            await pilot.press("y")
            await until(pilot, lambda: {r[0]: r[1] for r in app.shown_rows("tasks")}.get(victim) == "KILLED", "KILLED")

    run(scenario)
    with engine.client() as admin:
        assert wait_state(admin, victim)["state"] == "KILLED"


def test_slash_filters_the_rows_and_escape_clears_the_filter(engine):
    async def scenario():
        app = TopApp(client_for(engine.url, engine.token), interval=5)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: len(ids(app)) >= 2, "the tasks")
            everything = ids(app)
            await pilot.press("slash", *engine.sleeper)
            assert ids(app) == [engine.sleeper]
            assert app.shown_rows("searches") == []  # no search row holds the task's id
            await pilot.press("enter")  # the filter stays; the keys go back to the table
            assert ids(app) == [engine.sleeper] and isinstance(app.focused, DataTable)
            await pilot.press("escape")
            assert ids(app) == everything

    run(scenario)


def test_q_quits(engine):
    async def scenario():
        app = TopApp(client_for(engine.url, engine.token), interval=5)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running

    run(scenario)


def test_a_server_that_does_not_answer_shows_in_the_status_line(procs, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def scenario():
        app = TopApp(client_for(f"http://127.0.0.1:{port}/platform/rest/deeplearning/v1", "t"), interval=0.3)
        async with app.run_test(size=SIZE) as pilot:
            status = app.query_one("#status")
            text = await until(pilot, lambda: "tasks:" in str(status.render()) and str(status.render()), "an error")
            assert "searches:" in text
            await pilot.pause(1.0)  # later polls fail the same way; the console keeps running
            assert app.is_running and app.shown_rows("tasks") == []

    run(scenario)
