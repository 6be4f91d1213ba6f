"""App flows with streamlit.testing.v1.AppTest (the real app script, a real dataset root).

The task panel is a page component, which AppTest cannot press: ``_send`` delivers what the
panel sends on a key (its ``action`` trigger value, as Streamlit's frontend encodes it) to the
real script run, so the app's own callback handles it; ``_panel`` reads the data the run gave
the panel. What the panel does in the browser is tested in test_annotation_browser.py."""

import itertools
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
    assert any("Logging in" in i.value for i in at.info) and not at.get("bidi_component")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _panel_element(at: AppTest):
    return next(e for e in at.get("bidi_component") if e.proto.component_name == "atdkit.task_panel")


def _panel(at: AppTest) -> dict:
    """The data the last run gave the task panel."""
    return json.loads(_panel_element(at).proto.json)


def _current_tid(at: AppTest) -> str:
    tid = _panel(at)["tid"]
    assert tid, "no triplet shown"
    return tid


_SEQ = itertools.count(1)


def _send(at: AppTest, action: str, tid: str | None = None, seq: int | None = None, **picked) -> AppTest:
    """Run the app as after the panel sent ``action`` for ``tid`` (default: the triplet it shows),
    with the labels, reason, note and box it starts from, changed by ``picked`` (field=value,
    reason=, note=, box=)."""
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    data = _panel(at)
    payload = {"action": action, "tid": data["tid"] if tid is None else tid, "seq": seq or next(_SEQ)}
    if action in ("accept", "reject"):
        start = {**data["start"], **{k: v for k, v in picked.items() if k not in ("note", "box")}}
        payload |= {"labels": {k: v for k, v in start.items() if k != "reason"}, "reason": start["reason"],
                    "note": picked.get("note", data["note"]), "box": picked.get("box", data["box"])}
    states = at._tree.get_widget_states()
    trigger = states.widgets.add()
    trigger.id = _make_trigger_id(_panel_element(at).proto.id, "events")
    trigger.json_trigger_value = json.dumps([{"event": "action", "value": payload}])
    return at._run(states)


def _accept(at, tid, motion="translation", behavior="walking", **picked):
    return _send(at, "accept", tid, motion_type=motion, behavior=behavior, **picked)


def test_login_refuses_wrong_token_then_accepts(root, tokens, monkeypatch):
    at = _app(root, monkeypatch)
    at.text_input(key="login-token").input("wrong-token")
    at.button[0].click().run()
    assert any("Unknown or revoked token" in e.value for e in at.error)
    assert not at.get("bidi_component")
    _login(at, tokens["ann1"])
    assert _current_tid(at) == "film0-0000"
    assert [r.label for r in at.sidebar.radio] == ["Page"] and at.sidebar.radio[0].options == ["Annotate"]


def test_accept_stores_proposal_box_and_labels_then_next(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    assert _panel(at)["start"]["difficulty"] == "easy"  # pre-filled from auto_difficulty
    _accept(at, tid, motion="rotation", behavior="eating")
    assert "Saved accept" in _panel(at)["saved"]
    assert _current_tid(at) == "film0-0001"
    ann = latest_annotations(root).set_index("triplet_id").loc[tid]
    assert tuple(ann[["roi_x", "roi_y", "roi_w", "roi_h"]]) == pytest.approx(PROPOSAL)
    assert (ann["difficulty"], ann["motion_type"], ann["behavior"]) == ("easy", "rotation", "eating")
    assert (ann["roi_image_w"], ann["roi_image_h"]) == (96, 64)      # the frame the box was drawn on
    # film0-0001 has no proposal: the centred half-size box of the 96×64 frame
    _accept(at, "film0-0001", difficulty="hard")
    ann = latest_annotations(root).set_index("triplet_id").loc["film0-0001"]
    assert tuple(ann[["roi_x", "roi_y", "roi_w", "roi_h"]]) == pytest.approx((24, 16, 48, 32))
    assert ann["difficulty"] == "hard"


def test_frames_are_the_stored_files_at_versioned_urls_and_the_next_ones_come_along(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    data = _panel(at)
    versions = [p.stat().st_mtime_ns for p in root.frame_paths("film0-0000")]
    assert data["frames"] == [f"/_atdkit/frame/film0-0000/{i}?v={v}" for i, v in zip((1, 2, 3), versions)]
    assert data["size"] == [96, 64] and not at.image           # no frame goes through Streamlit's media
    assert data["next"] and all(u.startswith("/_atdkit/frame/film0-0001/") for u in data["next"])
    assert not at.exception


def test_missing_labels_are_refused_and_nothing_written(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    _send(at, "accept")                                    # no motion type / behaviour picked
    assert "Not saved" in _panel(at)["error"] and "motion type" in _panel(at)["error"]
    _send(at, "reject", reason="other")                    # "other" without text
    assert "needs a short explanation" in _panel(at)["error"]
    assert len(root.votes.parts()) == 0 and _current_tid(at) == tid


def test_reject_with_html_text_is_stored_verbatim_and_shown_escaped(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    evil = '<script>alert("x")</script> [link](javascript:alert(1))'
    _send(at, "reject", reason="other", note=evil)
    assert latest_votes(root).set_index("triplet_id").loc[tid, "reason"] == f"other: {evil}"
    _send(at, "edit")                                      # "Edit my last (U)"
    assert _current_tid(at) == tid
    assert _panel(at)["note"] == evil                      # data for a text field (the panel sets .value)
    assert not any("<script>" in m.value for m in at.markdown)


def test_edit_own_last_submission_latest_wins(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    _accept(at, tid)
    _send(at, "edit")                                      # "Edit my last (U)"
    assert _current_tid(at) == tid and _panel(at)["editing"]
    assert _panel(at)["start"]["motion_type"] == "translation"   # own earlier labels pre-filled
    _send(at, "reject", reason="near-duplicate")
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
    assert _panel(a2)["start"]["motion_type"] is None and _panel(a2)["start"]["behavior"] is None
    assert not _panel(a2)["editing"]
    _send(a2, "reject", reason="scene cut")
    _send(a3, "reject", reason="scene cut")                      # a3 finishes its triplet …
    assert _current_tid(a3) == t                                 # … then gets the disagreement


def test_skip_unknown_id_missing_frames_corrupt_part_and_revocation(root, tokens, monkeypatch):
    (root.frames_dir("film0-0001") / "frame3.png").unlink()
    (root.path / "labels" / "votes").mkdir(parents=True)
    (root.path / "labels" / "votes" / "00000000000000000001-x.parquet").write_bytes(b"broken")
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    assert not at.sidebar.warning                                 # annotators never see server files
    assert (root.path / "quarantine" / "labels" / "votes" / "00000000000000000001-x.parquet").is_file()
    _send(at, "skip")                                             # film0-0000 → film0-0001
    assert "cannot be shown" in _panel(at)["error"] and "frame3.png" in _panel(at)["error"]
    assert "frames" not in _panel(at)
    _send(at, "skip")
    assert _current_tid(at) == "film0-0002"
    at.query_params["t"] = "../../etc/passwd"
    at.run()
    assert "Unknown triplet id" in _panel(at)["warning"]
    assert _current_tid(at) == "film0-0002"                      # still serving
    annotators.remove(root, "ann1")
    at.run()
    assert any("revoked" in w.value for w in at.warning)
    assert not at.get("bidi_component")


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


def test_boxes_are_full_resolution_pixels_both_ways(tmp_path, tokens, monkeypatch):
    """The panel starts from, and sends, frame2 pixels whatever size it is drawn at."""
    big = build_root(tmp_path / "big", n=2, size=(1280, 720), proposals=False)
    token = annotators.add(big, "wide")
    at = _login(_app(big, monkeypatch), token)
    tid = _current_tid(at)
    assert _panel(at)["box"] == pytest.approx([320, 180, 640, 360]) == _panel(at)["proposal"]
    _accept(at, tid, box=[200.0, 100.0, 400.0, 200.0])
    ann = latest_annotations(big).iloc[0]
    assert tuple(ann[["roi_x", "roi_y", "roi_w", "roi_h"]]) == pytest.approx((200, 100, 400, 200))
    _send(at, "edit")                                             # own earlier box, not the proposal
    assert _panel(at)["box"] == pytest.approx([200, 100, 400, 200])


def test_reject_without_a_chosen_reason_is_refused_and_the_error_stays(root, tokens, monkeypatch):
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    tid = _current_tid(at)
    assert _panel(at)["start"]["reason"] is None                  # no reason pre-selected
    _send(at, "reject")
    assert "Not saved" in _panel(at)["error"] and "reject reason" in _panel(at)["error"]
    shown = _panel(at)["shown"]
    at.run()                                                      # another rerun: the error stays
    assert "Not saved" in _panel(at)["error"] and _current_tid(at) == tid
    assert _panel(at)["shown"] == shown                           # and the panel keeps what was picked
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
    assert "no longer yours" in _panel(a2)["warning"]
    _accept(a2, t, motion="rotation")
    assert "Not saved" in _panel(a2)["error"] and "no longer yours" in _panel(a2)["error"]
    a2.run()
    assert "no longer yours" in _panel(a2)["error"]                 # the message stays
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


def test_an_action_sent_twice_is_handled_once_and_a_malformed_one_is_refused(root, tokens, monkeypatch):
    """A message the server has handled (same seq, e.g. resent on a reconnect) never judges the
    triplet shown after it; garbage from the page is refused in one line, nothing written."""
    at = _login(_app(root, monkeypatch), tokens["ann1"])
    _accept(at, "film0-0000", seq=10**6)
    assert _current_tid(at) == "film0-0001"
    _accept(at, "film0-0001", seq=10**6)                          # same number: ignored
    assert list(latest_votes(root)["triplet_id"]) == ["film0-0000"] and _current_tid(at) == "film0-0001"
    _send(at, "accept", box=["x", 0, 1, 1], seq=10**6 + 1)
    assert _panel(at)["error"].startswith("Not saved: the page sent a box")
    assert len(latest_votes(root)) == 1 and _current_tid(at) == "film0-0001"
