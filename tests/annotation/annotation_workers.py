"""Worker functions for the multi-process storage tests (importable by spawned processes)."""

from __future__ import annotations

from atdkit.labels import judgements
from atdkit.labels.judgements import Box, Judgement
from atdkit.store.dataset import DatasetRoot


def submit_many(root_path: str, annotator: str, n: int, barrier) -> None:
    """Submit ``n`` judgements (even i: accept with a box, odd: reject) once every party
    has reached ``barrier`` (all processes start writing at the same moment)."""
    root = DatasetRoot.open(root_path)
    barrier.wait(timeout=120)
    for i in range(n):
        if i % 2 == 0:
            j = Judgement(f"t{i:03d}", annotator, True, roi=Box(i, i, 10 + i, 5), labels={"difficulty": "easy",
                          "motion_type": "translation", "behavior": "walking"})
        else:
            j = Judgement(f"t{i:03d}", annotator, False, reason="other", note=f"{annotator} #{i}")
        judgements.write(root, judgements.validate(j))


def compact_repeatedly(root_path: str, barrier, stop, rounds_file: str) -> None:
    """Compact the votes and annotations again and again until ``stop`` is set;
    writes the number of rounds to ``rounds_file``."""
    root = DatasetRoot.open(root_path)
    barrier.wait(timeout=120)
    rounds = 0
    while not stop.is_set():
        root.votes.compact()
        root.annotations.compact()
        rounds += 1
    with open(rounds_file, "w") as fh:
        fh.write(str(rounds))


def submit_forever(root_path: str) -> None:
    """Submit judgements until killed (for the SIGKILL test)."""
    root = DatasetRoot.open(root_path)
    i = 0
    while True:
        judgements.write(root, Judgement(f"k{i:05d}", "killed", True, roi=Box(1, 1, 5, 5), labels={"difficulty": "hard",
                                         "motion_type": "scaling", "behavior": "others"}))
        i += 1


def lease_next(root_path: str, annotator: str, barrier, results) -> None:
    """Ask the queue for a triplet at the same moment as the other parties; put (annotator, id)."""
    from atdkit.labels.queue import Queue

    root = DatasetRoot.open(root_path)
    queue = Queue(root, list(root.triplets()["triplet_id"]))
    barrier.wait(timeout=120)
    results.put((annotator, queue.next_for(annotator)))
