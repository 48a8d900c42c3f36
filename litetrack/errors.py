"""The one error hierarchy of litetrack.

Every error raised on purpose derives from :class:`LitetrackError`, and most
also derive from the matching builtin (``LookupError``, ``ValueError`` ...) so
callers can catch either. Messages name the bad value, the file when there is
one, and what would have been accepted.

All errors survive pickling, attributes included: they cross process
boundaries in parallel sweeps (``multiprocessing``, ``concurrent.futures``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "LitetrackError",
    "MlflowException",
    "InvalidArgument",
    "InvalidName",
    "InvalidMetricValue",
    "InvalidArtifactPath",
    "ParamConflict",
    "NotFound",
    "ExperimentNotFound",
    "RunNotFound",
    "ArtifactNotFound",
    "ModelNotFound",
    "RegisteredModelNotFound",
    "ModelVersionNotFound",
    "AliasNotFound",
    "AlreadyExists",
    "ExperimentAlreadyExists",
    "InvalidState",
    "StoreError",
    "CorruptDocument",
    "ChecksumMismatch",
    "FilterSyntaxError",
    "UnsupportedURI",
    "RemoteError",
    "RemoteNotFound",
]


def _rebuild(cls: type[LitetrackError], message: str, state: dict[str, Any]) -> LitetrackError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class LitetrackError(Exception):
    """Base of every error litetrack raises on purpose.

    ``message`` is the human sentence; ``error_code`` mirrors MLflow's
    ``MlflowException.error_code`` so code written for MLflow can inspect it.
    """

    error_code: str = "INTERNAL_ERROR"

    def __init__(self, message: str, **attrs: Any) -> None:
        super().__init__(message)
        self.message = message
        for key, value in attrs.items():
            setattr(self, key, value)

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses carry keyword attributes (path, expected, ...); the
        # default Exception pickling would call __init__ with args only and
        # lose them.
        state = {k: v for k, v in self.__dict__.items()}
        return (_rebuild, (type(self), self.message, state))

    def __str__(self) -> str:
        return self.message


#: MLflow's name for the base class, so ``except mlflow.exceptions.MlflowException``
#: keeps working after ``import litetrack as mlflow``.
MlflowException = LitetrackError


class InvalidArgument(LitetrackError, ValueError):
    """A value given by the caller is not acceptable."""

    error_code = "INVALID_PARAMETER_VALUE"


class InvalidName(InvalidArgument):
    """A key, experiment name, model name ... has characters that are not allowed."""


class InvalidMetricValue(InvalidArgument, TypeError):
    """A metric value is not a real number."""


class InvalidArtifactPath(InvalidArgument):
    """An artifact path is absolute, escapes the artifact root, or has forbidden characters."""


class LocalFileNotFound(InvalidArgument, FileNotFoundError):
    """A local file or folder to log does not exist (``except FileNotFoundError`` catches it,
    as it catches MLflow's error there)."""


class UnsupportedObjectType(InvalidArgument, TypeError):
    """An object of a kind the call cannot take (``log_figure("x")``); a ``TypeError`` too,
    as MLflow raises there."""


class ParamConflict(InvalidArgument):
    """A param was logged again with a different value."""


class NotFound(LitetrackError, LookupError):
    """Something named by the caller does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class ExperimentNotFound(NotFound):
    """No experiment has that id or name."""


class RunNotFound(NotFound):
    """No run has that id."""


class TagNotFound(NotFound):
    """A run has no tag with that key (to delete)."""


class ArtifactNotFound(NotFound, FileNotFoundError):
    """No artifact at that path."""


class ModelNotFound(NotFound):
    """No model at that URI."""


class RegisteredModelNotFound(NotFound):
    """No registered model has that name."""


class ModelVersionNotFound(NotFound):
    """The registered model has no such version, stage or alias."""


class AliasNotFound(ModelVersionNotFound):
    """The registered model has no such alias.

    A :class:`NotFound` like any missing version, but with MLflow's error code
    for it (both its stores raise ``INVALID_PARAMETER_VALUE``), so code that
    checks ``e.error_code`` after ``get_model_version_by_alias`` keeps working.
    """

    error_code = "INVALID_PARAMETER_VALUE"


class AlreadyExists(LitetrackError):
    """Something with that name already exists."""

    error_code = "RESOURCE_ALREADY_EXISTS"


class ExperimentAlreadyExists(AlreadyExists, ValueError):
    """An experiment with that name already exists."""


class InvalidState(LitetrackError, RuntimeError):
    """The operation is not allowed in the current state (e.g. logging to a deleted run)."""

    error_code = "INVALID_STATE"


class StoreError(LitetrackError, OSError):
    """The store folder cannot be used (not a folder, not writable ...)."""


class CorruptDocument(LitetrackError, ValueError):
    """A JSON document or log in the store cannot be parsed or validated.

    ``path`` names the file.
    """

    error_code = "CORRUPT_DOCUMENT"


class ChecksumMismatch(LitetrackError, ValueError):
    """Content does not hash to the digest it was stored under.

    ``path``, ``expected`` and ``actual`` name the file and both digests.
    """

    error_code = "CHECKSUM_MISMATCH"


class FilterSyntaxError(InvalidArgument):
    """A filter or order_by string cannot be parsed.

    ``text`` is the string, ``position`` the 0-based offset where parsing failed.
    """


class UnsupportedURI(InvalidArgument):
    """A tracking or model URI litetrack cannot serve (http, sqlite, databricks ...)."""


class RemoteError(LitetrackError, OSError):
    """A remote (object storage or shared folder) cannot be used or answered with an error.

    ``remote`` names the remote (its configured name, or its URL); the
    message never carries credentials.
    """

    error_code = "REMOTE_ERROR"


class RemoteNotFound(NotFound):
    """A named object, remote or remote configuration does not exist."""
