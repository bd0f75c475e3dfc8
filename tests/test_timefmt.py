"""timefmt reads every time and duration form servers send and shows each kind one way."""

from __future__ import annotations

import pytest

from dlicli import timefmt

STAMP = 1796145235.428  # 2026-12-01T17:13:55.428Z


@pytest.mark.parametrize(
    "value",
    [1796145235428, 1796145235.428, "1796145235428", "2026-12-01T17:13:55.428Z", "2026-12-01T18:13:55.428+01:00"],
)
def test_parse_time_reads_ms_seconds_and_iso(value):
    assert timefmt.parse_time(value) == pytest.approx(STAMP, abs=0.001)


def test_parse_time_reads_wmla_local_times(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        assert timefmt.parse_time("2020-01-09 17:31:32") == 1578591092
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize("value", [None, "", "soon", True, -5, 0, [1], "nan"])
def test_parse_time_refuses_what_is_no_time(value):
    assert timefmt.parse_time(value) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("6.253", 6.253), (56, 56), ("00:07:25", 445), ("26:00:01", 93601), ("56s", 56), ("1m05s", 65), ("2h30m", 9000)],
)
def test_parse_duration(value, seconds):
    assert timefmt.parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [None, "", "-1", "1x", "m", "1m5", "12:99:00"])
def test_parse_duration_refuses(value):
    assert timefmt.parse_duration(value) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.43, "0.4s"), (6.253, "6.3s"), (56, "56s"), (65, "1m05s"), (3599, "59m59s"), (7380, "2h03m"), (273600, "3d04h")],
)
def test_duration_has_one_form(seconds, text):
    assert timefmt.duration(seconds) == text


def test_age_is_one_unit():
    assert [timefmt.age(STAMP - d, now=STAMP) for d in (5, 125, 7300, 3 * 86400 + 5)] == ["5s", "2m", "2h", "3d"]


def test_time_text_local_on_a_terminal_iso_when_piped():
    assert timefmt.time_text(1796145235428, tty=False) == "2026-12-01T17:13:55Z"
    assert timefmt.time_text("2026-12-01T17:13:55Z", tty=True) == timefmt.local(STAMP - 0.428)
    assert timefmt.time_text("later", tty=True) == "later"


def test_elapsed_runs_to_now_without_an_end():
    assert timefmt.elapsed("2026-12-01T17:13:55Z", "2026-12-01T17:15:00Z") == 65
    assert timefmt.elapsed(STAMP, None, now=STAMP + 10) == pytest.approx(10)
    assert timefmt.elapsed(None) is None
