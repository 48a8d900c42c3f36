"""``models:/`` URIs: ``models:/NAME/VERSION``, ``models:/NAME/STAGE``,
``models:/NAME/latest`` and ``models:/NAME@ALIAS``.

Model names may contain ``/`` (and ``@``): the reference is what follows the
*last* ``/``, or, when that last segment holds an ``@``, what follows the
last ``@``. So ``models:/team/taxi/3`` is version 3 of ``team/taxi`` and
``models:/team/taxi@champion`` its alias ``champion``.
"""

from __future__ import annotations

from typing import NamedTuple

from litetrack.entities import ALL_STAGES, canonical_stage
from litetrack.errors import InvalidArgument

__all__ = ["ModelRef", "parse_model_uri", "model_uri"]

_PREFIX = "models:/"


class ModelRef(NamedTuple):
    """What a ``models:/`` URI names: ``kind`` is version, stage, latest or alias."""

    name: str
    kind: str
    value: int | str | None

    def describe(self) -> str:
        """``version 3``, ``stage 'Production'``, ``the latest version``, ``alias 'champion'``."""
        if self.kind == "version":
            return f"version {self.value}"
        if self.kind == "stage":
            return f"stage {self.value!r}"
        if self.kind == "alias":
            return f"alias {self.value!r}"
        return "the latest version"


def _bad(uri: object, why: str) -> InvalidArgument:
    return InvalidArgument(
        # MLflow's first words ("Not a proper models:/ URI"), which code may match.
        f"Not a proper models:/ URI: invalid model URI {uri!r}: {why}. "
        "Expected models:/NAME/VERSION, models:/NAME/STAGE "
        f"(stage one of {', '.join(ALL_STAGES)}), models:/NAME/latest or models:/NAME@ALIAS",
        uri=uri,
    )


def parse_model_uri(uri: str) -> ModelRef:
    """Parse a ``models:/`` URI; :class:`InvalidArgument` (naming the URI and the forms) if malformed."""
    if not isinstance(uri, str) or not uri.startswith(_PREFIX):
        raise _bad(uri, "it does not start with 'models:/'")
    rest = uri[len(_PREFIX) :]
    if rest.startswith("/"):
        raise _bad(
            uri, "models:// (a remote registry profile) is not supported; litetrack is local"
        )
    last = rest.rsplit("/", 1)[-1]
    if "@" in last:
        name, _, alias = rest.rpartition("@")
        if not name:
            raise _bad(uri, "no model name before '@'")
        if not alias:
            raise _bad(uri, "no alias after '@'")
        return ModelRef(name, "alias", alias)
    if "/" not in rest:
        raise _bad(uri, "no version, stage, 'latest' or '@alias' after the model name")
    name, _, ref = rest.rpartition("/")
    if not name:
        raise _bad(uri, "no model name")
    if not ref:
        raise _bad(uri, "nothing after the last '/'")
    if ref.isascii() and ref.isdigit():
        version = int(ref)
        if version < 1:
            raise _bad(uri, "versions start at 1")
        return ModelRef(name, "version", version)
    if ref.lower() == "latest":
        return ModelRef(name, "latest", None)
    try:
        return ModelRef(name, "stage", canonical_stage(ref))
    except InvalidArgument:
        raise _bad(
            uri, f"{ref!r} is not a version number, a stage, 'latest' or an @alias"
        ) from None


def model_uri(name: str, version: int | str) -> str:
    """``models:/NAME/VERSION``."""
    return f"{_PREFIX}{name}/{version}"
