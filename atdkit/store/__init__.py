"""The data model: schemas, the dataset root, append-only Parquet parts, atomic writes."""

from atdkit.store.dataset import DatasetRoot
from atdkit.store.parts import PartTable

__all__ = ["DatasetRoot", "PartTable"]
