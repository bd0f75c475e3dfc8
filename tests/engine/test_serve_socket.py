"""The engine's listening socket sends small answers at once (TCP_NODELAY): without it every HTTP
answer of the local engine waited ~40 ms for the client's delayed ACK (GET /execs median 44 ms
against 2.7 ms with it; benchmarks/bench_engine.py's submit→RUNNING paid it twice)."""

from __future__ import annotations

import socket
import statistics
import time

import httpx

from dlicli.engine.serve import bind


def test_the_listening_socket_and_its_connections_do_not_delay_small_writes():
    listener = bind("127.0.0.1", 0)
    try:
        listener.listen(1)
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        client = socket.create_connection(listener.getsockname()[:2])
        accepted, _ = listener.accept()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        accepted.close()
        client.close()
    finally:
        listener.close()


def test_an_engines_answers_on_one_connection_do_not_wait_for_delayed_acks(tmp_path):
    from dlicli import localengine

    record, _ = localengine.start(tmp_path / "data", port=0, slots=2)
    try:
        token = localengine.admin_token(tmp_path / "data")
        with httpx.Client(base_url=record["url"], headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            c.get("/execs").raise_for_status()
            took = []
            for _ in range(15):
                t0 = time.perf_counter()
                c.get("/execs").raise_for_status()
                took.append(time.perf_counter() - t0)
        # with the ~40 ms delayed-ACK wait every answer takes >= 40 ms; a loaded CI still answers faster
        assert statistics.median(took) < 0.040, took
    finally:
        localengine.stop(tmp_path / "data")
