"""Signed, expiring session cookies: a login survives page reloads and server restarts.

A session value is ``<name hex>.<expiry unix s>.<signature>``, the signature being
HMAC-SHA256 over the name, the expiry and the annotator's stored token hash, keyed with a
random secret of the root (``labels/.session_key``, created once, mode 0600). Nothing
about sessions is stored besides that secret: the access tokens stay scrypt-hashed at rest,
a revoked annotator's sessions end at once (only active annotators are looked up), a new
token for the same name ends the old sessions (the token hash changes), and deleting the
secret ends every session. ``ActiveSessions`` is the check a server makes on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time

import pandas as pd

from atdkit.errors import BadInput
from atdkit.labels.annotators import Annotator, WatchedAnnotators
from atdkit.store.dataset import DatasetRoot

COOKIE = "atdkit_session"
SESSION_SECONDS = 12 * 3600  # one working day


def session_key(root: DatasetRoot) -> bytes:
    """The root's session secret (32 random bytes), created on first use."""
    path = root.path / "labels" / ".session_key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = secrets.token_bytes(32)
        try:  # O_EXCL: two servers starting at once keep the first secret
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(fresh)
                fh.flush()
                os.fsync(fh.fileno())
    key = path.read_bytes()
    if len(key) != 32:
        raise ValueError(f"{path}: session secret is {len(key)} bytes, not 32 (delete it to start afresh)")
    return key


def _signature(key: bytes, name_hex: str, expires: int, token_hash: str) -> str:
    msg = f"{name_hex}.{expires}.{token_hash}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def _token_hash(table: pd.DataFrame, name: str) -> tuple[str, str] | None:
    rows = table[(table["name"] == name) & table["active"]]
    if not len(rows):
        return None
    row = rows.iloc[-1]
    return str(row["token_hash"]), str(row["role"])


def issue(key: bytes, table: pd.DataFrame, name: str, now: float | None = None,
          seconds: int = SESSION_SECONDS) -> str:
    """A session value for the active annotator ``name`` (ValueError if there is none)."""
    found = _token_hash(table, name)
    if found is None:
        raise ValueError(f"no active annotator named {name!r}")
    expires = int((time.time() if now is None else now) + seconds)
    name_hex = name.encode().hex()
    return f"{name_hex}.{expires}.{_signature(key, name_hex, expires, found[0])}"


def verify(key: bytes, table: pd.DataFrame, value: str | None, now: float | None = None) -> Annotator | None:
    """The annotator a session value names, or None when it is malformed, forged, expired or
    the annotator was revoked or given a new token since."""
    if not value or len(value) > 512 or value.count(".") != 2:
        return None
    name_hex, expires_s, signature = value.split(".")
    try:
        name, expires = bytes.fromhex(name_hex).decode(), int(expires_s)
    except ValueError:
        return None
    if expires <= (time.time() if now is None else now):
        return None
    found = _token_hash(table, name)
    if found is None or not hmac.compare_digest(signature, _signature(key, name_hex, expires, found[0])):
        return None
    return Annotator(name, found[1])


class ActiveSessions:
    """Session values checked against a root's secret and its active annotators
    (``annotators.parquet`` read again only when replaced): one check for every server route
    behind the login. Closed when the table or the secret cannot be read."""

    def __init__(self, root: DatasetRoot):
        self.root = root
        self.people = WatchedAnnotators(root)

    def valid(self, value: str | None) -> bool:
        """True when ``value`` is a session of an active annotator (signed, unexpired, same token)."""
        if not value:
            return False
        try:
            return verify(session_key(self.root), self.people.table(), value) is not None
        except (BadInput, OSError, ValueError):  # unreadable annotators or secret: refused
            return False
