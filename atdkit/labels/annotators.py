"""Who may annotate: ``annotators.parquet`` in the dataset root (schema ``ANNOTATORS``).

Tokens are random (``secrets.token_urlsafe``), shown once when created and stored only
as ``scrypt(token, salt)`` with a per-annotator random salt. Removing an annotator
revokes the token (``active = False``) and keeps the row, so their past labels keep a
known author. The file is rewritten atomically under an exclusive file lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import re
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from atdkit.errors import BadInput
from atdkit.store import atomic
from atdkit.store.dataset import DatasetRoot
from atdkit.store.labels import now_utc
from atdkit.store.parts import to_table
from atdkit.store.schema import ANNOTATORS, is_machine_annotator

ROLES = ("annotator", "admin")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# scrypt cost: about 30 ms and 16 MiB per check on one core.
_SCRYPT = dict(n=2**14, r=8, p=1, dklen=32)


@dataclass(frozen=True)
class Annotator:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_token(token: str, salt_hex: str) -> str:
    """scrypt of ``token`` with ``salt_hex`` (hex string), as hex."""
    return hashlib.scrypt(token.encode("utf-8"), salt=bytes.fromhex(salt_hex), **_SCRYPT).hex()


def annotators_path(root: DatasetRoot) -> Path:
    return root.path / "annotators.parquet"


def read_annotators(root: DatasetRoot) -> pd.DataFrame:
    """All rows of ``annotators.parquet`` (empty when absent); BadInput when unreadable."""
    path = annotators_path(root)
    if not path.is_file():
        return ANNOTATORS.empty_table().to_pandas()
    try:
        return to_table(pq.read_table(path), ANNOTATORS).to_pandas()
    except Exception as exc:
        raise BadInput(f"{path}: unreadable annotators table ({type(exc).__name__}: {exc})") from exc


@contextmanager
def _locked(root: DatasetRoot):
    lock = root.path / ".annotators.lock"
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write(root: DatasetRoot, df: pd.DataFrame) -> None:
    atomic.write_table(annotators_path(root), to_table(df, ANNOTATORS))


def validate_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise BadInput(f"invalid annotator name {name!r}: use 1-64 letters, digits, '_', '.', '-'")
    if is_machine_annotator(name):
        raise BadInput(f"annotator name {name!r} is reserved for machine-made labels")
    return name


def add(root: DatasetRoot, name: str, admin: bool = False) -> str:
    """Create an annotator (or re-issue a revoked one's token); returns the new token.

    Raises BadInput when ``name`` is invalid or already active."""
    validate_name(name)
    token = secrets.token_urlsafe(24)
    salt = secrets.token_hex(16)
    with _locked(root):
        df = read_annotators(root)
        if ((df["name"] == name) & df["active"]).any():
            raise BadInput(f"{annotators_path(root)}: annotator {name!r} already exists (remove it first)")
        row = {"name": name, "role": "admin" if admin else "annotator", "token_hash": hash_token(token, salt),
               "salt": salt, "active": True, "created_at": now_utc()}
        df = pd.concat([df[df["name"] != name], pd.DataFrame([row])], ignore_index=True)
        _write(root, df)
    return token


def remove(root: DatasetRoot, name: str) -> None:
    """Revoke ``name``'s token (the row stays, inactive). BadInput when unknown."""
    with _locked(root):
        df = read_annotators(root)
        hit = df["name"] == name
        if not hit.any():
            raise BadInput(f"{annotators_path(root)}: no annotator named {name!r}")
        df.loc[hit, "active"] = False
        _write(root, df)


def list_annotators(root: DatasetRoot) -> pd.DataFrame:
    """name, role, active, created_at (never hashes)."""
    return read_annotators(root)[["name", "role", "active", "created_at"]]


def authenticate_in(table: pd.DataFrame, token: str) -> Annotator | None:
    """The active annotator whose token is ``token``, or None. Constant-time comparison."""
    if not token or len(token) > 256:
        return None
    found = None
    for row in table[table["active"]].itertuples(index=False):
        if hmac.compare_digest(hash_token(token, row.salt), row.token_hash):
            found = Annotator(row.name, row.role)
    return found


def authenticate(root: DatasetRoot, token: str) -> Annotator | None:
    return authenticate_in(read_annotators(root), token)


class WatchedAnnotators:
    """``annotators.parquet`` of a root, read again only when the file was replaced (its
    inode, size or mtime changed): what a server checks on every rerun and request.
    Thread-safe; BadInput when unreadable, as ``read_annotators``."""

    def __init__(self, root: DatasetRoot):
        self.root = root
        self._lock = threading.Lock()
        self._cached: tuple[tuple | None, pd.DataFrame] | None = None

    def _stamp(self) -> tuple | None:
        try:
            st = annotators_path(self.root).stat()
        except OSError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def table(self) -> pd.DataFrame:
        stamp = self._stamp()
        with self._lock:
            if self._cached is None or self._cached[0] != stamp:
                self._cached = (stamp, read_annotators(self.root))
            return self._cached[1]


def active_annotator(table: pd.DataFrame, name: str) -> Annotator | None:
    """The annotator ``name`` if still active (tokens revoked since login stop working)."""
    rows = table[(table["name"] == name) & table["active"]]
    if not len(rows):
        return None
    return Annotator(name, rows.iloc[-1]["role"])
