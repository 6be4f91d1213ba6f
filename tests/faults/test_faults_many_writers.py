"""Many writers on one root at once (real processes): ``mine`` adding two films with two workers,
``bench`` scoring, two annotators submitting through the queue, and ``atdkit consensus`` plus
``atdkit labels compact`` rebuilding in a loop. Afterwards every row written is there exactly once."""

from __future__ import annotations

import pandas as pd
import pytest

import fault_harness as harness
import many_writers
from atdkit.bench.runner import read_results
from atdkit.mining.pipeline import mine
from atdkit.store import DatasetRoot
from atdkit.store.parts import PartTable
from atdkit.bench.scoring import RESULTS
from atdkit.synth import synthesize


@pytest.mark.slow
def test_every_row_written_is_there_exactly_once(tmp_path):
    films = harness.make_films(tmp_path / "films")
    more = [synthesize(tmp_path / "films" / f"g{s}.mp4", seed=s, style="mono", **harness.FILM_SIZE) for s in (3, 4)]
    root = tmp_path / "root"
    mine(films, root, workers=1, progress=False)
    base_ids = set(DatasetRoot(root).triplets()["triplet_id"])
    reference = tmp_path / "reference"                       # the same films mined one batch after the other
    mine(films, reference, workers=1, progress=False)
    mine(more, reference, workers=1, progress=False)

    ctx = harness.context()
    harness.warm_up()
    go = ctx.Event()
    logs = {a: tmp_path / f"{a}.log" for a in ("ann1", "ann2")}
    stop, rounds = tmp_path / "stop", tmp_path / "rounds"
    spans = [tmp_path / f"span{i}" for i in range(4)]
    writers = [
        ctx.Process(target=many_writers.mine_more, args=(str(root), [str(f) for f in more], go, str(spans[0]))),
        ctx.Process(target=many_writers.bench, args=(str(root), str(tmp_path / "run"), go, str(spans[1]))),
        *[ctx.Process(target=many_writers.submitter, args=(str(root), a, str(log), go, str(span)))
          for (a, log), span in zip(logs.items(), spans[2:])],
    ]
    rebuilder = ctx.Process(target=many_writers.rebuild_until, args=(str(root), str(stop), str(rounds), go))
    for p in (*writers, rebuilder):
        p.start()
    go.set()
    for p in writers:
        p.join(180)
    stop.touch()
    rebuilder.join(60)
    for p in (*writers, rebuilder):
        if p.exitcode is None:
            p.kill()
    assert [p.exitcode for p in (*writers, rebuilder)] == [0] * 5
    assert int(rounds.read_text()) >= 1
    starts, ends = zip(*(map(float, s.read_text().split()) for s in spans))
    # every writer ran while mining did (the longest writer; a submitter takes well under a
    # second, so on a loaded machine it may end before another short writer has started)
    assert all(s < ends[0] and starts[0] < e for s, e in zip(starts, ends)), \
        f"a writer did not run while mining did: {list(zip(starts, ends))}"

    ds = DatasetRoot(root)
    # mining: the films and triplets of both batches, each once, as when mined one batch after the other
    want = DatasetRoot(reference)
    for table in ("films", "triplets", "candidates"):
        got, ref = (harness._sorted(getattr(d, table)(), harness.EXCLUDED[table]) for d in (ds, want))
        assert got.equals(ref), table
    assert ds.triplets()["triplet_id"].is_unique and ds.film_parts.read(on_error="raise")["film_id"].is_unique

    # labels: every logged submission exactly once among the raw rows (after the compactions)
    votes = ds.votes.read(on_error="raise")
    annotations = ds.annotations.read(on_error="raise")
    for annotator, log in logs.items():
        written = log.read_text().split()
        assert len(written) == len(set(written)) and set(written) == base_ids
        mine_v = votes[votes["annotator"] == annotator]
        assert sorted(mine_v["triplet_id"]) == sorted(written)
        accepted = {t for t in written if harness.judgement_for(t, annotator).accept}
        assert sorted(annotations.loc[annotations["annotator"] == annotator, "triplet_id"]) == sorted(accepted)
    assert len(votes) == sum(len(log.read_text().split()) for log in logs.values())

    # bench: one result row per scored triplet in the raw parts, all of them triplets of the root
    raw = PartTable(tmp_path / "run" / "parts", RESULTS).read(on_error="raise")
    assert not raw.duplicated(["method", "triplet_id", "profile"]).any() and len(raw) >= len(base_ids)
    assert set(raw["triplet_id"]) <= set(ds.triplets()["triplet_id"]) and raw["error"].isna().all()
    assert len(read_results(tmp_path / "run")) == len(raw)

    # consensus rebuilt once more from the final labels: one row per labelled triplet
    from atdkit.labels.consensus import compute

    final = compute(ds)
    assert final["triplet_id"].is_unique and base_ids <= set(final["triplet_id"])
    assert isinstance(final, pd.DataFrame)
