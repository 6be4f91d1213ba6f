"""Generate ``data_manifests/schema.md`` from ``atdkit/store/schema.py`` (the one source of truth).

Run ``python data_manifests/schema_doc.py`` after changing a schema; a test
(tests/mining/test_mining_schema_doc.py) fails while the two disagree.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import pyarrow as pa

from atdkit.store import schema
from atdkit.store.label_fields import LABEL_FIELDS, LABEL_NAMES

DOC = Path(__file__).with_name("schema.md")
TABLES = ("FILMS", "TRIPLETS", "CANDIDATES", "VOTES", "ANNOTATIONS", "ANNOTATORS", "CONSENSUS", "RECIPE_FILMS", "RECIPE_TRIPLETS", "RECIPE_BUILD", "RESULT_KEYS", "RESULT_RECORD")
VOCABULARIES = ("REJECT_REASONS", "MINING_REJECT_REASONS", "MACHINE_ANNOTATORS")


def _comments() -> dict[tuple[str, str], str]:
    """{(TABLE, column): the comment written beside the field in schema.py}."""
    out, table = {}, None
    for line in inspect.getsource(schema).splitlines():
        start = re.match(r"^([A-Z_]+) = _schema\(", line)
        if start:
            table = start.group(1)
            continue
        field = re.match(r'^\s+f\("([^"]+)".*?#\s*(.+)$', line)
        if table and field:
            out[(table, field.group(1))] = field.group(2).strip()
        if line.startswith(")"):
            table = None
    return out


def render() -> str:
    notes = _comments()
    lines = ["# atdkit table schemas", "",
             "Generated from `atdkit/store/schema.py` by `python data_manifests/schema_doc.py`; do not edit by hand.",
             "", (inspect.getdoc(schema) or "").strip(), ""]
    for name in TABLES:
        sch: pa.Schema = getattr(schema, name)
        lines += [f"## {name.lower()}", "", "| column | type | nullable | note |", "|---|---|---|---|"]
        for field in sch:
            note = notes.get((name, field.name), "").replace("|", "\\|")
            if field.name in LABEL_NAMES and not note:
                note = "label field (atdkit/store/label_fields.py): see vocabularies"
            lines.append(f"| `{field.name}` | `{field.type}` | {'yes' if field.nullable else 'no'} | {note} |")
        lines.append("")
        if name == "RESULT_KEYS":
            lines += ["A results row is these keys, then one nullable `double` column per metric of "
                      "`atdkit/bench/scoring.py` `METRICS`, then the record columns below.", ""]
    lines += ["## vocabularies", ""]
    for lf in LABEL_FIELDS:
        lines.append(f"- `{lf.name}` ({lf.title.lower()}; label field): " + ", ".join(f"`{v}`" for v in lf.values))
    for name in VOCABULARIES:
        lines.append(f"- `{name}`: " + ", ".join(f"`{v}`" for v in getattr(schema, name)))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"wrote {DOC}", file=sys.stderr)
