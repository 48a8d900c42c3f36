"""Checks applied to registry input before anything is written, and the name -> folder key."""

from __future__ import annotations

import re
from typing import Any

from litetrack.errors import InvalidArgument, InvalidName
from litetrack.validation import MAX_NAME_LENGTH, validate_key, validate_name

#: MLflow's MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH: registry tags are longer than run tags.
MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000


def _missing(param: str, what: str) -> InvalidName:
    # MLflow's words first ("Missing value for required parameter 'name'"), then ours.
    return InvalidName(f"Missing value for required parameter {param!r}: {what}")


# Patterns, not compiled regexes: ``re`` compiles (and caches) each on first
# use, so a process that only searches never pays ~0.15 ms compiling them.
_SLUG_RE = r"[^A-Za-z0-9_.-]+"
_ALIAS_RE = r"^[\w\-]+$"
_VERSION_LIKE_ALIAS = r"^v\d+$"
MAX_ALIAS_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 100_000


def model_key(name: str) -> str:
    """The folder name of a registered model: readable slug + 16 hex digits of the name's hash."""
    # hashlib loads OpenSSL (3-9 ms here): imported on first use, so that a
    # search that names no model (the search cache has the keys) does not pay it.
    import hashlib

    slug = re.sub(_SLUG_RE, "-", name).strip("-.")[:40].rstrip("-.") or "model"
    return f"{slug}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def validate_model_name(name: Any, param: str = "name") -> str:
    """Registered model names: non-blank strings without control characters, at most 500 chars.

    ``param`` names the argument in the message for a missing name (``new_name`` for a rename).
    """
    if name is None or name == "":
        raise _missing(
            param,
            f"a registered model name is a non-blank string of at most {MAX_NAME_LENGTH} "
            f"characters, got {name!r}",
        )
    return validate_name(name, "registered model name")


def validate_new_model_name(name: Any, param: str = "name") -> str:
    """The name of a model about to be created or renamed to: MLflow's rule on top of
    :func:`validate_model_name`: no ``/`` or ``:`` (``models:/a/b/1`` would be ambiguous),
    and a name that stays itself as a path (not ``.``, ``..`` or ``..x``).

    Only new names are checked: a model a store already holds keeps its name.
    """
    import posixpath

    name = validate_model_name(name, param)
    if "/" in name or ":" in name:
        raise InvalidArgument(
            f"Invalid registered model name {name!r}: names cannot contain '/' or ':' "
            "(as in MLflow: models:/NAME/VERSION must name one model)",
            name=name,
        )
    norm = posixpath.normpath(name)
    if norm != name or norm == "." or norm.startswith(".."):
        raise InvalidArgument(
            f"Invalid registered model name {name!r}: a name must not resolve to another one "
            f"when treated as a path (this one resolves to {norm!r}), as in MLflow",
            name=name,
        )
    return name


def validate_version(version: Any) -> int:
    """A version number from an int or a string of digits (``3``, ``"3"``); >= 1."""
    if isinstance(version, bool):
        raise InvalidArgument(f"Invalid model version {version!r}: expected a positive integer")
    if isinstance(version, int):
        v = version
    elif isinstance(version, str) and version.strip().isascii() and version.strip().isdigit():
        v = int(version.strip())
    else:
        raise InvalidArgument(
            f"Parameter 'version' must be an integer, got {version!r}. Invalid model version "
            f"{version!r}: expected a positive integer such as 3 or '3'",
            version=version,
        )
    if v < 1:
        raise InvalidArgument(
            f"Invalid model version {version!r}: versions start at 1", version=version
        )
    return v


def validate_alias(alias: Any) -> str:
    """Aliases as in MLflow: letters, digits, ``_`` and ``-``; not ``latest``, not ``v<digits>``."""
    if not isinstance(alias, str) or not alias:
        raise InvalidArgument(f"Invalid alias {alias!r}: expected a non-empty string", alias=alias)
    if len(alias) > MAX_ALIAS_LENGTH or not re.match(_ALIAS_RE, alias):
        raise InvalidArgument(
            f"Invalid alias {alias!r}: use 1 to {MAX_ALIAS_LENGTH} letters, digits, '_' or '-' "
            "(e.g. 'champion')",
            alias=alias,
        )
    if alias.lower() == "latest" or re.match(_VERSION_LIKE_ALIAS, alias, re.IGNORECASE):
        raise InvalidArgument(
            f"Invalid alias {alias!r}: 'latest' and version-like names such as 'v3' are reserved "
            "(models:/NAME/latest and version numbers already mean something)",
            alias=alias,
        )
    return alias


def validate_description(description: Any) -> str | None:
    if description is None:
        return None
    if not isinstance(description, str):
        raise InvalidArgument(f"Invalid description {description!r}: expected a string or None")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidArgument(
            f"Description has {len(description)} characters; at most {MAX_DESCRIPTION_LENGTH} are allowed"
        )
    return description


def validate_comment(comment: Any) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise InvalidArgument(f"Invalid comment {comment!r}: expected a string or None")
    return comment


def validate_tags(tags: Any) -> dict[str, str]:
    """Tag dicts (``{key: value}``; values become strings, as in MLflow)."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidArgument(f"Invalid tags {tags!r}: expected a dict of key -> value")
    out = {}
    for k, v in tags.items():
        k = validate_tag_key(k)
        out[k] = validate_tag_value(k, v)
    return out


def validate_tag_key(key: Any) -> str:
    """A registry tag key (the rules of run tag keys); a missing one in MLflow's words."""
    if key is None or key == "":
        raise _missing("key", f"a tag key is a non-empty string, got {key!r}")
    return validate_key(key, "tag key")


def validate_tag_value(key: str, value: Any) -> str:
    """The string form of a registry tag value, at most MLflow's 100,000 characters."""
    from litetrack.validation import _value_text

    text = _value_text(value, "tag", key)
    if len(text) > MAX_REGISTRY_TAG_VALUE_LENGTH:
        raise InvalidArgument(
            f"'value' exceeds the maximum length of {MAX_REGISTRY_TAG_VALUE_LENGTH} "
            f"characters: tag {key!r} has a value of {len(text)} characters",
            key=key,
        )
    return text
