"""Exceptions whose message is the one line a user sees."""

import re


class AtdkitError(Exception):
    """Base class: str(exc) is a complete, one-line message for the user."""


class BadInput(AtdkitError):
    """An input file (video, frame, JSON, Parquet) is missing or malformed."""


class BadArgument(BadInput):
    """A parameter value is invalid (a size, a threshold, a step name…): on the command line this
    is a usage error (exit status 2), unlike a file that cannot be read (a runtime error, 1)."""


class WeightsMissing(AtdkitError):
    """A method's weights file is absent; the message says how to provide it."""


class WeightsMismatch(AtdkitError):
    """A weights file exists but is not the expected one (hash, keys or shapes)."""


class UnknownWeights(WeightsMissing):
    """No weights are declared under the requested name (a usage error on the command line)."""


class UnknownMethod(AtdkitError):
    """No interpolation method is registered under the requested name."""


def clean_message(exc: BaseException, limit: int = 160) -> str:
    """First meaningful line of a decoder exception, without decord's "[time] file:line:" log prefix."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    text = lines[-1] if lines else type(exc).__name__
    text = re.sub(r"(\[[\d:]+\] \S+:\d+: )+(\[[^\]]*\] )?", "", text)
    return text[:limit]
