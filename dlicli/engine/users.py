"""Users, tokens and passwords (`engine.users`, and the auth routes' checks). Tokens are random,
shown once, and stored only as sha256 hashes; a password (optional, set with `server user add NAME
--password-stdin`) only as a salted scrypt hash. A request proves a user with a token (Bearer, raw,
or Basic `user:token`) or, as on WMLA, with Basic `user:password`. The functions work on a bare
Store (engine/useradmin.py's one-shot modes of serve use them, while an engine may run: nothing here
is cached, so the running engine sees every change on its next request).

Tokens: a user's own token (`server user add`, `rotate-token`) does not expire; a session token from
GET /auth/v1/logon expires after the engine's --session-hours and POST /auth/v1/logoff revokes it.
A removed user keeps a tombstone row (`removed`): their tokens and password are gone at once, their
tasks and searches are stopped by the engine (core.py) and kept for the admin; the name can be
given again once the admin has deleted what was kept."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from typing import TextIO

from dlicli.engine import EngineError, User
from dlicli.engine.store import Store
from dlicli.wmla import HPO_ACTIVE_STATES as ACTIVE_SEARCH

UNFINISHED_TASK = ("SUBMITTED", "PENDING_JOB_SCHEDULER", "LAUNCHING", "RUNNING")  # scheduler's QUEUED + ACTIVE

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# scrypt's cost: n=2^14, r=8 (16 MiB, tens of milliseconds a check), as OWASP's minimum for scrypt
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 14, 8, 1
MAX_PASSWORD = 1024  # characters; the hash's cost does not depend on it, the request's size does
WRONG_PASSWORD = "Authentication error: wrong user name or password"
EXPIRED = "token expired; log on again"
DEFAULT_SESSION_HOURS = 8.0  # a working day: logon's tokens last this long unless --session-hours
THE_ADMIN = "admin"  # the engine's own administrator (admin.token): never removed
# hashed against when a user has no password, so that "no such user" takes as long as "wrong password"
_UNKNOWN_USER = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def secret_token() -> str:
    """A fresh token (43 URL-safe characters) that never starts with `-`: dlicmd.py's argparse, and
    ours, read `--jwt-token -x…` as a missing value followed by an option."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def new_token(store: Store, name: str, kind: str, expires: float | None = None) -> str:
    token = secret_token()
    store.insert("tokens", hash=token_hash(token), user=name, kind=kind, created=time.time(), expires=expires)
    return token


def add_user(store: Store, name: str, admin: bool, password_hash: str | None = None) -> str:
    if not _NAME.fullmatch(name or ""):
        raise EngineError(400, "a user name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    with store.tx() as db:
        row = db.execute("SELECT removed FROM users WHERE name = ?", (name,)).fetchone()
        if row is not None and row[0] is None:
            raise EngineError(409, f"user {name} already exists")
        if row is not None:
            _forget_removed(db, name)
        db.execute(
            "INSERT INTO users (name, admin, created, password) VALUES (?, ?, ?, ?)",
            (name, int(admin), time.time(), password_hash),
        )
        token = secret_token()
        db.execute(
            "INSERT INTO tokens (hash, user, kind, created) VALUES (?, ?, 'user', ?)",
            (token_hash(token), name, time.time()),
        )
    return token


def _forget_removed(db: sqlite3.Connection, name: str) -> None:
    """Drop a removed user's tombstone so the name can be given again; refused (409) while their
    tasks or searches are kept, which a new user of that name would otherwise see."""
    kept = db.execute("SELECT COUNT(*) FROM tasks WHERE creator = ?", (name,)).fetchone()[0]
    kept += db.execute("SELECT COUNT(*) FROM hpo_tasks WHERE creator = ?", (name,)).fetchone()[0]
    if kept:
        raise EngineError(
            409,
            f"user {name} was removed and {kept} of their tasks or searches are kept; "
            "delete them first (as admin), or choose another name",
        )
    db.execute("DELETE FROM users WHERE name = ?", (name,))


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` (base64): what the store keeps instead of the password."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def password_matches(stored: str | None, password: str) -> bool:
    """True when `password` hashes to `stored` (constant-time compare); False for no password."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        again = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(again, base64.b64decode(digest))
    except (ValueError, binascii.Error):
        return False


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 << 20, dklen=32)


def read_password(stream: TextIO) -> str:
    """A password piped in (`--password-stdin`): the first line, its line ending dropped."""
    line = stream.readline()
    password = line[:-1] if line.endswith("\n") else line
    password = password[:-1] if password.endswith("\r") else password
    check_password_text(password)
    return password


def check_password_text(password: str) -> None:
    if not password:
        raise EngineError(400, 'the password is empty: pipe it in, e.g. `printf %s "$PW" | … --password-stdin`')
    if len(password) > MAX_PASSWORD:
        raise EngineError(400, f"the password is longer than {MAX_PASSWORD} characters")


NO_ISOLATION = "none (single user)"  # sandbox.SINGLE_USER: what the engine reports without bwrap or --shared-trust


def check_new_user(store: Store, name: str, isolation: str) -> None:
    """Refuse to add a user where nothing keeps users' processes apart (no working bwrap) unless the
    engine runs with --shared-trust: the admin alone always works, an existing user may get a password."""
    if isolation != NO_ISOLATION or store.one("SELECT 1 FROM users WHERE name = ?", name):
        return
    raise EngineError(
        409,
        f"refused to add user {name}: this engine cannot isolate users (bubblewrap, `bwrap`, is missing or "
        "does not work here), so every user's tasks could read every other user's files and the admin token. "
        "Install bubblewrap (apt-get install bubblewrap), or accept that every user can read everything: "
        "`dlicli server start --shared-trust` (python -m dlicli.engine.serve --shared-trust)",
    )


def add_or_set_password(store: Store, name: str, admin: bool, password: str | None) -> str | None:
    """A new user → their token (with `password` set); an existing user given a password → None,
    their password replaced (their tokens stay valid). Without a password, an existing name is 409."""
    if password is None:
        return add_user(store, name, admin)
    check_password_text(password)
    hashed = hash_password(password)
    if _store_password(store, name, hashed):
        return None
    return add_user(store, name, admin, hashed)


def set_password(store: Store, name: str, password: str) -> None:
    """`server user passwd`: replace an existing user's password (their tokens stay valid); 404 for no user."""
    check_password_text(password)
    if not _store_password(store, name, hash_password(password)):
        raise EngineError(404, f"no such user: {name}")


def _store_password(store: Store, name: str, hashed: str) -> bool:
    return store.run("UPDATE users SET password = ? WHERE name = ? AND removed IS NULL", hashed, name) > 0


def list_users(store: Store) -> list[dict]:
    """`server user list`: each user's name, admin flag, creation time (UTC), whether a password is
    set, and how many tokens work now (their own and unexpired sessions) — never a token."""
    rows = store.all(
        "SELECT u.name, u.admin, u.created, u.password IS NOT NULL AS has_password,"
        " (SELECT COUNT(*) FROM tokens t WHERE t.user = u.name AND (t.expires IS NULL OR t.expires > ?)) AS tokens"
        " FROM users u WHERE u.removed IS NULL ORDER BY u.name",
        time.time(),
    )
    return [
        {
            "name": r["name"],
            "admin": bool(r["admin"]),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r["created"])),
            "hasPassword": bool(r["has_password"]),
            "tokens": r["tokens"],
        }
        for r in rows
    ]


def remove_user(store: Store, name: str) -> dict:
    """`server user remove`: the user's tokens and password go at once and a tombstone stays; the
    engine stops their work (core.py). → what they still run: {"tasks": n, "searches": m}."""
    if name == THE_ADMIN:
        raise EngineError(400, f"cannot remove {THE_ADMIN}: the engine's administrator (admin.token) stays")
    with store.tx() as db:
        if not db.execute("SELECT 1 FROM users WHERE name = ? AND removed IS NULL", (name,)).fetchone():
            raise EngineError(404, f"no such user: {name}")
        db.execute("DELETE FROM tokens WHERE user = ?", (name,))
        db.execute("UPDATE users SET removed = ?, password = NULL WHERE name = ?", (time.time(), name))
        tasks = db.execute(
            f"SELECT COUNT(*) FROM tasks WHERE creator = ? AND state IN ({_marks(UNFINISHED_TASK)})",
            (name, *UNFINISHED_TASK),
        ).fetchone()[0]
        searches = db.execute(
            f"SELECT COUNT(*) FROM hpo_tasks WHERE creator = ? AND state IN ({_marks(ACTIVE_SEARCH)})",
            (name, *ACTIVE_SEARCH),
        ).fetchone()[0]
    return {"name": name, "tasks": tasks, "searches": searches}


def rotate_token(store: Store, name: str) -> str:
    """`server user rotate-token`: a new token; every other token of the user (their old one and
    their sessions, which the old one could have made) stops working at once."""
    token = secret_token()
    with store.tx() as db:
        if not db.execute("SELECT 1 FROM users WHERE name = ? AND removed IS NULL", (name,)).fetchone():
            raise EngineError(404, f"no such user: {name}")
        db.execute("DELETE FROM tokens WHERE user = ?", (name,))
        db.execute(
            "INSERT INTO tokens (hash, user, kind, created) VALUES (?, ?, 'user', ?)",
            (token_hash(token), name, time.time()),
        )
    return token


def _marks(values: tuple) -> str:
    return ", ".join("?" for _ in values)


def removed_users_work(store: Store) -> tuple[list[str], list[str], list[str]]:
    """What removed users still run: (search names, task ids not yet asked to stop, notebook users)."""
    removed = "(SELECT name FROM users WHERE removed IS NOT NULL)"
    searches = store.all(
        f"SELECT name FROM hpo_tasks WHERE creator IN {removed} AND state IN ({_marks(ACTIVE_SEARCH)})",
        *ACTIVE_SEARCH,
    )
    tasks = store.all(
        f"SELECT id FROM tasks WHERE creator IN {removed} AND stop_requested IS NULL"
        f" AND state IN ({_marks(UNFINISHED_TASK)})",
        *UNFINISHED_TASK,
    )
    notebooks = store.all(f"SELECT user FROM notebooks WHERE user IN {removed}")
    return [r["name"] for r in searches], [r["id"] for r in tasks], [r["user"] for r in notebooks]


def credentials(authorization: str | None) -> tuple[str | None, str] | None:
    """(user name or None, token) from `Bearer <t>`, `Basic b64(user:token)` or a raw token."""
    text = (authorization or "").strip()
    if not text:
        return None
    scheme, _, rest = text.partition(" ")
    if scheme.lower() == "bearer":
        return (None, rest.strip()) if rest.strip() else None
    if scheme.lower() == "basic":
        try:
            name, sep, token = base64.b64decode(rest.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (name, token) if sep and name and token else None
    return None, text


def authenticate(store: Store, authorization: str | None) -> tuple[User, dict] | None:
    """The user an Authorization header proves, and the token row it used (for a password,
    a row of kind 'password')."""
    creds = credentials(authorization)
    if creds is None:
        return None
    name, token = creds
    found = _by_token(store, name, token)
    if found is None and name is not None:
        return _by_password(store, name, token)
    return found


def _by_token(store: Store, name: str | None, token: str) -> tuple[User, dict] | None:
    digest = token_hash(token)
    row = store.one(
        "SELECT t.hash, t.kind, t.expires, u.name, u.admin FROM tokens t JOIN users u ON u.name = t.user"
        " WHERE t.hash = ? AND u.removed IS NULL",
        digest,
    )
    if row is None or not hmac.compare_digest(row["hash"], digest) or _expired(row):
        return None
    if name is not None and not hmac.compare_digest(name.encode(), row["name"].encode()):
        return None
    return User(row["name"], bool(row["admin"])), row


def _by_password(store: Store, name: str, password: str) -> tuple[User, dict] | None:
    row = store.one("SELECT name, admin, password FROM users WHERE name = ? AND removed IS NULL", name)
    stored = row["password"] if row else None
    matches = password_matches(stored or _UNKNOWN_USER, password)  # as slow for no user as for a wrong password
    if row is None or stored is None or not matches:
        return None
    return User(row["name"], bool(row["admin"])), {"kind": "password", "hash": None}


def _expired(row: dict) -> bool:
    return row["expires"] is not None and row["expires"] <= time.time()


def is_expired(store: Store, authorization: str | None) -> bool:
    """True when the header's token is a session token that has expired."""
    creds = credentials(authorization)
    if creds is None:
        return False
    row = store.one("SELECT expires FROM tokens WHERE hash = ?", token_hash(creds[1]))
    return row is not None and _expired(row)


def failure_message(authorization: str | None, store: Store | None = None) -> str:
    """Why a request's Authorization header proves no one, in words that say what to send."""
    creds = credentials(authorization)
    if store is not None and is_expired(store, authorization):
        return EXPIRED
    if not (authorization or "").strip():
        return "authentication required: send Authorization: Bearer <token>, or Basic user:password"
    if creds is None:
        return "Authentication error: the Authorization header is not Bearer <token> or Basic base64(user:password)"
    if creds[0] is not None:
        return WRONG_PASSWORD
    return "Authentication error: the token is not valid (it may have been revoked by a logoff)"


class Users:
    """Who a request is (every route) and the WMLA console's logon/logoff (`engine.users`)."""

    def __init__(self, store: Store, session_hours: float = DEFAULT_SESSION_HOURS):
        self.store = store
        self.session_seconds = session_hours * 3600

    def ensure_admin(self) -> str | None:
        """The first start's admin token; None when an admin exists already."""
        if self.store.one("SELECT 1 FROM users WHERE name = 'admin'"):
            return None
        try:
            return add_user(self.store, "admin", True)
        except EngineError as exc:
            if exc.status == 409:
                return None
            raise

    def add(self, name: str, admin: bool = False) -> str:
        return add_user(self.store, name, admin)

    def authenticate(self, authorization: str | None) -> User | None:
        found = authenticate(self.store, authorization)
        return found[0] if found else None

    def failure_message(self, authorization: str | None) -> str:
        return failure_message(authorization, self.store)

    def logon(self, authorization: str | None) -> str:
        """A new session token for the user the header proves (GET /auth/v1/logon), valid for
        --session-hours; session tokens that ended a day ago are dropped on the way."""
        found = authenticate(self.store, authorization)
        if found is None:
            raise EngineError(401, self.failure_message(authorization))
        now = time.time()
        self.store.run("DELETE FROM tokens WHERE expires IS NOT NULL AND expires < ?", now - 86400)
        return new_token(self.store, found[0].name, "session", expires=now + self.session_seconds)

    def logoff(self, authorization: str | None) -> None:
        """Revoke a session token (POST /auth/v1/logoff); a user's own token stays valid."""
        found = authenticate(self.store, authorization)
        if found is None:
            raise EngineError(401, self.failure_message(authorization))
        if found[1]["kind"] == "session":
            self.store.run("DELETE FROM tokens WHERE hash = ?", found[1]["hash"])
