"""Exceptions whose message is the one line a user sees."""


class AtdkitError(Exception):
    """Base class: str(exc) is a complete, one-line message for the user."""


class BadInput(AtdkitError):
    """An input file (video, frame, JSON, Parquet) is missing or malformed."""


class WeightsMissing(AtdkitError):
    """A method's weights file is absent; the message says how to provide it."""


class WeightsMismatch(AtdkitError):
    """A weights file exists but is not the expected one (hash, keys or shapes)."""


class UnknownMethod(AtdkitError):
    """No interpolation method is registered under the requested name."""
