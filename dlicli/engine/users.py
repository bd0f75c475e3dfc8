"""Users, tokens and passwords (`engine.users`, and the auth routes' checks). Tokens are random,
shown once, and stored only as sha256 hashes; a password (optional, set with `server user add NAME
--password-stdin`) only as a salted scrypt hash. A request proves a user with a token (Bearer, raw,
or Basic `user:token`) or, as on WMLA, with Basic `user:password`. The functions work on a bare
Store (serve.py --add-user uses them)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from typing import TextIO

from dlicli.engine import EngineError, User
from dlicli.engine.store import Store

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# scrypt's cost: n=2^14, r=8 (16 MiB, tens of milliseconds a check), as OWASP's minimum for scrypt
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 14, 8, 1
MAX_PASSWORD = 1024  # characters; the hash's cost does not depend on it, the request's size does
WRONG_PASSWORD = "Authentication error: wrong user name or password"
# hashed against when a user has no password, so that "no such user" takes as long as "wrong password"
_UNKNOWN_USER = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(store: Store, name: str, kind: str) -> str:
    token = secrets.token_urlsafe(32)
    store.insert("tokens", hash=token_hash(token), user=name, kind=kind, created=time.time())
    return token


def add_user(store: Store, name: str, admin: bool, password_hash: str | None = None) -> str:
    if not _NAME.fullmatch(name or ""):
        raise EngineError(400, "a user name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    with store.tx() as db:
        if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise EngineError(409, f"user {name} already exists")
        db.execute(
            "INSERT INTO users (name, admin, created, password) VALUES (?, ?, ?, ?)",
            (name, int(admin), time.time(), password_hash),
        )
        token = secrets.token_urlsafe(32)
        db.execute(
            "INSERT INTO tokens (hash, user, kind, created) VALUES (?, ?, 'user', ?)",
            (token_hash(token), name, time.time()),
        )
    return token


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
    if store.run("UPDATE users SET password = ? WHERE name = ?", hashed, name):
        return None
    return add_user(store, name, admin, hashed)


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
        "SELECT t.hash, t.kind, u.name, u.admin FROM tokens t JOIN users u ON u.name = t.user WHERE t.hash = ?", digest
    )
    if row is None or not hmac.compare_digest(row["hash"], digest):
        return None
    if name is not None and not hmac.compare_digest(name.encode(), row["name"].encode()):
        return None
    return User(row["name"], bool(row["admin"])), row


def _by_password(store: Store, name: str, password: str) -> tuple[User, dict] | None:
    row = store.one("SELECT name, admin, password FROM users WHERE name = ?", name)
    stored = row["password"] if row else None
    matches = password_matches(stored or _UNKNOWN_USER, password)  # as slow for no user as for a wrong password
    if row is None or stored is None or not matches:
        return None
    return User(row["name"], bool(row["admin"])), {"kind": "password", "hash": None}


def failure_message(authorization: str | None) -> str:
    """Why a request's Authorization header proves no one, in words that say what to send."""
    creds = credentials(authorization)
    if not (authorization or "").strip():
        return "authentication required: send Authorization: Bearer <token>, or Basic user:password"
    if creds is None:
        return "Authentication error: the Authorization header is not Bearer <token> or Basic base64(user:password)"
    if creds[0] is not None:
        return WRONG_PASSWORD
    return "Authentication error: the token is not valid (it may have been revoked by a logoff)"


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
            raise EngineError(401, failure_message(authorization))
        return new_token(self.store, found[0].name, "session")

    def logoff(self, authorization: str | None) -> None:
        """Revoke a session token (POST /auth/v1/logoff); a user's own token stays valid."""
        found = authenticate(self.store, authorization)
        if found is None:
            raise EngineError(401, "not signed in")
        if found[1]["kind"] == "session":
            self.store.run("DELETE FROM tokens WHERE hash = ?", found[1]["hash"])
