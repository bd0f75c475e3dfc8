"""The Execute API, auth and users over real HTTP against a real engine process."""

from __future__ import annotations

import base64
import io
import json
import socket
import tarfile
import zipfile
from urllib.parse import urlsplit

import httpx
import pytest

from tests.engine_http.conftest import UPLOAD_CAP, model_tar, submit, wait_state

SCRIPT = """\
    import os, sys
    print("out line")
    print("err line", file=sys.stderr)
    with open(os.path.join(os.environ["RESULT_DIR"], "model.txt"), "w") as handle:
        handle.write("trained in " + os.path.basename(os.getcwd()))
"""


@pytest.fixture(scope="module")
def finished(engine_proc):
    """One finished task shared by the read-only tests."""
    with engine_proc.client() as client:
        batch = submit(client, SCRIPT, args="--lr 0.1").json()
        return wait_state(client, batch["id"])


def test_every_request_needs_a_valid_token(engine_proc):
    for token in (None, "wrong-token"):
        with engine_proc.client(token) as client:
            for method, path in (("GET", "conf"), ("GET", "execs/"), ("DELETE", "execs"), ("POST", "execs/")):
                answer = client.request(method, path)
                assert answer.status_code == 401, (method, path)
                assert answer.json()["message"] and "Bearer" in answer.headers["www-authenticate"]


def test_conf_and_frameworks_with_and_without_trailing_slash(admin):
    for path in ("conf", "conf/"):
        answer = admin.get(path)
        assert answer.status_code == 200 and answer.json()["DLI_ENGINE"] == "local"
    names = {f["name"] for f in admin.get("execs/frameworks/").json()}
    assert {"PyTorch", "tensorflow", "python", "distPyTorch", "disttensorflow"} <= names
    assert admin.get("execs/frameworks").json() == admin.get("execs/frameworks/").json()


def test_unknown_paths_are_json_404(admin):
    answer = admin.get("no/such/thing")
    assert answer.status_code == 404 and "no such endpoint" in answer.json()["message"]


def test_logon_gives_a_session_token_that_logoff_revokes(engine_proc):
    basic = "Basic " + base64.b64encode(f"admin:{engine_proc.token}".encode()).decode()
    answer = httpx.get(engine_proc.root + "/auth/v1/logon", headers={"Authorization": basic})
    assert answer.status_code == 200
    session = answer.json()["accessToken"]
    assert session and session != engine_proc.token
    with engine_proc.client(session) as client:
        assert client.get("conf").status_code == 200
        assert (
            httpx.post(
                engine_proc.root + "/auth/v1/logoff/", headers={"Authorization": f"Bearer {session}"}
            ).status_code
            == 204
        )
        assert client.get("conf").status_code == 401
    wrong = "Basic " + base64.b64encode(b"admin:nope").decode()
    answer = httpx.get(engine_proc.root + "/auth/v1/logon", headers={"Authorization": wrong})
    assert answer.status_code == 401 and answer.json()["message"]


def test_the_full_execute_flow(engine_proc, admin, finished):
    exec_id = finished["id"]
    assert finished["state"] == "FINISHED" and finished["creator"] == "admin"
    assert finished["args"] == "--exec-start PyTorch --model-dir mymodel --model-main main.py --lr 0.1"
    assert exec_id in [b["id"] for b in admin.get("execs").json()]
    assert admin.get(f"execs/{exec_id}/").json()["id"] == exec_id

    log = admin.get(f"execs/{exec_id}/log", params={"args": "--debug-level info"})  # dlicmd adds args
    assert log.status_code == 200 and log.headers["content-type"].startswith("application/json")
    assert log.json() == "out line\nerr line\n"
    assert admin.get(f"execs/{exec_id}/log/?logType=outlog").json() == "out line\n"
    assert admin.get(f"execs/{exec_id}/log?logType=errlog").json() == "err line\n"
    assert admin.get(f"execs/{exec_id}/log?logType=bogus").status_code == 400
    plain = admin.get(f"execs/{exec_id}/log?logType=outerrlog", headers={"Accept": "text/plain"})  # as dlicmd asks
    assert plain.headers["content-type"].startswith("text/plain") and plain.text == "out line\nerr line\n"
    for accept in ("application/json", "*/*", "application/json, text/plain", "text/html"):
        answer = admin.get(f"execs/{exec_id}/log", headers={"Accept": accept})
        assert answer.headers["content-type"].startswith("application/json") and answer.json() == plain.text, accept

    result = admin.get(f"execs/{exec_id}/result")
    assert result.status_code == 200 and result.headers["content-type"] == "application/zip"
    assert result.headers["content-disposition"] == f'attachment; filename="{exec_id}-result.zip"'
    with zipfile.ZipFile(io.BytesIO(result.content)) as archive:
        assert archive.read("model.txt") == b"trained in mymodel"

    deployed = admin.post(f"execs/{exec_id}/deploy", json={"name": "m1", "kernel": "main.py", "weight": "model.txt"})
    assert deployed.status_code == 200 and deployed.json() == {"uid": "m1", "href": f"/execs/{exec_id}/deploy/m1"}
    assert admin.post(f"execs/{exec_id}/deploy/", json={"name": "m2", "kernel": "nope.py"}).status_code == 400
    assert admin.post(f"execs/{exec_id}/deploy", content=b"{not json").status_code == 400


@pytest.mark.parametrize(
    "name, words",
    [
        ("a/b", "no slashes"),
        ("..", "not . or .."),
        ("tab\there", "control characters"),
        ("m" * 129, "at most 128 characters, not 129"),
    ],
)
def test_a_deployment_name_that_cannot_be_its_href_is_refused(admin, finished, name, words):
    answer = admin.post(f"execs/{finished['id']}/deploy", json={"name": name, "kernel": "main.py"})
    assert answer.status_code == 400 and words in answer.json()["message"], answer.text
    longest = admin.post(f"execs/{finished['id']}/deploy", json={"name": "n" * 128, "kernel": "main.py"})
    assert longest.status_code in (200, 409), longest.text


def test_only_a_finished_task_is_deployed(admin):
    batch = submit(admin, "import time\ntime.sleep(60)\n").json()
    wait_state(admin, batch["id"], "RUNNING")
    answer = admin.post(f"execs/{batch['id']}/deploy", json={"name": "early", "kernel": "main.py"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"] == f"task {batch['id']} is RUNNING: only a FINISHED task's model can be deployed"
    assert admin.post(f"execs/{batch['id']}/stop").status_code == 204
    assert wait_state(admin, batch["id"])["state"] == "KILLED"
    killed = admin.post(f"execs/{batch['id']}/deploy", json={"name": "early", "kernel": "main.py"})
    assert killed.status_code == 400 and "is KILLED" in killed.json()["message"]


def test_stop_and_delete(admin):
    batch = submit(admin, "import time\nprint('up', flush=True)\ntime.sleep(60)\n").json()
    wait_state(admin, batch["id"], "RUNNING")
    assert admin.post(f"execs/{batch['id']}/stop/").status_code == 204
    assert wait_state(admin, batch["id"])["state"] == "KILLED"
    answer = admin.delete(f"execs/{batch['id']}")
    assert answer.status_code == 204 and answer.content == b""
    gone = admin.get(f"execs/{batch['id']}")
    assert gone.status_code == 400 and gone.json() == {"message": "Cannot find task with given execId."}
    assert admin.delete(f"execs/{batch['id']}/").status_code == 400


def raw_post(engine_proc, target: str, body: bytes, boundary: str) -> tuple[int, dict]:
    """Send one request with exactly this request target (no client-side re-encoding)."""
    url = urlsplit(engine_proc.url)
    head = (
        f"POST {url.path}{target} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {engine_proc.token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=20) as sock:
        sock.sendall(head + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    status_line, _, rest = b"".join(chunks).partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(
    "target",
    [
        "/execs/?args=--exec-start%20python%20--model-dir%20raw%20--model-main%20main.py",
        "/execs/?args=--exec-start+python+--model-dir+raw+--model-main+main.py",
    ],
)
def test_dlicmd_style_unescaped_args_in_the_query(engine_proc, target):
    boundary = "dlicmdBoundary42"
    tar = model_tar("raw", {"main.py": "print('raw ok')\n"})
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="raw.modelDir.tar"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + tar
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, batch = raw_post(engine_proc, target, body, boundary)
    assert status == 200, batch
    assert batch["args"] == "--exec-start python --model-dir raw --model-main main.py"
    with engine_proc.client() as admin:
        assert wait_state(admin, batch["id"])["state"] == "FINISHED"
        assert admin.get(f"execs/{batch['id']}/log?logType=outlog").json() == "raw ok\n"


def test_bad_submissions_are_400_and_leave_nothing(engine_proc, admin):
    tasks_before = sorted(p.name for p in (engine_proc.data_dir / "tasks").iterdir())
    ok_file = {"file": ("main.py", b"print(1)\n")}
    cases = [
        admin.post("execs?args=--exec-start python --model-main main.py", files=ok_file, data={"data": "{bad"}),
        admin.post("execs?args=--exec-start python --model-main main.py", data={"data": "{}"}),
        admin.post("execs?args=--exec-start python --model-main main.py", content=b"plain"),
        admin.post("execs?args=--exec-start nosuchframework --model-main main.py", files=ok_file),
        admin.post(
            "execs?args=--exec-start python --model-main main.py", files={"file": ("big.py", b"#" * (UPLOAD_CAP + 10))}
        ),
    ]
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w:gz") as archive:
        info = tarfile.TarInfo("../escape.py")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"x=1"))
    cases.append(
        admin.post(
            "execs/?args=--exec-start python --model-main main.py",
            files={"file": ("evil.modelDir.tar", evil.getvalue())},
        )
    )
    for i, answer in enumerate(cases):
        assert answer.status_code == (413 if i == 4 else 400), answer.text  # 413: over --max-upload-bytes
        assert answer.json()["message"]
    assert "limit" in cases[4].json()["message"]
    assert sorted(p.name for p in (engine_proc.data_dir / "tasks").iterdir()) == tasks_before
    assert not (engine_proc.data_dir / "tasks" / "escape.py").exists()
    assert list((engine_proc.data_dir / "uploads").iterdir()) == []


@pytest.mark.slow
def test_users_see_and_manage_only_their_own_tasks(engine_proc, finished):
    alice_token = engine_proc.add_user("alice")
    with engine_proc.client(alice_token) as alice:
        hidden = alice.get(f"execs/{finished['id']}")  # another user's task: as if it did not exist
        assert hidden.status_code == 400 and hidden.json() == {"message": "Cannot find task with given execId."}
        for method, path in (
            ("DELETE", f"execs/{finished['id']}"),
            ("POST", f"execs/{finished['id']}/stop"),
            ("GET", f"execs/{finished['id']}/log"),
            ("GET", f"execs/{finished['id']}/result"),
        ):
            answer = alice.request(method, path)
            assert answer.status_code == 400 and "Cannot find task" in answer.json()["message"], (method, path)
        mine = submit(alice, "print('alice')\n").json()
        assert mine["creator"] == "alice"
        assert [b["id"] for b in alice.get("execs").json()] == [mine["id"]]
        wait_state(alice, mine["id"])
        assert alice.delete("execs/").status_code == 204
        assert alice.get("execs").json() == []
    with engine_proc.client() as admin:  # the admin sees all; alice's DELETE /execs left admin's task alone
        assert admin.get(f"execs/{finished['id']}").status_code == 200


def test_a_tar_made_on_a_mac_runs_and_says_what_was_left_out(admin):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in [("._macmodel", b"\x00\x05\x16\x07"), ("macmodel/main.py", b"print('ran')\n")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    posted = admin.post(
        "execs/?args=--exec-start PyTorch --model-dir macmodel --model-main main.py",
        files={"file": ("macmodel.modelDir.tar", buffer.getvalue(), "application/octet-stream")},
    )
    assert posted.status_code == 200, posted.text
    done = wait_state(admin, posted.json()["id"])
    assert done["state"] == "FINISHED"
    assert "left out 1 macOS metadata entries of the upload: ._macmodel" in done["events"]
    assert admin.get(f"execs/{done['id']}/log?logType=outlog").json() == "ran\n"


def test_a_task_finds_the_file_systems_get_conf_reports(admin):
    script = "import os\nprint(os.environ['DLI_DATA_FS'], os.environ['DLI_RESULT_FS'], os.environ['DLI_SHARED_FS'])\n"
    done = wait_state(admin, submit(admin, script).json()["id"])
    assert done["state"] == "FINISHED", done
    conf = admin.get("conf").json()
    expected = f"{conf['DLI_DATA_FS']} {conf['DLI_RESULT_FS']} {conf['DLI_SHARED_FS']}\n"
    assert admin.get(f"execs/{done['id']}/log?logType=outlog").json() == expected
