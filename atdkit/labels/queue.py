"""Which triplet an annotator gets next.

Rules (human votes only, latest per annotator):
- a triplet needs ``2 − max(accepts, rejects)`` more judgements: two independent
  judgements, and a third when the first two disagree; a 2–2 split needs none
  (it goes to adjudication);
- nobody is served a triplet they have judged, or one they skipped this session;
- partly judged triplets come first, then the dataset's order;
- a lease marks "annotator X is looking at triplet T" until it expires, and a triplet
  is served to at most as many concurrent annotators as judgements it still needs
  (a lease whose holder has already voted on that triplet no longer counts: the vote does);
- a judgement is taken only through ``submit``, which writes it while holding the lease
  lock, and only for a triplet that is still the annotator's: their unexpired lease, a
  triplet that still has a free judgement for them, or one they judged before (an edit).
  Anything else raises ``NotYours``; the lease is released in the same step, so there is
  no moment when both the lease and the vote count (or neither).

Leases are one small JSON file per annotator under ``labels/leases/`` (each annotator
looks at one triplet at a time), read and written under an exclusive ``flock`` on
``labels/leases/.lock``, so processes on one machine never over-serve a triplet. A page
rerun renews its annotator's lease (``hold``); the file is rewritten at most every
``LEASE_RENEW_SECONDS``, so a held lease always has at least 570 s left after a rerun.
What the queue derives from the votes is computed once per change of the votes.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from atdkit.errors import BadInput
from atdkit.store.dataset import DatasetRoot
from atdkit.store.labels import LabelsCache

LEASE_SECONDS = 600.0
LEASE_RENEW_SECONDS = 30.0  # a held lease is rewritten at most this often (so it lasts ≥ 570 s after a rerun)


class NotYours(BadInput):
    """A judgement for a triplet that is no longer the annotator's to judge."""


def judgements_needed(votes: pd.DataFrame, triplet_ids: Sequence[str]) -> pd.Series:
    """Per triplet id (in order): how many more human judgements it needs (0, 1 or 2).

    ``votes`` are the latest human votes (columns triplet_id, accept)."""
    accepts: dict[str, list[int]] = {}  # triplet id → [accepts, rejects]
    if len(votes):
        for tid, accept in zip(votes["triplet_id"].tolist(), votes["accept"].tolist()):
            accepts.setdefault(tid, [0, 0])[0 if accept else 1] += 1
    ids = list(triplet_ids)
    return pd.Series([max(0, 2 - max(accepts.get(t, (0, 0)))) for t in ids],
                     index=pd.Index(ids, name="triplet_id"), dtype="int64")


@dataclass(frozen=True)
class _VoteState:
    """The latest human votes and what the queue derives from them."""

    votes: pd.DataFrame
    needed: pd.Series                       # judgements_needed, per triplet id in dataset order
    needed_items: list[tuple[str, int]]     # the same as plain pairs (scanned on every page rerun)
    voted: set[tuple[str, str]]             # (annotator, triplet id)
    judged_by: dict[str, set[str]]          # annotator → triplet ids

    @classmethod
    def of(cls, votes: pd.DataFrame, triplet_ids: Sequence[str]) -> _VoteState:
        needed = judgements_needed(votes, triplet_ids)
        voted = set(zip(votes["annotator"].tolist(), votes["triplet_id"].tolist())) if len(votes) else set()
        judged_by: dict[str, set[str]] = {}
        for a, t in voted:
            judged_by.setdefault(a, set()).add(t)
        return cls(votes, needed, list(zip(needed.index.tolist(), needed.tolist())), voted, judged_by)


@dataclass(frozen=True)
class Progress:
    judged_by_you: int      # triplets you have judged
    left_for_you: int       # triplets that still need a judgement you could give
    needed_total: int       # judgements still needed over all triplets
    done: int               # triplets needing no more judgements
    total: int              # triplets in the dataset


class Queue:
    def __init__(self, root: DatasetRoot, triplet_ids: Sequence[str], labels: LabelsCache | None = None,
                 lease_seconds: float = LEASE_SECONDS, clock: Callable[[], float] = time.time):
        self.root = root
        self.triplet_ids = list(triplet_ids)
        self.labels = labels or LabelsCache(root)
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.lease_dir = root.path / "labels" / "leases"
        self._state_cache: _VoteState | None = None
        self._written: dict[str, tuple[str, float]] = {}  # annotator → (triplet id, expiry) this queue wrote

    # ---- leases ------------------------------------------------------------------
    @contextmanager
    def _locked(self):
        self.lease_dir.mkdir(parents=True, exist_ok=True)
        with open(self.lease_dir / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _lease_path(self, annotator: str) -> Path:
        return self.lease_dir / f"{annotator}.json"

    def _leases(self) -> dict[str, str]:
        """annotator → triplet id, for unexpired leases."""
        now, out = self.clock(), {}
        for p in self.lease_dir.glob("*.json"):
            try:
                lease = json.loads(p.read_text())
            except (OSError, ValueError):
                continue  # a lease being replaced or a stray file: not a lease
            if isinstance(lease, dict) and float(lease.get("expires", 0)) > now:
                out[p.stem] = str(lease.get("triplet_id"))
        return out

    def lease_of(self, annotator: str) -> str | None:
        return self._leases().get(annotator)

    def _write_lease(self, annotator: str, tid: str) -> None:
        # temp file + rename (readers never see half a lease); no fsync: a lease lost in a
        # power cut only means the triplet may be served to one more annotator.
        final = self._lease_path(annotator)
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        expires = self.clock() + self.lease_seconds
        tmp.write_text(json.dumps({"triplet_id": tid, "expires": expires}))
        os.replace(tmp, final)
        self._written[annotator] = (tid, expires)

    def release(self, annotator: str) -> None:
        with self._locked():
            self._lease_path(annotator).unlink(missing_ok=True)

    # ---- serving -----------------------------------------------------------------
    def _state(self) -> _VoteState:
        """What the latest human votes say, derived again only when the votes changed
        (``LabelsCache`` returns the same frame object until then)."""
        votes = self.labels.votes(humans_only=True)
        cached = self._state_cache
        if cached is None or cached.votes is not votes:
            cached = self._state_cache = _VoteState.of(votes, self.triplet_ids)
        return cached

    def _candidates(self, annotator: str, skip: Iterable[str], leases: dict[str, str]) -> list[str]:
        state = self._state()
        # leases of others; a lease whose holder has voted on that triplet is counted by the vote
        taken = Counter(t for a, t in leases.items() if a != annotator and (a, t) not in state.voted)
        excluded = state.judged_by.get(annotator, set()) | set(skip)
        partly, untouched = [], []
        for tid, needed in state.needed_items:
            if needed - taken.get(tid, 0) > 0 and tid not in excluded:
                (partly if needed < 2 else untouched).append(tid)
        return partly + untouched

    def next_for(self, annotator: str, skip: Iterable[str] = ()) -> str | None:
        """Lease and return the next triplet for ``annotator`` (None when nothing is left).
        An annotator's own unexpired lease on a still-open triplet is returned again."""
        skip = set(skip)
        with self._locked():
            leases = self._leases()
            candidates = self._candidates(annotator, skip, leases)
            held = leases.get(annotator)
            tid = held if held in candidates else (candidates[0] if candidates else None)
            if tid is None:
                self._lease_path(annotator).unlink(missing_ok=True)
                return None
            self._write_lease(annotator, tid)
            return tid

    def _is_theirs(self, annotator: str, tid: str, leases: dict[str, str]) -> bool:
        state = self._state()
        if tid not in state.needed.index:
            return False
        if (annotator, tid) in state.voted:
            return True                                   # editing their own judgement
        return leases.get(annotator) == tid or tid in self._candidates(annotator, (), leases)

    def hold(self, annotator: str, tid: str) -> bool:
        """Renew ``annotator``'s lease on ``tid`` (the triplet on their screen) when it is still
        theirs to judge; False when it is not (the lease expired and others filled it)."""
        with self._locked():
            leases = self._leases()
            if not self._is_theirs(annotator, tid, leases):
                return False
            # rewritten at most every LEASE_RENEW_SECONDS (page reruns come every few seconds):
            # skipped while the lease read above is the one this queue wrote that recently
            written = self._written.get(annotator)
            if not (leases.get(annotator) == tid and written and written[0] == tid
                    and written[1] - self.clock() > self.lease_seconds - LEASE_RENEW_SECONDS):
                self._write_lease(annotator, tid)
            return True

    def submit(self, annotator: str, tid: str, write: Callable[[], object]) -> None:
        """Run ``write`` (which stores ``annotator``'s judgement of ``tid``) under the lease lock
        when ``tid`` is still theirs, then release their lease; NotYours otherwise."""
        with self._locked():
            if not self._is_theirs(annotator, tid, self._leases()):
                raise NotYours(f"triplet {tid} is no longer yours to judge: your lease ran out and other "
                               "annotators gave the judgements it needed; nothing was saved")
            write()
            if self._leases().get(annotator) == tid:
                self._lease_path(annotator).unlink(missing_ok=True)

    def peek_for(self, annotator: str, skip: Iterable[str] = ()) -> str | None:
        """The triplet ``next_for`` would most likely serve after the current one (no lease):
        used to prefetch its images."""
        leases = self._leases()
        current = leases.get(annotator)
        candidates = self._candidates(annotator, set(skip) | {current}, leases)
        return candidates[0] if candidates else None

    def progress(self, annotator: str) -> Progress:
        state = self._state()
        needed = state.needed
        mine = state.judged_by.get(annotator, set()) & set(needed.index)
        open_ = needed > 0
        return Progress(
            judged_by_you=len(mine),
            left_for_you=int((open_ & ~needed.index.isin(list(mine))).sum()),
            needed_total=int(needed.sum()),
            done=int((~open_).sum()),
            total=len(needed),
        )
