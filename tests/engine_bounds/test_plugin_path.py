"""POST /hypersearch/algorithm/install with a server `path`: admin only, under a --plugin-root,
optimizer.py checked first, no special files, no symlink out, bounded (issue 10, item 2)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.engine_bounds.conftest import message, responsive
from tests.engine_hposvc.conftest import PLUGIN


def install(client, data: dict):
    return client.post(
        "hypersearch/algorithm/install", data={"data": json.dumps(data)}, files={"other": ("x.txt", b"x")}
    )


def plugin_dir(root: Path, name: str, **extra: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "optimizer.py").write_text(PLUGIN)
    for rel, text in extra.items():
        (folder / rel).write_text(text)
    return folder


def test_without_a_plugin_root_a_path_is_refused_saying_how_to_allow_it(admin, tmp_path):
    folder = plugin_dir(tmp_path, "p1")
    answer = install(admin, {"name": "p1", "path": str(folder)})
    assert answer.status_code == 403, answer.text
    assert "--plugin-root" in message(answer)


def test_only_an_admin_installs_from_a_path(tight, plugin_root):
    folder = plugin_dir(plugin_root, "p2")
    token = tight.add_user("plugger")
    with tight.client(token) as user:
        answer = install(user, {"name": "p2", "path": str(folder)})
        assert answer.status_code == 403, answer.text
        assert "admin" in message(answer)
    with tight.client() as admin:
        answer = install(admin, {"name": "p2", "path": str(folder)})
        assert answer.status_code == 200, answer.text
        assert admin.delete("hypersearch/algorithm/p2").status_code == 204


def test_a_path_outside_the_roots_is_refused(tight, tmp_path):
    with tight.client() as admin:
        for path in (tmp_path, tight.data_dir, "/"):
            answer = install(admin, {"name": "out", "path": str(path)})
            assert answer.status_code == 403, answer.text
            assert "--plugin-root" in message(answer)


def test_optimizer_py_is_checked_first_even_with_a_fifo_in_the_folder(tight, plugin_root):
    folder = plugin_root / "noopt"
    folder.mkdir()
    os.mkfifo(folder / "pipe")
    with tight.client() as admin:
        began = time.monotonic()
        answer = install(admin, {"name": "noopt", "path": str(folder)})
        assert answer.status_code == 400, answer.text
        assert "optimizer.py" in message(answer)
        assert time.monotonic() - began < 2
        responsive(admin)


def test_special_files_and_symlinks_leaving_the_root_are_refused(tight, plugin_root, tmp_path):
    fifo = plugin_dir(plugin_root, "withfifo")
    os.mkfifo(fifo / "pipe")
    (tmp_path / "secret").write_text("s3cret")
    link = plugin_dir(plugin_root, "withlink")
    (link / "leak").symlink_to(tmp_path / "secret")
    dev = plugin_dir(plugin_root, "withdev")
    (dev / "zero").symlink_to("/dev/zero")
    with tight.client() as admin:
        for name, named in (("withfifo", "pipe"), ("withlink", "leak"), ("withdev", "zero")):
            began = time.monotonic()
            answer = install(admin, {"name": name, "path": str(plugin_root / name)})
            assert answer.status_code == 400, answer.text
            assert named in message(answer)
            assert time.monotonic() - began < 2
        assert not list((tight.data_dir / "hpo_plugins").glob("with*"))
        responsive(admin)


def test_a_plugin_folder_over_the_limits_is_a_413(tight, plugin_root):
    folder = plugin_dir(plugin_root, "crowded", **{f"f{i}.txt": "x" for i in range(60)})
    with tight.client() as admin:
        answer = install(admin, {"name": "crowded", "path": str(folder)})
        assert answer.status_code == 413, answer.text
        assert "--max-tar-members" in message(answer)
