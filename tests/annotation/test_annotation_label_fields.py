"""Label fields are declared once (atdkit/store/label_fields.py): a field added to that table
reaches the schemas, validation, consensus, agreement, the report's breakdowns and ATD-12K
import/export without touching another file."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from annotation_browser_harness import REPO

SCRIPT = textwrap.dedent('''
    import importlib.util, json, sys, tempfile
    from pathlib import Path

    # a new field, declared only in the table: the table module is loaded and patched before
    # any other module of atdkit (atdkit.store's __init__ included) reads it
    spec = importlib.util.spec_from_file_location("atdkit.store.label_fields", "atdkit/store/label_fields.py")
    lf = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lf)
    lf.LABEL_FIELDS = lf.LABEL_FIELDS + (lf.LabelField("lighting", "Lighting", ("day", "night"), "ty",
                                                       atd12k_key="lighting"),)
    lf.LABEL_NAMES = tuple(f.name for f in lf.LABEL_FIELDS)

    import pandas as pd
    from atdkit.bench.report import tables as report
    from atdkit.errors import BadInput
    from atdkit.interchange.atd12k import annotation_json, parse_annotation
    from atdkit.labels import judgements
    from atdkit.labels.agreement import agreement_table
    from atdkit.labels.consensus import build_consensus
    from atdkit.labels.judgements import Box, Judgement
    from atdkit.store import schema

    out = {}
    out["schemas"] = [n for n in ("ANNOTATIONS", "CONSENSUS", "ADJUDICATIONS")
                      if "lighting" in getattr(schema, n).names]
    base = {"difficulty": "easy", "motion_type": "rotation", "behavior": "others"}
    try:
        judgements.validate(Judgement("t", "a", True, roi=Box(0, 0, 9, 9), labels=base))
        out["validation"] = "accepted a judgement without lighting"
    except BadInput as exc:
        out["validation"] = str(exc)
    ok = judgements.validate(Judgement("t", "a", True, roi=Box(0, 0, 9, 9), labels={**base, "lighting": "night"}))
    out["judgement"] = ok.labels["lighting"]
    votes = pd.DataFrame([("t", a, True, None, pd.Timestamp(0, tz="UTC")) for a in "abc"],
                         columns=["triplet_id", "annotator", "accept", "reason", "created_at"])
    ann = pd.DataFrame([("t", a, 0.0, 0.0, 9.0, 9.0, None, None, "easy", "rotation", "others", light,
                         pd.Timestamp(0, tz="UTC")) for a, light in zip("abc", ("night", "night", "day"))],
                       columns=["triplet_id", "annotator", "roi_x", "roi_y", "roi_w", "roi_h", "roi_image_w",
                                "roi_image_h", "difficulty", "motion_type", "behavior", "lighting", "created_at"])
    out["consensus"] = build_consensus(["t"], votes, ann).iloc[0]["lighting"]
    out["agreement"] = list(agreement_table(votes, ann)["measure"])
    out["report"] = [t for n, t in report.CATEGORIES if n == "lighting"]
    p = Path(tempfile.mkdtemp()) / "x.json"
    p.write_text(json.dumps({"level": 1, "motion_RoI": {"x": 0, "y": 0, "width": 2, "height": 2},
                             "image_size": [10, 10], "lighting": "day"}))
    parsed = parse_annotation(p)
    out["import"] = parsed["lighting"]
    out["export"] = annotation_json(parsed, (10, 10)).get("lighting")
    print(json.dumps(out))
''')


def test_a_field_added_to_the_table_reaches_every_consumer():
    import json

    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["schemas"] == ["ANNOTATIONS", "CONSENSUS", "ADJUDICATIONS"]
    assert "lighting must be one of day, night" in out["validation"]
    assert out["judgement"] == "night" and out["consensus"] == "night"
    assert "kappa lighting" in out["agreement"] and out["report"] == ["lighting"]
    assert out["import"] == "day" and out["export"] == "day"


def test_label_keys_do_not_collide_with_the_app_keys():
    from atdkit.annotation_app.keys import ACTION_KEYS, REASON_KEYS
    from atdkit.store.label_fields import LABEL_FIELDS

    label_keys = [k for f in LABEL_FIELDS for k in f.keys]
    every = label_keys + list(ACTION_KEYS.values()) + list(REASON_KEYS)
    assert len(every) == len(set(every)), every


def test_every_label_value_reason_and_action_has_one_key_and_review_only_the_player_s():
    from atdkit.annotation_app.keys import ACTION_KEYS, PLAYER_ACTIONS, REASON_KEYS, key_map
    from atdkit.store.label_fields import LABEL_FIELDS
    from atdkit.store.schema import REJECT_REASONS

    m = key_map(judging=True)
    assert m["a"] == {"action": "accept"} and m["u"] == {"action": "edit"}
    motion = next(f for f in LABEL_FIELDS if f.name == "motion_type")
    assert m[motion.keys[1]] == {"field": "motion_type", "value": motion.values[1]}
    assert {(w["field"], w["value"]) for w in m.values() if "field" in w} == \
        {(f.name, v) for f in LABEL_FIELDS for v in f.values} | {("reason", r) for r in REJECT_REASONS}
    assert len(m) == len(ACTION_KEYS) + sum(len(f.values) for f in LABEL_FIELDS) + len(REASON_KEYS)
    assert key_map(judging=False) == {ACTION_KEYS[a]: {"action": a} for a in PLAYER_ACTIONS}
