"""The queue: two judgements, a third on disagreement, leases that expire."""

from atdkit.labels import judgements
from atdkit.labels.judgements import Box, Judgement
from atdkit.labels.queue import Queue, judgements_needed
from atdkit.store.labels import add_votes


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def _vote(root, tid, who, accept):
    add_votes(root, [{"triplet_id": tid, "annotator": who, "accept": accept, "reason": None if accept else "scene cut"}])


def test_needed_counts(root):
    tids = ["a", "b", "c", "d", "e"]
    import pandas as pd
    votes = pd.DataFrame([("a", "x", True), ("b", "x", True), ("b", "y", True), ("c", "x", True), ("c", "y", False),
                          ("d", "x", True), ("d", "y", False), ("d", "z", False), ("zz", "x", True)],
                         columns=["triplet_id", "annotator", "accept"])
    assert list(judgements_needed(votes, tids)) == [1, 0, 1, 0, 2]


def test_two_then_third_on_disagreement(root):
    tids = list(root.triplets()["triplet_id"])
    q = Queue(root, tids[:1])
    t = tids[0]
    assert q.next_for("ann1") == t and q.next_for("ann2") == t  # two judgements needed: both may look
    assert q.next_for("ann3") is None                            # but not a third at the same time
    _vote(root, t, "ann1", True)
    _vote(root, t, "ann2", False)
    assert q.next_for("ann1") is None and q.next_for("ann2") is None  # never their own again
    assert q.next_for("ann3") == t                                     # disagreement → third judgement
    _vote(root, t, "ann3", True)
    assert q.next_for("ann4") is None
    p = q.progress("ann1")
    assert (p.done, p.total, p.needed_total, p.judged_by_you, p.left_for_you) == (1, 1, 0, 1, 0)


def test_partly_judged_first_skip_and_lease_expiry(root):
    tids = list(root.triplets()["triplet_id"])
    clock = Clock()
    q = Queue(root, tids, lease_seconds=60, clock=clock)
    _vote(root, tids[2], "ann9", True)
    assert q.next_for("ann1") == tids[2]              # partly judged first
    assert q.next_for("ann1") == tids[2]              # own lease is kept across reloads
    assert q.next_for("ann2") == tids[0]              # tids[2] needs one more: leased by ann1
    assert q.next_for("ann2", skip={tids[0]}) == tids[1]
    assert q.next_for("ann3") == tids[0]              # ann2 moved on: tids[0] free again
    clock.t += 61                                     # ann1 walked away
    assert q.next_for("ann4") == tids[2]
    assert q.peek_for("ann4") == tids[0]
    q.release("ann4")
    assert q.lease_of("ann4") is None


def test_judgement_validation_and_write(root):
    t = list(root.triplets()["triplet_id"])[0]
    import pytest
    from atdkit.errors import BadInput

    good = Judgement(t, "ann1", True, roi=Box(-5, 10, 200, 20), labels={"difficulty": "easy", "motion_type": "rotation",
                     "behavior": "others"})
    v = judgements.validate(good, frame_size=(96, 64))
    assert v.roi == Box(0, 10, 96, 20)                # clipped to the frame
    for bad in (Judgement(t, "ann1", True, roi=None, labels={"difficulty": "easy", "motion_type": "rotation", "behavior": "others"}),
                Judgement(t, "ann1", True, roi=Box(0, 0, 0, 5), labels={"difficulty": "easy", "motion_type": "rotation",
                          "behavior": "others"}),
                Judgement(t, "ann1", True, roi=Box(0, 0, 5, 5), labels={"difficulty": "trivial", "motion_type": "rotation",
                          "behavior": "others"}),
                Judgement(t, "ann1", True, roi=Box(0, float("nan"), 5, 5), labels={"difficulty": "easy",
                          "motion_type": "rotation", "behavior": "others"}),
                Judgement(t, "ann1", False, reason="other", note="  "),
                Judgement(t, "ann1", False, reason="because"),
                Judgement(t, "ann1", False, reason="other", note="x" * 501)):
        with pytest.raises(BadInput):
            judgements.validate(bad, frame_size=(96, 64))
    judgements.write(root, v)
    judgements.write(root, judgements.validate(Judgement(t, "ann1", False, reason="other", note="<b>x</b>")))
    votes, ann = root.votes.read(), root.annotations.read()
    assert len(votes) == 2 and len(ann) == 1
    assert votes.sort_values("created_at").iloc[-1]["reason"] == "other: <b>x</b>"


def _judge(q, root, tid, who, accept):
    q.submit(who, tid, lambda: _vote(root, tid, who, accept))


def test_two_annotators_keep_the_triplet_on_their_screen(root):
    """The team-scale repro: A submits X while B looks at X; B's page reruns; B must still be
    served X (A's lease must not count beside A's vote) and B's judgement of X is taken."""
    tids = list(root.triplets()["triplet_id"])
    q = Queue(root, tids)
    x = q.next_for("A")
    assert q.next_for("B") == x == tids[0]
    _judge(q, root, x, "A", True)
    assert q.lease_of("A") is None                    # the vote replaced the lease in one step
    assert q.next_for("B") == x                       # B's rerun: still X
    assert q.hold("B", x)
    _judge(q, root, x, "B", False)
    assert q.next_for("C") == x                       # A and B disagree: C is served X for the third
    votes = root.votes.read()
    assert sorted(zip(votes["annotator"], votes["triplet_id"])) == [("A", x), ("B", x)]


def test_a_triplet_no_longer_yours_is_refused_and_nothing_is_written(root):
    import pytest
    from atdkit.labels.queue import NotYours

    tids = list(root.triplets()["triplet_id"])
    clock = Clock()
    q = Queue(root, tids[:1], lease_seconds=60, clock=clock)
    x = q.next_for("B")
    clock.t += 61                                     # B walked away; A and C fill X
    for who in ("A", "C"):
        assert q.next_for(who) == x
        _judge(q, root, x, who, True)
    assert not q.hold("B", x)
    with pytest.raises(NotYours, match=f"triplet {x} is no longer yours"):
        _judge(q, root, x, "B", False)
    assert len(root.votes.read()) == 2
    _judge(q, root, x, "A", False)                    # editing one's own judgement is always allowed
    assert len(root.votes.read()) == 3
    with pytest.raises(NotYours):
        q.submit("B", "no-such-triplet", lambda: None)


def test_lease_of_a_voter_does_not_block_others(root):
    """A lease left behind by someone who voted (a crash between vote and release) counts once."""
    tids = list(root.triplets()["triplet_id"])
    q = Queue(root, tids[:1])
    x = q.next_for("A")
    assert q.next_for("B") == x
    _vote(root, x, "A", True)                         # written outside submit: A's lease stays
    assert q.lease_of("A") == x
    assert q.next_for("B") == x and q.hold("B", x)


def test_a_held_lease_is_rewritten_at_most_every_renew_interval(root):
    import json

    from atdkit.labels.queue import LEASE_RENEW_SECONDS, LEASE_SECONDS

    clock = Clock()
    q = Queue(root, list(root.triplets()["triplet_id"]), clock=clock)
    x = q.next_for("A")
    lease = q.lease_dir / "A.json"

    def expires():
        return json.loads(lease.read_text())["expires"]

    start = clock.t
    assert expires() == start + LEASE_SECONDS
    clock.t += LEASE_RENEW_SECONDS / 2
    assert q.hold("A", x) and expires() == start + LEASE_SECONDS          # a rerun soon after: no write
    clock.t = start + LEASE_RENEW_SECONDS + 1
    assert q.hold("A", x) and expires() == clock.t + LEASE_SECONDS        # later: renewed
    lease.unlink()                                                        # gone (e.g. released elsewhere)
    assert q.hold("A", x) and expires() == clock.t + LEASE_SECONDS        # written again at once
    clock.t += LEASE_SECONDS - LEASE_RENEW_SECONDS / 2                    # held, no rerun for 9+ minutes
    assert q.lease_of("A") == x
