"""Checks applied at the API boundary, before anything is written.

They are on the per-metric hot path, so each validated key is remembered:
checking a key that was already accepted is one dict lookup.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from typing import Any

from litetrack import settings
from litetrack.errors import InvalidArgument, InvalidMetricValue, InvalidName

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
# MLflow 3.17's limit for experiment tags (a description often lives in one)
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_NAME_LENGTH = 500

# ':' as in MLflow (keys such as "eval:loss" are common).
_KEY_RE = re.compile(r"^[A-Za-z0-9_\-. /:]+$")
_ALLOWED = "letters, digits, '_', '-', '.', '/', ':' and space"
_valid_keys: set[str] = set()
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def validate_key(key: Any, kind: str = "key") -> str:
    """Return ``key`` if it is a valid metric/param/tag key, else raise :class:`InvalidName`."""
    try:
        if key in _valid_keys:
            return key  # type: ignore[no-any-return]
    except TypeError:
        pass  # unhashable (a list ...): refused as "not a string" below
    if not isinstance(key, str):
        raise InvalidName(f"Invalid {kind} {key!r}: must be a string, got {type(key).__name__}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidName(
            f"Invalid {kind} {key!r}: must have 1 to {MAX_KEY_LENGTH} characters"
        )
    if not _KEY_RE.match(key):
        raise InvalidName(f"Invalid {kind} {key!r}: only {_ALLOWED} are allowed")
    if key.startswith("/"):
        raise InvalidName(f"Invalid {kind} {key!r}: must not start with '/'")
    if ".." in key.split("/") or key == "." or "/./" in f"/{key}/":
        raise InvalidName(f"Invalid {kind} {key!r}: must not contain '.' or '..' path segments")
    if len(_valid_keys) < 100_000:
        _valid_keys.add(key)
    return key


# MLflow's closing sentence, which code written for MLflow may match.
_AS_DOUBLE = "Please specify value as a valid double (64-bit floating point)"


def validate_metric_value(key: str, value: Any) -> float:
    """Return ``value`` as a float; refuse strings, None, bools and non-real numbers.

    NaN and +/-inf are accepted (they are real outcomes of training).
    """
    if type(value) is float:
        return value
    if value is None:
        # MLflow's words, which code written for MLflow may match
        raise InvalidMetricValue(
            f"Missing value for required parameter 'value' (metric {key!r}): must be a real "
            "number (int or float; NaN and +/-inf allowed), got None"
        )
    if isinstance(value, bool) or isinstance(value, (str, bytes)):
        raise InvalidMetricValue(
            f"Invalid value {value!r} for metric {key!r}: must be a real number "
            "(int or float; NaN and +/-inf allowed), "
            f"got {type(value).__name__}. {_AS_DOUBLE}"
        )
    try:
        import numbers

        if isinstance(value, numbers.Real) or hasattr(value, "__float__"):
            if hasattr(value, "dtype") and getattr(value.dtype, "kind", "f") in "bOSUc":
                raise TypeError
            result = float(value)
            return result
    except OverflowError:
        raise InvalidMetricValue(
            f"Invalid value {_short(value)} for metric {key!r}: too large for a float "
            f"(at most about {sys.float_info.max:.3g}; NaN and +/-inf allowed)"
        ) from None
    except (TypeError, ValueError):
        pass
    raise InvalidMetricValue(
        f"Invalid value {value!r} for metric {key!r}: must be a real number "
        f"(int or float; NaN and +/-inf allowed), got {type(value).__name__}. {_AS_DOUBLE}"
    )


def validate_step(step: Any) -> int:
    """Steps are integers (numpy integers accepted); None means 0."""
    if step is None:
        return 0
    if type(step) is int:
        return step
    if isinstance(step, bool):
        raise InvalidArgument(f"Invalid step {step!r}: must be an integer")
    try:
        import operator

        return operator.index(step)
    except TypeError:
        # A whole float (``epoch / 2`` that came out 3.0, numpy's float64) is taken as
        # the integer it is: MLflow accepts float steps.
        is_integer = getattr(step, "is_integer", None)
        if callable(is_integer):
            try:
                if is_integer():
                    return int(step)
            except (TypeError, ValueError, OverflowError):
                pass
        raise InvalidArgument(
            f"Invalid step {step!r}: must be an integer (or a whole float such as 3.0), "
            f"got {type(step).__name__}"
        ) from None


#: Times (``start_time``, ``end_time``, metric timestamps) are integer
#: milliseconds since the epoch from 1970 to the end of year 9999: every
#: such value fits the search index (SQLite's 64-bit integers), JSON readers
#: in other languages (2**53) and ``datetime``.
MIN_TIME_MS = 0
MAX_TIME_MS = 253_402_300_799_999


def validate_timestamp(timestamp: Any, what: str = "timestamp") -> int:
    """Return ``timestamp`` (integer ms since the epoch), or raise :class:`InvalidArgument`.

    Integers (numpy integers too) and floats with an integral value are
    accepted between :data:`MIN_TIME_MS` and :data:`MAX_TIME_MS` (year 9999);
    bools, strings, fractional or non-finite floats are refused.
    """
    if type(timestamp) is int and MIN_TIME_MS <= timestamp <= MAX_TIME_MS:
        return timestamp
    expected = (
        f"must be integer milliseconds since the epoch, from {MIN_TIME_MS} to {MAX_TIME_MS} "
        "(year 9999), e.g. int(time.time() * 1000)"
    )
    if isinstance(timestamp, bool):
        raise InvalidArgument(f"Invalid {what} {timestamp!r}: {expected}, not a bool")
    try:
        import operator

        value = operator.index(timestamp)
    except TypeError:
        if isinstance(timestamp, float) and math.isfinite(timestamp) and timestamp.is_integer():
            value = int(timestamp)
        else:
            raise InvalidArgument(
                f"Invalid {what} {_short(timestamp)}: {expected}, got {type(timestamp).__name__}"
            ) from None
    if not MIN_TIME_MS <= value <= MAX_TIME_MS:
        raise InvalidArgument(f"Invalid {what} {_short(value)}: out of range; {expected}")
    return value


def _short(value: Any) -> str:
    """``repr(value)``, cut to a readable length (10**400 has 401 digits)."""
    try:
        text = repr(value)
    except ValueError:  # ints beyond sys.get_int_max_str_digits
        return f"<{type(value).__name__} too large to print>"
    return text if len(text) <= 60 else f"{text[:40]}...({len(text)} characters)"


def _check_text(text: str, what: str) -> str:
    # Lone surrogates (from a bad decode, or os.fsdecode of a bad name) cannot
    # be written as UTF-8: refuse them here rather than fail deep in a write.
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidArgument(
                f"Invalid {what} {_short(text)}: not valid Unicode text (lone surrogate "
                f"{text[e.start]!r} at position {e.start}); expected text encodable as UTF-8"
            ) from None
    return text


def _truncated(kind: str, key: str, text: str, limit: int) -> str | None:
    # Refusing is the default (nothing is silently cut); truncation only when asked.
    if not settings.truncate_long_values():
        return None
    logger.warning(
        "%s %r value has %d characters; truncated to %d (%s is set)",
        kind, key, len(text), limit, settings.TRUNCATE_LONG_VALUES,
    )
    return text[:limit]


def _value_text(value: Any, kind: str, key: str) -> str:
    # Params and tags are stored as strings, as MLflow does (str(value)).
    # The names for an error message are formatted only when there is one:
    # a sweep validates ~15 values per run, and two f-strings each were ~5%
    # of a run's CPU.
    if type(value) is str:
        text = value
    else:
        try:
            text = str(value)
        except ValueError as e:  # an int beyond sys.get_int_max_str_digits
            raise InvalidArgument(
                f"Invalid value for {kind} {key!r}: {e}; expected a printable value"
            ) from None
    if text.isascii():
        return text
    return _check_text(text, f"value for {kind} {key!r}")


def validate_param_value(key: str, value: Any) -> str:
    """Return the string form of a param value, refusing values over the length limit.

    With ``MLFLOW_TRUNCATE_LONG_VALUES=true`` an over-long value is cut to
    the limit (with a warning) instead, as in MLflow.
    """
    text = _value_text(value, "param", key)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        cut = _truncated("Param", key, text, MAX_PARAM_VALUE_LENGTH)
        if cut is not None:
            return cut
        # MLflow's words ("... exceeds the maximum length of 6000 characters"), which code
        # written for MLflow may match, then the key and the length.
        raise InvalidArgument(
            f"Param {key!r} value exceeds the maximum length of {MAX_PARAM_VALUE_LENGTH} "
            f"characters (it has {len(text)} characters)"
        )
    return text


def validate_tag_value(key: str, value: Any, limit: int = MAX_TAG_VALUE_LENGTH) -> str:
    """Return the string form of a tag value, refusing values over the length limit.

    ``MLFLOW_TRUNCATE_LONG_VALUES=true`` truncates instead, as for params.
    ``limit``: experiment tags take :data:`MAX_EXPERIMENT_TAG_VALUE_LENGTH`.
    """
    text = _value_text(value, "tag", key)
    if len(text) > limit:
        cut = _truncated("Tag", key, text, limit)
        if cut is not None:
            return cut
        raise InvalidArgument(
            f"Tag {key!r} value exceeds the maximum length of {limit} characters "
            f"(it has {len(text)} characters)"
        )
    return text


def validate_name(name: Any, kind: str = "experiment name") -> str:
    """Names of experiments, runs and models: non-empty strings without control characters."""
    # The first words are MLflow's ("Invalid experiment name: 123. Expects a string."),
    # which code written for MLflow may match.
    if not isinstance(name, str):
        shown = "'None'" if name is None else repr(name)
        raise InvalidName(
            f"Invalid {kind}: {shown}. Expects a string. (got {type(name).__name__})"
        )
    if len(name) > MAX_NAME_LENGTH:
        # MLflow: "'name' exceeds the maximum length of 500 characters"
        raise InvalidName(
            f"Invalid {kind}: {name[:40]!r}... ({len(name)} characters): 'name' exceeds the "
            f"maximum length of {MAX_NAME_LENGTH} characters"
        )
    if not name.strip():
        raise InvalidName(
            f"Invalid {kind}: {name!r}. Expects a non-blank string of at most "
            f"{MAX_NAME_LENGTH} characters"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidName(f"Invalid {kind} {name!r}: control characters are not allowed")
    _check_text(name, kind)
    return name


def validate_run_id(run_id: Any) -> str:
    """Run ids are 1-64 characters of letters, digits, '_' and '-' (they name folders)."""
    if not isinstance(run_id, str) or not _RUN_ID_RE.match(run_id):
        raise InvalidArgument(
            f"Invalid run id {run_id!r}: expected 1-64 letters, digits, '_' or '-'"
        )
    return run_id


def validate_experiment_id(experiment_id: Any) -> str:
    """Experiment ids are strings of digits (ints are accepted and converted)."""
    if isinstance(experiment_id, int) and not isinstance(experiment_id, bool):
        experiment_id = str(experiment_id)
    if not isinstance(experiment_id, str) or not _RUN_ID_RE.match(experiment_id):
        raise InvalidArgument(
            # "Invalid experiment id: " first, as MLflow words it.
            f"Invalid experiment id: {experiment_id!r} of type {type(experiment_id).__name__}: "
            "expected a string of letters, digits, '_' or '-' (e.g. '0'), or an int"
        )
    return experiment_id
