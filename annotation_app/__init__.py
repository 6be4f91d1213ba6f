"""The Streamlit annotation app: ``atdkit annotate ROOT`` runs ``annotation_app/app.py``."""

from pathlib import Path

APP_SCRIPT = Path(__file__).with_name("app.py")
