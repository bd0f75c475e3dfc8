"""GET /execs/{id}'s `metrics` field (an engine extension): the task's val_dict_list.json, read
safely — junk, half-written lists, NaN, deep nesting and huge files never break the answer."""

from __future__ import annotations

import json

import pytest

from tests.engine_http.conftest import submit, wait_state

WRITES = """\
    import os, pathlib
    pathlib.Path(os.environ["RESULT_DIR"], "val_dict_list.json").write_bytes(bytes.fromhex("{hex}"))
"""


def metrics_of(client, content: bytes) -> list:
    """The metrics field of a finished task that wrote `content` as its val_dict_list.json."""
    batch = submit(client, WRITES.replace("{hex}", content.hex())).json()
    answer = client.get(f"execs/{batch['id']}")
    done = wait_state(client, batch["id"])
    assert done["state"] == "FINISHED", done
    answer = client.get(f"execs/{batch['id']}")
    assert answer.status_code == 200
    json.loads(answer.text)  # strict JSON: no NaN or Infinity in the text
    assert "NaN" not in answer.text and "Infinity" not in answer.text
    return answer.json()["metrics"]


def test_a_task_without_the_file_has_empty_metrics_and_the_list_has_none(admin):
    batch = submit(admin, "print('no metrics')").json()
    assert wait_state(admin, batch["id"])["metrics"] == []
    listed = [b for b in admin.get("execs").json() if b["id"] == batch["id"]]
    assert listed and "metrics" not in listed[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'[{"steps": 1, "loss": 0.5}, {"steps": 2, "loss": 0.25}]',
            [{"steps": 1, "loss": 0.5}, {"steps": 2, "loss": 0.25}],
        ),
        (b'{"steps": 1, "acc": 0.9}', [{"steps": 1, "acc": 0.9}]),
        (b'[{"steps": 1, "loss": 0.5}, {"steps": 2, "lo', [{"steps": 1, "loss": 0.5}]),
        (
            b'[1, "x", null, {"steps": 3, "loss": NaN, "acc": Infinity, "d": {"x": 1}, "n": "ok"}]',
            [{"steps": 3, "loss": None, "acc": None, "n": "ok"}],
        ),
        (b"not json at all", []),
        (b"[" * 100_000, []),
        (b"", []),
    ],
    ids=["list", "lone-object", "half-written", "junk-entries-and-nan", "junk", "deep-nesting", "empty"],
)
def test_metrics_are_read_safely(admin, content, expected):
    assert metrics_of(admin, content) == expected


@pytest.mark.slow
def test_a_huge_file_is_capped(admin):
    entry = b'{"steps": %d, "loss": 0.123456789, "accuracy": 0.987654321, "pad": "%s"}'
    content = b"[" + b", ".join(entry % (i, b"x" * 30) for i in range(40_000)) + b"]"
    assert len(content) > 3 << 20
    metrics = metrics_of(admin, content)
    assert 0 < len(metrics) <= 10_000
    assert [m["steps"] for m in metrics] == list(range(len(metrics)))  # the first ones, in order, whole
