"""App flows with streamlit.testing.v1.AppTest (the real app script, a real dataset root)."""

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from atdkit.annotation_app import APP_SCRIPT
from atdkit.labels import annotators
from atdkit.store.labels import latest_annotations, latest_votes

from annotation_fixtures import PROPOSAL, build_root


def _app(root, monkeypatch) -> AppTest:
    monkeypatch.setenv("ATDKIT_ROOT", str(root.path))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=60)
    return at.run()


def _login(at: AppTest, token: str) -> AppTest:
    at.text_input(key="login-token").input(token)
    at.button[0].click().run()
    # the browser reloads the page once the session cookie is set; here the session goes on
    assert any("Logging in" in i.value for i in at.info) and not any(b.label.startswith("Accept") for b in at.button)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _current_tid(at: AppTest) -> str:
    for m in at.markdown:
        if m.value.startswith("Triplet **"):
            return m.value.split("**")[1].replace("\\", "")
    raise AssertionError("no triplet shown")


def _accept(at, tid, motion="translation", behavior="walking"):
    at.radio(key=f"motion_type-{tid}").set_value(motion)
    at.radio(key=f"behavior-{tid}").set_value(behavior)
    return at.button(key=f"accept-{tid}").click().run()


def test_login_refuses_wrong_token_then_accepts(root, tokens, monkeypatch):
    at = _app(root, monkeypatch)
    at.text_input(key="login-token").input("wrong-token")
    at.button[0].click().run()
    assert any("Unknown or revoked token" in e.value for e in at.error)
    assert not any(b.label.startswith("Accept") for b in at.button)
    _login(at, tokens["ann1"])
    assert _current_tid(at) == "film0-0000"
    assert [r.label for r in at.sidebar.radio] == ["Page"] and at.sidebar.radio[0].options == ["Annotate"]


def test_accept_stores_proposal_box_and_labels_then_next(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    assert at.radio(key=f"difficulty-{tid}").value == "easy"  # pre-filled from auto_difficulty
    _accept(at, tid, motion="rotation", behavior="eating")
    assert any("Saved accept" in m.value for m in at.markdown)
    assert _current_tid(at) == "film0-0001"
    ann = latest_annotations(root).set_index("triplet_id").loc[tid]
    assert tuple(ann[["roi_x", "roi_y", "roi_w", "roi_h"]]) == pytest.approx(PROPOSAL)
    assert (ann["difficulty"], ann["motion_type"], ann["behavior"]) == ("easy", "rotation", "eating")
    assert (ann["roi_image_w"], ann["roi_image_h"]) == (96, 64)      # the frame the box was drawn on
    # film0-0001 has no proposal: the centred half-size box of the 96×64 frame
    at.radio(key="difficulty-film0-0001").set_value("hard")
    _accept(at, "film0-0001")
    ann = latest_annotations(root).set_index("triplet_id").loc["film0-0001"]
    assert tuple(ann[["roi_x", "roi_y", "roi_w", "roi_h"]]) == pytest.approx((24, 16, 48, 32))
    assert ann["difficulty"] == "hard"


def test_frames_are_shown_at_full_resolution(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    assert len(at.image) == 3                     # frame1-3 (the player shows these very images)
    assert not at.exception


def test_missing_labels_are_refused_and_nothing_written(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    at.button(key=f"accept-{tid}").click().run()          # no motion type / behaviour picked
    assert any("Not saved" in e.value and "motion type" in e.value for e in at.error)
    at.radio(key=f"reason-{tid}").set_value("other")
    at.button(key=f"reject-{tid}").click().run()           # "other" without text
    assert any("needs a short explanation" in e.value for e in at.error)
    assert len(root.votes.parts()) == 0 and _current_tid(at) == tid


def test_reject_with_html_text_is_stored_verbatim_and_shown_escaped(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    evil = '<script>alert("x")</script> [link](javascript:alert(1))'
    at.radio(key=f"reason-{tid}").set_value("other")
    at.text_input(key=f"note-{tid}").input(evil)
    at.button(key=f"reject-{tid}").click().run()
    assert latest_votes(root).set_index("triplet_id").loc[tid, "reason"] == f"other: {evil}"
    at.button[0].click().run()                             # "Edit my last (U)"
    assert _current_tid(at) == tid
    assert at.text_input(key=f"note-{tid}").value == evil  # a text widget: shown as text, never as HTML
    assert not any("<script>" in m.value for m in at.markdown)


def test_edit_own_last_submission_latest_wins(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    _accept(at, tid)
    at.button[0].click().run()                             # "Edit my last (U)"
    assert _current_tid(at) == tid
    assert at.radio(key=f"motion_type-{tid}").value == "translation"   # own earlier labels pre-filled
    at.radio(key=f"reason-{tid}").set_value("near-duplicate")
    at.button(key=f"reject-{tid}").click().run()
    v = latest_votes(root)
    assert len(v) == 1 and not v.iloc[0]["accept"] and v.iloc[0]["reason"] == "near-duplicate"
    assert _current_tid(at) == "film0-0001"


def test_two_annotators_are_blind_and_third_comes_on_disagreement(root, tokens, monkeypatch):
    a1 = _login(_app(root, monkeypatch), tokens["ann1"])
    a2 = _login(_app(root, monkeypatch), tokens["ann2"])
    a3 = _login(_app(root, monkeypatch), tokens["ann3"])
    t = "film0-0000"
    assert _current_tid(a1) == t and _current_tid(a2) == t and _current_tid(a3) != t  # leased twice only
    _accept(a1, t, motion="scaling", behavior="fetching")
    a2.run()
    assert a2.radio(key=f"motion_type-{t}").value is None and a2.radio(key=f"behavior-{t}").value is None
    assert not any("editing" in m.value for m in a2.markdown)
    a2.radio(key=f"reason-{t}").set_value("scene cut")
    a2.button(key=f"reject-{t}").click().run()
    a3.radio(key=f"reason-{_current_tid(a3)}").set_value("scene cut")
    a3.button(key=f"reject-{_current_tid(a3)}").click().run()   # a3 finishes its triplet …
    assert _current_tid(a3) == t                                 # … then gets the disagreement


def test_skip_unknown_id_missing_frames_corrupt_part_and_revocation(root, tokens, monkeypatch):
    (root.frames_dir("film0-0001") / "frame3.png").unlink()
    (root.path / "labels" / "votes").mkdir(parents=True)
    (root.path / "labels" / "votes" / "00000000000000000001-x.parquet").write_bytes(b"broken")
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    assert not at.sidebar.warning                                 # annotators never see server files
    assert (root.path / "quarantine" / "labels" / "votes" / "00000000000000000001-x.parquet").is_file()
    next(b for b in at.button if b.label.startswith("Skip")).click().run()   # film0-0000 → film0-0001
    assert any("cannot be shown" in e.value and "frame3.png" in e.value.replace("\\", "") for e in at.error)
    next(b for b in at.button if b.label.startswith("Skip")).click().run()
    assert _current_tid(at) == "film0-0002"
    at.query_params["t"] = "../../etc/passwd"
    at.run()
    assert any("Unknown triplet id" in e.value for e in at.error)
    assert _current_tid(at) == "film0-0002"                      # still serving
    annotators.remove(root, "ann1")
    at.run()
    assert any("revoked" in w.value for w in at.warning)
    assert not any(b.label.startswith("Accept") for b in at.button)


def test_query_param_opens_a_known_triplet(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann2"])
    at.query_params["t"] = "film0-0003"
    at.run()
    assert _current_tid(at) == "film0-0003"
    _accept(at, "film0-0003")
    assert "film0-0003" in set(latest_votes(root)["triplet_id"])
    assert _current_tid(at) == "film0-0000"


def test_admin_pages_review_statistics_export(root, tokens, monkeypatch):
    from atdkit.store.labels import add_annotations, add_votes

    t = "film0-0000"
    add_votes(root, [{"triplet_id": t, "annotator": a, "accept": True} for a in ("ann1", "ann2")])
    add_annotations(root, [{"triplet_id": t, "annotator": a, "roi_x": 0, "roi_y": 0, "roi_w": 10, "roi_h": 10,
                            "difficulty": "easy", "motion_type": "translation", "behavior": b}
                           for a, b in (("ann1", "walking"), ("ann2", "eating"))])
    at = _login(_app(root, monkeypatch), tokens["boss"])
    assert at.sidebar.radio[0].options == ["Annotate", "Review", "Statistics", "Admin"]
    at.sidebar.radio[0].set_value("Statistics").run()
    assert not at.exception
    assert [m.label for m in at.metric][:2] == ["accepted", "rejected"]
    assert any(m.label == "needs adjudication" and m.value == "1" for m in at.metric)
    at.sidebar.radio[0].set_value("Review").run()
    assert at.selectbox(key="adj-tid").value == t
    table = at.dataframe[0].value
    assert "annotator" not in table.columns and list(table["who"]) == ["annotator 1", "annotator 2"]
    at.selectbox(key=f"adj-behavior-{t}").set_value("eating")
    next(b for b in at.button if b.label == "Save ruling").click().run()
    assert any("Ruling saved" in s.value for s in at.success)
    assert any("Nothing to adjudicate" in s.value for s in at.success)
    at.sidebar.radio[0].set_value("Admin").run()
    next(b for b in at.button if b.label == "Write consensus.parquet").click().run()
    c = pd.read_parquet(root.path / "consensus.parquet").set_index("triplet_id")
    assert c.loc[t, "status"] == "accepted" and c.loc[t, "behavior"] == "eating"
    at.text_input(key="export-name").input("../escape")
    next(b for b in at.button if b.label == "Export ATD-12K layout").click().run()
    assert any("Export name" in e.value for e in at.error) and not (root.path.parent / "escape").exists()
    at.text_input(key="export-name").input("atd")
    next(b for b in at.button if b.label == "Export ATD-12K layout").click().run()
    assert any("Exported" in s.value for s in at.success)
    exported = json.loads((root.path / "exports" / "atd" / "test_2k_annotations" / t / f"{t}.json").read_text())
    assert exported["behavior"] == "eating" and exported["motion_RoI"]["width"] == 10


def test_corrupt_annotators_table_is_reported_and_recovers(root, tokens, monkeypatch):
    good = (root.path / "annotators.parquet").read_bytes()
    (root.path / "annotators.parquet").write_bytes(b"garbage")
    at = _app(root, monkeypatch)
    at.text_input(key="login-token").input(tokens["ann1"])
    at.button[0].click().run()
    assert any("annotators.parquet" in e.value.replace("\\", "") and "unreadable" in e.value for e in at.error)
    (root.path / "annotators.parquet").write_bytes(good)
    _login(at.run(), tokens["ann1"])
    assert _current_tid(at) == "film0-0000"


def test_annotator_cannot_open_admin_pages(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    assert "Review" not in at.sidebar.radio[0].options


def test_no_root_and_bad_root_are_reported(tmp_path, monkeypatch):
    monkeypatch.delenv("ATDKIT_ROOT", raising=False)
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=60).run()
    assert any("No dataset root" in e.value for e in at.error)
    monkeypatch.setenv("ATDKIT_ROOT", str(tmp_path / "nothing"))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=60).run()
    assert any("not a dataset root" in e.value for e in at.error)


def test_frames_wider_than_canvas_map_back_to_full_resolution(tmp_path, tokens, monkeypatch):
    big = build_root(tmp_path / "big", n=2, size=(1280, 720), proposals=False)
    token = annotators.add(big, "wide")
    at = _login(_app(big, monkeypatch), token)
    tid = _current_tid(at)
    assert at.session_state[f"box-{tid}"] == pytest.approx((160, 90, 320, 180))   # canvas 640×360
    at.session_state[f"box-{tid}"] = (100.0, 50.0, 200.0, 100.0)                 # as drawn on the canvas
    _accept(at, tid)
    ann = latest_annotations(big).iloc[0]
    assert tuple(ann[["roi_x", "roi_y", "roi_w", "roi_h"]]) == pytest.approx((200, 100, 400, 200))


def test_reject_without_a_chosen_reason_is_refused_and_the_error_stays(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    assert at.radio(key=f"reason-{tid}").value is None            # no reason pre-selected
    at.button(key=f"reject-{tid}").click().run()
    assert any("Not saved" in e.value and "reject reason" in e.value for e in at.error)
    at.run()                                                      # another rerun: the error stays
    assert any("Not saved" in e.value for e in at.error) and _current_tid(at) == tid
    assert len(root.votes.parts()) == 0


def test_rerun_keeps_the_triplet_and_a_lost_triplet_is_refused(root, tokens, monkeypatch):
    """The triplet on screen never changes on a rerun; a judgement of a triplet that is no
    longer the annotator's is refused with a message that stays, and nothing is written."""
    from atdkit.labels.queue import Queue

    a1 = _login(_app(root, monkeypatch), tokens["ann1"])
    a2 = _login(_app(root, monkeypatch), tokens["ann2"])
    t = "film0-0000"
    assert _current_tid(a1) == _current_tid(a2) == t
    _accept(a1, t)                                                  # ann1 judges t while ann2 looks at it
    a2.run()                                                        # ann2's page reruns
    assert _current_tid(a2) == t
    # ann2's lease lapses and two others judge t meanwhile
    (root.path / "labels" / "leases" / "ann2.json").unlink()
    q = Queue(root, list(root.triplets()["triplet_id"]))
    q.submit("ann3", t, lambda: add_vote(root, t, "ann3"))
    a2.run()
    assert _current_tid(a2) == t                                    # still what ann2 sees
    assert any("no longer yours" in w.value for w in a2.warning)
    _accept(a2, t, motion="rotation")
    assert any("Not saved" in e.value and "no longer yours" in e.value for e in a2.error)
    a2.run()
    assert any("no longer yours" in e.value for e in a2.error)      # the message stays
    assert set(latest_votes(root).query("triplet_id == @t")["annotator"]) == {"ann1", "ann3"}


def add_vote(root, tid, who):
    from atdkit.store.labels import add_votes
    add_votes(root, [{"triplet_id": tid, "annotator": who, "accept": True}])


def test_corrupt_part_app_and_consensus_command_do_the_same(tmp_path, monkeypatch):
    """The same corrupt vote part in two copies of a root: the app (as an admin sees it) and
    `atdkit consensus` both move it to quarantine/ and name it in one line (the app without
    server paths); the app keeps serving from the other parts, the command stops once and
    its next run goes on without the part."""
    import subprocess
    import sys

    from atdkit.store.labels import add_votes

    roots = []
    for name in ("app", "cli"):
        r = build_root(tmp_path / name, n=2)
        add_votes(r, [{"triplet_id": "film0-0000", "annotator": a, "accept": True} for a in ("ann1", "ann2")])
        (r.path / "labels" / "votes" / "00000000000000000001-x.parquet").write_bytes(b"PAR1 broken")
        roots.append(r)
    app_root, cli_root = roots
    token = annotators.add(app_root, "boss", admin=True)
    at = _login(_app(app_root, monkeypatch), token)
    at.sidebar.radio[0].set_value("Statistics").run()
    warnings = [w.value.replace("\\", "") for w in at.sidebar.warning]
    assert any("labels/votes/00000000000000000001-x.parquet" in w and "quarantine" in w for w in warnings)
    assert not any(str(tmp_path) in w for w in warnings)
    def consensus():
        return subprocess.run([sys.executable, "-m", "atdkit", "consensus", str(cli_root.path)],
                              capture_output=True, text=True, timeout=120)

    first = consensus()
    assert first.returncode != 0 and "00000000000000000001-x.parquet" in first.stderr and "moved to" in first.stderr
    assert consensus().returncode == 0
    for r in roots:
        assert (r.path / "quarantine" / "labels" / "votes" / "00000000000000000001-x.parquet").is_file()
        assert not (r.path / "labels" / "votes" / "00000000000000000001-x.parquet").exists()
    assert pd.read_parquet(cli_root.path / "consensus.parquet").set_index("triplet_id").loc["film0-0000", "n_votes"] == 2
    assert any(m.label == "accepted" and m.value == "1" for m in at.metric)
