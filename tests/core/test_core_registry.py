"""Method registry, distributed executor."""

import atexit
import re
import os
from pathlib import Path

import pytest

from atdkit.distributed import run_all
from atdkit.errors import BadInput, UnknownMethod
from atdkit.methods import base


def test_unknown_method_names_the_installed_ones():
    with pytest.raises(UnknownMethod, match="installed methods: .*blend"):
        base.load("no-such-method")


def test_registry_lists_the_bundled_methods():
    names = base.available()
    for expected in ("repeat", "blend", "dis-flow", "animeinterp"):
        assert expected in names


def _square(x):
    if x == 3:
        raise ValueError("three")
    return x * x


@pytest.mark.parametrize("workers", [1, 2])
def test_run_all_returns_results_and_exceptions(workers):
    out = dict(run_all(_square, range(5), workers=workers, progress=False))
    assert {k: v for k, v in out.items() if k != 3} == {0: 0, 1: 1, 2: 4, 4: 16}
    assert isinstance(out[3], ValueError)


def test_run_all_on_a_real_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        out = dict(run_all(_square, range(6), scheduler=cluster.scheduler_address, progress=False))
    assert out[5] == 25 and isinstance(out[3], ValueError)


def _thread_settings(_):
    import cv2
    import torch

    return os.environ.get("OMP_NUM_THREADS"), torch.get_num_threads(), cv2.getNumThreads()


def test_pool_workers_share_the_cores():
    """Each of N worker processes gets cores // N threads in torch and OpenCV."""
    expected = max(1, (os.cpu_count() or 1) // 2)
    out = dict(run_all(_thread_settings, range(2), workers=2, progress=False))
    for omp, torch_threads, cv_threads in out.values():
        assert omp == str(expected) and torch_threads == expected and cv_threads == expected


class _TouchOnTeardown:
    def __init__(self, path):
        self.path = path

    def __del__(self):
        self.path.touch()


_kept_until_teardown = []


def _leave_exit_marks(job):
    folder, _ = job
    atexit.register(Path(folder, f"atexit-{os.getpid()}").touch)
    _kept_until_teardown.append(_TouchOnTeardown(Path(folder, f"teardown-{os.getpid()}")))
    return os.getpid()


def test_pool_workers_run_exit_handlers_but_skip_the_interpreter_teardown(tmp_path):
    """Ending a worker skips the slow teardown of its modules (objects are not finalised), but the
    exit handlers the work registered still run, before run_all returns."""
    pids = set(dict(run_all(_leave_exit_marks, [(tmp_path, 0), (tmp_path, 1)], workers=2, progress=False)).values())
    assert {p.name for p in tmp_path.iterdir()} == {f"atexit-{pid}" for pid in pids}


def test_every_entry_point_name_is_its_class_name():
    """`atdkit bench -m NAME` and the results' method column must agree: each class's ``name``
    equals the name it is registered under."""
    from importlib.metadata import entry_points

    eps = list(entry_points(group=base.ENTRY_POINT_GROUP))
    assert len(eps) >= 9
    for ep in eps:
        assert ep.load().name == ep.name, ep.value


def test_method_options_are_checked_against_the_declaration():
    assert base.parse_method("rife-v4.6:scale=0.5").label == "rife-v4.6:scale=0.5"
    assert base.parse_method("rife-v4.6:scale=1").label == "rife-v4.6"  # the default is no option
    assert base.parse_method("rife-v4.0: refine=yes , scale=0.5").options == (("refine", True), ("scale", 0.5))
    for text, message in (("rife-v4.6:speed=2", "has no option 'speed'; its options: scale="),
                          ("rife-v4.6:scale=fast", "option scale='fast' is not a float"),
                          ("rife-v4.6:scale=0.3", "option scale='0.3' is not one of 0.25, 0.5, 1.0, 2.0"),
                          ("dis-flow:preset", "option 'preset' is not key=value"),
                          ("blend:x=1", "has no option 'x'; its options: none")):
        with pytest.raises(BadInput, match=re.escape(message)) as err:
            base.parse_method(text)
        assert "\n" not in str(err.value)
