"""The Streamlit annotation app: ``atdkit annotate ROOT`` serves ``annotation_server.py``,
which runs ``annotation_app/app.py`` with the media files behind the login."""

import argparse
import os
import sys
from pathlib import Path

APP_SCRIPT = Path(__file__).with_name("app.py")
SERVER_SCRIPT = Path(__file__).with_name("annotation_server.py")


def root_argument() -> str | None:
    """The dataset root: ``--root ROOT`` among the script's arguments, else ``ATDKIT_ROOT``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--root")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return args.root or os.environ.get("ATDKIT_ROOT")
