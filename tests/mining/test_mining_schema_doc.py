"""data_manifests/schema.md is exactly what atdkit/store/schema.py generates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

MANIFESTS = Path(__file__).resolve().parents[2] / "data_manifests"


def _generator():
    spec = importlib.util.spec_from_file_location("schema_doc", MANIFESTS / "schema_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_schema_doc_matches_the_schemas():
    gen = _generator()
    doc = (MANIFESTS / "schema.md").read_text()
    assert doc == gen.render(), "schema.md is stale: run `python data_manifests/schema_doc.py`"
    from atdkit.store import schema

    for column in schema.TRIPLETS.names:
        assert f"| `{column}` |" in doc
    assert "| `prop_x` | `double` | yes | RoI proposal" in doc
