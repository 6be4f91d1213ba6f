"""Every table atdkit writes, as pyarrow schemas. All readers and writers use these.

Units: frame indices are 0-based source-frame indices; times in seconds; pixel
coordinates are of the full-size frame they refer to (RoI: frame2 at full size);
SSIM values in [-1, 1]; flow magnitudes in pixels at a 960-pixel frame width
(see ``atdkit.motion``), whatever the film's resolution.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from atdkit.store.label_fields import LABEL_FIELDS, label_field

TS = pa.timestamp("us", tz="UTC")

# The label vocabularies are declared in ``label_fields.LABEL_FIELDS``; these names are kept for readers.
DIFFICULTIES = label_field("difficulty").values
MOTION_TYPES = label_field("motion_type").values
BEHAVIORS = label_field("behavior").values
REJECT_REASONS = ("scene cut", "caption or overlay change", "near-duplicate", "unnatural motion", "other")

# Why the miner rejected a candidate triplet (candidates.reason); see atdkit.mining.sampler.
MINING_REJECT_REASONS = ("spans cut", "held drawing", "unbalanced timing", "shot cap", "min spacing",
                         "same drawings", "ssim below window", "ssim above window", "middle frame off-centre",
                         "near-duplicate")

# Annotator names reserved for machine-made labels: never counted as human votes.
MACHINE_ANNOTATORS = ("synthetic-truth", "atd12k-official")
# Labels imported from another dataset's files are credited to their source as "imported:<name>" (a
# name no person can have: annotator names have no ':'); they are machine-made labels too.
IMPORTED_PREFIX = "imported:"


def is_machine_annotator(name: str) -> bool:
    """Whether labels by ``name`` are machine-made (never a human vote)."""
    return name in MACHINE_ANNOTATORS or str(name).startswith(IMPORTED_PREFIX)


def _schema(*fields: pa.Field) -> pa.Schema:
    return pa.schema(list(fields))


def _label_columns() -> list[pa.Field]:
    """One nullable string column per label field (values from its vocabulary)."""
    return [pa.field(lf.name, pa.string()) for lf in LABEL_FIELDS]


def f(name: str, type_: pa.DataType, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


FILMS = _schema(
    f("film_id", pa.string(), False),      # first 16 hex of the file's sha256
    f("path", pa.string()),
    f("sha256", pa.string()),
    f("fps", pa.float64()),
    f("n_frames", pa.int64()),
    f("width", pa.int32()),
    f("height", pa.int32()),
    f("sample_aspect", pa.string()),       # the stream's sample aspect ratio "num:den" (null: square pixels); frames stay at width×height
    f("duration_s", pa.float64()),
    f("style", pa.string()),
    f("license", pa.string()),
    f("split", pa.string()),
    f("backend", pa.string()),             # decoder used: decord | pyav
    f("cadence", pa.string()),             # JSON list per shot: {shot, start, end, cadence: 1|2|3|hold|mixed, drawings, pans, runs: [{cadence, start, end, drawings}] per run of drawings}
    f("n_shots", pa.int32()),
    f("n_candidates", pa.int64()),         # candidate triplets examined (kept + rejected)
    f("n_triplets", pa.int64()),           # kept
    f("status", pa.string()),              # ok | error
    f("error", pa.string()),
    f("notes", pa.string()),               # non-fatal remarks (grayscale source, odd dimensions, truncation, aspect, why no triplet)
    f("mined_at", TS),
)

TRIPLETS = _schema(
    f("triplet_id", pa.string(), False),   # stable: film_id + frame indices
    f("film_id", pa.string()),
    f("f1", pa.int64()),
    f("f2", pa.int64()),
    f("f3", pa.int64()),
    f("stride", pa.int32()),               # f2-f1 = f3-f2
    f("t1", pa.float64()),
    f("t2", pa.float64()),
    f("t3", pa.float64()),
    f("shot", pa.int32()),
    f("ssim_12", pa.float64()),
    f("ssim_23", pa.float64()),
    f("ssim_13", pa.float64()),
    f("changes_12", pa.int32()),           # drawing changes in the first half
    f("changes_23", pa.int32()),           # drawing changes in the second half
    f("timing_balanced", pa.bool_()),
    f("cadence", pa.string()),             # 1|2|3|hold|mixed: of the run of drawings holding frame2 (see films.cadence)
    f("mid_position", pa.float64()),       # where frame2 lies between frame1 (0) and frame3 (1) on the cross-fade
    f("mid_detour", pa.float64()),         # min(MAD 1–2, MAD 2–3) / MAD 1–3: > 1 = frame2 off the way from 1 to 3
    f("flow_mean", pa.float64()),
    f("flow_p95", pa.float64()),
    f("occlusion", pa.float64()),          # fraction of pixels failing the forward-backward check
    f("auto_difficulty", pa.string()),     # easy | medium | hard
    f("phash", pa.string()),               # perceptual hash of frame2 (hex): pairs triplets for the near-duplicate check
    f("split", pa.string()),
    f("width", pa.int32()),
    f("height", pa.int32()),
    f("source", pa.string()),              # mined | atd12k
    f("name", pa.string()),                # original folder name for imported triplets
    f("frame_sha256", pa.list_(pa.string())),  # sha256 of frame{1,2,3}.png as written
    f("prop_x", pa.float64()),             # RoI proposal (atdkit.motion): full-size pixels of frame2
    f("prop_y", pa.float64()),
    f("prop_w", pa.float64()),
    f("prop_h", pa.float64()),
)

CANDIDATES = _schema(
    f("film_id", pa.string(), False),
    f("f1", pa.int64()),
    f("f2", pa.int64()),
    f("f3", pa.int64()),
    f("stride", pa.int32()),
    f("shot", pa.int32()),
    f("ssim_12", pa.float64()),
    f("ssim_23", pa.float64()),
    f("ssim_13", pa.float64()),
    f("reason", pa.string()),              # why it was rejected: one of MINING_REJECT_REASONS
    f("detail", pa.string()),              # e.g. which SSIM failed, the duplicate's triplet id
)

VOTES = _schema(
    f("triplet_id", pa.string(), False),
    f("annotator", pa.string(), False),
    f("accept", pa.bool_(), False),
    f("reason", pa.string()),
    f("created_at", TS, False),
)

ANNOTATIONS = _schema(
    f("triplet_id", pa.string(), False),
    f("annotator", pa.string(), False),
    f("roi_x", pa.float64()),
    f("roi_y", pa.float64()),
    f("roi_w", pa.float64()),
    f("roi_h", pa.float64()),
    f("roi_image_w", pa.int32()),          # frame size the RoI refers to (ATD-12K: original size);
    f("roi_image_h", pa.int32()),          # null = the stored frame2 size
    *_label_columns(),
    f("created_at", TS, False),
)

ANNOTATORS = _schema(
    f("name", pa.string(), False),
    f("role", pa.string(), False),         # annotator | admin
    f("token_hash", pa.string(), False),   # scrypt hash, never the token
    f("salt", pa.string(), False),
    f("active", pa.bool_(), False),
    f("created_at", TS, False),
)

CONSENSUS = _schema(
    f("triplet_id", pa.string(), False),
    f("status", pa.string()),              # accepted | rejected | pending | needs_adjudication
    f("n_votes", pa.int32()),
    f("n_accept", pa.int32()),
    f("roi_x", pa.float64()),
    f("roi_y", pa.float64()),
    f("roi_w", pa.float64()),
    f("roi_h", pa.float64()),
    f("roi_image_w", pa.int32()),          # frame size the RoI refers to: the stored frame2 size for
    f("roi_image_h", pa.int32()),          # human boxes, a machine label's own (ATD-12K original size)
    f("roi_iou", pa.float64()),            # mean pairwise IoU of the accepting annotators' boxes
    f("roi_flag", pa.bool_()),             # IoU below 0.5
    *_label_columns(),
    f("conflicts", pa.string()),           # comma-separated fields without a majority
    f("source", pa.string()),              # human | synthetic-truth | imported:<name> | atd12k-official (older imports)
    f("adjudicated", pa.bool_()),          # an admin's ruling decided this row (labels/adjudications)
)

# An admin's ruling on a triplet (labels/adjudications/*.parquet); the latest per triplet wins and
# overrides the human vote: null fields keep the consensus value.
ADJUDICATIONS = _schema(
    f("triplet_id", pa.string(), False),
    f("admin", pa.string(), False),
    f("status", pa.string()),              # accepted | rejected
    f("roi_x", pa.float64()),
    f("roi_y", pa.float64()),
    f("roi_w", pa.float64()),
    f("roi_h", pa.float64()),
    *_label_columns(),
    f("note", pa.string()),
    f("created_at", TS, False),
)

# Dataset recipes (atdkit.recipes): a dataset published without its frames. A recipe folder holds
# recipe.json (format, schema version, the dataset's metadata, a sha256 of every table) and four
# Parquet tables: films (RECIPE_FILMS), triplets (RECIPE_TRIPLETS), candidates (CANDIDATES) and
# labels (CONSENSUS). Frame hashes are of the decoded RGB24 pixels, so they do not depend on how a
# frame file is compressed; see atdkit/recipes/fingerprint.py.
RECIPE_FILMS = _schema(
    f("film_id", pa.string(), False),      # as in films: first 16 hex of the file's sha256
    f("title", pa.string()),               # a free title (default: the file name without its extension)
    f("file_name", pa.string()),           # the mined file's name (a same-named file that does not match is named in errors)
    f("size_bytes", pa.int64()),           # the mined file's size
    f("stream_sha256", pa.string()),       # sha256 over the video stream's packet payloads in file order: a remux of the same encode matches
    *(field for field in FILMS if field.name not in ("film_id", "path")),
)

RECIPE_TRIPLETS = _schema(
    *(field for field in TRIPLETS if field.name != "frame_sha256"),
    f("frame_hash", pa.list_(pa.string())),    # blake2b-128 (32 hex) of frame{1,2,3}'s decoded RGB24 pixels
    f("frame_phash", pa.list_(pa.string())),   # 64-bit pHash (16 hex) of frame{1,2,3} at full size
)

# What `atdkit recipe build` did with each triplet of the recipe (recipe_build.parquet in the built
# root, from parts/recipe_build/<film_id>.parquet): unverified frames never enter the root.
RECIPE_BUILD = _schema(
    f("triplet_id", pa.string(), False),
    f("film_id", pa.string()),
    f("status", pa.string()),              # built (every frame exact) | near (built with --tolerance) | mismatch | missing
    f("frames_exact", pa.int32()),         # frames (of 3) whose decoded pixels hash as the recipe says
    f("phash_distance", pa.int32()),       # the largest pHash distance (bits of 64) of its frames from the recipe's; 0 when exact
    f("film_path", pa.string()),           # the film it was built from
    f("detail", pa.string()),              # why it was not built (or how near it was)
)

# A benchmark results row: RESULT_KEYS, then one float64 column per metric (declared once, in
# atdkit/bench/scoring.py: the full schema is ``results_schema(metric names)``), then RESULT_RECORD:
# what was scored, by what, with which labels.
RESULT_KEYS = _schema(
    f("run_id", pa.string(), False),
    f("method", pa.string(), False),       # the configuration: NAME, then its non-default options (NAME:k=v,…)
    f("triplet_id", pa.string(), False),
    f("profile", pa.string(), False),      # atd12k-official | standard
)

RESULT_RECORD = _schema(
    f("seconds", pa.float64()),            # wall time of the interpolate call
    f("peak_mem_mb", pa.float64()),        # its peak additional resident memory, MiB
    f("method_name", pa.string()),         # the registered method name
    f("options", pa.string()),             # JSON: the options given (converted, non-default only)
    f("weights_sha256", pa.string()),      # JSON: {weights name: sha256 of the file used}
    f("provenance", pa.string()),          # JSON: the method's provenance() (e.g. cached SGM settings)
    f("session", pa.string()),             # the bench session (run.json "sessions") that wrote the row
    f("roi_x", pa.int32()),                # the RoI box scored, pixels of the evaluated frame
    f("roi_y", pa.int32()),
    f("roi_w", pa.int32()),
    f("roi_h", pa.int32()),
    f("labels_snapshot", pa.string()),     # 16 hex of the sha256 of the category labels table used
    *_label_columns(),                     # the labels the row was scored under
    f("label_source", pa.string()),        # human, a machine annotator, or unlabelled
    f("error", pa.string()),
    f("created_at", TS),
)


def results_schema(metric_columns) -> pa.Schema:
    """The results table: keys, a nullable float64 column per metric, the record columns."""
    return pa.schema([*RESULT_KEYS, *(f(m, pa.float64()) for m in metric_columns), *RESULT_RECORD])


def to_table(data: pd.DataFrame | pa.Table, schema: pa.Schema) -> pa.Table:
    """Conform a DataFrame or Table to ``schema`` (column order, types); missing nullable columns become null."""
    if isinstance(data, pd.DataFrame):
        data = data.reset_index(drop=True)
        cols = {}
        for field in schema:
            if field.name in data.columns:
                cols[field.name] = pa.array(data[field.name].tolist(), type=field.type, from_pandas=True)
            elif field.nullable:
                cols[field.name] = pa.nulls(len(data), type=field.type)
            else:
                raise ValueError(f"missing required column {field.name!r}")
        return pa.table(cols, schema=schema)
    table = data
    arrays = []
    for field in schema:
        if field.name in table.column_names:
            arrays.append(table.column(field.name).cast(field.type))
        elif field.nullable:
            arrays.append(pa.nulls(table.num_rows, type=field.type))
        else:
            raise ValueError(f"missing required column {field.name!r}")
    return pa.table(arrays, schema=schema)
