"""Decoder backends: one module per decoder (``decord``, ``pyav``)."""
