"""The wheel a user installs (issue 16 point 6): built from the checkout's files alone, it holds the
package ``atdkit`` with its baselines, annotation app and demo manifests, never the top-level import
names ``baselines`` or ``annotation_app``; installed non-editable into a fresh venv, ``atdkit demo
--quick`` runs there from outside the repository and writes its report.

The fresh venv gets the heavy dependencies (torch, streamlit, …) by a ``.pth`` line naming this
interpreter's site-packages, so nothing is downloaded; ``atdkit`` itself comes from the wheel (the
venv's own site-packages come first on ``sys.path``, and the test asserts where it was imported from).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE_FOLDERS_BY_LINK = ("baselines", "annotation_app")   # top-level folders shipped inside atdkit/

pytestmark = pytest.mark.slow


def _source_files(repo: Path) -> list[str]:
    """The files a clean clone would have (tracked, plus new ones git does not ignore), or, outside a
    git checkout, every file but build products."""
    try:
        listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache"}
        return [str(p.relative_to(repo)) for p in repo.rglob("*")
                if (p.is_file() or p.is_symlink()) and not skip & set(p.relative_to(repo).parts)]
    return sorted({name for name in listed.decode().split("\0") if name})


def _copy_checkout(repo: Path, dest: Path) -> Path:
    """``dest`` as a clean clone of ``repo``: its files, symbolic links kept as links."""
    for name in _source_files(repo):
        src, dst = repo / name, dest / name
        if not (src.exists() or src.is_symlink()):
            continue   # deleted in the working tree, not yet in a commit
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif src.is_file():
            shutil.copy2(src, dst)
    return dest


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=kwargs.pop("timeout", 600), **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would put the checkout's atdkit on ``sys.path``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, "PYTHONNOUSERSITE": "1", **extra}


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return _copy_checkout(REPO, tmp_path_factory.mktemp("clone"))


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    """The wheel built from the clean copy, offline, with this environment's setuptools."""
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--quiet", "-w", str(dist), str(source)], env=_clean_env())
    wheels = list(dist.glob("atdkit-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed non-editable; dependencies through a ``.pth`` line."""
    home = tmp_path_factory.mktemp("venv") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(home)], env=_clean_env())
    python = home / "bin" / "python"
    # Installed before the .pth exists, so pip sees an empty venv (never the shared one's atdkit).
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--quiet", str(wheel)], env=_clean_env())
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        env=_clean_env()).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "_dependencies_of_the_test_env.pth").write_text("\n".join(sorted(ours)) + "\n")
    return home


def _wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def test_the_wheel_holds_only_the_atdkit_package(wheel):
    names = _wheel_names(wheel)
    tops = {n.split("/")[0] for n in names}
    assert tops == {"atdkit", wheel.name.split("-py")[0] + ".dist-info"}, sorted(tops)
    with zipfile.ZipFile(wheel) as zf:
        top_level = zf.read(next(n for n in names if n.endswith(".dist-info/top_level.txt"))).decode().split()
        entry_points = zf.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert top_level == ["atdkit"]
    assert "= baselines." not in entry_points and "atdkit.baselines.rife:RIFEv46" in entry_points


def test_every_file_of_the_package_folders_ships_in_the_wheel(source, wheel):
    """Whatever lives in atdkit/ (through the links to baselines/ and annotation_app/ too: modules,
    the app's script and views, the demo manifests, any data file) is in the wheel."""
    shipped = {n for n in _wheel_names(wheel) if n.startswith("atdkit/")}
    expected = set()
    for folder, _, files in os.walk(source / "atdkit", followlinks=True):
        rel = Path(folder).relative_to(source)
        if "__pycache__" in rel.parts:
            continue
        expected |= {(rel / f).as_posix() for f in files if not f.endswith(".pyc")}
    for must in ("atdkit/manifests/demo_films.json", "atdkit/manifests/demo_films_quick.json",
                 "atdkit/annotation_app/app.py", "atdkit/baselines/rife/__init__.py", "atdkit/cli/__init__.py"):
        assert must in expected, f"{must} missing from the source tree itself"
    assert sorted(expected - shipped) == []
    assert [n for n in shipped - expected if not n.endswith("/")] == []


def test_the_installed_wheel_imports_from_the_venv(venv, tmp_path):
    code = """if True:
        import importlib.util, json
        import atdkit, atdkit.baselines, atdkit.annotation_app
        from atdkit.annotation_app import APP_SCRIPT
        from atdkit.methods import base
        print(json.dumps({
            "atdkit": atdkit.__file__, "baselines": atdkit.baselines.__file__, "app": str(APP_SCRIPT),
            "app_exists": APP_SCRIPT.is_file(),
            "top_level": [n for n in ("baselines", "annotation_app") if importlib.util.find_spec(n)],
            "methods": {n: base.method_class(n).__module__ for n in ("repeat", "dis-flow", "rife-v4.6")},
            "method_files": [importlib.util.find_spec(base.method_class(n).__module__).origin
                             for n in ("repeat", "rife-v4.6")],
        }))"""
    done = _run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, env=_clean_env())
    seen = json.loads(done.stdout)
    site = (venv / "lib").resolve()
    for key in ("atdkit", "baselines", "app"):
        assert Path(seen[key]).resolve().is_relative_to(site), (key, seen[key])
    assert seen["app_exists"] and Path(seen["app"]).name == "app.py"
    assert seen["top_level"] == []
    assert all(module.startswith("atdkit.baselines.") for module in seen["methods"].values()), seen["methods"]
    assert all(Path(f).resolve().is_relative_to(site) for f in seen["method_files"]), seen["method_files"]


def test_atdkit_annotate_runs_the_app_script_of_the_installed_package(venv, tmp_path):
    env = _clean_env(PATH=f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    helped = _run([str(venv / "bin" / "atdkit"), "annotate", "--help"], cwd=tmp_path, env=env)
    assert "ROOT" in helped.stdout
    code = ("from pathlib import Path; from atdkit.cli.annotate import streamlit_command; "
            "print('\\n'.join(streamlit_command(Path('root'), '127.0.0.1', 8501)))")
    command = _run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, env=env).stdout.splitlines()
    script = Path(command[command.index("run") + 1])
    assert script.is_file() and script.resolve().is_relative_to((venv / "lib").resolve()), script
    assert Path(command[0]).parent == venv / "bin"


def test_atdkit_demo_quick_runs_from_the_installed_wheel(venv, tmp_path):
    out = tmp_path / "demo"
    env = _clean_env(PATH=f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}", COLUMNS="400")
    done = _run([str(venv / "bin" / "atdkit"), "demo", "--quick", "--out", str(out)], cwd=tmp_path, env=env)
    report = out / "bench-run" / "report" / "index.html"
    assert report.is_file() and f"report: {report}" in done.stdout, done.stdout[-2000:]
    for method in ("repeat", "blend", "dis-flow"):
        assert f"| {method} | " in done.stdout, done.stdout[-2000:]
    assert (out / "dataset" / "triplets.parquet").is_file() and (out / "dataset" / "preview.png").is_file()
