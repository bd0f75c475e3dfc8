"""A sandboxed process still finds what lives under /tmp outside its jail: a venv or a PATH dir there
(CI clones the project into /tmp) is bound after the sandbox's empty /tmp, not hidden by it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dlicli.engine import sandbox


@pytest.fixture
def isolating():
    before = sandbox.policy()
    sandbox.configure(isolate=True)
    if not sandbox.active():
        sandbox.configure(isolate=before.isolate, shared_trust=before.shared_trust)
        pytest.skip("bwrap cannot run here (apt-get install bubblewrap)")
    yield
    sandbox.configure(
        isolate=before.isolate, shared_trust=before.shared_trust, pass_env=before.pass_env, hidden=before.hidden
    )


def test_a_path_dir_under_tmp_is_seen_inside(isolating, tmp_path, monkeypatch):
    tools = tmp_path / "venv-bin"
    tools.mkdir()
    (tools / "hello").write_text("#!/bin/sh\necho hello from /tmp\n")
    (tools / "hello").chmod(0o755)
    own = tmp_path / "task"
    own.mkdir()
    monkeypatch.setenv("PATH", f"{tools}:/usr/bin:/bin")
    argv = sandbox.wrap(["hello"], sandbox.Jail(own=[own], cwd=own))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout) == (0, "hello from /tmp\n"), done.stderr
    probe = sandbox.wrap(["ls", str(tmp_path)], sandbox.Jail(own=[own], cwd=own))
    listed = subprocess.run(probe, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert sorted(listed.stdout.split()) == ["task", "venv-bin"]  # nothing else of /tmp shows


def test_a_write_to_the_hidden_data_dir_fails_and_its_own_dir_inside_stays_writable(isolating, tmp_path):
    """$DLI_SHARED_FS is the engine's data dir, covered inside: a task writing there learns at once
    (EROFS), where a writable tmpfs let the file vanish when the task ended."""
    data = tmp_path / "data"
    own = data / "tasks" / "t1"
    own.mkdir(parents=True)
    script = (
        "import errno, sys\n"
        "open(sys.argv[2] + '/kept.txt', 'w').write('x')\n"
        "try:\n"
        "    open(sys.argv[1] + '/lost.txt', 'w').write('x')\n"
        "except OSError as e:\n"
        "    print(errno.errorcode[e.errno])\n"
    )
    argv = sandbox.wrap(
        [sys.executable, "-c", script, str(data), str(own)], sandbox.Jail(own=[own], hidden=[data], cwd=own)
    )
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout) == (0, "EROFS\n"), done.stderr
    assert (own / "kept.txt").read_text() == "x"
    assert sorted(p.name for p in data.iterdir()) == ["tasks"]
