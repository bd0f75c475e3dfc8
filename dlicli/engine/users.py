"""Users and tokens (`engine.users`, and the auth routes' checks). Tokens are random, shown once,
and stored only as sha256 hashes. The functions work on a bare Store (serve.py --add-user uses them)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time

from dlicli.engine import EngineError, User
from dlicli.engine.store import Store

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(store: Store, name: str, kind: str) -> str:
    token = secrets.token_urlsafe(32)
    store.insert("tokens", hash=token_hash(token), user=name, kind=kind, created=time.time())
    return token


def add_user(store: Store, name: str, admin: bool) -> str:
    if not _NAME.fullmatch(name or ""):
        raise EngineError(400, "a user name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    with store.tx() as db:
        if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise EngineError(409, f"user {name} already exists")
        db.execute("INSERT INTO users (name, admin, created) VALUES (?, ?, ?)", (name, int(admin), time.time()))
        token = secrets.token_urlsafe(32)
        db.execute(
            "INSERT INTO tokens (hash, user, kind, created) VALUES (?, ?, 'user', ?)",
            (token_hash(token), name, time.time()),
        )
    return token


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
    """The user an Authorization header proves, and the token row it used."""
    creds = credentials(authorization)
    if creds is None:
        return None
    name, token = creds
    digest = token_hash(token)
    row = store.one(
        "SELECT t.hash, t.kind, u.name, u.admin FROM tokens t JOIN users u ON u.name = t.user WHERE t.hash = ?", digest
    )
    if row is None or not hmac.compare_digest(row["hash"], digest):
        return None
    if name is not None and not hmac.compare_digest(name.encode(), row["name"].encode()):
        return None
    return User(row["name"], bool(row["admin"])), row


class Users:
    """Who a request is (every route) and the WMLA console's logon/logoff (`engine.users`)."""

    def __init__(self, store: Store):
        self.store = store

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

    def logon(self, authorization: str | None) -> str:
        """A new session token for the user the header proves (GET /auth/v1/logon)."""
        found = authenticate(self.store, authorization)
        if found is None:
            raise EngineError(401, "invalid user name or token")
        return new_token(self.store, found[0].name, "session")

    def logoff(self, authorization: str | None) -> None:
        """Revoke a session token (POST /auth/v1/logoff); a user's own token stays valid."""
        found = authenticate(self.store, authorization)
        if found is None:
            raise EngineError(401, "not signed in")
        if found[1]["kind"] == "session":
            self.store.run("DELETE FROM tokens WHERE hash = ?", found[1]["hash"])
