"""Where a profile's secret (token or password) is kept: the system keyring, or an opt-in file.

The keyring is tried first, always in a daemon thread with a timeout: a locked keyring can hang
forever, and headless machines have none (NoKeyringError). A write only counts when reading it
back returns it (some backends ignore writes). Without a keyring, `credentials.yaml` (mode 0600)
is used only when the user opts in; otherwise the error points at DLICLI_TOKEN and `--store file`.
No function here prints or logs a secret.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from dlicli.errors import ConfigError, CredentialsError, UsageError
from dlicli.paths import ENV_CREDENTIALS_STORE, ENV_TOKEN, config_dir
from dlicli.privatefiles import dump_yaml, read_yaml_mapping, write_private

SERVICE = "dlicli"
CREDENTIALS_FILE = "credentials.yaml"
STORES = ("auto", "keyring", "file")
ENV_KEYRING_TIMEOUT = "DLICLI_KEYRING_TIMEOUT"
DEFAULT_KEYRING_TIMEOUT = 3.0

NO_KEYRING_HINT = (
    f"set {ENV_TOKEN} in the environment instead, or opt in to a private file with "
    f"`dlicli login --store file` (or {ENV_CREDENTIALS_STORE}=file)"
)


class KeyringUnavailable(Exception):
    """The keyring failed, hung, or ignored a write. The message is safe to show."""


def keyring_timeout() -> float:
    try:
        return max(0.05, float(os.environ.get(ENV_KEYRING_TIMEOUT) or DEFAULT_KEYRING_TIMEOUT))
    except ValueError:
        return DEFAULT_KEYRING_TIMEOUT


def _keyring(method: str, *args: str) -> Any:
    """Call keyring.<method>(*args) in a daemon thread; give up after keyring_timeout()."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            import keyring

            result["value"] = getattr(keyring, method)(*args)
        except BaseException as exc:  # noqa: BLE001 - any backend failure means "no keyring"
            result["error"] = exc

    thread = threading.Thread(target=target, name="dlicli-keyring", daemon=True)
    thread.start()
    timeout = keyring_timeout()
    thread.join(timeout)
    if thread.is_alive():
        raise KeyringUnavailable(f"the system keyring did not answer within {timeout:g}s")
    if "error" in result:
        exc = result["error"]
        if method == "delete_password" and type(exc).__name__ == "PasswordDeleteError":
            return None  # nothing was stored: already deleted
        raise KeyringUnavailable(f"the system keyring failed ({type(exc).__name__}: {exc})")
    return result.get("value")


# -- the keyring --------------------------------------------------------------------------


def keyring_get(profile: str) -> str | None:
    return _keyring("get_password", SERVICE, profile)


def keyring_set(profile: str, secret: str) -> None:
    """Store and read back; a write that did not stick means the keyring does not work."""
    _keyring("set_password", SERVICE, profile, secret)
    if _keyring("get_password", SERVICE, profile) != secret:
        raise KeyringUnavailable("the system keyring did not keep the secret (no usable keyring backend)")


def keyring_delete(profile: str) -> None:
    _keyring("delete_password", SERVICE, profile)


# -- the opt-in file ----------------------------------------------------------------------


def credentials_path():
    return config_dir() / CREDENTIALS_FILE


def _file_secrets() -> dict[str, str]:
    path = credentials_path()
    data = read_yaml_mapping(path)
    secrets = data.get("secrets") or {}
    if not isinstance(secrets, dict):
        raise ConfigError(f"{path}: `secrets` is not a mapping", hint=f"fix or remove {path}")
    return {str(k): str(v) for k, v in secrets.items() if v is not None}


def _write_file_secrets(secrets: dict[str, str]) -> None:
    write_private(credentials_path(), dump_yaml({"secrets": secrets}))


def file_get(profile: str) -> str | None:
    return _file_secrets().get(profile)


def file_set(profile: str, secret: str) -> None:
    secrets = _file_secrets()
    secrets[profile] = secret
    _write_file_secrets(secrets)


def file_delete(profile: str) -> None:
    path = credentials_path()
    if not path.exists():
        return
    secrets = _file_secrets()
    if secrets.pop(profile, None) is not None:
        _write_file_secrets(secrets)


# -- what commands and config use ---------------------------------------------------------


def requested_store(store: str | None) -> str:
    """--store, else DLICLI_CREDENTIALS_STORE, else auto; validated."""
    value = (store or os.environ.get(ENV_CREDENTIALS_STORE) or "auto").strip().lower()
    if value not in STORES:
        raise UsageError(f"unknown credential store {value!r}", hint="use --store keyring, file or auto")
    return value


def read_secret(profile: str, store: str | None) -> str | None:
    """The profile's secret from the store it was put in; None when none is stored."""
    if store == "file":
        return file_get(profile)
    if store == "keyring":
        try:
            return keyring_get(profile)
        except KeyringUnavailable as exc:
            raise CredentialsError(
                f"cannot read the secret of profile {profile!r}: {exc}", hint=NO_KEYRING_HINT
            ) from None
    return None


def save_secret(profile: str, secret: str, store: str, previous: str | None = None) -> str:
    """Keep `secret` for `profile`; return the store used ("keyring" or "file").

    auto = the keyring, or the file when this profile opted in to it before.
    """
    use_file = store == "file" or (store == "auto" and previous == "file")
    if use_file:
        file_set(profile, secret)
        used = "file"
    else:
        try:
            keyring_set(profile, secret)
        except KeyringUnavailable as exc:
            raise CredentialsError(f"cannot keep the secret: {exc}", hint=NO_KEYRING_HINT) from None
        used = "keyring"
    if previous and previous != used:
        delete_secret(profile, previous)
    return used


def nowhere_to_keep(url: str, exc: CredentialsError) -> UsageError:
    """Login's error when the server accepted the credentials but no keyring can keep the secret:
    a usage error (exit 2) naming the ways to keep it, not "not authenticated" (exit 4)."""
    reason = exc.message.removeprefix("cannot keep the secret: ")
    return UsageError(
        f"the server at {url} accepted the credentials, but there is no usable keyring to keep the secret "
        f"({reason}); nothing was saved",
        hint=f"log in again with `--store file` (a private 0600 credentials.yaml; or {ENV_CREDENTIALS_STORE}=file), "
        f"set {ENV_TOKEN} in the environment instead, or install a keyring backend",
    )


def delete_secret(profile: str, store: str | None) -> bool:
    """Remove the profile's secret; False when the keyring could not be reached (best effort)."""
    file_delete(profile)
    if store == "keyring":
        try:
            keyring_delete(profile)
        except KeyringUnavailable:
            return False
    return True
