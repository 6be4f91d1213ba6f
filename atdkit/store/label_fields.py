"""The category labels an annotator gives an accepted triplet, declared once.

Every part of atdkit that handles these labels iterates over ``LABEL_FIELDS``: the
schemas (annotations, consensus, adjudications), the annotation app's widgets and their
keys, judgement validation, consensus (majority per field), agreement (a kappa per
field), the report's category breakdowns, and ATD-12K import/export (the JSON key and
whether the JSON stores the value or its index). Adding a field means adding a row
here and regenerating ``data_manifests/schema.md`` (``python data_manifests/schema_doc.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabelField:
    name: str                       # column name in annotations, consensus and adjudications
    title: str                      # shown to people (app, report)
    values: tuple[str, ...]         # the closed vocabulary, in display order
    keys: str                       # the app's keyboard key of each value (same order; lower case)
    atd12k_key: str                 # key in the ATD-12K annotation JSON
    atd12k_index: bool = False      # the JSON stores the value's index in ``values`` (ATD-12K "level")
    required_in_atd12k: bool = False  # an ATD-12K annotation JSON without it is malformed
    prefill_from: str | None = None  # triplets.parquet column whose value the app starts from

    def __post_init__(self):
        if len(self.keys) != len(self.values):
            raise ValueError(f"label field {self.name}: {len(self.keys)} keys for {len(self.values)} values")


LABEL_FIELDS: tuple[LabelField, ...] = (
    LabelField("difficulty", "Difficulty", ("easy", "medium", "hard"), "123",
               atd12k_key="level", atd12k_index=True, required_in_atd12k=True, prefill_from="auto_difficulty"),
    LabelField("motion_type", "General motion type", ("translation", "rotation", "scaling", "deformation"), "qwer",
               atd12k_key="general_motion_type"),
    LabelField("behavior", "Behaviour", ("speaking", "walking", "eating", "sporting", "fetching", "others"),
               "456789", atd12k_key="behavior"),
)

LABEL_NAMES: tuple[str, ...] = tuple(f.name for f in LABEL_FIELDS)


def label_field(name: str) -> LabelField:
    """The field called ``name`` (KeyError naming the known ones otherwise)."""
    for f in LABEL_FIELDS:
        if f.name == name:
            return f
    raise KeyError(f"no label field {name!r} (known: {', '.join(LABEL_NAMES)})")


def _check_keys() -> None:
    keys = [k for f in LABEL_FIELDS for k in f.keys]
    if len(set(keys)) != len(keys):
        raise ValueError(f"label field keys repeat: {keys}")


_check_keys()
