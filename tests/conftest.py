"""Session-wide test settings shared by every area."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The small real clips live in ../shared/testdata beside the checkout (CI lays a copy there too);
# $ATDKIT_TESTDATA overrides. Every area reads the clips through this variable.
os.environ.setdefault("ATDKIT_TESTDATA", str(REPO.parent / "shared" / "testdata"))
